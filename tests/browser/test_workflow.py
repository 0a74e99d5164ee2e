"""The songwriter's whole workflow in a real Chromium, on live_server with a real task worker."""

import re
from pathlib import Path

import pytest
from factories import PASSWORD, consent_phrase_file, sung_line, wav_bytes

pytestmark = [pytest.mark.browser, pytest.mark.full_render, pytest.mark.django_db(transaction=True)]

LYRICS = "[Verse]\nCity lights are calling me\n[Chorus]\nHold on, hold on to the night\n"


@pytest.fixture
def voice_file(tmp_path):
    path = tmp_path / "my-voice.wav"
    path.write_bytes(wav_bytes(sung_line(seconds=16)))
    return path


def test_sign_up_upload_persona_song_and_listen(
    page, live_server, worker_thread, voice_file, settings, tmp_path, sing_quickly_from_now
):
    settings.GENERATION_POLL_INTERVAL_S = 1
    page.set_default_timeout(30_000)
    shots = Path(__file__).resolve().parents[2] / "test-results" / "screens"

    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "songwriter")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/clips/upload/")
    page.fill("#id_title", "My voice")
    page.set_input_files("#id_audio", str(voice_file))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/clips/[0-9a-f-]{36}/$"))
    assert page.locator("audio").count() == 1
    page.screenshot(path=str(shots / "clip.png"), full_page=True)

    # Separate vocals: a background job, followed live; the stems appear under the clip.
    page.click("text=Separate vocals")
    page.wait_for_selector('#separation[data-status="complete"]', timeout=60_000)
    assert page.locator('#separation a[data-kind="vocals"]').count() == 1
    assert page.locator('#separation a[data-kind="instrumental"]').count() == 1

    page.click("text=Make a persona from this clip")
    page.fill("#id_name", "我的歌手")
    page.set_input_files("#id_phrase_audio", str(consent_phrase_file(tmp_path)))  # the singer's consent
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/personas/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="complete"]', timeout=180_000)
    assert "–" in page.inner_text("[data-range]")
    page.screenshot(path=str(shots / "persona.png"), full_page=True)

    page.click("text=Use in a new song")
    page.fill("#id_title", "Night")
    page.fill("#id_prompt", LYRICS)
    page.fill("#id_tags", "pop upbeat")
    assert "我的歌手" in page.locator(".persona-option:has(input[name=persona]:checked)").inner_text()
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="completed"]', timeout=300_000)

    players = page.locator('[data-status="completed"] .result-card > figure.player audio')
    assert players.count() == 2
    duration = page.evaluate("""async () => {
        const audio = document.querySelector('[data-status="completed"] audio');
        if (!(audio.duration > 0)) {
            await new Promise((resolve, reject) => {
                audio.addEventListener('loadedmetadata', resolve, {once: true});
                audio.addEventListener('error', () => reject(new Error('audio failed to load')), {once: true});
                audio.load();
            });
        }
        return audio.duration;
    }""")
    assert duration > 5
    page.screenshot(path=str(shots / "song.png"), full_page=True)

    # Inspiration mode from the same form; the phone-width layout must hold too. The song above was this
    # flow's full-size render (the neural voice, the persona's fit, 44.1 kHz): the written one sings quickly.
    sing_quickly_from_now()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/generations/new/")
    page.check("input[name=mode][value=inspiration]")
    page.fill("#id_gpt_description_prompt", "一首关于夏天海边的欢快流行歌")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="completed"]', timeout=300_000)
    assert page.locator('[data-status="completed"] .result-card > figure.player audio').count() == 2
    assert "[" in page.inner_text("[data-sung-lyrics]")  # the written lyric, with its section tags
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(shots / "inspiration-phone.png"), full_page=True)
