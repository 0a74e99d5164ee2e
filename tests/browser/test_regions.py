"""Selecting a region on a clip's waveform, for "Make a persona" and "Separate vocals", in a real Chromium."""

import re
from pathlib import Path

import numpy as np
import pytest
from factories import consent_phrase_file, log_in_browser, make_clip, sung_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
SR = 22050


def _long_take(user):
    """6 s of silence, 16 s of singing, 6 s of silence (28 s)."""
    silence = np.zeros(6 * SR, np.float32)
    return make_clip(user, title="Long take", samples=np.concatenate([silence, sung_line(seconds=16), silence]))


def test_select_a_region_make_a_persona_from_it_and_separate_a_region(page, live_server, worker_thread, tmp_path):
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    user = log_in_browser(page, live_server)
    clip = _long_take(user)

    page.goto(f"{live_server.url}/clips/{clip.id}/")
    page.wait_for_selector("#clip-player.has-regions[data-waveform=ready]")
    panel = page.locator("#region")
    assert panel.is_visible()
    summary = panel.locator("[data-region-summary]")
    assert summary.inner_text() == "The whole clip · 28.0 s"

    # Drag across the waveform from 20 % to 40 %: about 5.6–11.2 s.
    box = page.locator("#clip-player .player-wave").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#region-end').value !== ''")
    start, end = float(page.input_value("#region-start")), float(page.input_value("#region-end"))
    assert start == pytest.approx(5.6, abs=0.6) and end == pytest.approx(11.2, abs=0.6)
    assert re.fullmatch(r"Selected 0:0\d\.\d–0:1\d\.\d · \d\.\d s", summary.inner_text()), summary.inner_text()
    assert f"{end - start:.1f} s" in summary.inner_text()
    assert page.locator("#clip-player [part~=region]").count() == 1
    persona_button = page.locator("form[data-region-form=persona] button[type=submit]")
    assert persona_button.inner_text() == "Make a persona from this region"

    # Too short for a persona: said next to the region, and the form is not sent.
    persona_button.click()
    warning = page.locator("#region [role=alert]")
    warning.wait_for(state="visible")
    assert "A persona needs 10–30 seconds of clear voice" in warning.inner_text()
    assert page.url.endswith(f"/clips/{clip.id}/")
    page.screenshot(path=str(SHOTS / "region-too-short.png"), full_page=True)

    # A valid region with the inputs alone (as a keyboard user would): the waveform follows.
    page.fill("#region-start", "5")
    page.fill("#region-end", "23")
    assert warning.is_hidden()
    assert summary.inner_text() == "Selected 0:05.0–0:23.0 · 18.0 s"
    assert (
        page.evaluate("() => document.querySelector('form[data-region-form=persona] [name=vocal_start_s]').value")
        == "5"
    )
    assert (
        page.evaluate("() => document.querySelector('form[data-region-form=separation] [name=vocal_end_s]').value")
        == "23"
    )
    page.screenshot(path=str(SHOTS / "region-selected.png"), full_page=True)

    persona_button.click()
    page.wait_for_url(re.compile(r"/personas/new/\?"))
    assert page.input_value("#id_vocal_start_s") == "5" and page.input_value("#id_vocal_end_s") == "23"
    assert page.locator("#id_clip option:checked").inner_text().startswith("Long take")
    page.fill("#id_name", "Middle part")
    page.set_input_files("#id_phrase_audio", str(consent_phrase_file(tmp_path)))
    page.screenshot(path=str(SHOTS / "persona-form-region.png"), full_page=True)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/personas/[0-9a-f-]{36}/$"))
    page.wait_for_selector('#persona-status[data-status="complete"]', timeout=180_000)
    assert page.locator("[data-learned-region]").inner_text() == "0:05–0:23"
    assert "learned from 0:05–0:23 of Long take" in page.locator("hgroup p").first.inner_text()
    page.wait_for_selector("#learned-from-player[data-region-shown]")
    page.locator("[data-region-play-learned]").click()
    page.wait_for_function("() => !document.querySelector('#learned-from-player audio').paused")
    assert page.evaluate("() => document.querySelector('#learned-from-player audio').currentTime") >= 4.9
    page.locator("#learned-from-player button.player-toggle").click()
    page.screenshot(path=str(SHOTS / "persona-from-region.png"), full_page=True)

    # Separate vocals on a mostly silent region: warned once, sent on the second click.
    page.goto(f"{live_server.url}/clips/{clip.id}/")
    page.wait_for_selector("#clip-player.has-regions[data-waveform=ready]")
    page.fill("#region-start", "0")
    page.fill("#region-end", "7")
    separate = page.locator("form[data-region-form=separation] button[type=submit]")
    assert page.locator("[data-region-note]").inner_text() == "Only the selected part, 0:00.0–0:07.0."
    separate.click()
    warning.wait_for(state="visible")
    assert "Most of this region looks silent" in warning.inner_text()
    assert separate.inner_text() == "Submit anyway"
    page.screenshot(path=str(SHOTS / "region-silent.png"), full_page=True)
    separate.click()
    page.wait_for_selector('#separation[data-status="complete"]', timeout=60_000)
    assert page.locator("[data-separated-region]").inner_text() == "Separated from 0:00–0:07 of this clip."
    assert page.locator('#separation a[data-kind="vocals"]').inner_text() == "Long take — vocals (0:00–0:07)"
    # The page came back with the separated part still selected, ready for "Make a persona".
    assert float(page.input_value("#region-end")) == 7
    assert "0:00.0–0:07.0" in page.locator("[data-region-summary]").inner_text()
    assert page.evaluate("() => document.querySelector('form[data-region-form=persona] [name=vocal_end_s]').value") in (
        "7",
        "7.0",
    )
    assert not errors


def test_the_region_panel_fits_a_phone(page, live_server):
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 375, "height": 800})
    user = log_in_browser(page, live_server)
    clip = _long_take(user)
    page.goto(f"{live_server.url}/clips/{clip.id}/")
    page.wait_for_selector("#clip-player.has-regions[data-waveform=ready]")
    page.fill("#region-start", "2")
    page.fill("#region-end", "6")
    page.click("form[data-region-form=persona] button[type=submit]")
    page.locator("#region [role=alert]").wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "region-phone.png"), full_page=True)
