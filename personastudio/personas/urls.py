from django.urls import path

from . import views

app_name = "personas"

urlpatterns = [
    path("", views.persona_list, name="list"),
    path("new/", views.persona_new, name="new"),
    path("checks/<uuid:check_id>/", views.voice_check_detail, name="check"),
    path("checks/<uuid:check_id>/status/", views.voice_check_status, name="check_status"),
    path("<uuid:persona_id>/", views.persona_detail, name="detail"),
    path("<uuid:persona_id>/status/", views.persona_status, name="status"),
    path("<uuid:persona_id>/edit/", views.persona_edit, name="edit"),
    path("<uuid:persona_id>/delete/", views.persona_delete, name="delete"),
]
