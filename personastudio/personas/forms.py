from django import forms

from personastudio.clips.models import Clip

from . import services


class PersonaForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Any name, in any language — e.g. 我的歌手.")
    clip = forms.ModelChoiceField(queryset=Clip.objects.none(), empty_label="Choose a clip…",
                                  help_text="Clear, isolated singing works best: 30 seconds or more.")

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clip"].queryset = Clip.objects.filter(owner=owner)
        self.fields["clip"].label_from_instance = lambda c: f"{c.title} ({c.get_kind_display()}, {c.duration_s:.0f} s)"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the persona a name.")
        return name

    def clean_clip(self):
        clip = self.cleaned_data["clip"]
        try:
            services.persona_check_clip(clip=clip)
        except services.PersonaRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        return clip


class PersonaEditForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Any name, in any language.",
                           error_messages={"required": "Give the persona a name.",
                                           "max_length": "A name can be at most %(limit_value)d characters; "
                                                         "this one has %(show_value)d."})
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                                  help_text="Your own notes: what this voice is good for, how you recorded it.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the persona a name.")
        return name
