from django.urls import include, path

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
]
