"""The one HTTP wrapper between Persona Studio and the outside world.

Shaped like healthchecks' hc/lib/curl.py: every call needs a timeout, and
every low-level failure (refused connection, timeout, proxy HTML page, broken
JSON, an error envelope) comes out as one of the contract's errors with a
sentence a songwriter can read. Nothing here imports Django.

How an error is chosen:

* a non-2xx HTTP status decides the class (errors.error_for_status); the
  envelope's `message` is used when the body is an envelope, otherwise a
  generic "The music service answered 502 Bad Gateway.";
* a 2xx status with a non-zero envelope `code`: codes in 400..599 are
  HTTP-like and map by value (1xxx-style vendor codes don't say what went
  wrong, so they become BadRequest carrying the service's message);
* a 2xx reply that is not an envelope (HTML, empty, bad JSON, no `data`
  object) is a ProtocolError.

The API key is sent only in the Authorization header and is scrubbed from any
text the service echoes back, so it never reaches an exception or a log line.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

from .errors import (
    AuthError,
    BadRequest,
    MusicApiError,
    NotFound,
    OutcomeUnknown,
    PayloadTooLarge,
    ProtocolError,
    RateLimited,
    Unavailable,
    error_for_status,
)

logger = logging.getLogger(__name__)

USER_AGENT = "PersonaStudio/0.1 (+python-requests)"
MESSAGE_MAX_CHARS = 300  # a service message longer than this is noise on a page
CHUNK_BYTES = 64 * 1024

NOT_A_MUSICMINT_REPLY = "The music service sent a reply that is not a MusicMint response."
TIMED_OUT = "The music service did not answer in time."
AUDIO_GONE = "The track's audio is no longer available at the music service (its link may have expired)."
BAD_KEY = "The music service API key is missing or has characters that cannot be sent."


class AddressRefused(requests.exceptions.ConnectionError):
    """A guard (personastudio.netguard.PinnedAdapter) refused the address before connecting.

    Its text is the whole sentence for the person: nothing answered, so nothing of a reply is in it."""


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    *,
    key: str,
    json: Any = None,
    files: Any = None,
    data: Any = None,
    creates: bool = False,
    timeout: tuple[float, float],
) -> dict[str, Any]:
    """Call one MusicMint endpoint and return the envelope's `data`; raise a MusicApiError otherwise."""
    _check_timeout(timeout)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **_auth_header(key)}
    try:
        # No redirects: requests turns a redirected POST into a GET and drops the
        # Authorization header on another host, so a redirect is a config problem.
        response = session.request(
            method, url, headers=headers, json=json, files=files, data=data, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise _transport_error(exc, url) from exc

    envelope = _parse_envelope(response.content)
    status = response.status_code
    request_id = _text(envelope.get("request_id")) if envelope else ""

    if not 200 <= status < 300:
        if 300 <= status < 400:
            raise ProtocolError(
                f"The music service at {_host(url)} redirected the request; check the service address.",
                request_id=request_id,
            )
        message = (_message(envelope, key) if envelope else "") or _generic(status)
        cls = error_for_status(status)
        if creates and cls is Unavailable:
            # A creating call the service failed on its side (5xx) may still have acted: its outcome is
            # unknown, so it is looked up, never sent again.
            cls = OutcomeUnknown
        raise _make_error(cls, message, response, request_id)

    if envelope is None or not isinstance(envelope.get("code"), int) or isinstance(envelope.get("code"), bool):
        raise ProtocolError(NOT_A_MUSICMINT_REPLY)
    code = envelope["code"]
    if code != 0:
        cls = error_for_status(code) if 400 <= code <= 599 else BadRequest
        message = _message(envelope, key) or f"The music service reported error {code}."
        raise _make_error(cls, message, response, request_id)
    if not isinstance(envelope.get("data"), dict):
        raise ProtocolError(NOT_A_MUSICMINT_REPLY, request_id=request_id)
    return envelope["data"]


def download(
    session: requests.Session,
    url: str,
    *,
    timeout: tuple[float, float],
    max_bytes: int,
    key: str | None = None,
) -> bytes:
    """Fetch a file (a track's audio) in chunks, refusing anything above `max_bytes`.

    `key` is sent only when given: callers pass it for URLs on the service's own
    host and never for a CDN or other third party.
    """
    _check_timeout(timeout)
    headers = {"User-Agent": USER_AGENT, **(_auth_header(key) if key else {})}
    too_big = PayloadTooLarge(f"The audio is larger than the {max_bytes // 1_000_000} MB we accept.")
    try:
        with session.get(url, headers=headers, timeout=timeout, stream=True) as response:
            status = response.status_code
            if status in (404, 410):
                raise NotFound(AUDIO_GONE)
            if not 200 <= status < 300:
                raise _make_error(
                    error_for_status(status), f"{_generic(status)[:-1]} when asked for the audio.", response, ""
                )
            if response.headers.get("Content-Type", "").startswith("text/html"):
                raise ProtocolError("The music service sent a web page instead of the track's audio.")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise too_big
            chunks, size = [], 0
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise too_big
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise _transport_error(exc, url) from exc
    if size == 0:
        raise ProtocolError("The music service sent an empty audio file.")
    return b"".join(chunks)


def service_root(url: str) -> str:
    """A service's address as the contract's paths hang off it: people paste the API URL or a trailing slash."""
    return url.strip().rstrip("/").removesuffix("/api/v1")


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _check_timeout(timeout: Any) -> None:
    if not (isinstance(timeout, tuple) and len(timeout) == 2 and all(t and t > 0 for t in timeout)):
        raise ValueError("timeout must be a (connect_s, read_s) tuple of positive numbers")


def _auth_header(key: str) -> dict[str, str]:
    # A key with a newline or non-ASCII character (pasted from a document) would make
    # requests raise an error that quotes the header value, i.e. the key itself.
    if not key or not key.isascii() or not key.isprintable() or key != key.strip():
        raise AuthError(BAD_KEY)
    return {"Authorization": f"Bearer {key}"}


def _transport_error(exc: requests.RequestException, url: str) -> MusicApiError:
    host = _host(url)
    logger.warning("music service request to %s failed: %s", host, type(exc).__name__)
    if isinstance(exc, AddressRefused):  # refused before connecting: the guard's sentence, never a status line
        return ProtocolError(str(exc))
    if isinstance(exc, requests.TooManyRedirects):
        return ProtocolError(f"The address at {host} redirected too many times.")
    if isinstance(exc, requests.ConnectTimeout):
        return Unavailable(f"Could not reach the music service at {host} (it did not answer the connection).")
    if isinstance(exc, requests.Timeout) or (exc.args and isinstance(exc.args[0], ReadTimeoutError)):
        return OutcomeUnknown(TIMED_OUT)
    if isinstance(exc, requests.exceptions.SSLError):
        return Unavailable(f"Could not make a secure connection to the music service at {host}.")
    if isinstance(exc, requests.ConnectionError):
        if _never_connected(exc):
            return Unavailable(f"Could not reach the music service at {host}.")
        return OutcomeUnknown(f"The connection to the music service at {host} broke off before it answered.")
    if isinstance(
        exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    ):
        return Unavailable("The music service address is not a valid http(s) URL.")
    return OutcomeUnknown(f"The connection to the music service at {host} broke off.")


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the request cannot have reached the service (refused, DNS failure, no route)."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _parse_envelope(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = jsonlib.loads(body)
    except ValueError:  # also covers undecodable bytes
        return None
    return parsed if isinstance(parsed, dict) else None


def _make_error(cls: type[MusicApiError], message: str, response: requests.Response, request_id: str) -> MusicApiError:
    if cls is RateLimited:
        return RateLimited(
            message, retry_after_s=retry_after_s(response.headers.get("Retry-After")), request_id=request_id
        )
    return cls(message, request_id=request_id)


def _generic(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "an unexpected status"
    return f"The music service answered {status} {phrase}."


def _text(value: Any) -> str:
    return value.strip()[:MESSAGE_MAX_CHARS] if isinstance(value, str) else ""


def _message(envelope: dict[str, Any], key: str) -> str:
    # Scrub before cutting, so a key that straddles the cut cannot leak in part.
    message = envelope.get("message")
    if not isinstance(message, str):
        return ""
    return _text(message.replace(key, "[API key]") if key else message)


def _host(url: str) -> str:
    parts = urlsplit(url)
    # hostname + port only: never echo credentials embedded in a URL
    try:
        return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "an unknown host")
    except ValueError:
        return parts.hostname or "an unknown host"
