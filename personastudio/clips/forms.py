from django import forms
from django.conf import settings

from .models import Clip


class ClipUploadForm(forms.Form):
    title = forms.CharField(max_length=200, required=False,
                            help_text="Leave empty to use the file's name.")
    audio = forms.FileField(
        help_text="WAV, MP3, FLAC, OGG, WebM or M4A — up to "
                  f"{settings.CLIP_MAX_UPLOAD_MB} MB and {settings.CLIP_MAX_DURATION_S // 60} minutes.",
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.wav,.mp3,.flac,.ogg,.opus,.webm,.m4a"}),
    )
    # Set by the in-browser recorder; a songwriter can only say "upload" or "recording" (never "generated"
    # or a stem kind, which the app itself assigns).
    kind = forms.ChoiceField(choices=[(Clip.Kind.UPLOAD, "Upload"), (Clip.Kind.RECORDING, "Recording")],
                             required=False, widget=forms.HiddenInput)

    def clean_audio(self):
        audio = self.cleaned_data["audio"]
        if audio.size > settings.CLIP_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                f"This file is larger than {settings.CLIP_MAX_UPLOAD_MB} MB. Trim it or export it as MP3, "
                "then upload again.")
        return audio

    def clean_kind(self):
        return self.cleaned_data.get("kind") or Clip.Kind.UPLOAD
