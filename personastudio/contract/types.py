"""The MusicMint contract (shared/contract/music-api.md) as dataclasses.

`to_json()` gives the request body the contract names; `from_json()` reads a
reply's `data` and raises ProtocolError when a required field is missing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .errors import BadRequest, ProtocolError

TaskStatus = Literal["queuing", "processing", "completed", "failed"]
TASK_STATUSES: tuple[str, ...] = ("queuing", "processing", "completed", "failed")
# POST /tasks filters statuses by number.
TASK_STATUS_CODES = {"queuing": 0, "processing": 1, "completed": 2, "failed": 3}

PROMPT_MAX_CHARS = 3000
TAGS_MAX_CHARS = 200
TITLE_MAX_CHARS = 80
DESCRIPTION_MAX_CHARS = 500
RETENTION_DAYS_DEFAULT = 7
RETENTION_DAYS_MAX = 30
# (ours) `persona_influence`: how much of the persona sings, 0 (the stock voice in the persona's range) to 1
# (the persona as learned). Only the built-in engine knows it; hosted services are never sent it.
PERSONA_INFLUENCE_MIN = 0.0
PERSONA_INFLUENCE_MAX = 1.0
PERSONA_INFLUENCE_DEFAULT = 1.0
# Fields of GenerateRequest that are our engine's extensions, not the public contract's.
GENERATE_EXTENSIONS = ("persona_influence",)
MSG_PERSONA_INFLUENCE = (
    f"persona_influence must be a number from {PERSONA_INFLUENCE_MIN:g} (the stock voice) "
    f"to {PERSONA_INFLUENCE_MAX:g} (the whole persona)."
)


def _require(data: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ProtocolError(f"The music service's reply is missing '{key}'.")
    value = data[key]
    if not isinstance(value, kind):
        raise ProtocolError(f"The music service's reply has a malformed '{key}'.")
    return value


def _drop_empty(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and v != ""}


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str = ""
    title: str = ""
    tags: str = ""
    gpt_description_prompt: str = ""
    make_instrumental: bool = False
    persona_id: str = ""
    continue_clip_id: str = ""
    continue_at: int | None = None
    callback_url: str = ""
    retention_days: int | None = None
    persona_influence: float | None = None  # (ours) see PERSONA_INFLUENCE_*; None: the whole persona

    def validate(self) -> None:
        """The contract's own rules; raises BadRequest with a readable sentence."""
        if not (self.prompt.strip() or self.tags.strip() or self.gpt_description_prompt.strip()):
            raise BadRequest("Give lyrics, style tags or a description of the song.")
        if self.gpt_description_prompt.strip() and (self.prompt.strip() or self.tags.strip()):
            raise BadRequest("A description cannot be combined with lyrics or tags.")
        if len(self.prompt) > PROMPT_MAX_CHARS:
            raise BadRequest(f"Lyrics can be at most {PROMPT_MAX_CHARS} characters.")
        if len(self.tags) > TAGS_MAX_CHARS:
            raise BadRequest(f"Style tags can be at most {TAGS_MAX_CHARS} characters.")
        if len(self.title) > TITLE_MAX_CHARS:
            raise BadRequest(f"The title can be at most {TITLE_MAX_CHARS} characters.")
        if len(self.gpt_description_prompt) > DESCRIPTION_MAX_CHARS:
            raise BadRequest(f"The description can be at most {DESCRIPTION_MAX_CHARS} characters.")
        if self.continue_at is not None and not self.continue_clip_id:
            raise BadRequest("continue_at needs continue_clip_id.")
        if self.retention_days is not None and not 1 <= self.retention_days <= RETENTION_DAYS_MAX:
            raise BadRequest(f"retention_days must be between 1 and {RETENTION_DAYS_MAX}.")
        if self.persona_influence is not None:
            if not self.persona_id:
                raise BadRequest("persona_influence needs persona_id: it says how much of that persona sings.")
            if not PERSONA_INFLUENCE_MIN <= self.persona_influence <= PERSONA_INFLUENCE_MAX:
                raise BadRequest(MSG_PERSONA_INFLUENCE)

    def to_json(self, *, extensions: bool = True) -> dict[str, Any]:
        """The request body; `extensions=False` leaves out our engine's own fields (for a hosted service)."""
        body = _drop_empty(asdict(self))
        if not self.make_instrumental:
            body.pop("make_instrumental", None)
        if not extensions:
            for name in GENERATE_EXTENSIONS:
                body.pop(name, None)
        return body

    @classmethod
    def from_json(cls, data: Any) -> GenerateRequest:
        if not isinstance(data, dict):
            raise BadRequest("The request body must be a JSON object.")
        text_fields = (
            "prompt",
            "title",
            "tags",
            "gpt_description_prompt",
            "persona_id",
            "continue_clip_id",
            "callback_url",
        )
        values: dict[str, Any] = {}
        for name in text_fields:
            value = data.get(name)
            value = "" if value is None else value  # null means not given; 0, false or [] is no text
            if not isinstance(value, str):
                raise BadRequest(f"'{name}' must be a string.")
            values[name] = value
        for name in ("continue_at", "retention_days"):
            value = data.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise BadRequest(f"'{name}' must be a whole number.")
            values[name] = value
        instrumental = data.get("make_instrumental", False)
        if not isinstance(instrumental, bool):
            raise BadRequest("'make_instrumental' must be true or false.")
        influence = data.get("persona_influence")
        if influence is not None and (isinstance(influence, bool) or not isinstance(influence, (int, float))):
            raise BadRequest(MSG_PERSONA_INFLUENCE)  # its range (NaN and huge numbers too) is validate()'s
        request = cls(make_instrumental=instrumental, persona_influence=influence, **values)
        request.validate()
        return request


