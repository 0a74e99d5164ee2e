import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from personastudio.clips.models import format_region
from personastudio.engine.dsp.pitch import VoiceProfile, hz_to_note_name, note_name_range
from personastudio.engine.voice.thresholds import LIKENESS_FLOOR, LIKENESS_GOAL
from personastudio.providers.records import ProviderRecord
from personastudio.submission import unique_submission


class VoiceCheck(models.Model):
    """A try at the consent check: the clip's singer reads a phrase, and the worker compares the voices.

    Only a passed check makes its persona. Every try is kept (without its recording, once refused)
    for the hourly limit and as the record of what was agreed, when and how closely it matched."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Checking")
        PASSED = "passed", _("Same voice")
        REFUSED = "refused", _("Not the same voice")
        FAILED = "failed", _("Could not check")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_checks")
    # What the persona is to be: kept here so a refused try can fill the form in again.
    name = models.CharField(max_length=100)
    source_clip = models.ForeignKey("clips.Clip", null=True, on_delete=models.SET_NULL, related_name="+")
    region_start_s = models.FloatField(null=True, blank=True)
    region_end_s = models.FloatField(null=True, blank=True)
    phrase = models.CharField(max_length=300)
    language = models.CharField(max_length=8, default="en")
    recording = models.ForeignKey(
        "clips.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="voice_checks"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    similarity = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    submission = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [unique_submission("voicecheck")]

    def get_absolute_url(self) -> str:
        return reverse("personas:check", args=[self.id])

    @property
    def region(self) -> tuple[float, float] | None:
        if self.region_start_s is None or self.region_end_s is None:
            return None
        return self.region_start_s, self.region_end_s


class Persona(ProviderRecord):
    class Status(models.TextChoices):
        # The contract's words, used in data-status too.
        PENDING = "pending", _("Learning")
        COMPLETE = "complete", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)  # the songwriter's own notes on this singer
    source_clip = models.ForeignKey("clips.Clip", null=True, on_delete=models.SET_NULL, related_name="personas")
    # The part of source_clip it learned from, in seconds; both None means the whole clip.
    region_start_s = models.FloatField(null=True, blank=True)
    region_end_s = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    profile = models.JSONField(default=dict)  # VoiceProfile.to_dict(), measured by us from the clip
    # While learning: how far the provider has got (0-100), when it says. Once learned: how close the
    # persona sings to its clip, when the provider measures it (the built-in engine does: a likeness
    # score, 0 = no closer than the stock voice, 1 = as close as the clip is to itself).
    progress = models.PositiveSmallIntegerField(default=0)
    likeness = models.FloatField(null=True, blank=True)
    # The service said "slow down" (429) while learning, so nothing was made: the worker tries again then.
    retry_at = models.DateTimeField(null=True, blank=True)

    class Consent(models.TextChoices):
        UNCHECKED = "", _("Not checked")  # made before voice checks existed
        CHECKED = "checked", _("Voice checked")
        GENERATED = "generated", _("Made from a generated track")

    consent = models.CharField(max_length=16, choices=Consent.choices, blank=True, default="")
    voice_check = models.OneToOneField(
        VoiceCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="persona"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The persona form's one-time token (personastudio.submission): a double click makes one persona.
    submission = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [unique_submission("persona")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("personas:detail", args=[self.id])

    @property
    def region(self) -> tuple[float, float] | None:
        if self.region_start_s is None or self.region_end_s is None:
            return None
        return self.region_start_s, self.region_end_s

    @property
    def region_label(self) -> str:
        """'0:12–0:34' when it learned from a region of its clip, '' for the whole clip."""
        return format_region(*self.region) if self.region else ""

    @property
    def likeness_level(self) -> str:
        """The likeness meter's words: "close", "fair" or "far" ("" when not measured)."""
        if self.likeness is None:
            return ""
        if self.likeness >= LIKENESS_GOAL:
            return "close"
        return "fair" if self.likeness >= LIKENESS_FLOOR else "far"

    @property
    def likeness_percent(self) -> int:
        return int(round(100 * min(max(self.likeness or 0.0, 0.0), 1.0)))

    @property
    def voice(self) -> VoiceProfile | None:
        return VoiceProfile.from_dict(self.profile) if self.profile else None

    @property
    def range_label(self) -> str:
        voice = self.voice
        return note_name_range(voice.low_hz, voice.high_hz) if voice else ""

    @property
    def median_label(self) -> str:
        voice = self.voice
        return f"{hz_to_note_name(voice.median_hz)} ({voice.median_hz:.0f} Hz)" if voice else ""
