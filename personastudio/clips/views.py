import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from personastudio.htmx import HtmxHttpRequest
from personastudio.http_range import ranged_file_response

from . import selectors, services
from .forms import ClipUploadForm, RegionForm
from .models import Clip


def clip_list(request):
    """Your clips, newest first; ?kind= keeps one kind, ?q= searches the titles; 20 a page."""
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    kind = kind if kind in Clip.Kind.values else ""
    page = Paginator(selectors.clip_search(owner=request.user, q=q, kind=kind), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "clips/list.html",
        {
            "clips": page.object_list,
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": Clip.Kind.choices,
            "has_any": selectors.owner_has_clips(owner=request.user),
        },
    )


def clip_player(request, clip_id):
    """A clip's waveform player alone, for a page that loads players when asked (the persona cards)."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    return render(request, "partials/player.html", {"clip": clip})


def track_parts(request, clip_id):
    """A generated track's stems, each with its player: loaded when the listener opens them on the song page,
    so the song's polled status carries no stem waveforms."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    return render(request, "clips/parts.html", {"parts": clip.parts.all()})


def clip_upload(request):
    """The upload form, and the in-browser recorder's Save (which asks for JSON with `Accept`)."""
    form = ClipUploadForm(request.POST or None, request.FILES or None)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST" and form.is_valid():
        audio = form.cleaned_data["audio"]
        try:
            clip = services.clip_create(
                owner=request.user,
                title=form.cleaned_data["title"],
                data=audio.read(),
                filename=audio.name,
                kind=form.cleaned_data["kind"],
            )
        except services.ClipRejected as exc:
            form.add_error("audio", str(exc))
        else:
            messages.success(request, _("“{title}” is in your clips.").format(title=clip.title))
            if wants_json:
                return JsonResponse({"id": str(clip.id), "kind": clip.kind, "url": clip.get_absolute_url()}, status=201)
            return redirect(clip)
    if request.method == "POST" and wants_json:
        errors = {field: [str(error) for error in field_errors] for field, field_errors in form.errors.items()}
        return JsonResponse(
            {"errors": errors, "message": " ".join(m for ms in errors.values() for m in ms)}, status=400
        )
    return render(
        request,
        "clips/upload.html",
        {"form": form, "max_recording_s": settings.CLIP_MAX_DURATION_S},
        status=400 if form.errors else 200,
    )


def _detail(request, clip, status=200, **extra):
    return render(
        request,
        "clips/detail.html",
        {
            "clip": clip,
            "stems": clip.stems.all(),
            # The part last separated is selected again: the usual next step, a persona, wants the same part.
            "region_form": extra.pop("region_form", None)
            or RegionForm(initial={"vocal_start_s": clip.separation_start_s, "vocal_end_s": clip.separation_end_s}),
            "page_url": clip.get_absolute_url(),
            **extra,
        },
        status=status,
    )


def clip_detail(request, clip_id):
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    return _detail(request, clip)


def clip_separation_status(request, clip_id):
    """The polled fragment of the detail page while vocals are being separated."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    response = render(request, "clips/detail.html#separation", {"clip": clip, "stems": clip.stems.all()})
    if clip.separation_status != Clip.Separation.PROCESSING:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def clip_audio(request, clip_id) -> HttpResponse:
    """The stored file (seekable); ?download=1 saves it under the clip's title; ?format=wav transcodes it."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    download = "download" in request.GET
    if request.GET.get("format") == "wav" and clip.extension != "wav":
        response = FileResponse(
            services.clip_wav_file(clip=clip),
            content_type="audio/wav",
            as_attachment=download,
            filename=services.clip_download_name(clip=clip, extension="wav"),
        )
        response["Cache-Control"] = "private, max-age=3600"
        return response
    download_name = services.clip_download_name(clip=clip) if download else None
    return ranged_file_response(request, clip.audio, content_type=clip.content_type, download_name=download_name)


