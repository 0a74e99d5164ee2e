from django.urls import path

from . import views

app_name = "generations"

urlpatterns = [
    path("", views.generation_list, name="list"),
    path("new/", views.generation_new, name="new"),
    path("<uuid:generation_id>/", views.generation_detail, name="detail"),
    path("<uuid:generation_id>/status/", views.generation_status, name="status"),
    path("<uuid:generation_id>/progress/", views.generation_progress, name="progress"),
    path("<uuid:generation_id>/retry/", views.generation_retry, name="retry"),
]
