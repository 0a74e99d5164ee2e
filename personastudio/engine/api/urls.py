from django.urls import path, re_path

from . import views

app_name = "engine_api"

urlpatterns = [
    path("music/generate", views.generate, name="generate"),
    path("task/<str:task_id>", views.task_detail, name="task"),
    path("tasks", views.task_list, name="tasks"),
    path("music/persona", views.persona, name="persona"),
    path("music/persona/phrase", views.persona_phrase, name="persona_phrase"),
    path("music/upload", views.upload, name="upload"),
    path("music/stem", views.stem, name="stem"),
    path("music/sheet", views.sheet, name="sheet"),
    path("music/parts", views.parts, name="parts"),
    path("files/<str:clip_id>/<str:kind>.mp3", views.audio_file, name="file"),
    path("covers/<str:clip_id>.svg", views.cover, name="cover"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),  # last: a 404 in the envelope
]
