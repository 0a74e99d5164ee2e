import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from personastudio.providers.records import ProviderRecord
from personastudio.submission import unique_submission


class Generation(ProviderRecord):
    class Mode(models.TextChoices):
        CUSTOM = "custom", _("Custom")
        INSPIRATION = "inspiration", _("Inspiration")

    class Status(models.TextChoices):
        # The contract's words, used in data-status too.
        QUEUING = "queuing", _("Queued")
        PROCESSING = "processing", _("Making your song")
        COMPLETED = "completed", _("Done")
        FAILED = "failed", _("Failed")

    FINAL = (Status.COMPLETED, Status.FAILED)
    FULL_INFLUENCE = 100  # percent: the whole persona
    #: Columns a list of songs never shows, left in the database: the lyrics, the provider's answers (a
    #: whole JSON document per song) and the error text. A list that needs one (the dashboard's stage line
    #: reads provider_results) keeps it. The clips list reads it through Clip.generation.
    LIST_DEFERRED = ("prompt", "provider_results", "error")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.CUSTOM)
    title = models.CharField(max_length=80, blank=True)
    prompt = models.TextField(blank=True)  # lyrics
    tags = models.CharField(max_length=200, blank=True)
    gpt_description_prompt = models.TextField(blank=True)
    make_instrumental = models.BooleanField(default=False)
    persona = models.ForeignKey(
        "personas.Persona", null=True, blank=True, on_delete=models.SET_NULL, related_name="generations"
    )
    # How much of the persona sings, in percent (0: the stock voice in the persona's range, 100: the persona as
    # learned); sent as the engine's persona_influence (0..1) to a provider that takes it. 100 without a persona.
    persona_influence = models.PositiveSmallIntegerField(
        default=FULL_INFLUENCE, validators=[MinValueValidator(0), MaxValueValidator(FULL_INFLUENCE)]
    )
    # An extension: the clip it continues and the second the new part starts (the contract's
    # continue_clip_id / continue_at; our Clip is the source of truth, its id at the provider is looked up).
    continue_clip = models.ForeignKey(
        "clips.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="extensions"
    )
    continue_at = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUING)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    # The provider's result items, kept until their audio is copied into our storage.
    provider_results = models.JSONField(default=list)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # How far a render in our own worker is (providers that report in process): {"fraction": 0..1, "stage":
    # "band" | "singing" | "mixing" | "saving", "done", "total" (lines when singing), "variant" (0-based),
    # "variants"}; {} when there are no figures (a hosted service), and once the tracks are being kept.
    progress = models.JSONField(default=dict, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)  # when `progress` was last written
    # When we asked the provider to start; lets us find the task if its answer was lost.
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The service said "slow down" (429) to our generate call, so nothing was made: a poll or the sweep submits
    # the song again from this time on (None: not waiting).
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # The song form's one-time token (personastudio.submission): a double click makes one generation.
    submission = models.UUIDField(null=True, blank=True, editable=False)
    # The language the song was asked for in: the worker saving its tracks (after a webhook or the
    # sweep, not the user's request) writes titles and messages in it.
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The songs library and the dashboard: one user's rows, newest first, read in index order.
        indexes = [models.Index(fields=["owner", "created_at"], name="generation_owner_created_at")]
        constraints = [unique_submission("generation")]

    def __str__(self) -> str:
        return self.title or self.gpt_description_prompt[:40] or str(_("Untitled song"))

    @property
    def sung_lyrics(self) -> str:
        """The lyric the provider sang: in inspiration mode it wrote it, and the songwriter may want it."""
        first = self.provider_results[0] if self.provider_results else {}
        return first.get("prompt", "") if isinstance(first, dict) else ""

    def get_absolute_url(self) -> str:
        return reverse("generations:detail", args=[self.id])

    @property
    def sung_with_part_of_persona(self) -> bool:
        """Did its persona sing with less than its whole voice (the song page says how much)?"""
        return self.persona_id is not None and self.persona_influence != self.FULL_INFLUENCE

    @property
    def is_extension(self) -> bool:
        return self.continue_at is not None

    @property
    def can_retry(self) -> bool:
        """An extension needs the track it extends; deleting that track leaves continue_clip empty."""
        return not (self.is_extension and self.continue_clip_id is None)

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def progress_percent(self) -> int | None:
        """How far the render is, 0..100, or None without figures (the page shows a bar that only moves)."""
        fraction = self.progress.get("fraction") if isinstance(self.progress, dict) else None
        if self.is_final or self.provider_results or not isinstance(fraction, (int, float)):
            return None
        return min(max(round(fraction * 100), 0), 100)

    @property
    def progress_label(self) -> str:
        """The render's stage in words, e.g. "Track 1 of 2: singing line 3 of 12" ("" without figures)."""
        if self.progress_percent is None:
            return ""
        figures = self.progress
        stage, done, total = figures.get("stage"), figures.get("done", 0), figures.get("total", 0)
        if stage == "singing":
            doing = _("singing line %(line)s of %(lines)s") % {"line": min(done + 1, total), "lines": total}
        else:
            doing = {
                "band": _("playing the band"),
                "mixing": _("mixing and mastering"),
                "saving": _("saving the audio"),
            }.get(stage, _("composing"))
        return _("Track %(track)s of %(tracks)s: %(doing)s") % {
            "track": figures.get("variant", 0) + 1,
            "tracks": figures.get("variants", 1),
            "doing": doing,
        }

    @property
    def stage_label(self) -> str:
        """What an unfinished song is doing now, in a few words ("" once it is final)."""
        if self.is_final:
            return ""
        if self.status == self.Status.QUEUING:
            return (
                _("Queued — waiting for the music service…")
                if self.provider_is_hosted
                else _("Queued — waiting for the engine…")
            )
        if self.provider_results:
            return _("Saving your tracks…")
        if self.provider_is_hosted:
            return _("The music service is making your song…")
        return (
            _("Composing the new part, singing and joining it…")
            if self.is_extension
            else _("Composing, singing and mixing…")
        )
