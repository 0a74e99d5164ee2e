from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseStopPolling

from . import services
from .forms import PersonaForm
from .models import Persona


def persona_list(request):
    personas = Persona.objects.filter(owner=request.user).select_related("source_clip")
    return render(request, "personas/list.html", {"personas": personas})


def persona_new(request):
    initial = {"clip": request.GET.get("clip")} if request.method == "GET" else None
    form = PersonaForm(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        persona = services.persona_create(owner=request.user, name=form.cleaned_data["name"],
                                          clip=form.cleaned_data["clip"])
        return redirect(persona)
    return render(request, "personas/new.html", {"form": form}, status=400 if form.errors else 200)


def persona_detail(request, persona_id):
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    return render(request, "personas/detail.html", {"persona": persona})


def persona_status(request, persona_id):
    persona = services.persona_get_for_user(user=request.user, persona_id=persona_id)
    response = render(request, "personas/detail.html#status", {"persona": persona})
    if persona.status != Persona.Status.PENDING:
        response.status_code = HttpResponseStopPolling.status_code
    return response
