"""The studio's addresses plus /bench/trivial: a view that reads nothing but what every logged-in page reads
(the session and its user, through the middleware), the poll's baseline in scripts/bench_poll.py."""

from django.http import HttpResponse
from django.urls import path

from personastudio.urls import urlpatterns as studio_urlpatterns


def trivial(request):
    return HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *studio_urlpatterns]
