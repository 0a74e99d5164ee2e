"""In a real Chromium with a real worker: the persona picker's preview, variants side by side with their
downloads and actions, and extending a finished track from a chosen second."""

import re
from pathlib import Path

import pytest
from factories import log_in_browser, make_clip, sung_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
PROFILE = {"low_hz": 220.0, "high_hz": 440.0, "median_hz": 300.0, "register": "female"}


def _box(page, selector, index):
    return page.locator(selector).nth(index).bounding_box()


def test_picker_results_side_by_side_and_extend_from_a_chosen_second(page, live_server, worker_thread, settings):
    from personastudio.personas.models import Persona

    settings.GENERATION_POLL_INTERVAL_S = 1
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)
    user = log_in_browser(page, live_server)
    clip = make_clip(user, title="Mia's voice", samples=sung_line(seconds=6))
    mia = Persona.objects.create(owner=user, name="Mia", status="complete", profile=PROFILE, source_clip=clip)

    # The picker: "Use in a new song" (?persona=) checks Mia; her range shows; the preview plays her clip.
    page.goto(f"{live_server.url}/generations/new/?persona={mia.id}")
    option = page.locator(f".persona-option[data-persona='{mia.id}']")
    assert page.is_checked(f"input[name=persona][value='{mia.id}']")
    assert "A3–A4" in option.inner_text() and re.search(r"Soprano|Mezzo|Alto", option.inner_text())
    assert page.locator("#persona-picker legend").inner_text().strip()
    option.locator(".persona-preview").click()
    page.wait_for_function(
        "() => { const a = document.querySelector('.persona-preview-audio'); "
        "return a && !a.paused && a.currentTime > 0.2; }"
    )
    assert option.locator(".persona-preview").get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(SHOTS / "persona-picker.png"), full_page=True)
    option.locator(".persona-preview").click()  # pause
    page.wait_for_function("() => document.querySelector('.persona-preview-audio').paused")
    # keyboard: the picker is one radio group; arrow up moves to "no persona"
    page.focus(f"input[name=persona][value='{mia.id}']")
    page.keyboard.press("ArrowUp")
    assert page.is_checked("#id_persona_none")

    # A song, made by the engine.
    page.fill("#id_title", "Night")
    page.fill("#id_prompt", "[Verse]\nCity lights are calling me\n[Chorus]\nHold on to the night")
    page.fill("#id_tags", "pop upbeat")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="completed"]', timeout=120_000)

    # Side by side: two cards on one row, each with its player, MP3/WAV and actions.
    cards = page.locator(".result-card")
    assert cards.count() == 2
    first, second = _box(page, ".result-card", 0), _box(page, ".result-card", 1)
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] - 1
    for i in range(2):
        card = cards.nth(i)
        assert card.locator(":scope > figure.player audio").count() == 1
        assert card.locator("[data-download=mp3]").get_attribute("href").endswith("?download=1")
        assert card.locator("[data-download=wav]").get_attribute("href").endswith("?download=1&format=wav")
        for action in ("extend", "make-persona", "separate"):
            assert card.locator(f"[data-action={action}]").is_visible()
    page.wait_for_selector(".result-card .player[data-waveform]")
    page.screenshot(path=str(SHOTS / "results.png"), full_page=True)

    # Each track's stems, one per instrument: open them, each plays with its waveform and has its WAV.
    stems = cards.nth(0).locator("[data-parts]")
    stems.locator("summary").click()
    parts = stems.locator(".track-part")
    parts.first.wait_for()  # the stems' players load when they are opened
    assert parts.count() >= 4 and parts.nth(0).get_attribute("data-part") == "lead vocal"
    assert stems.locator("[data-download=stems-zip]").get_attribute("href").endswith("/stems.zip")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-parts] .player')].slice(0, 4).every((f) => f.dataset.waveform)"
    )
    assert parts.nth(1).locator(".player-wave").bounding_box()["width"] > 100
    parts.nth(1).locator(".player-toggle").click()
    page.wait_for_function(
        "() => { const a = document.querySelectorAll('[data-parts] .player audio')[1]; "
        "return a && !a.paused && a.currentTime > 0.2; }"
    )
    parts.nth(1).locator(".player-toggle").click()
    page.screenshot(path=str(SHOTS / "results-stems.png"), full_page=True)
    stems.locator("summary").click()

    # The phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(300)
    first, second = _box(page, ".result-card", 0), _box(page, ".result-card", 1)
    assert second["y"] >= first["y"] + first["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "results-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Extend from a chosen second: the player's current time goes to the form.
    card = cards.nth(0)
    card.locator(":scope > figure.player audio").evaluate("a => { a.currentTime = 4.3; }")
    page.wait_for_function("() => document.querySelector('.result-card [data-action=extend]').href.endsWith('&at=4')")
    assert "0:04" in card.locator("[data-extend-at]").inner_text()
    card.locator("[data-action=extend]").click()
    page.wait_for_url(re.compile(r"/generations/new/\?extend=[0-9a-f-]{36}&at=4$"))
    assert page.input_value("#id_continue_at") == "4"
    assert page.input_value("#id_tags") == "pop upbeat" and page.input_value("#id_title") == "Night"
    assert page.locator(".extend-source .player").count() == 1

    # A second past the end is refused with a sentence next to the field, keeping what was typed.
    page.fill("#id_continue_at", "999")
    page.fill("#id_prompt", "[Verse]\nMorning comes and we are home")
    page.click("main button[type=submit]")
    assert "between 1 and" in page.inner_text("#id_continue_at_error")
    assert page.input_value("#id_continue_at") == "999"
    assert page.input_value("#id_prompt") == "[Verse]\nMorning comes and we are home"
    page.fill("#id_continue_at", "4")
    page.screenshot(path=str(SHOTS / "extend-form.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    assert "0:04" in page.inner_text(".extends-note")
    page.wait_for_selector('[data-status="completed"]', timeout=120_000)
    durations = [
        float(d)
        for d in page.locator(".result-card > .player").evaluate_all("figures => figures.map(f => f.dataset.duration)")
    ]
    assert len(durations) == 2 and all(d > 4 + 3 for d in durations)
    page.screenshot(path=str(SHOTS / "extended.png"), full_page=True)
