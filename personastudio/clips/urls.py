from django.urls import path

from . import views

app_name = "clips"

urlpatterns = [
    path("", views.clip_list, name="list"),
    path("upload/", views.clip_upload, name="upload"),
    path("<uuid:clip_id>/", views.clip_detail, name="detail"),
    path("<uuid:clip_id>/audio", views.clip_audio, name="audio"),
    path("<uuid:clip_id>/player", views.clip_player, name="player"),
    path("<uuid:clip_id>/sheet.<str:sheet_format>", views.clip_sheet, name="sheet"),
    path("<uuid:clip_id>/parts/", views.track_parts, name="parts"),
    path("<uuid:clip_id>/parts/<uuid:part_id>", views.track_part_audio, name="part"),
    path("<uuid:clip_id>/stems.zip", views.track_parts_zip, name="parts_zip"),
    path("<uuid:clip_id>/separate/", views.clip_separate, name="separate"),
    path("<uuid:clip_id>/separation/", views.clip_separation_status, name="separation"),
    path("shared/<str:token>/audio", views.clip_shared_audio, name="shared"),
    path("<uuid:clip_id>/rename/", views.clip_rename, name="rename"),
    path("<uuid:clip_id>/delete/", views.clip_delete, name="delete"),
    path("<uuid:clip_id>/favourite/", views.clip_favourite, name="favourite"),
]
