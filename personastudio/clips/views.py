from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from personastudio.http_range import ranged_file_response

from . import services
from .forms import ClipUploadForm
from .models import Clip


def clip_list(request):
    clips = Clip.objects.filter(owner=request.user).select_related("parent")
    return render(request, "clips/list.html", {"clips": clips})


def clip_upload(request):
    form = ClipUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        audio = form.cleaned_data["audio"]
        try:
            clip = services.clip_create(owner=request.user, title=form.cleaned_data["title"],
                                        data=audio.read(), filename=audio.name)
        except services.ClipRejected as exc:
            form.add_error("audio", str(exc))
        else:
            messages.success(request, f"“{clip.title}” is in your clips.")
            return redirect(clip)
    return render(request, "clips/upload.html", {"form": form}, status=400 if form.errors else 200)


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
