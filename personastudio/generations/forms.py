from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from personastudio.accounts.services import provider_choice_for
from personastudio.clips.models import Clip
from personastudio.contract import types as contract
from personastudio.engine.dsp.lyrics import TAG_WORDS
from personastudio.personas.models import Persona
from personastudio.submission import SubmitOnceForm
from personastudio.text import OneLineField

from .models import Generation
from .services import (
    MSG_EXTEND_NOT_YOURS,
    extend_default_at,
    extend_problem,
    persona_influence_from_form,
    persona_influence_offered,
    persona_problem,
)

# The lyric editor's section buttons: (kind, English tag, Chinese tag), as engine.dsp.lyrics reads them.
# Both tags are tag values the engine reads, not UI words: they stay untranslated.
# Section names as the lyric editor writes them (tag values, never translated: the engine reads both).
SECTION_LABELS = {
    "intro": ("Intro", "前奏"),
    "verse": ("Verse", "主歌"),
    "prechorus": ("Pre-Chorus", "预副歌"),
    "chorus": ("Chorus", "副歌"),
    "bridge": ("Bridge", "桥段"),
    "outro": ("Outro", "尾奏"),
    "instrumental": ("Instrumental", "间奏"),
}
SECTION_BUTTONS = tuple((kind, *SECTION_LABELS[kind]) for kind in ("verse", "prechorus", "chorus", "bridge", "outro"))
# What the lyric editor's preview (song-form.js) knows of sections, sent as JSON: the engine's own tag words
# (more specific kinds first) and the names above. One vocabulary, the engine's.
SECTION_VOCABULARY = {
    "tag_words": [[kind, list(words)] for kind, words in TAG_WORDS],
    "labels": {
        "en": {kind: en for kind, (en, _zh) in SECTION_LABELS.items()},
        "zh": {kind: zh for kind, (_en, zh) in SECTION_LABELS.items()},
    },
}

# Style chips on the song form: words the built-in engine understands (composer.STYLE_TABLE; the voice
# words are read by engine.dsp.voice), each group as (English, Chinese) pairs of tag values (never
# translated); only the group names are UI words. Free text stays allowed.
STYLE_CHIPS = (
    (
        "genre",
        _("Genre"),
        (
            ("pop", "流行"),
            ("rock", "摇滚"),
            ("ballad", "抒情"),
            ("folk", "民谣"),
            ("electronic", "电子"),
            ("hip-hop", "说唱"),
            ("jazz", "爵士"),
            ("chinese", "古风"),
        ),
    ),
    (
        "mood",
        _("Mood"),
        (
            ("happy", "欢快"),
            ("sad", "伤感"),
            ("calm", "安静"),
            ("romantic", "浪漫"),
            ("nostalgic", "怀旧"),
            ("dreamy", "梦幻"),
            ("warm", "温暖"),
            ("energetic", "激情"),
        ),
    ),
    ("tempo", _("Tempo"), (("slow", "慢"), ("mid-tempo", "中速"), ("fast", "快"), ("upbeat", "轻快"))),
    ("voice", _("Voice"), (("female vocals", "女声"), ("male vocals", "男声"))),
)


