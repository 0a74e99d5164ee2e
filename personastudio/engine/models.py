"""The built-in engine's own records: what a MusicMint-compatible service keeps.

They are separate from the app's Clip/Persona/Generation on purpose: the app
talks to the engine only through the contract, exactly as it talks to a
hosted service.
"""

import secrets

from django.conf import settings
from django.db import models


def new_clip_id() -> str:
    return secrets.token_hex(6)


def new_task_id() -> str:
    return secrets.token_hex(12)


def new_persona_id() -> str:
    return f"persona-{secrets.token_hex(6)}"


def new_stem_id() -> str:
    return f"stem-{secrets.token_hex(6)}"


class ApiKey(models.Model):
    """An `sk-mm-` key; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_keys")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)  # shown to the owner to tell keys apart
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


def engine_clip_path(instance: "EngineClip", filename: str) -> str:
    return f"engine/clips/{instance.owner_id}/{instance.id}/{filename}"


class EngineClip(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload"
        GENERATED = "generated"
        VOCALS = "vocals"
        INSTRUMENTAL = "instrumental"

    id = models.CharField(primary_key=True, max_length=32, default=new_clip_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_clips")
    source = models.CharField(max_length=16, choices=Source.choices)
    title = models.CharField(max_length=200, blank=True)
    tags = models.CharField(max_length=200, blank=True)
    prompt = models.TextField(blank=True)
    audio = models.FileField(upload_to=engine_clip_path, max_length=300)
    # Generated clips keep their exact stems, so separating them needs no guessing.
    vocal_stem = models.FileField(upload_to=engine_clip_path, max_length=300, blank=True)
    band_stem = models.FileField(upload_to=engine_clip_path, max_length=300, blank=True)
    duration_s = models.FloatField(default=0)
    voiced_s = models.FloatField(default=0)
    task = models.ForeignKey("EngineTask", null=True, blank=True, on_delete=models.CASCADE, related_name="clips")
    variant = models.PositiveSmallIntegerField(default=0)
    # Only the engine's own voice sings in it (a song made here that continues no upload, or a stem of
    # one): a persona made from it needs no voice check. An upload, or anything made from one, does.
    engine_voice = models.BooleanField(default=False)
    # (ours) The score a generated track was rendered from (sheet.score_json): its MIDI and lead sheet.
    # An extension's covers the whole track (the kept part's notes, then the new part's). Empty for uploads,
    # stems, and extensions of an upload (its notes are unknown).
    score = models.JSONField(default=dict, blank=True)
    # (ours) A generated track's exact stems, one per instrument that sounds in it, lossless (FLAC), summing
    # to the mix: [{"name": "drums", "file": <storage name>}, ...]. Kept exactly when `score` is.
    parts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expire_at = models.DateTimeField()

    class Meta:
        ordering = ["task_id", "variant", "created_at"]


class EnginePersona(models.Model):
    class Status(models.TextChoices):
        COMPLETE = "complete"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=32, default=new_persona_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_personas")
    name = models.CharField(max_length=100)
    clip = models.ForeignKey(EngineClip, null=True, on_delete=models.SET_NULL, related_name="personas")
    batch_id = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices)
    profile = models.JSONField(default=dict)
    # (ours) The voice check that let a persona of a real voice be made; empty for the engine's own voice.
    voice_check = models.OneToOneField(
        "EngineVoiceCheck", null=True, blank=True, on_delete=models.SET_NULL, related_name="persona"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class EngineVoiceCheck(models.Model):
    """One comparison of a recorded consent phrase with a clip's voice, passed or not (the rate limit counts them)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_voice_checks")
    clip = models.ForeignKey(EngineClip, null=True, on_delete=models.SET_NULL, related_name="+")
    verification_clip = models.ForeignKey(EngineClip, null=True, on_delete=models.SET_NULL, related_name="+")
    similarity = models.FloatField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


class EngineTask(models.Model):
    class Status(models.TextChoices):
        QUEUING = "queuing"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=32, default=new_task_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_tasks")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUING)
    request = models.JSONField()  # the GenerateRequest as received
    # What the engine actually sang (inspiration mode writes its own lyric).
    sung_title = models.CharField(max_length=200, blank=True)
    sung_tags = models.CharField(max_length=200, blank=True)
    sung_prompt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    retention_days = models.PositiveSmallIntegerField(default=7)
    callback_url = models.URLField(max_length=500, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]


class EngineStem(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_stem_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engine_stems")
    source_clip = models.ForeignKey(EngineClip, on_delete=models.CASCADE, related_name="stems")
    vocal_start_s = models.FloatField(default=0)
    vocal_end_s = models.FloatField()
    vocal_clip = models.ForeignKey(EngineClip, on_delete=models.CASCADE, related_name="+")
    instrumental_clip = models.ForeignKey(EngineClip, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
