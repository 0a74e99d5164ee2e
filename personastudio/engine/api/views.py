"""/api/v1/: the MusicMint contract served by the built-in engine. Parse, call a service, wrap."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from personastudio import quotas
from personastudio.contract.errors import BadRequest, MusicApiError, NotFound
from personastudio.contract.types import GenerateRequest
from personastudio.http_range import ranged_file_response

from .. import services
from .envelope import MethodNotAllowed, api_view, check_text, error_envelope, json_body
from .openapi import openapi_document


def _absolute(request: HttpRequest, data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if data.get(key):
            data[key] = request.build_absolute_uri(data[key])
    return data


def _number(body: dict[str, Any], key: str, default: float | None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"'{key}' must be a number.")
    if not math.isfinite(float(value)):
        raise BadRequest(f"'{key}' must be a finite number of seconds.")
    return float(value)


@api_view(("POST",))
def generate(request: HttpRequest, user) -> dict[str, Any]:
    generate_request = GenerateRequest.from_json(json_body(request))
    quotas.api_require(user, quotas.Kind.SONGS)  # past it: 429 with Retry-After, nothing stored
    task = services.task_create(owner=user, request=generate_request)
    return {"task_id": task.id, "status": task.status}


@api_view(("GET",))
def task_detail(request: HttpRequest, user, task_id: str) -> dict[str, Any]:
    body = services.task_get(owner=user, task_id=check_text(task_id, "task_id")).to_json()
    for item in body.get("results", []):
        _absolute(request, item, "audio_url", "image_url")
    return body


@api_view(("POST",))
def task_list(request: HttpRequest, user) -> dict[str, Any]:
    body = json_body(request)
    page, page_size, status = body.get("page", 1), body.get("page_size", 20), body.get("status", -1)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (page, page_size, status)):
        raise BadRequest("page, page_size and status must be whole numbers.")
    result = services.task_list(owner=user, page=page, page_size=page_size, status=status)
    items = []
    for item in result.items:
        summary = {"id": item.id, "status": item.status, "created_at": item.created_at}
        if item.error:
            summary["error"] = item.error
        items.append(summary)
    return {"items": items, "total": result.total, "page": result.page}


@api_view(("POST",))
def persona(request: HttpRequest, user) -> dict[str, Any]:
    body = json_body(request)
    name, clip_id = body.get("name"), body.get("clip_id")
    verification_clip_id = body.get("verification_clip_id", "")  # (ours) the consent phrase's recording
    if not isinstance(name, str) or not isinstance(clip_id, str) or not clip_id:
        raise BadRequest("Send 'name' and 'clip_id'.")
    if not isinstance(verification_clip_id, str):
        raise BadRequest("'verification_clip_id' must be the clipId of an uploaded recording of the phrase.")
    quotas.api_require(user, quotas.Kind.PERSONAS)
    result = services.persona_result(
        services.persona_create(owner=user, name=name, clip_id=clip_id, verification_clip_id=verification_clip_id)
    )
    item: dict[str, Any] = {"id": result.persona_id, "status": result.status}
    if result.likeness is not None:
        item["likeness"] = round(result.likeness, 3)  # (ours) how close it sings to the clip, 0..1
    if result.voice_similarity is not None:
        item["voice_check"] = {"similarity": round(result.voice_similarity, 3)}  # (ours)
    return {"taskBatchId": result.batch_id, "items": [item]}


@api_view(("GET",))
def persona_phrase(request: HttpRequest, user) -> dict[str, Any]:
    """(ours) The consent phrase the clip's singer reads for `verification_clip_id`."""
    return services.persona_phrase(language=request.GET.get("lang", "en"))


@api_view(("POST",))
def upload(request: HttpRequest, user) -> dict[str, Any]:
    # Our extension: a multipart `file` instead of a URL to fetch.
    if "file" in request.FILES:
        uploaded = request.FILES["file"]
        filename = check_text(uploaded.name or "upload", "filename")
        clip = services.clip_import_bytes(owner=user, data=uploaded.read(), filename=filename)
    elif request.content_type == "multipart/form-data":
        # Django drops a part whose filename is empty, '.' or '..'; the body is read, so no JSON follows.
        raise BadRequest("Send the audio as a multipart part named 'file' with a filename such as 'song.mp3'.")
    else:
        audio_url = json_body(request).get("audio_url")
        if not isinstance(audio_url, str) or not audio_url:
            raise BadRequest("Send 'audio_url' (or a multipart 'file').")
        clip = services.clip_import_url(owner=user, audio_url=audio_url)
    result = services.upload_result(clip)
    return {
        "clipId": result.clip_id,
        "audioUrl": request.build_absolute_uri(result.audio_url),
        "duration": result.duration_s,
        "status": result.status,
    }


