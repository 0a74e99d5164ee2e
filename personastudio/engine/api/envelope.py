"""The contract's envelope, auth and error mapping for every /api/v1/ view."""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt

from personastudio.contract.errors import AuthError, BadRequest, MusicApiError, PayloadTooLarge, RateLimited

from .. import services

logger = logging.getLogger(__name__)


def _request_id() -> str:
    return f"req-{int(time.time() * 1000)}"


def envelope(data: Any, *, status: int = 200, code: int = 0, message: str = "ok") -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "request_id": _request_id(), "data": data},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


class MethodNotAllowed(MusicApiError):
    """An endpoint asked with a method it does not take (405, with `Allow`)."""

    status = code = 405

    def __init__(self, methods: tuple[str, ...]) -> None:
        super().__init__(f"Use {' or '.join(methods)} for this endpoint.")
        self.methods = methods


def error_envelope(error: MusicApiError) -> JsonResponse:
    response = envelope(error.data, status=error.status, code=error.code, message=error.message)
    if isinstance(error, RateLimited) and error.retry_after_s:
        # Whole seconds, rounded up: "0" would invite the same request at once.
        response["Retry-After"] = str(max(1, math.ceil(error.retry_after_s)))
    if isinstance(error, MethodNotAllowed):
        response["Allow"] = ", ".join(error.methods)
    return response


#: JSON deeper than this is refused (the contract's bodies are two levels deep).
MAX_JSON_DEPTH = 32


def _no_constant(name: str) -> None:
    raise BadRequest(f"Numbers in the request body must be finite: send a number in place of {name}.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest("A number in the request body is too large: send numbers between -1e308 and 1e308.")
    return value


def check_text(value: str, field: str) -> str:
    """Refuse text that no database or codec can keep: lone UTF-16 surrogates and NUL characters.

    `field` names the value in the message: a JSON key's name, or a phrase such as "A key in the body"."""
    subject = field if field[:1].isupper() else f"'{field}'"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            f"{subject} contains a lone UTF-16 surrogate: send whole Unicode characters "
            "(a surrogate pair, or the character itself in UTF-8)."
        ) from None
    if "\x00" in value:
        raise BadRequest(f"{subject} contains a NUL character (\\u0000): send text without it.")
    return value


def _check_values(body: Any) -> None:
    """Every key and string in the body is clean text, and it is nested at most MAX_JSON_DEPTH levels."""
    stack: list[tuple[Any, int, str]] = [(body, 1, "body")]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"The request body is nested too deeply: send JSON at most {MAX_JSON_DEPTH} levels deep.")
        if isinstance(value, str):
            check_text(value, field)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, "A key in the request body")
                stack.append((item, depth + 1, key if depth == 1 else field))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)} KB"


def request_error(exc: Exception) -> MusicApiError | None:
    """The contract error for a request Django could not read (too large, broken multipart), else None."""
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(
            f"The request body is larger than {_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}: "
            "send a smaller JSON body, and audio as a multipart 'file'."
        )
    if isinstance(exc, TooManyFieldsSent):
        return BadRequest(
            f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields: "
            "send only the fields the endpoint names."
        )
    if isinstance(exc, TooManyFilesSent):
        return BadRequest("The request has too many files: send one multipart 'file'.")
    if isinstance(exc, MultiPartParserError):
        return BadRequest(
            "The multipart body could not be read: send multipart/form-data with a boundary "
            "and one part named 'file' that has a filename."
        )
    if isinstance(exc, (UnreadablePostError, RawPostDataException)):
        return BadRequest("The request body could not be read: send it again, whole.")
    return None


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object: UTF-8, finite numbers, clean text, not too deep, not too large."""
    raw = request.body
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not UTF-8: send JSON encoded as UTF-8.") from None
    try:
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadRequest(
            f"The request body is nested too deeply: send JSON at most {MAX_JSON_DEPTH} levels deep."
        ) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise BadRequest(
                "A number in the request body has too many digits: send numbers between -1e308 and 1e308."
            ) from None
        raise BadRequest("The request body is not valid JSON: send one JSON object.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    _check_values(body)
    return body


def api_view(methods: tuple[str, ...]) -> Callable:
    """Bearer-key auth, the envelope, and contract errors as JSON with a matching status."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @login_not_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(methods)
                header = request.headers.get("Authorization", "")
                scheme, _, raw_key = header.partition(" ")
                user = services.key_authenticate(raw_key.strip()) if scheme.lower() == "bearer" else None
                if user is None:
                    raise AuthError("Missing or invalid API key. Send 'Authorization: Bearer sk-mm-…'.")
                result = view(request, user, *args, **kwargs)
                # A file (our sheet extension) is sent as it is; everything else in the envelope.
                return result if isinstance(result, HttpResponse) else envelope(result)
            except MusicApiError as error:
                return error_envelope(error)
            except Exception as exc:
                if (refused := request_error(exc)) is not None:
                    return error_envelope(refused)
                logger.exception("Engine API error on %s", request.path)
                return error_envelope(MusicApiError("The engine had an internal error."))

        return wrapped

    return decorate
