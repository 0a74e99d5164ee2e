import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from personastudio.clips import services as clip_services
from personastudio.contract.errors import MusicApiError
from personastudio.quotas import QuotaReached

from . import selectors, services
from .forms import SECTION_BUTTONS, SECTION_VOCABULARY, STYLE_CHIPS, GenerationForm
from .models import Generation


def generation_list(request):
    """The songs library: ?q= search, ?persona=, ?status=, ?fav=1; 20 a page."""
    filters = selectors.library_filters(owner=request.user, params=request.GET)
    page = Paginator(selectors.song_library(owner=request.user, filters=filters), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "generations/list.html",
        {
            "generations": page.object_list,
            "page": page,
            "q": filters.q,
            "status": filters.status,
            "persona": filters.persona,
            "fav": filters.favourites,
            "filtered": filters.active,
            "personas": selectors.owner_personas(owner=request.user),
            "statuses": Generation.Status.choices,
            "has_any": selectors.owner_has_songs(owner=request.user),
        },
    )


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No such song or track") from None


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _whole_seconds(value: str) -> int | None:
    try:
        return int(round(float(value)))
    except (TypeError, ValueError, OverflowError):
        return None


def generation_new(request):
    """The song form. GET ?from=<your song's id> starts from that song's inputs; &lyrics=sung from the lyric
    it sang (an inspiration song's written lyric, in custom mode); ?extend=<your track's id>&at=<seconds>
    extends that track from that second; ?persona=<id> picks the singer."""
    initial = {}
    if request.method == "GET" and request.GET.get("persona"):
        initial["persona"] = request.GET["persona"]
    form = GenerationForm(request.POST or None, owner=request.user, initial=initial)
    source = None
    if request.method == "GET" and request.GET.get("from"):
        source = services.generation_get_for_user(user=request.user, generation_id=_uuid_or_404(request.GET["from"]))
        form.prefill_from(source, sung=request.GET.get("lyrics") == "sung")
    if request.method == "GET" and request.GET.get("extend"):
        clip = clip_services.clip_get_for_user(user=request.user, clip_id=_uuid_or_404(request.GET["extend"]))
        form.prefill_extend(clip, at=_whole_seconds(request.GET.get("at", "")))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            generation = services.generation_start(
                owner=request.user,
                mode=data["mode"],
                title=data["title"],
                prompt=data["prompt"],
                tags=data["tags"],
                gpt_description_prompt=data["gpt_description_prompt"],
                make_instrumental=data["make_instrumental"],
                persona=data["persona"],
                persona_influence=data["persona_influence"],
                continue_clip=data["continue_clip"],
                continue_at=data["continue_at"],
                submission=data["submission"],
            )
        except QuotaReached as exc:  # the sentence says when the next song can start; the form keeps the lyrics
            form.add_error(None, str(exc))
        else:
            return redirect(generation)
    extend_clip, persona_options = form.extend_source(), form.persona_options()
    return render(
        request,
        "generations/new.html",
        {
            "form": form,
            "style_chips": STYLE_CHIPS,
            "section_buttons": SECTION_BUTTONS,
            "source": source,
            "section_vocabulary": SECTION_VOCABULARY,
            "from_sung": source is not None and request.GET.get("lyrics") == "sung",
            "extend_clip": extend_clip,
            "extend_max": services.extend_default_at(extend_clip) if extend_clip else None,
            "persona_options": persona_options,
            "no_persona_checked": not any(o["checked"] for o in persona_options),
        },
        status=400 if form.errors else 200,
    )


def _detail_context(generation):
    # retry_token: the one-time token of this page's "Try again" / "Generate again" (see submission.py).
    return {
        "generation": generation,
        # Only a completed song shows tracks: an in-progress poll does not even build their query.
        "tracks": selectors.song_tracks(generation=generation)
        if generation.status == Generation.Status.COMPLETED
        else (),
        "retry_token": uuid.uuid4(),
    }


def generation_detail(request, generation_id):
    generation = services.generation_get_for_user(user=request.user, generation_id=generation_id)
    generation = services.generation_refresh(generation=generation)
    return render(request, "generations/detail.html", _detail_context(generation))


def generation_status(request, generation_id):
    """The polled fragment: 286 once final, so htmx stops asking."""
    generation = services.generation_get_for_user(user=request.user, generation_id=generation_id)
    generation = services.generation_refresh(generation=generation)
    return _stop_polling_when_final(
        render(request, "generations/detail.html#status", _detail_context(generation)), generation
    )


def generation_progress(request, generation_id):
    """The dashboard's polled line for a song in progress: its stage, then its tracks' players; 286 once final."""
    generation = services.generation_get_for_user(user=request.user, generation_id=generation_id)
    generation = services.generation_refresh(generation=generation)
    return _stop_polling_when_final(
        render(
            request,
            "generations/progress.html",
            {"generation": generation, "tracks": generation.tracks.order_by("title") if generation.is_final else []},
        ),
        generation,
    )


def _stop_polling_when_final(response, generation):
    """286 once the song is final, so htmx stops asking."""
    if generation.is_final:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
def generation_retry(request, generation_id):
    generation = services.generation_get_for_user(user=request.user, generation_id=generation_id)
    try:
        return redirect(
            services.generation_retry(
                generation=generation, submission=_uuid_or_none(request.POST.get("submission", ""))
            )
        )
    except (ValueError, QuotaReached) as exc:
        messages.error(request, str(exc))
        return redirect(generation)


@csrf_exempt  # a server-to-server call: authenticated by its HMAC signature instead
@login_not_required
@require_POST
def music_webhook(request):
    """The music service's callback when a task ends. Bad or missing signature: 401, nothing changes."""
    if not services.webhook_signature_valid(body=request.body, signature=request.headers.get("X-Signature", "")):
        return JsonResponse({"ok": False, "error": "bad signature"}, status=401)  # for machines: not translated
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        services.generation_webhook(payload=payload)
    except (ValueError, MusicApiError):
        return JsonResponse({"ok": False, "error": "not a MusicMint callback"}, status=400)
    return JsonResponse({"ok": True})