def clip_sheet(request, clip_id, sheet_format) -> HttpResponse:
    """A generated track's MIDI file or lead sheet; a track without a score answers 404."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    made = services.clip_sheet(clip=clip, sheet_format=sheet_format)
    if made is None:
        raise Http404(_("This track has no score."))
    response = HttpResponse(made.data, content_type=made.content_type)
    extension = made.filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=services.clip_download_name(clip=clip, extension=extension)
    )
    return response


def track_part_audio(request, clip_id, part_id) -> HttpResponse:
    """One stem of a track (seekable FLAC); ?download=1&format=wav saves it as `Title - part.wav`."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    part = services.track_part_get(clip=clip, part_id=part_id)
    download = "download" in request.GET
    if request.GET.get("format") == "wav":
        return FileResponse(
            services.track_part_wav_file(part=part),
            content_type="audio/wav",
            as_attachment=download,
            filename=services.track_part_download_name(part=part, extension="wav"),
        )
    download_name = services.track_part_download_name(part=part, extension="flac") if download else None
    return ranged_file_response(request, part.audio, content_type="audio/flac", download_name=download_name)


def track_parts_zip(request, clip_id) -> HttpResponse:
    """Every stem of a track as WAV in one zip."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    if not clip.parts.exists():
        raise Http404(_("This track has no stems of its own."))
    return FileResponse(
        services.track_parts_zip(clip=clip),
        content_type="application/zip",
        as_attachment=True,
        filename=f"{clip.title} - stems.zip",
    )


@login_not_required
def clip_shared_audio(request, token) -> HttpResponse:
    """A clip's audio for a hosted music service to fetch: signed, expires within the hour, no login."""
    clip = services.clip_from_shared_token(token)
    return ranged_file_response(request, clip.audio, content_type=clip.content_type)


@require_POST
def clip_separate(request, clip_id):
    """Separate the whole clip, or the region in vocal_start_s/vocal_end_s; a wrong region says why beside it."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    form = RegionForm(request.POST)
    if form.is_valid():
        try:
            services.clip_request_separation(
                clip=clip,
                vocal_start_s=form.cleaned_data["vocal_start_s"],
                vocal_end_s=form.cleaned_data["vocal_end_s"],
            )
        except services.RegionRejected as exc:
            form.add_error(exc.field, str(exc))
        except services.ClipRejected as exc:
            messages.error(request, str(exc))
            return redirect(clip)
        else:
            return redirect(clip)
    return _detail(request, clip, status=400, region_form=form)


@require_POST
def clip_favourite(request: HtmxHttpRequest, clip_id: uuid.UUID) -> HttpResponse:
    """☆/★ on a track (the song page's results) or a clip page."""
    clip = services.clip_toggle_favourite(clip=services.clip_get_for_user(user=request.user, clip_id=clip_id))
    if request.htmx:
        return render(request, "partials/favourite.html", {"clip": clip})
    return redirect(_safe_next(request, clip.get_absolute_url()))


# Rename and delete (the library pages).


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def clip_rename(request, clip_id):
    """POST title: 1 to 200 characters. A wrong title shows the clip page again with the sentence why."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    title = request.POST.get("title", "")
    try:
        services.clip_rename(clip=clip, title=title)
    except services.ClipRejected as exc:
        return _detail(request, clip, status=400, rename_error=str(exc), rename_value=title)
    messages.success(request, _("Renamed to “{title}”.").format(title=clip.title))
    return redirect(_safe_next(request, clip.get_absolute_url()))


def clip_delete(request, clip_id):
    """GET: what deleting it means (its stems go too; personas and songs stay). POST: delete it."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    if request.method == "POST":
        try:
            dependents = services.clip_delete(clip=clip)
        except services.ClipRejected as exc:
            messages.error(request, str(exc))
            return redirect(clip)
        stems = len(dependents["stems"])
        if stems:
            message = ngettext(
                "“{title}” is deleted with its {count} stem.", "“{title}” is deleted with its {count} stems.", stems
            )
        else:
            message = _("“{title}” is deleted.")
        messages.success(request, message.format(title=clip.title, count=stems))
        return redirect("clips:list")
    return render(request, "clips/delete.html", {"clip": clip, **services.clip_dependents(clip=clip)})
