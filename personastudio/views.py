from django.shortcuts import render

from personastudio.clips.models import Clip
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona


def home(request):
    """The dashboard: what is in progress, and the latest songs, personas and clips."""
    generations = Generation.objects.filter(owner=request.user)
    return render(request, "home.html", {
        "in_progress": generations.exclude(status__in=Generation.FINAL)[:10],
        "songs": generations.filter(status=Generation.Status.COMPLETED)[:5],
        "personas": Persona.objects.filter(owner=request.user)[:5],
        "clips": Clip.objects.filter(owner=request.user)[:5],
    })
