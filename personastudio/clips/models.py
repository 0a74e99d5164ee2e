import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


def clip_audio_path(instance: "Clip", filename: str) -> str:
    # Private: MEDIA_ROOT is never served by URL; the audio view checks the owner.
    return f"clips/{instance.owner_id}/{instance.id}/{filename}"


class Clip(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", "Upload"
        RECORDING = "recording", "Recording"
        GENERATED = "generated", "Generated"
        VOCALS = "vocals", "Vocals"
        INSTRUMENTAL = "instrumental", "Instrumental"

    class Separation(models.TextChoices):
        NONE = "", "Not separated"
        PROCESSING = "processing", "Separating"
        COMPLETE = "complete", "Separated"
        FAILED = "failed", "Separation failed"

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
    generation = models.ForeignKey("generations.Generation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="tracks")
    # The clip's id at the provider ("" until it is handed over).
    provider = models.CharField(max_length=16, default="local")
    provider_url = models.CharField(max_length=300, blank=True)  # the hosted service's root; "" for local
    remote_id = models.CharField(max_length=100, blank=True)
    separation_status = models.CharField(max_length=16, choices=Separation.choices, blank=True, default="")
    separation_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One stem of each kind per parent: a repeated separation job cannot duplicate them.
            models.UniqueConstraint(fields=["parent", "kind"], condition=models.Q(parent__isnull=False),
                                    name="one_stem_kind_per_parent"),
            # One clip per provider track: a repeated copy job cannot duplicate them.
            models.UniqueConstraint(fields=["generation", "remote_id"], condition=models.Q(generation__isnull=False),
                                    name="one_clip_per_generation_track"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("clips:detail", args=[self.id])

    def get_audio_url(self) -> str:
        return reverse("clips:audio", args=[self.id])

    @property
    def extension(self) -> str:
        return self.audio.name.rsplit(".", 1)[-1] if "." in self.audio.name else "audio"
