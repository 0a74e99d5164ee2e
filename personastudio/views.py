from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

from personastudio.generations import selectors


def home(request):
    """The dashboard: what is in progress (each polling its own status), and the latest songs, personas and clips."""
    return render(request, "home.html", selectors.dashboard(owner=request.user))


@login_not_required
def healthz(request):
    """Liveness for a load balancer or a supervisor: the web process answers. It reads nothing, so it is also
    the trivial view the status poll is measured against (scripts/bench_poll.py)."""
    return HttpResponse("ok\n", content_type="text/plain")


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
