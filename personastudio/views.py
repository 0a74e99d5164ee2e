from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

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


@login_not_required
@cache_page(3600)
def javascript_catalog(request):
    """gettext() for the scripts, in the language the address names (?lang=, as base.html asks),
    so each language's catalogue has its own address and may be cached."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language()
    with translation.override(language):
        return JavaScriptCatalog.as_view()(request)
