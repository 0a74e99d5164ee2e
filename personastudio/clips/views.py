from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from personastudio.http_range import ranged_file_response

from . import services
from .forms import ClipUploadForm
from .models import Clip


def clip_list(request):
    """Your clips, newest first; ?kind= keeps one kind, ?q= searches the titles."""
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    kind = kind if kind in Clip.Kind.values else ""
    return render(request, "clips/list.html", {
        "clips": services.clip_search(owner=request.user, q=q, kind=kind), "q": q, "kind": kind,
        "kinds": Clip.Kind.choices, "has_any": Clip.objects.filter(owner=request.user).exists(),
    })


def clip_upload(request):
    """The upload form, and the in-browser recorder's Save (which asks for JSON with `Accept`)."""
    form = ClipUploadForm(request.POST or None, request.FILES or None)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST" and form.is_valid():
        audio = form.cleaned_data["audio"]
        try:
            clip = services.clip_create(owner=request.user, title=form.cleaned_data["title"],
                                        data=audio.read(), filename=audio.name, kind=form.cleaned_data["kind"])
        except services.ClipRejected as exc:
            form.add_error("audio", str(exc))
        else:
            messages.success(request, f"“{clip.title}” is in your clips.")
            if wants_json:
                return JsonResponse({"id": str(clip.id), "kind": clip.kind, "url": clip.get_absolute_url()},
                                    status=201)
            return redirect(clip)
    if request.method == "POST" and wants_json:
        errors = {field: [str(error) for error in field_errors] for field, field_errors in form.errors.items()}
        return JsonResponse({"errors": errors, "message": " ".join(m for ms in errors.values() for m in ms)},
                            status=400)
    return render(request, "clips/upload.html", {"form": form, "max_recording_s": settings.CLIP_MAX_DURATION_S},
                  status=400 if form.errors else 200)


def clip_detail(request, clip_id):
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    return render(request, "clips/detail.html", {"clip": clip, "stems": clip.stems.all()})


def clip_separation_status(request, clip_id):
    """The polled fragment of the detail page while vocals are being separated."""
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    response = render(request, "clips/detail.html#separation", {"clip": clip, "stems": clip.stems.all()})
    if clip.separation_status != Clip.Separation.PROCESSING:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def clip_audio(request, clip_id) -> HttpResponse:
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    download_name = f"{clip.title}.{clip.extension}" if "download" in request.GET else None
    return ranged_file_response(request, clip.audio, content_type=clip.content_type, download_name=download_name)


@login_not_required
def clip_shared_audio(request, token) -> HttpResponse:
    """A clip's audio for a hosted music service to fetch: signed, expires within the hour, no login."""
    clip = services.clip_from_shared_token(token)
    return ranged_file_response(request, clip.audio, content_type=clip.content_type)


@require_POST
def clip_separate(request, clip_id):
    clip = services.clip_get_for_user(user=request.user, clip_id=clip_id)
    try:
        services.clip_request_separation(clip=clip)
    except services.ClipRejected as exc:
        messages.error(request, str(exc))
    return redirect(clip)


# Rename and delete (the library pages).


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
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
        return render(request, "clips/detail.html", {"clip": clip, "stems": clip.stems.all(),
                                                     "rename_error": str(exc), "rename_value": title}, status=400)
    messages.success(request, f"Renamed to “{clip.title}”.")
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
        extra = f" with its {stems} stem{'s' if stems != 1 else ''}" if stems else ""
        messages.success(request, f"“{clip.title}” is deleted{extra}.")
        return redirect("clips:list")
    return render(request, "clips/delete.html", {"clip": clip, **services.clip_dependents(clip=clip)})