class GenerationForm(SubmitOnceForm):
    """One form, two modes; the contract's rules as field errors, and nothing typed is dropped."""

    mode = forms.ChoiceField(
        label=_("Mode"), choices=Generation.Mode.choices, initial=Generation.Mode.CUSTOM, widget=forms.RadioSelect
    )
    title = OneLineField(label=_("Title"), max_length=contract.TITLE_MAX_CHARS, required=False)
    prompt = forms.CharField(
        label=_("Lyrics"),
        required=False,
        max_length=contract.PROMPT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": _("[Verse]\nFirst line of your song…\n\n[Chorus]\n…")}),
        help_text=_("Section tags like [Verse], [Chorus], [主歌], [副歌] go on their own lines."),
    )
    tags = forms.CharField(
        label=_("Style tags"),
        max_length=contract.TAGS_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "pop upbeat female vocals · 流行 抒情 女声"}),
    )
    gpt_description_prompt = forms.CharField(
        label=_("Describe the song"),
        required=False,
        max_length=contract.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("A gentle folk song about the first snow in the city")}
        ),
    )
    make_instrumental = forms.BooleanField(label=_("Instrumental (no vocal)"), required=False)
    # Drawn by the template as a radio group with each persona's range and a voice preview.
    persona = forms.ModelChoiceField(
        label=_("Singer"),
        queryset=Persona.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        blank=True,
        empty_label=_("No persona (default voice)"),
    )
    # How much of the chosen persona sings, in percent; read by services.persona_influence_from_form. Only on a
    # provider that takes it (removed in __init__ otherwise), and shown only while a persona is chosen.
    persona_influence = forms.CharField(
        label=_("How much of the persona"),
        required=False,
        initial=Generation.FULL_INFLUENCE,
        help_text=_("At 100 % the persona sings as learned; at 0 % the default voice sings in the persona's range."),
    )
    # An extension: the track to continue (hidden; chosen on the song page) and the second to start from.
    continue_clip = forms.ModelChoiceField(
        queryset=Clip.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": MSG_EXTEND_NOT_YOURS},
    )
    continue_at = forms.IntegerField(
        label=_("Continue from (seconds)"),
        required=False,
        min_value=1,
        help_text=_("The new part starts at this second of the track; everything before it is kept."),
        error_messages={"min_value": _("Choose a second after the start of the track (1 or more).")},
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        personas = Persona.objects.filter(owner=owner, status=Persona.Status.COMPLETE).select_related("source_clip")
        self.fields["persona"].queryset = personas
        self.fields["persona"].label_from_instance = lambda p: (
            f"{p.name} ({p.range_label})" if p.range_label else p.name
        )
        self.fields["continue_clip"].queryset = Clip.objects.filter(owner=owner)
        self.provider_choice = provider_choice_for(owner)
        self.offers_persona_influence = persona_influence_offered(self.provider_choice.name)
        if not self.offers_persona_influence:
            del self.fields["persona_influence"]

    def persona_options(self) -> list[dict]:
        """Each ready persona for the picker: whether it is chosen, and what its preview plays."""
        chosen = str(self["persona"].value() or "")
        return [
            {"persona": persona, "checked": chosen == str(persona.pk), "preview_url": _preview_url(persona)}
            for persona in self.fields["persona"].queryset
        ]

    def extend_source(self) -> Clip | None:
        """The track being extended (from the submitted form or the prefill), or None."""
        value = self["continue_clip"].value()
        if not value:
            return None
        if isinstance(value, Clip):
            return value
        try:
            return self.fields["continue_clip"].queryset.filter(pk=value).first()
        except (ValueError, ValidationError):  # a malformed id in the POST
            return None

    def prefill_extend(self, clip: Clip, *, at: int | None) -> None:
        """Extend `clip` from `at` seconds: custom mode, its song's style and singer, new lyrics to write."""
        song = clip.generation
        title, tags = clip.title, ""
        if song is not None:
            first = (
                song.provider_results[0] if song.provider_results and isinstance(song.provider_results[0], dict) else {}
            )
            title = song.title or str(first.get("title") or "").removesuffix(" (A)") or clip.title
            tags = song.tags or str(first.get("tags") or "")
        initial = {
            "mode": Generation.Mode.CUSTOM,
            "continue_clip": clip.pk,
            "continue_at": at if at is not None else extend_default_at(clip),
            "title": title[: contract.TITLE_MAX_CHARS],
            "tags": tags[: contract.TAGS_MAX_CHARS],
            "prompt": "",
        }
        persona = song.persona if song is not None else None
        if persona is not None and self._usable(persona):
            initial.update(persona=persona.pk, persona_influence=song.persona_influence)
        self.initial.update(initial)

    def _usable(self, persona: Persona) -> bool:
        return self.fields["persona"].queryset.filter(pk=persona.pk).exists() and not (
            persona_problem(persona, self.provider_choice.name, self.provider_choice.base_url)
        )

    def prefill_from(self, generation: Generation, *, sung: bool = False) -> None:
        """Start from an earlier song: its inputs, or (sung=True) custom mode with the lyric it sang."""
        initial = {
            "mode": generation.mode,
            "title": generation.title,
            "prompt": generation.prompt,
            "tags": generation.tags,
            "gpt_description_prompt": generation.gpt_description_prompt,
            "make_instrumental": generation.make_instrumental,
        }
        if generation.is_extension and generation.continue_clip is not None:
            initial.update(continue_clip=generation.continue_clip.pk, continue_at=generation.continue_at)
        if sung and generation.sung_lyrics:
            first = generation.provider_results[0] if isinstance(generation.provider_results[0], dict) else {}
            title = str(first.get("title") or generation.title or "").strip().removesuffix(" (A)").strip()
            initial.update(
                mode=Generation.Mode.CUSTOM,
                prompt=generation.sung_lyrics,
                tags=str(first.get("tags") or generation.tags or "")[: contract.TAGS_MAX_CHARS],
                title=title[: contract.TITLE_MAX_CHARS],
            )
        persona = generation.persona
        if persona is not None and self._usable(persona):
            initial.update(persona=persona.pk, persona_influence=generation.persona_influence)
        self.initial.update(initial)

    def clean_persona(self):
        persona = self.cleaned_data.get("persona")
        if persona is not None:
            problem = persona_problem(persona, self.provider_choice.name, self.provider_choice.base_url)
            if problem:
                raise ValidationError(problem)
        return persona

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        prompt, tags = (data.get("prompt") or "").strip(), (data.get("tags") or "").strip()
        description = (data.get("gpt_description_prompt") or "").strip()
        clip = data.get("continue_clip")
        if clip is not None:
            # An extension sings new lyrics in custom mode; the track's length bounds the second.
            mode = data["mode"] = Generation.Mode.CUSTOM
            if "continue_at" not in self.errors:
                problem = extend_problem(clip=clip, continue_at=data.get("continue_at"), owner=self.owner)
                if problem:
                    self.add_error("continue_at", problem)
        else:
            data["continue_at"] = None
        try:
            data["persona_influence"] = persona_influence_from_form(
                data.get("persona_influence"), persona=data.get("persona"), provider_name=self.provider_choice.name
            )
        except ValueError as exc:
            self.add_error("persona_influence", str(exc))
        if mode == Generation.Mode.CUSTOM:
            if not prompt and not tags and "prompt" not in self.errors:
                self.add_error("prompt", _("Write some lyrics or give style tags (or both)."))
            data["gpt_description_prompt"] = ""
        elif mode == Generation.Mode.INSPIRATION:
            if not description and "gpt_description_prompt" not in self.errors:
                self.add_error("gpt_description_prompt", _("Describe the song you want, in a sentence or two."))
            # The contract forbids a description together with lyrics or tags: the
            # other tab's text stays in the form but is not sent.
            data["prompt"], data["tags"], data["title"] = "", "", ""
        return data


def _preview_url(persona: Persona) -> str:
    """The persona's source clip, limited to the region it was learned from when one is stored."""
    clip = persona.source_clip
    if clip is None:
        return ""
    url = clip.get_audio_url()
    start, end = getattr(persona, "region_start_s", None), getattr(persona, "region_end_s", None)
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > start >= 0:
        url += f"#t={start:g},{end:g}"
    return url
