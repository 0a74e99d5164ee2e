from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Clip

MSG_FILE_TOO_BIG = _("This file is larger than {limit} MB. Trim it or export it as MP3, then upload again.")
MSG_SECONDS = _("Type a number of seconds, e.g. 12.5.")


class ClipUploadForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty to use the file's name.")
    )
    audio = forms.FileField(
        label=_("Audio"),
        help_text=format_lazy(
            _("WAV, MP3, FLAC, OGG, WebM or M4A — up to {mb} MB and {minutes} minutes."),
            mb=settings.CLIP_MAX_UPLOAD_MB,
            minutes=settings.CLIP_MAX_DURATION_S // 60,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.wav,.mp3,.flac,.ogg,.opus,.webm,.m4a"}),
    )
    # Set by the in-browser recorder; a songwriter can only say "upload" or "recording" (never "generated"
    # or a stem kind, which the app itself assigns).
    kind = forms.ChoiceField(
        choices=[(Clip.Kind.UPLOAD, _("Upload")), (Clip.Kind.RECORDING, _("Recording"))],
        required=False,
        widget=forms.HiddenInput,
    )

    def clean_audio(self):
        audio = self.cleaned_data["audio"]
        if audio.size > settings.CLIP_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(MSG_FILE_TOO_BIG.format(limit=settings.CLIP_MAX_UPLOAD_MB))
        return audio

    def clean_kind(self):
        return self.cleaned_data.get("kind") or Clip.Kind.UPLOAD


def region_field(label) -> forms.FloatField:
    """A region bound in seconds (the contract's vocal_start_s/vocal_end_s); empty means the clip's own end."""
    return forms.FloatField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
        error_messages={"invalid": MSG_SECONDS},
    )


class RegionForm(forms.Form):
    """The region posted with "Separate vocals"; whether it fits the clip is the service's to say."""

    vocal_start_s = region_field(_("Start (seconds)"))
    vocal_end_s = region_field(_("End (seconds)"))