@api_view(("POST",))
def stem(request: HttpRequest, user) -> dict[str, Any]:
    body = json_body(request)
    clip_id = body.get("clip_id")
    if not isinstance(clip_id, str) or not clip_id:
        raise BadRequest("Send 'clip_id'.")
    vocal_start_s, vocal_end_s = _number(body, "vocal_start_s", 0.0) or 0.0, _number(body, "vocal_end_s", None)
    quotas.api_require(user, quotas.Kind.SEPARATIONS)
    result = services.stem_result(
        services.stem_create(
            owner=user,
            clip_id=clip_id,
            vocal_start_s=vocal_start_s,
            vocal_end_s=vocal_end_s,
        )
    )
    data = {
        "id": result.id,
        "source_clip_id": result.source_clip_id,
        "status": result.status,
        "vocal_audio_url": result.vocal_audio_url,
        "vocal_start_s": result.vocal_start_s,
        "vocal_end_s": result.vocal_end_s,
        "instrumental_audio_url": result.instrumental_audio_url,
        "vocal_clip_id": result.vocal_clip_id,
        "instrumental_clip_id": result.instrumental_clip_id,
    }
    return _absolute(request, data, "vocal_audio_url", "instrumental_audio_url")


@api_view(("GET",))
def sheet(request: HttpRequest, user) -> HttpResponse:
    """(ours) A generated track's score: ?clip_id=…&format=midi|musicxml, sent as the file itself."""
    made = services.clip_sheet(
        owner=user,
        clip_id=check_text(request.GET.get("clip_id", ""), "clip_id"),
        sheet_format=request.GET.get("format", ""),
    )
    response = HttpResponse(made.data, content_type=made.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=made.filename)
    return response


@api_view(("GET",))
def parts(request: HttpRequest, user) -> dict[str, Any] | HttpResponse:
    """(ours) A generated track's per-instrument stems: ?clip_id=… lists them, &part=drums sends one (FLAC)."""
    clip_id = check_text(request.GET.get("clip_id", ""), "clip_id")
    wanted = request.GET.get("part")
    if wanted is None:
        return {"clip_id": clip_id, "parts": services.clip_part_names(owner=user, clip_id=clip_id)}
    found = services.clip_parts(owner=user, clip_id=clip_id, name=wanted)
    if not found:
        raise NotFound("This track has no stem of that name.")
    chosen = found[0]
    response = HttpResponse(chosen.audio.data, content_type=chosen.audio.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=chosen.audio.filename)
    return response


@csrf_exempt  # read-only: other methods get 405, not a CSRF refusal
@login_not_required
@require_safe
def audio_file(request: HttpRequest, clip_id: str, kind: str) -> FileResponse | HttpResponse:
    """Signed, expiring audio URLs: what `audio_url` points at. The signature is the key."""
    try:
        clip, kind = services.clip_file_from_path(request.get_full_path())
    except MusicApiError:
        raise Http404("No audio at that address.") from None
    if clip.id != clip_id:
        raise Http404
    field = services.clip_file_field(clip, kind)
    if not field:  # a signed link to a stem this clip does not have
        raise Http404("No audio at that address.")
    try:
        return ranged_file_response(request, field, content_type="audio/mpeg")
    except FileNotFoundError:  # the row names a file that is gone
        raise Http404("No audio at that address.") from None


@csrf_exempt
@login_not_required
@require_safe
def cover(request: HttpRequest, clip_id: str) -> HttpResponse:
    """Cover art for a result: a gradient from the clip id with its title (no image model here).

    Signed like the audio links (`image_url` carries the signature): the title is the owner's."""
    try:
        clip = services.cover_from_path(request.get_full_path())
    except MusicApiError:
        raise Http404("No cover at that address.") from None
    if clip.id != clip_id:
        raise Http404
    hue = int(clip.id[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl({hue},70%,45%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 60) % 360},70%,25%)"/></linearGradient></defs>'
        '<rect width="512" height="512" fill="url(#g)"/>'
        f'<text x="32" y="470" font-family="sans-serif" font-size="36" fill="#fff">{escape(clip.title[:24])}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")


@csrf_exempt
@login_not_required
def openapi(request: HttpRequest) -> JsonResponse:
    """(ours) This API as an OpenAPI 3.1 document: public documentation, no key needed."""
    if request.method not in ("GET", "HEAD"):
        return error_envelope(MethodNotAllowed(("GET",)))
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@login_not_required
def unknown(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other address under /api/v1/: a 404 in the envelope, not an HTML page."""
    return error_envelope(NotFound("No such endpoint: see /api/v1/openapi.json for the ones there are."))
