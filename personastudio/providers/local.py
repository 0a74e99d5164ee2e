"""The built-in engine as a provider: the engine's services, called in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from personastudio.contract.provider import MusicProvider
from personastudio.contract.types import (
    GenerateRequest,
    PersonaResult,
    StemResult,
    TaskInfo,
    TaskPage,
    TaskRef,
    TrackFile,
    TrackPart,
    UploadResult,
)
from personastudio.engine import services as engine

from . import registry


class LocalProvider(MusicProvider):
    name = registry.LOCAL

    def __init__(self, *, owner: AbstractBaseUser) -> None:
        # The engine keeps its records per account, as a hosted service would per key.
        self.owner = owner

    @classmethod
    def connect(cls, *, owner: AbstractBaseUser, base_url: str, api_key: str) -> LocalProvider:
        """The registry's way in; the built-in engine has no address and needs no key."""
        return cls(owner=owner)

    @classmethod
    def listen(cls, *, on_progress: Callable[..., None], on_end: Callable[..., None]) -> None:
        """The registry's `listen`: the engine's word on each task, in the worker that renders it."""

        def progress(task, report) -> None:
            on_progress(
                provider=cls.name,
                task_id=task.id,
                fraction=report.fraction,
                stage=report.stage,
                done=report.done,
                total=report.total,
                variant=report.variant,
                variants=report.variants,
            )

        def end(task, measured: dict) -> None:
            on_end(provider=cls.name, task_id=task.id, info=engine.task_info(task), measures=measured)

        engine.task_listen(on_progress=progress, on_end=end)

    def generate(self, request: GenerateRequest) -> TaskRef:
        task = engine.task_create(owner=self.owner, request=request)
        return TaskRef(task_id=task.id, status=task.status)

    def get_task(self, task_id: str) -> TaskInfo:
        return engine.task_get(owner=self.owner, task_id=task_id)

    def list_tasks(self, *, page: int = 1, page_size: int = 20, status: int = -1) -> TaskPage:
        return engine.task_list(owner=self.owner, page=page, page_size=page_size, status=status)

    def create_persona(
        self,
        *,
        name: str,
        clip_id: str,
        verification_clip_id: str = "",
        on_progress: Callable[[float], None] | None = None,
    ) -> PersonaResult:
        return engine.persona_result(
            engine.persona_create(
                owner=self.owner,
                name=name,
                clip_id=clip_id,
                verification_clip_id=verification_clip_id,
                on_progress=on_progress,
            )
        )

    def upload_url(self, audio_url: str) -> UploadResult:
        return engine.upload_result(engine.clip_import_url(owner=self.owner, audio_url=audio_url))

    def upload_file(self, path: Path, *, filename: str) -> UploadResult:
        # Our own clips: songs may be longer than an upload (see SONG_MAX_DURATION_S).
        clip = engine.clip_import_bytes(
            owner=self.owner,
            data=Path(path).read_bytes(),
            filename=filename,
            max_duration_s=settings.SONG_MAX_DURATION_S,
        )
        return engine.upload_result(clip)

    def stem(self, *, clip_id: str, vocal_start_s: float = 0.0, vocal_end_s: float | None = None) -> StemResult:
        return engine.stem_result(
            engine.stem_create(owner=self.owner, clip_id=clip_id, vocal_start_s=vocal_start_s, vocal_end_s=vocal_end_s)
        )

    def fetch_audio(self, url: str) -> bytes:
        # Our own signed URL: read the file it names instead of going over HTTP.
        clip, kind = engine.clip_file_from_path(url)
        with engine.clip_file_field(clip, kind).open("rb") as audio_file:
            return audio_file.read()

    def sheet(self, *, clip_id: str, sheet_format: str) -> TrackFile | None:
        return engine.clip_sheet(owner=self.owner, clip_id=clip_id, sheet_format=sheet_format)

    def parts(self, *, clip_id: str) -> list[TrackPart] | None:
        return engine.clip_parts(owner=self.owner, clip_id=clip_id)
