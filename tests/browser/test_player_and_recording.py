"""The waveform player and the in-browser recorder, in a real Chromium (fake microphone) on live_server."""

import re
from pathlib import Path

import pytest
from factories import log_in_browser, sung_line, wav_bytes
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
CLIP_PAGE = re.compile(r"/clips/[0-9a-f-]{36}/$")


def skip_count_in(page) -> None:
    """Run the recorder's 3-2-1 count-in (three chained 1 s timers) through at once: a page whose clock
    was installed (page.clock.install() before it loaded) fires them in order, as they would in 3 s. The
    recording itself then runs in real time (the fake clock flows with it), so the take is real audio."""
    page.clock.run_for(3000)


def test_the_waveform_player_draws_stored_peaks_and_answers_the_keyboard(page, live_server, worker_thread, tmp_path):
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    voice = tmp_path / "long-take.wav"
    voice.write_bytes(wav_bytes(sung_line(seconds=14)))
    log_in_browser(page, live_server)

    page.goto(f"{live_server.url}/clips/upload/")
    page.fill("#id_title", "Long take")
    page.set_input_files("#id_audio", str(voice))
    page.click("main button[type=submit]")
    page.wait_for_url(CLIP_PAGE)

    # The stems arrive in an htmx swap of the polled section: the new players must be upgraded too.
    page.click("text=Separate vocals")
    page.wait_for_selector('#separation[data-status="complete"]', timeout=60_000)
    page.wait_for_selector('#separation figure.player[data-waveform="ready"]')
    figures = page.locator('#separation figure.player[data-waveform="ready"]')
    assert figures.count() == 2

    player = figures.first
    assert player.locator(".player-wave canvas").count() >= 1  # drawn in wavesurfer's (open) shadow root
    assert player.locator("audio").is_hidden()  # native controls give way only once the waveform is ready
    assert player.locator("audio").get_attribute("src").endswith("/audio")
    assert player.locator(".player-total").inner_text() == "0:14"
    assert player.locator(".player-current").inner_text() == "0:00"
    toggle = player.locator("button.player-toggle")
    assert toggle.get_attribute("aria-pressed") == "false" and toggle.get_attribute("aria-label").startswith("Play")

    wave = player.locator(".player-wave")
    wave.focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('#separation figure.player audio').paused")
    # The button follows the media element's "play" event, which comes after `paused` turns false.
    expect(toggle).to_have_attribute("aria-pressed", "true")
    before = player.locator("audio").evaluate("a => a.currentTime")
    page.keyboard.press("ArrowRight")
    after = player.locator("audio").evaluate("a => a.currentTime")
    assert after >= before + 4.5
    page.wait_for_function("() => document.querySelector('#separation .player-current').textContent !== '0:00'")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#separation figure.player audio').paused")
    page.keyboard.press("ArrowLeft")
    assert player.locator("audio").evaluate("a => a.currentTime") == pytest.approx(after - 5, abs=1)

    # Click on the waveform seeks there (about three quarters in).
    box = wave.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    assert player.locator("audio").evaluate("a => a.currentTime") == pytest.approx(14 * 0.75, abs=1.5)

    # Phone width: the players fit, and the focus ring shows on the waveform.
    page.set_viewport_size({"width": 375, "height": 800})
    wave.focus()
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wave.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "player.png"), full_page=True)
    assert not errors


def test_record_listen_back_and_save_as_a_recording(page, context, live_server):
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    context.grant_permissions(["microphone"], origin=live_server.url)
    log_in_browser(page, live_server)

    page.clock.install()  # the page's timers: the count-in is run through at once (skip_count_in)
    page.goto(f"{live_server.url}/clips/upload/")
    recorder = page.locator("#recorder")
    assert recorder.is_visible()
    assert "will ask to use the microphone" in recorder.inner_text()
    page.click("#recorder [data-action=start]")
    page.wait_for_selector('#recorder[data-state="counting"]')
    assert page.locator("#recorder [data-countin]").inner_text() in {"3", "2", "1"}
    skip_count_in(page)
    page.wait_for_selector('#recorder[data-state="recording"]', timeout=10_000)
    page.wait_for_timeout(2200)  # the timer counts real seconds (the installed clock flows in real time)
    assert page.locator("#recorder [data-timer]").inner_text() == "0:02"
    # Chromium's fake microphone beeps: the level meter moves.
    page.wait_for_function("() => document.querySelector('#recorder meter').value > 0.01", timeout=5_000)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "recording-live.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.click("#recorder [data-action=stop]")

    playback = page.locator("#recorder audio[data-playback]")
    playback.wait_for(state="visible")
    assert playback.get_attribute("src").startswith("blob:")
    assert page.locator("#recorder [data-action=retake]").is_visible()
    assert page.locator("#recorder [data-take-length]").inner_text() in {"0:02", "0:03", "0:04"}
    page.fill("#recorder-title", "Fake mic take")
    page.screenshot(path=str(SHOTS / "recording.png"), full_page=True)

    page.click("#recorder [data-action=save]")
    page.wait_for_url(CLIP_PAGE)
    assert page.locator("article[data-kind=recording]").count() == 1
    assert page.locator("h1").inner_text() == "Fake mic take"
    assert not errors


def test_a_refused_recording_keeps_the_take_and_says_why(page, context, live_server):
    page.set_default_timeout(30_000)
    context.grant_permissions(["microphone"], origin=live_server.url)
    log_in_browser(page, live_server)
    page.clock.install()
    page.goto(f"{live_server.url}/clips/upload/")
    page.click("#recorder [data-action=start]")
    page.wait_for_selector('#recorder[data-state="counting"]')
    skip_count_in(page)
    page.wait_for_selector('#recorder[data-state="recording"]', timeout=10_000)
    page.wait_for_timeout(600)
    page.click("#recorder [data-action=stop]")
    page.locator("#recorder audio[data-playback]").wait_for(state="visible")

    # The server refuses the first Save (as it would audio it cannot read); the take stays for a retry.
    calls = []

    def refuse_once(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fulfill(
                status=400,
                content_type="application/json",
                json={"errors": {"audio": ["x"]}, "message": "This file doesn't look like audio we can read."},
            )
        else:
            route.continue_()

    page.route("**/clips/upload/", refuse_once)
    page.click("#recorder [data-action=save]")
    alert = page.locator("#recorder [role=alert]")
    alert.wait_for(state="visible")
    assert "doesn't look like audio" in alert.inner_text() and "still here" in alert.inner_text()
    assert page.locator("#recorder audio[data-playback]").get_attribute("src").startswith("blob:")
    page.click("#recorder [data-action=save]")
    page.wait_for_url(CLIP_PAGE)
    assert page.locator("article[data-kind=recording]").count() == 1


def test_a_denied_microphone_is_explained_in_the_page(page, live_server):
    page.set_default_timeout(30_000)
    log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/clips/upload/")
    page.evaluate("""() => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    }""")
    page.click("#recorder [data-action=start]")
    alert = page.locator("#recorder [role=alert]")
    alert.wait_for(state="visible")
    assert "not allowed to use the microphone" in alert.inner_text()
    assert page.locator("#recorder [data-action=start]").is_visible()
