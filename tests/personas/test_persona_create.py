import pytest
from factories import UserFactory, make_clip, persona_form, sung_line, tone

from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_learns_a_persona_and_shows_its_range(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=16, low_hz=220, high_hz=440))
    client.force_login(user)
    response = client.post("/personas/new/", persona_form(client, {"name": "我的歌手", "clip": str(clip.id)}))
    assert response["Location"].startswith("/personas/checks/")  # an upload: the consent check comes first
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error
    assert persona.consent == "checked"
    assert persona.remote_id.startswith("persona-")
    page = client.get(f"/personas/{persona.id}/").content.decode()
    assert "我的歌手" in page and 'data-status="complete"' in page
    # The synthesized singer spans A3–A4; robust percentiles land within a semitone or two of that.
    assert persona.voice.low_hz == pytest.approx(220, rel=0.12)
    assert persona.voice.high_hz == pytest.approx(440, rel=0.12)
    assert "–" in persona.range_label


def test_it_refuses_a_clip_with_too_little_voice_and_says_what_to_do(client):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=5))
    client.force_login(user)
    response = client.post("/personas/new/", persona_form(client, {"name": "Short", "clip": str(clip.id)}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "needs at least 10" in body and "Separate vocals" in body and "30 seconds" in body
    assert 'value="Short"' in body
    assert not Persona.objects.exists()


def test_it_refuses_a_clip_of_plain_noise_or_tone_free_silence(client):
    user = UserFactory()
    clip = make_clip(user, samples=tone(seconds=12, amplitude=0.0))
    client.force_login(user)
    assert (
        client.post("/personas/new/", persona_form(client, {"name": "Silent", "clip": str(clip.id)})).status_code == 400
    )


def test_the_clip_can_be_preselected_from_the_clip_page(client):
    user = UserFactory()
    clip = make_clip(user)
    client.force_login(user)
    body = client.get(f"/personas/new/?clip={clip.id}").content.decode()
    assert f'value="{clip.id}" selected' in body


@pytest.mark.persona_fit
def test_a_learned_persona_shows_how_close_it_sings_to_its_clip(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=16, low_hz=220, high_hz=440))
    client.force_login(user)
    client.post("/personas/new/", persona_form(client, {"name": "Likeness", "clip": str(clip.id)}))
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error
    # The engine fitted its neural voice and measured the fit on a held-back part of the clip.
    assert persona.likeness is not None and 0.0 <= persona.likeness <= 1.0
    assert persona.progress == 100
    page = client.get(f"/personas/{persona.id}/").content.decode()
    assert "<meter" in page and f'data-likeness="{persona.likeness_level}"' in page


def test_with_no_fit_evaluations_a_persona_keeps_its_measured_voice_and_fits_no_neural_one(client, run_tasks, settings):
    from personastudio.engine.models import EnginePersona

    settings.ENGINE_PERSONA_FIT_EVALUATIONS = 0
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=16, low_hz=220, high_hz=440))
    client.force_login(user)
    client.post("/personas/new/", persona_form(client, {"name": "Unfitted", "clip": str(clip.id)}))
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error
    assert persona.likeness is None and "–" in persona.range_label
    profile = EnginePersona.objects.get(owner=user).profile
    assert "style" not in profile and "likeness" not in profile and profile["median_hz"] > 0
