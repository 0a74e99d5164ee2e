"""The studio in Chinese on a phone, and by keyboard alone in English, checked by axe-core (WCAG 2 A/AA)."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from factories import PASSWORD, consent_phrase_file, log_in_browser, sung_line, wav_bytes
from quiet_pages import quiet_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
PHONE = {"width": 375, "height": 812}
WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# A page has settled when it has loaded, no htmx request, swap or settle is under way, no waveform player is
# still being built, and no CSS transition runs: colours are judged once they have settled (a control's 0.2 s
# colour transition, Pico's, caught half-way on a loaded machine once read as too little contrast). This
# waits for what the pages do after loading, where networkidle waited for 500 ms without a request after
# every load (0.3-0.5 s a page). A function, not an expression: Playwright evaluates an expression again at
# every poll, which the pages' CSP (no 'unsafe-eval') refuses.
SETTLED = """() => document.readyState === "complete"
    && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, figure.player[data-waveform=loading]")
    && document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== "running")"""


def with_axe(context) -> None:
    """axe-core in every page of the context from its start (an init script, not subject to the pages' CSP),
    instead of sent and evaluated again for each check (0.05-0.25 s each)."""
    context.add_init_script(script=AXE_SCRIPT)


def check_page(page, name: str, *, width: int | None = None) -> None:
    """Every page we show: no WCAG A/AA violation axe can find, no sideways scrolling, and a screenshot."""
    page.wait_for_function(SETTLED)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)  # a context without with_axe
    results = page.evaluate("(options) => axe.run(document, options)", WCAG_AA)
    problems = [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in results["violations"]]
    assert problems == [], f"{name}: " + "; ".join(problems)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if width:
        too_wide = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')).slice(0, 5)""",
            width,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways: {too_wide}"


@pytest.fixture
def voice_file(tmp_path):
    path = tmp_path / "我的声音.wav"
    path.write_bytes(wav_bytes(sung_line(seconds=16)))
    return path


@pytest.fixture
def chinese_phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    quiet_pages(context)
    with_axe(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_a_new_user_in_chinese_on_a_phone(chinese_phone, live_server, worker_thread, voice_file, settings, tmp_path):
    settings.GENERATION_POLL_INTERVAL_S = 1
    page = chinese_phone
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"  # from the browser's Accept-Language
    assert page.inner_text("h1") == "创建账号"
    check_page(page, "zh-phone-signup", width=375)
    page.fill("#id_username", "小林")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "四步做出你的第一首歌" in page.inner_text("main")
    check_page(page, "zh-phone-home", width=375)

    page.goto(f"{live_server.url}/clips/upload/")
    assert page.inner_text("h1") == "录制或上传片段"
    check_page(page, "zh-phone-upload", width=375)
    page.fill("#id_title", "我的声音")
    page.set_input_files("#id_audio", str(voice_file))
    page.click(".upload-file button[type=submit]")
    page.wait_for_url(re.compile(r"/clips/[0-9a-f-]{36}/$"))
    check_page(page, "zh-phone-clip", width=375)

    clip_url = page.url
    page.goto(f"{live_server.url}/personas/new/?clip={clip_url.rstrip('/').rsplit('/', 1)[-1]}")
    page.fill("#id_name", "我的歌手")
    page.set_input_files("#id_phrase_audio", str(consent_phrase_file(tmp_path)))  # the singer's consent
    check_page(page, "zh-phone-persona-form", width=375)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/personas/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="complete"]', timeout=180_000)
    check_page(page, "zh-phone-persona", width=375)

    page.click("a[href*='persona=']")
    page.wait_for_url(re.compile(r"/generations/new/"))
    page.fill("#id_title", "夏天")
    page.fill("#id_prompt", "[主歌]\n夜空中最亮的星\n[副歌]\n我祈祷拥有一颗透明的心灵\n")
    page.fill("#id_tags", "流行 抒情 女声")
    check_page(page, "zh-phone-song-form", width=375)
    page.click("form.song-form button[type=submit], main form button[type=submit] >> nth=-1")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('[data-status="completed"]', timeout=120_000)
    assert page.locator('[data-status="completed"] .result-card > figure.player audio').count() == 2
    check_page(page, "zh-phone-song", width=375)

    for path, heading in [("/generations/", "歌曲"), ("/personas/", "歌手"), ("/clips/", "片段")]:
        page.goto(f"{live_server.url}{path}")
        assert page.inner_text("h1") == heading
        check_page(page, f"zh-phone-library{path.replace('/', '-').rstrip('-')}", width=375)

    # The switcher takes over from the browser's language, and the page stays where it was.
    page.select_option("#id_language", "en")
    with page.expect_navigation():
        page.click(".language-switcher button[type=submit]")
    assert page.url.endswith("/clips/") and page.inner_text("h1") == "Clips"


def test_keyboard_alone_and_errors_linked_to_fields(page, live_server):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    with_axe(page.context)
    log_in_browser(page, live_server)
    check_page(page, "en-home-empty")

    # The first Tab reaches the skip link, which jumps past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    page.goto(f"{live_server.url}/")
    tab_to("nav a[href='/generations/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/generations/new/")
    check_page(page, "en-song-form")

    # Submitting an empty form by keyboard: the sentence sits next to the field and the field points at it.
    tab_to("#id_title")
    page.keyboard.type("Only a title")
    tab_to("form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".field-error")
    invalid = page.locator("[aria-invalid=true]").first
    described = invalid.get_attribute("aria-describedby") or ""
    error_ids = [i for i in described.split() if i.endswith("_error")]
    assert error_ids, "the invalid field does not point at its error"
    assert page.inner_text(f"#{error_ids[0]}").strip()
    assert page.input_value("#id_title") == "Only a title"  # what was typed is kept
    check_page(page, "en-song-form-errors")

    # The songs library and settings pass too.
    for path, name in [("/generations/", "en-songs-empty"), ("/accounts/settings/", "en-settings")]:
        page.goto(f"{live_server.url}{path}")
        check_page(page, name)
