from django import forms

from personastudio.accounts.services import provider_choice_for
from personastudio.musicapi import types as contract
from personastudio.personas.models import Persona

from .models import Generation
from .services import persona_problem

# The lyric editor's section buttons: (kind, English tag, Chinese tag), as engine.dsp.lyrics reads them.
SECTION_BUTTONS = (
    ("verse", "Verse", "主歌"), ("prechorus", "Pre-Chorus", "预副歌"), ("chorus", "Chorus", "副歌"),
    ("bridge", "Bridge", "桥段"), ("outro", "Outro", "尾奏"),
)

# Style chips on the song form: words the built-in engine understands (composer.STYLE_TABLE; the voice
# words are read by engine.dsp.voice), each group as (English, Chinese) pairs. Free text stays allowed.
STYLE_CHIPS = (
    ("genre", "Genre", (("pop", "流行"), ("rock", "摇滚"), ("ballad", "抒情"), ("folk", "民谣"),
                        ("electronic", "电子"), ("hip-hop", "说唱"), ("jazz", "爵士"), ("chinese", "古风"))),
    ("mood", "Mood", (("happy", "欢快"), ("sad", "伤感"), ("calm", "安静"), ("romantic", "浪漫"),
                      ("nostalgic", "怀旧"), ("dreamy", "梦幻"), ("warm", "温暖"), ("energetic", "激情"))),
    ("tempo", "Tempo", (("slow", "慢"), ("mid-tempo", "中速"), ("fast", "快"), ("upbeat", "轻快"))),
    ("voice", "Voice", (("female vocals", "女声"), ("male vocals", "男声"))),
)


class GenerationForm(forms.Form):
    """One form, two modes; the contract's rules as field errors, and nothing typed is dropped."""

    mode = forms.ChoiceField(choices=Generation.Mode.choices, initial=Generation.Mode.CUSTOM,
                             widget=forms.RadioSelect)
    title = forms.CharField(max_length=contract.TITLE_MAX_CHARS, required=False)
    prompt = forms.CharField(
        label="Lyrics", required=False, max_length=contract.PROMPT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "[Verse]\nFirst line of your song…\n\n[Chorus]\n…"}),
        help_text="Section tags like [Verse], [Chorus], [主歌], [副歌] go on their own lines.",
    )
    tags = forms.CharField(label="Style tags", max_length=contract.TAGS_MAX_CHARS, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "pop upbeat female vocals · 流行 抒情 女声"}))
    gpt_description_prompt = forms.CharField(
        label="Describe the song", required=False, max_length=contract.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "A gentle folk song about the first snow in the city"}),
    )
    make_instrumental = forms.BooleanField(label="Instrumental (no vocal)", required=False)
    persona = forms.ModelChoiceField(queryset=Persona.objects.none(), required=False,
                                     empty_label="No persona (default voice)")

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        personas = Persona.objects.filter(owner=owner, status=Persona.Status.COMPLETE)
        self.fields["persona"].queryset = personas
        self.fields["persona"].label_from_instance = (
            lambda p: f"{p.name} ({p.range_label})" if p.range_label else p.name)
        self.provider_choice = provider_choice_for(owner)

    def prefill_from(self, generation: Generation, *, sung: bool = False) -> None:
        """Start from an earlier song: its inputs, or (sung=True) custom mode with the lyric it sang."""
        initial = {
            "mode": generation.mode, "title": generation.title, "prompt": generation.prompt,
            "tags": generation.tags, "gpt_description_prompt": generation.gpt_description_prompt,
            "make_instrumental": generation.make_instrumental,
        }
        if sung and generation.sung_lyrics:
            first = generation.provider_results[0] if isinstance(generation.provider_results[0], dict) else {}
            title = str(first.get("title") or generation.title or "").strip().removesuffix(" (A)").strip()
            initial.update(mode=Generation.Mode.CUSTOM, prompt=generation.sung_lyrics,
                           tags=str(first.get("tags") or generation.tags or "")[:contract.TAGS_MAX_CHARS],
                           title=title[:contract.TITLE_MAX_CHARS])
        persona = generation.persona
        if persona is not None and self.fields["persona"].queryset.filter(pk=persona.pk).exists() and not (
                persona_problem(persona, self.provider_choice.name, self.provider_choice.base_url)):
            initial["persona"] = persona.pk
        self.initial.update(initial)

    def clean_persona(self):
        persona = self.cleaned_data.get("persona")
        if persona is not None:
            problem = persona_problem(persona, self.provider_choice.name, self.provider_choice.base_url)
            if problem:
                raise forms.ValidationError(problem)
        return persona

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        prompt, tags = (data.get("prompt") or "").strip(), (data.get("tags") or "").strip()
        description = (data.get("gpt_description_prompt") or "").strip()
        if mode == Generation.Mode.CUSTOM:
            if not prompt and not tags and "prompt" not in self.errors:
                self.add_error("prompt", "Write some lyrics or give style tags (or both).")
            data["gpt_description_prompt"] = ""
        elif mode == Generation.Mode.INSPIRATION:
            if not description and "gpt_description_prompt" not in self.errors:
                self.add_error("gpt_description_prompt", "Describe the song you want, in a sentence or two.")
            # The contract forbids a description together with lyrics or tags: the
            # other tab's text stays in the form but is not sent.
            data["prompt"], data["tags"], data["title"] = "", "", ""
        return data
