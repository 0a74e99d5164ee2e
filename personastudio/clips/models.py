import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from personastudio.providers.records import ProviderRecord


def clock_label(seconds: float) -> str:
    """12 -> '0:12', 94.5 -> '1:34.5': whole seconds plain, tenths only when a region needs them."""
    tenths = max(int(round(seconds * 10)), 0)
    minutes, rest = divmod(tenths, 600)
    whole, tenth = divmod(rest, 10)
    return f"{minutes}:{whole:02d}" + (f".{tenth}" if tenth else "")


def format_region(start_s: float, end_s: float) -> str:
    return f"{clock_label(start_s)}–{clock_label(end_s)}"


def clip_audio_path(instance: "Clip", filename: str) -> str:
    # Private: MEDIA_ROOT is never served by URL; the audio view checks the owner.
    return f"clips/{instance.owner_id}/{instance.id}/{filename}"


class Clip(ProviderRecord):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        RECORDING = "recording", _("Recording")
        GENERATED = "generated", _("Generated")
        VOCALS = "vocals", _("Vocals")
        INSTRUMENTAL = "instrumental", _("Instrumental")
        # Someone reading the consent phrase for a persona (personas.VoiceCheck); never a persona's source.
        VERIFICATION = "verification", _("Voice check")

    class Separation(models.TextChoices):
        NONE = "", _("Not separated")
        PROCESSING = "processing", _("Separating")
        COMPLETE = "complete", _("Separated")
        FAILED = "failed", _("Separation failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UPLOAD)
    audio = models.FileField(upload_to=clip_audio_path, max_length=300)
    content_type = models.CharField(max_length=100, default="audio/mpeg")
    duration_s = models.FloatField()
    sample_rate = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    peaks = models.JSONField(default=list)  # computed once, at upload, for the waveform
    voiced_s = models.FloatField(default=0)  # seconds of singing or speech in it
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="stems")
    generation = models.ForeignKey(
        "generations.Generation", null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks"
    )
    # The clip's id at the provider ("" until it is handed over).
    remote_id = models.CharField(max_length=100, blank=True)
    separation_status = models.CharField(max_length=16, choices=Separation.choices, blank=True, default="")
    separation_error = models.TextField(blank=True)
    # The part "Separate vocals" was asked for, in seconds; both None means the whole clip.
    separation_start_s = models.FloatField(null=True, blank=True)
    separation_end_s = models.FloatField(null=True, blank=True)
    # Marked with ☆ on the song page or the clip page; a song with a favourite track is a favourite song.
    favourite = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # The library's pages and the dashboard's latest clips: one user's rows, newest first, read in order.
        indexes = [models.Index(fields=["owner", "created_at"], name="clip_owner_created_at")]
        constraints = [
            # One stem of each kind per parent: a repeated separation job cannot duplicate them.
            models.UniqueConstraint(
                fields=["parent", "kind"], condition=models.Q(parent__isnull=False), name="one_stem_kind_per_parent"
            ),
            # One clip per provider track: a repeated copy job cannot duplicate them.
            models.UniqueConstraint(
                fields=["generation", "remote_id"],
                condition=models.Q(generation__isnull=False),
                name="one_clip_per_generation_track",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("clips:detail", args=[self.id])

    def get_audio_url(self) -> str:
        return reverse("clips:audio", args=[self.id])

    @property
    def separation_region(self) -> tuple[float, float] | None:
        if self.separation_start_s is None or self.separation_end_s is None:
            return None
        return self.separation_start_s, self.separation_end_s

    @property
    def separation_region_label(self) -> str:
        """'0:12–0:34' when a region was separated, '' for the whole clip."""
        region = self.separation_region
        return format_region(*region) if region else ""

    @property
    def extension(self) -> str:
        return self.audio.name.rsplit(".", 1)[-1] if "." in self.audio.name else "audio"


def track_part_path(instance: "TrackPart", filename: str) -> str:
    return f"clips/{instance.track.owner_id}/{instance.track_id}/parts/{filename}"


#: How the page names each stem a track can have, in mix order.
PART_LABELS = {
    "lead vocal": _("Lead vocal"),
    "backing vocals": _("Backing vocals"),
    "drums": _("Drums"),
    "bass": _("Bass"),
    "keys": _("Keys & pads"),
    "guitars": _("Guitars"),
    "lead": _("Lead instrument"),
}


class TrackPart(models.Model):
    """One exact per-instrument stem of a generated track, kept beside it (lossless, time-aligned).

    It quacks like a Clip for partials/player.html: title, kind, duration, peaks and an audio URL.
    """

    kind = "part"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    track = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="parts")
    name = models.CharField(max_length=32)  # the engine's: "lead vocal", "drums", ... (PART_LABELS)
    position = models.PositiveSmallIntegerField(default=0)
    audio = models.FileField(upload_to=track_part_path, max_length=300)
    duration_s = models.FloatField()
    peaks = models.JSONField(default=list)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["track", "name"], name="one_part_of_each_name_per_track")]

    def __str__(self) -> str:
        return f"{self.track.title} - {self.name}"

    @property
    def title(self) -> str:
        return str(PART_LABELS.get(self.name, self.name))

    def get_absolute_url(self) -> str:
        return self.track.get_absolute_url()

    def get_audio_url(self) -> str:
        return reverse("clips:part", args=[self.track_id, self.id])
