from django.db.models import Count
from django.shortcuts import render

from personastudio.clips.models import Clip
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona


def home(request):
    """The dashboard: what is in progress (each polling its own status), and the latest songs, personas and clips."""
    generations = Generation.objects.filter(owner=request.user).select_related("persona")
    return render(request, "home.html", {
        "in_progress": generations.filter(status__in=[Generation.Status.QUEUING, Generation.Status.PROCESSING])[:10],
        "songs": generations.filter(status=Generation.Status.COMPLETED)[:5],
        "personas": Persona.objects.filter(owner=request.user).annotate(song_count=Count("generations"))[:5],
        "clips": Clip.objects.filter(owner=request.user)[:5],
    })
