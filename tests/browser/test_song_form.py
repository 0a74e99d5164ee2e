"""The song form in a real Chromium: tabs keep text, the lyric editor, style chips, both widths."""

import time
from pathlib import Path

import pytest
from factories import log_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"


def test_the_song_form_editor(page, live_server):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/generations/new/")

    # Type lyrics, switch to Inspiration and back: nothing is lost.
    page.fill("#id_title", "Night drive")
    page.click("#id_prompt")
    page.keyboard.type("City lights are calling me")
    page.check("input[name=mode][value=inspiration]")
    assert page.locator("#id_prompt").is_hidden()
    page.fill("#id_gpt_description_prompt", "a song about the sea")
    page.check("input[name=mode][value=custom]")
    assert page.locator("#id_gpt_description_prompt").is_hidden()
    assert page.input_value("#id_prompt") == "City lights are calling me"
    assert page.input_value("#id_title") == "Night drive"
    page.check("input[name=mode][value=inspiration]")
    assert page.input_value("#id_gpt_description_prompt") == "a song about the sea"
    page.check("input[name=mode][value=custom]")

    # [Chorus] at the cursor (end of the line): on its own line, after a blank line; typing goes on below it.
    page.click("button[data-section-kind=chorus]")
    page.keyboard.type("Hold on to the night")
    assert page.input_value("#id_prompt") == "City lights are calling me\n\n[Chorus]\nHold on to the night"
    # a tag at the very start goes on its own line above the text
    page.evaluate("() => { const t = document.getElementById('id_prompt'); t.focus(); t.setSelectionRange(0, 0); }")
    page.click("button[data-section-kind=verse]")
    assert page.input_value("#id_prompt").startswith("[Verse]\nCity lights")
    preview = page.inner_text(".section-preview")
    assert "Verse · 1 line" in preview and "Chorus · 1 line" in preview
    assert page.inner_text(".syllable-gutter .syl[data-line='2']") == "7"  # Ci-ty lights are cal-ling me

    # Chinese lyrics: the buttons speak Chinese, one syllable per character.
    page.fill("#id_prompt", "[主歌]\n夜空中最亮的星\n能否听清\n")
    assert page.inner_text(".syllable-gutter .syl[data-line='2']") == "7"
    assert page.inner_text(".syllable-gutter .syl[data-line='3']") == "4"
    assert page.inner_text("button[data-section-kind=chorus]") == "[副歌]"
    page.evaluate(
        "() => { const t = document.getElementById('id_prompt'); t.focus(); t.setSelectionRange(t.value.length, t.value.length); }"
    )
    page.click("button[data-section-kind=chorus]")
    page.keyboard.type("我祈祷拥有一颗透明的心灵")
    assert page.input_value("#id_prompt").endswith("能否听清\n\n[副歌]\n我祈祷拥有一颗透明的心灵")
    assert "副歌 · 1 行" in page.inner_text(".section-preview")
    assert page.inner_text(".syllable-gutter .syl[data-line='6']") == "12"

    # Counters read the limits from maxlength.
    assert page.inner_text("#id_title_count") == "11 / 80"
    page.fill("#id_title", "x" * 75)
    assert "near" in page.get_attribute("#id_title_count", "class")
    page.fill("#id_title", "夜空中最亮的星")

    # Chips toggle words in the tags input; free text stays.
    page.fill("#id_tags", "dreamy synth")
    page.click(".chip[data-tag='pop']")
    page.click(".chip[data-tag='女声']")
    assert page.input_value("#id_tags") == "dreamy synth, pop, 女声"
    assert page.get_attribute(".chip[data-tag='pop']", "aria-pressed") == "true"
    assert page.get_attribute(".chip[data-tag='dreamy']", "aria-pressed") == "true"
    assert page.get_attribute(".chip[data-tag='male vocals']", "aria-pressed") == "false"
    page.click(".chip[data-tag='pop']")
    assert page.input_value("#id_tags") == "dreamy synth, 女声"
    assert page.get_attribute(".chip[data-tag='pop']", "aria-pressed") == "false"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "song-form.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # the gutter still follows the lines when they wrap on a narrow screen
    assert page.inner_text(".syllable-gutter .syl[data-line='6']") == "12"
    page.screenshot(path=str(SHOTS / "song-form-phone.png"), full_page=True)


