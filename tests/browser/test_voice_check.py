"""The consent check in Chromium: the singer reads the phrase into the (fake) microphone, or someone else does."""

import re
from pathlib import Path

import pytest
from factories import log_in_browser, wav_bytes
from quiet_pages import quiet_pages
from voices import SR, need_speakers, phrase, sung

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
CLIP_PAGE = re.compile(r"/clips/[0-9a-f-]{36}/$")
PERSONA_PAGE = re.compile(r"/personas/[0-9a-f-]{36}/$")
CHECK_PAGE = re.compile(r"/personas/checks/[0-9a-f-]{36}/$")


# The singer of the clip, and someone else: us1 is the reference voice closest to de1 (0.88 against the
# threshold's 0.94). de1 passes the check with room to spare on part of the phrase: any 12 s of the looped
# phrase scores 0.963-0.981 against the clip (a 12 s take in Chromium 0.963), where us2 (this test's
# singer before) needed the whole 17.7 s phrase, a 19 s take, to reach 0.953 (measured 2026-12-08).
SINGER, SOMEONE_ELSE = "de1", "us1"
TAKE_S = 12  # seconds of microphone take: the check compares voices, not words


@pytest.fixture
def microphone_page(browser_type, browser_type_launch_args, tmp_path):
    """A page whose fake microphone plays the singer singing the consent phrase (Chromium loops the file)."""
    need_speakers(SINGER, SOMEONE_ELSE)
    reading = tmp_path / "phrase.wav"
    reading.write_bytes(wav_bytes(phrase(SINGER), sr=SR))
    args = [*browser_type_launch_args["args"], f"--use-file-for-fake-audio-capture={reading}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    page = browser.new_page()
    quiet_pages(page)
    page.set_default_timeout(60_000)
    yield page
    browser.close()


def test_the_singer_records_the_phrase_and_gets_a_checked_persona_and_another_voice_is_refused(
    microphone_page, live_server, worker_thread, tmp_path
):
    page = microphone_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    clip_file = tmp_path / "my-song.wav"
    clip_file.write_bytes(wav_bytes(sung(SINGER), sr=SR))
    log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/clips/upload/")
    page.fill("#id_title", "My song")
    page.set_input_files("#id_audio", str(clip_file))
    page.click(".upload-file button[type=submit]")
    page.wait_for_url(CLIP_PAGE)
    clip_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    # Someone else reads the phrase (an uploaded recording): refused, in plain words, and nothing typed is lost.
    other = tmp_path / "someone-else.wav"
    other.write_bytes(wav_bytes(phrase(SOMEONE_ELSE), sr=SR))
    page.goto(f"{live_server.url}/personas/new/?clip={clip_id}&vocal_start_s=1&vocal_end_s=28")
    assert page.locator("[data-voice-check]").is_visible()
    assert "2026" in page.locator("[data-consent-phrase]").inner_text()
    page.fill("#id_name", "Me, singing")
    page.set_input_files("#id_phrase_audio", str(other))
    page.click("form[data-persona-form] > button[type=submit]")
    page.wait_for_url(CHECK_PAGE)
    page.wait_for_selector('#check-status[data-status="refused"]')
    assert "does not sound like the voice in “My song”" in page.locator("[data-check-error]").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "voice-check-refused.png"), full_page=True)
    # From here on the pages' clock is Playwright's (it flows as real time does), only so the recorder's 3 s
    # count-in runs through at once (as in test_player_and_recording.py); the take itself is real time.
    page.clock.install()
    page.click("[data-try-again]")
    assert page.input_value("#id_name") == "Me, singing"
    assert page.input_value("#id_vocal_start_s") == "1" and page.input_value("#id_vocal_end_s") == "28"

    # The singer reads it into the microphone: count-in, meter, listen back, then the form sends the take.
    page.click("#phrase-recorder [data-action=start]")
    page.wait_for_function(
        "() => ['counting', 'recording', 'idle'].includes(document.querySelector('#phrase-recorder').dataset.state)"
    )
    assert page.locator("#phrase-recorder [data-error]").inner_text() == ""
    page.clock.run_for(3000)  # the 3-2-1 count-in's three 1 s timers, in order
    page.wait_for_selector('#phrase-recorder[data-state="recording"]')
    page.wait_for_function(
        f"() => document.querySelector('#phrase-recorder [data-timer]').textContent >= '0:{TAKE_S:02d}'"
    )
    page.click("#phrase-recorder [data-action=stop]")
    page.wait_for_selector('#phrase-recorder[data-state="review"]')
    assert page.evaluate("() => document.getElementById('id_phrase_audio').files.length") == 1
    page.screenshot(path=str(SHOTS / "voice-check-recorded.png"), full_page=True)
    page.click("form[data-persona-form] > button[type=submit]")
    page.wait_for_url(CHECK_PAGE)
    # The check page moves on to the persona once the voices match.
    page.wait_for_function("() => !document.querySelector('#check-status[data-status=pending]')", timeout=120_000)
    assert page.locator("[data-check-error]").count() == 0, page.locator("#check-status").inner_text()
    page.wait_for_url(PERSONA_PAGE)
    page.wait_for_selector('#persona-status[data-status="complete"]', timeout=180_000)
    assert "voice checked" in page.locator("[data-consent]").inner_text()
    page.screenshot(path=str(SHOTS / "voice-check-persona.png"), full_page=True)
    assert errors == []