@dataclass(frozen=True)
class TaskRef:
    task_id: str
    status: str

    @classmethod
    def from_json(cls, data: Any) -> TaskRef:
        return cls(task_id=_require(data, "task_id", str), status=_require(data, "status", str))


@dataclass(frozen=True)
class ResultItem:
    id: str
    audio_url: str
    image_url: str = ""
    title: str = ""
    duration: float = 0.0
    tags: str = ""
    prompt: str = ""
    expire_at: int | None = None  # Unix ms

    @classmethod
    def from_json(cls, data: Any) -> ResultItem:
        duration = data.get("duration") if isinstance(data, dict) else None
        expire_at = data.get("expire_at") if isinstance(data, dict) else None
        return cls(
            id=_require(data, "id", str),
            audio_url=_require(data, "audio_url", str),
            image_url=str(data.get("image_url") or ""),
            title=str(data.get("title") or ""),
            duration=float(duration) if isinstance(duration, (int, float)) else 0.0,
            tags=str(data.get("tags") or ""),
            prompt=str(data.get("prompt") or ""),
            expire_at=int(expire_at) if isinstance(expire_at, (int, float)) else None,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TaskInfo:
    id: str
    status: str
    created_at: int | None = None  # Unix ms
    results: list[ResultItem] = field(default_factory=list)
    error: str = ""

    @property
    def is_final(self) -> bool:
        return self.status in ("completed", "failed")

    @classmethod
    def from_json(cls, data: Any) -> TaskInfo:
        status = _require(data, "status", str)
        if status not in TASK_STATUSES:
            raise ProtocolError(f"The music service reported an unknown status '{status}'.")
        results_raw = data.get("results") or []
        if not isinstance(results_raw, list):
            raise ProtocolError("The music service's reply has a malformed 'results'.")
        created = data.get("created_at")
        return cls(
            id=_require(data, "id", str),
            status=status,
            created_at=int(created) if isinstance(created, (int, float)) else None,
            results=[ResultItem.from_json(item) for item in results_raw],
            error=str(data.get("error") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": self.status, "created_at": self.created_at}
        if self.status == "completed":
            body["results"] = [item.to_json() for item in self.results]
        if self.status == "failed":
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskInfo]
    total: int
    page: int

    @classmethod
    def from_json(cls, data: Any) -> TaskPage:
        items = _require(data, "items", list)
        return cls(
            items=[TaskInfo.from_json(item) for item in items],
            total=int(_require(data, "total", int)),
            page=int(_require(data, "page", int)),
        )


@dataclass(frozen=True)
class PersonaResult:
    """`POST music/persona`: the persona id to pass to generate, and whether it is ready."""

    persona_id: str
    status: str  # "complete" when ready
    batch_id: str = ""
    error: str = ""
    # (ours) how close the persona sings to its clip, 0..1, when the service measures it.
    likeness: float | None = None
    # (ours) the voice check's similarity, when the service checked a consent phrase.
    voice_similarity: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> PersonaResult:
        items = _require(data, "items", list)
        if not items:
            raise ProtocolError("The music service returned no persona.")
        first = items[0]
        return cls(
            persona_id=_require(first, "id", str),
            status=_require(first, "status", str),
            batch_id=str(data.get("taskBatchId") or ""),
            error=str(first.get("error") or ""),
            likeness=_optional_fraction(first.get("likeness")),
            voice_similarity=_optional_number(_mapping(first.get("voice_check")).get("similarity")),
        )


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _optional_number(value: Any) -> float | None:
    """A finite number when the service sent one; anything else is treated as not sent."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _optional_fraction(value: Any) -> float | None:
    """A number in 0..1 when the service sent one; anything else is treated as not sent."""
    number = _optional_number(value)
    return None if number is None else min(max(number, 0.0), 1.0)


@dataclass(frozen=True)
class UploadResult:
    clip_id: str
    audio_url: str
    duration_s: int
    status: int

    @classmethod
    def from_json(cls, data: Any) -> UploadResult:
        return cls(
            clip_id=_require(data, "clipId", str),
            audio_url=str(data.get("audioUrl") or ""),
            duration_s=int(data.get("duration") or 0),
            status=int(data.get("status") or 0),
        )


@dataclass(frozen=True)
class StemResult:
    id: str
    source_clip_id: str
    status: str
    vocal_audio_url: str
    vocal_start_s: float = 0.0
    vocal_end_s: float | None = None
    instrumental_audio_url: str = ""  # (ours) the built-in engine adds it; hosted services may not
    vocal_clip_id: str = ""  # (ours) clip ids of the stems, when the service gives them
    instrumental_clip_id: str = ""

    @classmethod
    def from_json(cls, data: Any) -> StemResult:
        end = data.get("vocal_end_s") if isinstance(data, dict) else None
        start = data.get("vocal_start_s") if isinstance(data, dict) else None
        return cls(
            id=_require(data, "id", str),
            source_clip_id=str(data.get("source_clip_id") or ""),
            status=_require(data, "status", str),
            vocal_audio_url=_require(data, "vocal_audio_url", str),
            vocal_start_s=float(start) if isinstance(start, (int, float)) else 0.0,
            vocal_end_s=float(end) if isinstance(end, (int, float)) else None,
            instrumental_audio_url=str(data.get("instrumental_audio_url") or ""),
            vocal_clip_id=str(data.get("vocal_clip_id") or ""),
            instrumental_clip_id=str(data.get("instrumental_clip_id") or ""),
        )


@dataclass(frozen=True)
class TrackFile:
    """(ours) A file made from a generated track: its MIDI or MusicXML lead sheet, or one of its stems."""

    data: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class TrackPart:
    """(ours) One exact per-instrument stem of a generated track: "lead vocal", "drums", "bass", ..."""

    name: str
    audio: TrackFile  # lossless (FLAC), time-aligned with the track
