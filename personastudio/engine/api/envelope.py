"""The contract's envelope, auth and error mapping for every /api/v1/ view."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from personastudio.musicapi.errors import AuthError, BadRequest, MusicApiError, RateLimited

from .. import services

logger = logging.getLogger(__name__)


def _request_id() -> str:
    return f"req-{int(time.time() * 1000)}"


def envelope(data: Any, *, status: int = 200, code: int = 0, message: str = "ok") -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "request_id": _request_id(), "data": data},
                        status=status, json_dumps_params={"ensure_ascii": False})


def error_envelope(error: MusicApiError) -> JsonResponse:
    response = envelope(error.data, status=error.status, code=error.code, message=error.message)
    if isinstance(error, RateLimited) and error.retry_after_s:
        response["Retry-After"] = str(int(error.retry_after_s))
    return response


def json_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
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
                    raise BadRequest(f"Use {' or '.join(methods)} for this endpoint.")
                header = request.headers.get("Authorization", "")
                scheme, _, raw_key = header.partition(" ")
                user = services.key_authenticate(raw_key.strip()) if scheme.lower() == "bearer" else None
                if user is None:
                    raise AuthError("Missing or invalid API key. Send 'Authorization: Bearer sk-mm-…'.")
                return envelope(view(request, user, *args, **kwargs))
            except MusicApiError as error:
                return error_envelope(error)
            except Exception:
                logger.exception("Engine API error on %s", request.path)
                return error_envelope(MusicApiError("The engine had an internal error."))

        return wrapped

    return decorate
