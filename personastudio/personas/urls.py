from django.urls import path

from . import views

app_name = "personas"

urlpatterns = [
    path("", views.persona_list, name="list"),
    path("new/", views.persona_new, name="new"),
    path("<uuid:persona_id>/", views.persona_detail, name="detail"),
    path("<uuid:persona_id>/status/", views.persona_status, name="status"),
]
