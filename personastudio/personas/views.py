import math

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from . import selectors, services
from .forms import PersonaEditForm, PersonaForm
from .models import Persona


def persona_list(request):
    return render(request, "personas/list.html", {"personas": selectors.persona_list(owner=request.user)})


def _seconds(value: str | None) -> str | None:
    """'5' -> '5', '22.251' -> '22.25'; anything that is not a number of seconds -> None (an empty field)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return f"{round(seconds, 2):g}" if math.isfinite(seconds) else None


def persona_new(request):
    """The persona form; ?clip=<id>&vocal_start_s=..&vocal_end_s=.. (the clip page's region) fills it in, and
    ?retry=<voice check id> fills in what a refused voice check was asked to make."""
    initial = None
    if request.method == "GET":
        initial = {
            "clip": request.GET.get("clip"),
            "vocal_start_s": _seconds(request.GET.get("vocal_start_s")),
            "vocal_end_s": _seconds(request.GET.get("vocal_end_s")),
        }
        retry = services.voice_check_for_retry(user=request.user, check_id=request.GET.get("retry"))
        if retry is not None:
            initial = {
                "name": retry.name,
                "clip": retry.source_clip_id,
                "vocal_start_s": _seconds(retry.region_start_s),
                "vocal_end_s": _seconds(retry.region_end_s),
            }
    form = PersonaForm(request.POST or None, request.FILES or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.persona_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                clip=form.cleaned_data["clip"],
                vocal_start_s=form.cleaned_data["vocal_start_s"],
                vocal_end_s=form.cleaned_data["vocal_end_s"],
                submission=form.cleaned_data["submission"],
                phrase_token=form.cleaned_data["phrase_token"],
                phrase_audio=form.cleaned_data["phrase_audio"],
            )
        except services.PersonaRejected as exc:
            form.add_error(exc.field, str(exc))
        else:
            return redirect(made)
    consent = services.consent_phrase_for_page(token=request.POST.get("phrase_token", ""))
    form.initial["phrase_token"] = consent["token"]
    if form.is_bound:  # the phrase the songwriter was reading stays (a new one if it was from another day)
        form.data = form.data.copy()
        form.data["phrase_token"] = consent["token"]
    return render(
        request,
        "personas/new.html",
        {
            "form": form,
            "persona_region": services.persona_region_limits(),
            "consent": consent,
        },
        status=400 if form.errors else 200,
    )


def voice_check_detail(request, check_id):
    check = services.voice_check_get_for_user(user=request.user, check_id=check_id)
    return render(request, "personas/check.html", {"check": check, **services.voice_check_outcome(check=check)})


def voice_check_status(request, check_id):
    """The check page's poll: once passed, htmx goes on to the persona being learned."""
    check = services.voice_check_get_for_user(user=request.user, check_id=check_id)
    outcome = services.voice_check_outcome(check=check)
    if outcome["persona"] is not None:
        return HttpResponseClientRedirect(outcome["persona"].get_absolute_url())
    response = render(request, "personas/check.html#status", {"check": check, **outcome})
    if check.status != check.Status.PENDING:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _detail(request, persona, edit_form=None, status=200):
    edit_form = edit_form or PersonaEditForm(initial={"name": persona.name, "description": persona.description})
    return render(
        request,
        "personas/detail.html",
        {
            "persona": persona,
            "edit_form": edit_form,
            "song_count": persona.generations.count(),
            "page_url": persona.get_absolute_url(),
        },
        status=status,
    )


def persona_detail(request, persona_id):
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    return _detail(request, persona)


def persona_status(request, persona_id):
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    response = render(request, "personas/detail.html#status", {"persona": persona})
    if persona.status != Persona.Status.PENDING:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def persona_edit(request, persona_id):
    """Rename a persona and edit its description (POST); a GET just shows the persona page."""
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    if request.method != "POST":
        return redirect(persona)
    form = PersonaEditForm(request.POST)
    if not form.is_valid():
        return _detail(request, persona, edit_form=form, status=400)
    services.persona_update(
        persona=persona, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
    )
    messages.success(request, _("Saved."))
    return redirect(persona)


def persona_delete(request, persona_id):
    """GET: say what deleting it means. POST: delete it; the songs it sang stay."""
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    if request.method == "POST":
        name = persona.name
        count = services.persona_delete(persona=persona)
        if count:
            message = ngettext(
                "“{name}” is deleted. The {count} song it sang is kept.",
                "“{name}” is deleted. The {count} songs it sang are kept.",
                count,
            )
        else:
            message = _("“{name}” is deleted.")
        messages.success(request, message.format(name=name, count=count))
        return redirect("personas:list")
    return render(request, "personas/delete.html", {"persona": persona, **services.persona_dependents(persona=persona)})
