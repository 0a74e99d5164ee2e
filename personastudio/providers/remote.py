"""A hosted MusicMint-compatible service (or our own engine over HTTP) as a MusicProvider."""

from __future__ import annotations

import logging
import mimetypes
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import requests

from personastudio.contract import http
from personastudio.contract.errors import BadRequest, ProtocolError, RateLimited, Unavailable
from personastudio.contract.provider import MusicProvider
from personastudio.contract.types import (
    GenerateRequest,
    PersonaResult,
    StemResult,
    TaskInfo,
    TaskPage,
    TaskRef,
    UploadResult,
)

from . import registry

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT_S = 5.0
MAX_AUDIO_BYTES = 200 * 1024 * 1024
RETRY_AFTER_CAP_S = 30.0  # a service asking for a longer wait gets an error now, not a stuck request
PING_TIMEOUT_S = 10.0  # "Test connection" should answer while the person is still looking at the button


class RemoteProvider(MusicProvider):
    """Speaks the contract over HTTP with `requests`.

    Reads (get_task, list_tasks, fetch_audio) retry on Unavailable/RateLimited
    with exponential backoff and jitter. Calls that create something (generate,
    create_persona, upload_*, stem) are never retried: a reply lost on the way
    back would otherwise make a second song, persona or clip, and spend credits.
    """

    name = registry.REMOTE

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 30,
        stem_timeout_s: float = 600,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        check_url: Callable[[str], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        root = http.service_root(base_url)
        if urlsplit(root).scheme not in ("http", "https") or not urlsplit(root).hostname:
            raise ValueError("base_url must be an http(s) URL such as https://api.example.com")
        self._base_url = root
        self._api_key = api_key.strip()
        self.timeout_s = timeout_s
        self.stem_timeout_s = stem_timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._check_url = check_url  # raises for an address we must not fetch (e.g. a private one)
        # A user's own service gets a guarded session (netguard): every call, download and redirect hop
        # connects only to a public address it checked, so DNS rebinding cannot turn it inward.
        self._session = session or requests.Session()

    @classmethod
    def connect(cls, *, owner: object, base_url: str, api_key: str) -> RemoteProvider:
        """The registry's way in: the operator's service (MUSIC_API_*) or one a user saved in Settings."""
        from django.conf import settings  # lazily: the rest of this module works without Django

        from personastudio.netguard import guarded_session

        # A user's own service must not make us fetch internal addresses.
        operators_service = http.service_root(base_url) == http.service_root(settings.MUSIC_API_BASE_URL)
        guarded = not (operators_service or settings.MUSIC_API_ALLOW_PRIVATE)
        return cls(
            base_url=base_url,
            api_key=api_key,
            timeout_s=settings.MUSIC_API_TIMEOUT_S,
            stem_timeout_s=settings.MUSIC_API_STEM_TIMEOUT_S,
            check_url=_require_public if guarded else None,
            session=guarded_session() if guarded else None,
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:  # never the key
        return f"<RemoteProvider {self._base_url}>"

    # -- the contract ---------------------------------------------------------

    def generate(self, request: GenerateRequest) -> TaskRef:
        request.validate()  # a readable sentence now beats a vendor's error code later
        # Our engine's own fields (persona_influence) are not the service's: they are never sent.
        body = request.to_json(extensions=registry.spec(self.name).takes_persona_influence)
        return _parse(TaskRef, self._call("POST", "music/generate", json=body, creates=True))

    def get_task(self, task_id: str) -> TaskInfo:
        if not task_id:
            raise BadRequest("A task id is needed.")
        # quote(safe=""): an id can never walk to another endpoint ("../music/generate")
        return _parse(TaskInfo, self._with_retries(lambda: self._call("GET", f"task/{quote(task_id, safe='')}")))

    def list_tasks(self, *, page: int = 1, page_size: int = 20, status: int = -1) -> TaskPage:
        body = {"page": page, "page_size": page_size, "status": status}
        return _parse(TaskPage, self._with_retries(lambda: self._call("POST", "tasks", json=body)))

    def create_persona(
        self,
        *,
        name: str,
        clip_id: str,
        verification_clip_id: str = "",
        on_progress: Callable[[float], None] | None = None,
    ) -> PersonaResult:
        body = {"name": name, "clip_id": clip_id}
        if verification_clip_id:
            body["verification_clip_id"] = verification_clip_id  # (ours) passed along; ignored where unknown
        # Synchronous: a service that learns the voice answers when done (our engine fits it for up to
        # about two minutes on 2 cores), so the long timeout.
        return _parse(
            PersonaResult,
            self._call("POST", "music/persona", json=body, read_timeout_s=self.stem_timeout_s, creates=True),
        )

    def upload_url(self, audio_url: str) -> UploadResult:
        # Synchronous on the service (it fetches and decodes the file), so the long timeout.
        data = self._call(
            "POST", "music/upload", json={"audio_url": audio_url}, read_timeout_s=self.stem_timeout_s, creates=True
        )
        return _parse(UploadResult, data)

    def upload_file(self, path: Path, *, filename: str) -> UploadResult:
        # Multipart field `file`: our engine's documented extension of music/upload.
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        with open(path, "rb") as fh:
            data = self._call(
                "POST",
                "music/upload",
                files={"file": (filename, fh, content_type)},
                read_timeout_s=self.stem_timeout_s,
                creates=True,
            )
        return _parse(UploadResult, data)

    def stem(self, *, clip_id: str, vocal_start_s: float = 0.0, vocal_end_s: float | None = None) -> StemResult:
        body: dict[str, Any] = {"clip_id": clip_id, "vocal_start_s": vocal_start_s}
        if vocal_end_s is not None:
            body["vocal_end_s"] = vocal_end_s
        return _parse(StemResult, self._call("POST", "music/stem", json=body, read_timeout_s=self.stem_timeout_s))

    def fetch_audio(self, url: str) -> bytes:
        url = urljoin(self._base_url + "/", url)  # tolerate a service that hands out relative URLs
        if self._check_url is not None:
            self._check_url(url)
        # Our key goes only to the service's own host, never to a CDN.
        key = self._api_key if _origin(url) == _origin(self._base_url) else None
        timeout = (CONNECT_TIMEOUT_S, self.timeout_s)
        return self._with_retries(
            lambda: http.download(self._session, url, timeout=timeout, max_bytes=MAX_AUDIO_BYTES, key=key)
        )

    def ping(self) -> None:
        """One cheap authenticated call, never retried: raises what went wrong."""
        body = {"page": 1, "page_size": 1, "status": -1}
        _parse(TaskPage, self._call("POST", "tasks", json=body, read_timeout_s=PING_TIMEOUT_S))

    # -- plumbing -------------------------------------------------------------

    def _call(self, method: str, path: str, *, read_timeout_s: float | None = None, **kwargs: Any) -> dict[str, Any]:
        url = f"{self._base_url}/api/v1/{path}"
        timeout = (CONNECT_TIMEOUT_S, read_timeout_s or self.timeout_s)
        return http.request_json(self._session, method, url, key=self._api_key, timeout=timeout, **kwargs)

    def _with_retries(self, call: Callable[[], T]) -> T:
        for attempt in range(self.max_retries + 1):
            try:
                return call()
            except (Unavailable, RateLimited) as exc:
                if attempt >= self.max_retries:
                    raise
                delay = self._delay_s(exc, attempt)
                if delay is None:
                    raise
                logger.info(
                    "music service: %s, retry %d/%d in %.1fs", type(exc).__name__, attempt + 1, self.max_retries, delay
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _delay_s(self, exc: Exception, attempt: int) -> float | None:
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            # The service said how long; waiting longer than the cap inside a request is worse than failing.
            return exc.retry_after_s if exc.retry_after_s <= RETRY_AFTER_CAP_S else None
        base = self.backoff_s * 2**attempt
        return min(RETRY_AFTER_CAP_S, base * random.uniform(0.5, 1.5))  # jitter: callers don't retry in lockstep


def _parse(cls: type[T], data: dict[str, Any]) -> T:
    try:
        return cls.from_json(data)  # type: ignore[attr-defined]
    except (TypeError, ValueError, AttributeError) as exc:  # e.g. "duration": "abc"
        raise ProtocolError("The music service sent a reply that is not a MusicMint response.") from exc


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, parts.hostname, port


def _require_public(url: str) -> None:
    from personastudio.netguard import PrivateAddressError, require_public_http_url

    try:
        require_public_http_url(url)
    except PrivateAddressError as exc:
        raise ProtocolError(f"The music service sent an audio link we will not fetch: {exc}") from None
