"""The contract's errors as one hierarchy.

Every provider raises these, whatever went wrong underneath, so the app has
one set of sentences to show a songwriter.
"""

from __future__ import annotations


class MusicApiError(Exception):
    """Base: `message` is readable; `status` is the HTTP status the contract pairs with it."""

    status = 500
    code = 500
    #: What the error envelope carries as `data` (None for most errors).
    data: dict | None = None

    def __init__(self, message: str, *, request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class BadRequest(MusicApiError):
    status = code = 400


class AuthError(MusicApiError):
    status = code = 401


class QuotaExceeded(MusicApiError):
    status = code = 402


class NotFound(MusicApiError):
    status = code = 404


class Conflict(MusicApiError):
    status = code = 409


class PayloadTooLarge(MusicApiError):
    status = code = 413


class UnprocessableAudio(MusicApiError):
    status = code = 422


class VoiceNotMatched(UnprocessableAudio):
    """(ours) The voice check failed: the phrase recording and the clip are not the same voice."""

    def __init__(self, message: str, *, similarity: float, request_id: str = "") -> None:
        super().__init__(message, request_id=request_id)
        self.similarity = similarity
        self.data = {"similarity": round(similarity, 3)}


class RateLimited(MusicApiError):
    status = code = 429

    def __init__(self, message: str, *, retry_after_s: float | None = None, request_id: str = "") -> None:
        super().__init__(message, request_id=request_id)
        self.retry_after_s = retry_after_s


class Unavailable(MusicApiError):
    """The service is down, overloaded or unreachable (5xx, connection error, timeout)."""

    status = code = 503


class OutcomeUnknown(Unavailable):
    """The request left us but no answer came back (read timeout, dropped connection).

    The service may have acted on it: a create call that fails this way must be
    resolved by looking the result up, never by sending it again.
    """


class ProtocolError(MusicApiError):
    """The reply does not follow the contract (not JSON, missing fields)."""

    status = code = 502


ERROR_BY_STATUS: dict[int, type[MusicApiError]] = {
    400: BadRequest,
    401: AuthError,
    403: AuthError,
    402: QuotaExceeded,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: UnprocessableAudio,
    429: RateLimited,
}


def error_for_status(status: int) -> type[MusicApiError]:
    if status in ERROR_BY_STATUS:
        return ERROR_BY_STATUS[status]
    if status >= 500:
        return Unavailable
    return BadRequest
