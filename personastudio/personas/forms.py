from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personastudio.clips.forms import region_field
from personastudio.clips.models import Clip
from personastudio.clips.services import clip_sings_engine_voice_only
from personastudio.submission import SubmitOnceForm
from personastudio.text import OneLineField

MSG_NAME_EMPTY = _("Give the persona a name.")


class ClipSelect(forms.Select):
    """Each clip's option says whether a persona of it needs the voice check (the form shows the phrase then)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        clip = getattr(value, "instance", None)
        if clip is not None and not clip_sings_engine_voice_only(clip):
            option["attrs"]["data-needs-voice-check"] = ""
        return option


class PersonaForm(SubmitOnceForm):
    """Input only: whether the clip (or its region) has enough voice, and whether the phrase recording
    is needed, are persona_create's to say."""

    name = OneLineField(label=_("Name"), max_length=100, help_text=_("Any name, in any language — e.g. 我的歌手."))
    clip = forms.ModelChoiceField(
        label=_("Clip"),
        queryset=Clip.objects.none(),
        empty_label=_("Choose a clip…"),
        widget=ClipSelect,
        help_text=_("Clear, isolated singing works best: 30 seconds or more."),
    )
    vocal_start_s = region_field(_("From (seconds)"))
    vocal_end_s = region_field(_("To (seconds)"))
    phrase_token = forms.CharField(required=False, widget=forms.HiddenInput)
    phrase_audio = forms.FileField(
        label=_("Or upload a recording of the phrase"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.wav,.mp3,.flac,.ogg,.opus,.webm,.m4a"}),
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clip"].queryset = (
            Clip.objects.filter(owner=owner)
            .exclude(kind=Clip.Kind.VERIFICATION)
            .select_related("generation__continue_clip", "parent")
        )
        self.fields["clip"].label_from_instance = lambda c: gettext("{title} ({kind}, {seconds} s)").format(
            title=c.title, kind=c.get_kind_display(), seconds=f"{c.duration_s:.0f}"
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(MSG_NAME_EMPTY)
        return name


class PersonaEditForm(forms.Form):
    name = OneLineField(
        label=_("Name"),
        max_length=100,
        help_text=_("Any name, in any language."),
        error_messages={
            "required": MSG_NAME_EMPTY,
            "max_length": _("A name can be at most %(limit_value)d characters; this one has %(show_value)d."),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Your own notes: what this voice is good for, how you recorded it."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(MSG_NAME_EMPTY)
        return name
