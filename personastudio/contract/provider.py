"""The one interface every music provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from .types import (
    GenerateRequest,
    PersonaResult,
    ResultItem,
    StemResult,
    TaskInfo,
    TaskPage,
    TaskRef,
    TrackFile,
    TrackPart,
    UploadResult,
)


class MusicProvider(ABC):
    #: The provider's name in personastudio.providers.registry; stored on every object made through it.
    name: str

    @property
    def base_url(self) -> str:
        """Where the provider lives ("" for the built-in engine)."""
        return ""

    @abstractmethod
    def generate(self, request: GenerateRequest) -> TaskRef: ...

    @abstractmethod
    def get_task(self, task_id: str) -> TaskInfo: ...

    @abstractmethod
    def list_tasks(self, *, page: int = 1, page_size: int = 20, status: int = -1) -> TaskPage: ...

    @abstractmethod
    def create_persona(
        self,
        *,
        name: str,
        clip_id: str,
        verification_clip_id: str = "",
        on_progress: Callable[[float], None] | None = None,
    ) -> PersonaResult:
        """Learn a persona from a clip. `verification_clip_id` (ours) is the provider's clip of the
        singer reading the consent phrase, for a clip of a real voice; a service that does not know the
        field ignores it (the studio checks the voice itself first either way). `on_progress(fraction)`
        is called while learning, where the provider can tell (the built-in engine learns in-process;
        a hosted service answers once)."""

    @abstractmethod
    def upload_url(self, audio_url: str) -> UploadResult: ...

    @abstractmethod
    def upload_file(self, path: Path, *, filename: str) -> UploadResult:
        """Hand a file we hold to the provider; returns its clip id."""

    @abstractmethod
    def stem(self, *, clip_id: str, vocal_start_s: float = 0.0, vocal_end_s: float | None = None) -> StemResult: ...

    @abstractmethod
    def fetch_audio(self, url: str) -> bytes:
        """Download a result's or a stem's audio so we keep our own copy (provider URLs expire)."""

    def fetch_result_audio(self, item: ResultItem) -> bytes:
        return self.fetch_audio(item.audio_url)

    def ping(self) -> None:
        """One cheap call, for Settings' "Test connection": raises what went wrong (nothing to reach by default)."""

    def sheet(self, *, clip_id: str, sheet_format: str) -> TrackFile | None:
        """(ours) A generated track's score as "midi" or "musicxml"; None where the provider keeps no score
        (the public contract has none: only the built-in engine composes symbolically)."""
        return None

    def parts(self, *, clip_id: str) -> list[TrackPart] | None:
        """(ours) A generated track's exact per-instrument stems; None where the provider keeps none
        (the public contract offers only the vocal/instrumental split of music/stem)."""
        return None
