from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("personastudio.accounts.urls")),
    path("clips/", include("personastudio.clips.urls")),
    path("personas/", include("personastudio.personas.urls")),
    path("generations/", include("personastudio.generations.urls")),
    path("api/v1/", include("personastudio.engine.api.urls")),
]
