from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views
from .generations.views import music_webhook

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("personastudio.accounts.urls")),
    path("clips/", include("personastudio.clips.urls")),
    path("personas/", include("personastudio.personas.urls")),
    path("generations/", include("personastudio.generations.urls")),
    path("api/v1/", include("personastudio.engine.api.urls")),
    path("webhooks/music/", music_webhook, name="music_webhook"),
    # The language switcher works before logging in too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", views.javascript_catalog, name="javascript-catalog"),
    path("healthz", views.healthz, name="healthz"),
]
