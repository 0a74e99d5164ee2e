"""Under the Content-Security-Policy every main page works in a real Chromium without one violation: no
inline script, handler or style is blocked, the waveform players draw, htmx swaps, a recording plays back."""

import pytest
from factories import PASSWORD, UserFactory, make_clip, tone

from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEZZO = {
    "voiced_s": 24.0,
    "low_hz": 220.0,
    "median_hz": 311.1,
    "high_hz": 440.0,
    "histogram": {"57": 40, "60": 120, "63": 300, "66": 90, "69": 20},
}
# Runs before any page script (Playwright's init scripts are not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(
  `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`), true);
"""


def test_no_page_reports_a_policy_violation_or_a_console_message(page, context, live_server):
    page.set_default_timeout(20_000)
    context.add_init_script(RECORD_VIOLATIONS)
    context.grant_permissions(["microphone"], origin=live_server.url)
    messages, violations = [], []
    page.on(
        "console",
        lambda message: messages.append(f"{page.url}: {message.type}: {message.text} ({message.location.get('url')})"),
    )
    page.on("pageerror", lambda error: messages.append(f"{page.url}: pageerror: {error}"))

    def visit(path: str, ready: str = "main") -> None:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready)
        page.wait_for_load_state("load")
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))

    visit("/accounts/signup/")
    visit("/accounts/login/")
    user = UserFactory()  # logs in through the form just visited (log_in_browser would load it again)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    take = make_clip(user, title="Harbour take", samples=tone(seconds=3))
    ada = Persona.objects.create(owner=user, name="Ada", source_clip=take, status="complete", profile=MEZZO)
    song = Generation.objects.create(
        owner=user, title="City rain", prompt="[Verse]\nrain on the glass", tags="folk", status="completed", persona=ada
    )
    make_clip(user, title="City rain (A)", samples=tone(seconds=3), kind="generated", generation=song, remote_id="A")

    visit("/")
    visit("/clips/")
    # The waveform player (wavesurfer writes a <style> into its shadow root: it carries the page's nonce).
    visit(f"/clips/{take.id}/", 'figure.player[data-waveform="ready"]')
    page.click("[data-action=favourite]")  # an htmx swap
    page.wait_for_selector('[data-action=favourite][aria-pressed="true"]')
    visit("/personas/")
    visit("/personas/new/")
    visit(f"/personas/{ada.id}/")
    visit("/generations/")
    visit("/generations/new/", "#generation-form")
    visit(f"/generations/{song.id}/", 'figure.player[data-waveform="ready"]')
    visit("/accounts/settings/")
    page.locator("#provider-form input[type=radio]").last.check()
    page.click("text=Test connection")  # an htmx swap of the answer
    page.wait_for_selector("#test-result.field-error")

    # A recording plays back from a blob: URL before it is saved. From here on the pages' clock is
    # Playwright's (it flows as real time does), only so the recorder's 3 s count-in runs through at once;
    # a violation on a later page is still caught (checked with an inline script added to a zh-hans page).
    page.clock.install()
    visit("/clips/upload/", "#recorder:not([hidden])")
    page.click("#recorder [data-action=start]")
    page.wait_for_selector('#recorder[data-state="counting"]')
    page.clock.run_for(3000)
    page.wait_for_selector('#recorder[data-state="recording"]', timeout=10_000)
    page.wait_for_timeout(700)
    page.click("#recorder [data-action=stop]")
    page.locator("#recorder audio[data-playback]").wait_for(state="visible")
    assert page.locator("#recorder audio[data-playback]").get_attribute("src").startswith("blob:")

    # The other language: the switcher, then the pages with the most script.
    page.select_option("#id_language", "zh-hans")
    page.click(".language-switcher button[type=submit]")
    page.wait_for_selector("html[lang=zh-hans]")
    visit("/")
    visit("/generations/new/", "#generation-form")
    visit(f"/generations/{song.id}/", 'figure.player[data-waveform="ready"]')
    violations.extend(page.evaluate("window.__violations"))

    assert violations == []
    # The browser asks for /favicon.ico by itself (there is none): its 404 is the one message allowed.
    favicon = f"Failed to load resource: the server responded with a status of 404 (Not Found) ({live_server.url}/favicon.ico)"
    assert [m for m in messages if not m.endswith(f"error: {favicon}")] == []