def test_edit_and_regenerate_from_the_song_page(page, live_server):
    from personastudio.generations.models import Generation

    page.set_default_timeout(15_000)
    user = log_in_browser(page, live_server)
    sung = "[Verse]\n海边的风吹过来\n[Chorus]\n夏天夏天不要走"
    song = Generation.objects.create(
        owner=user,
        mode="inspiration",
        gpt_description_prompt="一首夏天的歌",
        status="completed",
        provider_results=[{"id": "a", "title": "夏天 (A)", "tags": "流行, 欢快", "prompt": sung}],
    )
    page.goto(f"{live_server.url}{song.get_absolute_url()}")
    assert page.locator("[data-action=generate-again]").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "song-actions.png"), full_page=True)
    page.click("[data-action=edit-lyrics]")
    page.wait_for_url(f"**/generations/new/?from={song.id}&lyrics=sung")
    assert page.is_checked("input[name=mode][value=custom]")
    assert page.locator("#id_prompt").is_visible()
    assert page.input_value("#id_prompt") == sung
    assert page.input_value("#id_title") == "夏天"
    assert page.get_attribute(".chip[data-tag='流行']", "aria-pressed") == "true"
    assert "主歌" in page.inner_text("button[data-section-kind=verse]")


def test_a_failed_song_offers_edit_but_not_a_second_retry_button(page, live_server):
    from personastudio.generations.models import Generation

    page.set_default_timeout(15_000)
    user = log_in_browser(page, live_server)
    song = Generation.objects.create(
        owner=user, mode="custom", title="Broken", prompt="la la", status="failed", error="The music service is busy."
    )
    page.goto(f"{live_server.url}{song.get_absolute_url()}")
    assert page.locator("text=Try again").is_visible()
    assert page.locator("[data-action=generate-again]").is_hidden()
    page.click("[data-action=edit-regenerate]")
    page.wait_for_url(f"**/generations/new/?from={song.id}")
    assert page.input_value("#id_title") == "Broken" and page.input_value("#id_prompt") == "la la"


def test_a_double_click_on_generate_makes_one_song(page, live_server):
    from personastudio.engine.models import EngineTask
    from personastudio.generations.models import Generation

    page.set_default_timeout(15_000)
    user = log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/generations/new/")
    page.fill("#id_title", "Once")
    page.fill("#id_prompt", "[Verse]\nOne click is enough")
    posts = []

    def slow_connection(route):
        if route.request.method == "POST":
            posts.append(route.request.url)
            time.sleep(0.6)  # the second press comes while the first is on its way
        route.continue_()

    page.route("**/generations/new/", slow_connection)
    page.evaluate("""() => {
        const button = document.querySelector('#generation-form button[type=submit]');
        button.click();
        setTimeout(() => button.click(), 200);
    }""")
    page.wait_for_url("**/generations/*-*/")
    assert posts == [f"{live_server.url}/generations/new/"]
    assert Generation.objects.filter(owner=user).count() == 1
    assert EngineTask.objects.filter(owner=user).count() == 1


def test_how_much_of_the_persona_shows_with_a_persona_follows_its_slider_and_fits_a_phone(page, live_server):
    from personastudio.engine.models import EnginePersona
    from personastudio.generations.models import Generation
    from personastudio.personas.models import Persona

    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 375, "height": 800})
    user = log_in_browser(page, live_server)
    engine_persona = EnginePersona.objects.create(
        owner=user, name="Ada", batch_id="b-1", status="complete", profile={"median_hz": 220.0, "register": "female"}
    )
    ada = Persona.objects.create(owner=user, name="Ada", status="complete", remote_id=engine_persona.id)
    page.goto(f"{live_server.url}/generations/new/")
    field = page.locator("[data-persona-influence]")
    assert field.is_hidden()  # no persona chosen
    page.check(f"input[name=persona][value='{ada.pk}']")
    assert field.is_visible() and page.input_value("#id_persona_influence") == "100"
    page.locator("[data-influence-slider]").fill("60")
    assert page.input_value("#id_persona_influence") == "60"
    page.fill("#id_persona_influence", "35")
    assert page.input_value("[data-influence-slider]") == "35"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = field.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.check("#id_persona_none")
    assert field.is_hidden()
    page.check(f"input[name=persona][value='{ada.pk}']")

    # Out of range: a sentence next to the field, the lyrics kept.
    page.fill("#id_prompt", "[Verse]\nMy own words")
    page.fill("#id_persona_influence", "150")
    page.click("#generation-form button[type=submit]")
    page.wait_for_selector("#id_persona_influence_error")
    assert "from 0 to 100" in page.inner_text("#id_persona_influence_error")
    assert page.input_value("#id_prompt") == "[Verse]\nMy own words"
    assert page.locator("[data-persona-influence]").is_visible()
    page.screenshot(path=str(SHOTS / "song-form-influence-phone.png"), full_page=True)
    page.fill("#id_persona_influence", "60")
    page.click("#generation-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/generations/*/")
    assert Generation.objects.get().persona_influence == 60
    assert "sung with 60 % of Ada" in page.inner_text("main")
