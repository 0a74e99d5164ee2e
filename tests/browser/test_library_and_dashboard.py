"""The dashboard follows several songs at once and then goes quiet; the libraries search, filter, rename, delete."""

import re
import threading
from pathlib import Path

import pytest
from conftest import _worker
from factories import log_in_browser, make_clip, tone

from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
MEZZO = {
    "voiced_s": 24.0,
    "low_hz": 220.0,
    "median_hz": 311.1,
    "high_hz": 440.0,
    "histogram": {"57": 40, "60": 120, "63": 300, "66": 90, "69": 20},
}


# The dashboard's fragments (generations:progress) asked for, counted in the page as htmx opens each request
# (an init script: not subject to the page's CSP).
COUNT_PROGRESS_REQUESTS = """
window.__progressAsked = 0;
const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url, ...rest) {
  if (String(url).includes("/progress/")) window.__progressAsked += 1;
  return open.call(this, method, url, ...rest);
};
"""


def _submit_song(page, live_server, title: str, lyrics: str) -> None:
    page.goto(f"{live_server.url}/generations/new/")
    page.fill("#id_title", title)
    page.fill("#id_prompt", lyrics)
    page.fill("#id_tags", "pop")
    page.click("#generation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))


def test_the_dashboard_follows_two_songs_and_stops_polling_when_done(page, live_server, settings):
    settings.GENERATION_POLL_INTERVAL_S = 1
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_browser(page, live_server)
    # Two songs, the second with the first's words and style under its own title: the dashboard follows
    # songs, not renders, and the test process renders those words once (tests/conftest.py's
    # render_each_song_once), the second song's tracks are the first's (6 s less worker time).
    _submit_song(page, live_server, "Morning", "[Verse]\nSun comes up over the bay\n")
    _submit_song(page, live_server, "晚风", "[Verse]\nSun comes up over the bay\n")

    # No worker yet: both songs wait, and the dashboard shows both, each polling its own fragment.
    page.context.add_init_script(COUNT_PROGRESS_REQUESTS)
    page.clock.install()  # flows as real time does until the songs are done (see below)
    page.goto(f"{live_server.url}/")
    items = page.locator(".progress-list > li")
    assert items.count() == 2
    assert page.locator(".progress-status[hx-get]").count() == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-two-in-progress.png"), full_page=True)

    worker = _worker()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        for item in (items.nth(0), items.nth(1)):
            item.locator(".player").first.wait_for(timeout=120_000)  # the finished tracks, swapped in
        assert all(g.status == "completed" for g in Generation.objects.all())
        # Each fragment answered "done" (286): htmx stops asking. Counted once no request is on its way (htmx
        # drops a poll while its element's request is out, so one still out could hide a fragment that polls on).
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        asked = page.evaluate("() => window.__progressAsked")
        assert asked >= 2  # each fragment asked at least once: its players came in an answer
        # Eight of the page's poll intervals after a half-second grace (PAGE_POLL_INTERVAL_S is 0.25 s in
        # Chromium, tests/conftest.py's quick_page_polls), run through at once on the page's clock: a fragment
        # still polling opens a request when its next timer fires (the polls that come while it is out are
        # dropped, so at least one). (This waited 2.5 s of real time, and 4.5 s when pages polled every 2 s.)
        page.clock.run_for(500 + 8 * 1000 * settings.PAGE_POLL_INTERVAL_S)
        assert page.evaluate("() => window.__progressAsked") == asked
        page.screenshot(path=str(SHOTS / "dashboard-done.png"), full_page=True)
    finally:
        worker.running = False
        thread.join(timeout=60)


def test_search_filter_favourite_rename_and_delete_in_the_libraries(page, live_server):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    user = log_in_browser(page, live_server)
    take = make_clip(user, title="Harbour take", samples=tone(seconds=2))
    make_clip(user, title="Kitchen demo", samples=tone(seconds=2), kind="recording")
    ada = Persona.objects.create(owner=user, name="Ada", source_clip=take, status="complete", profile=MEZZO)
    Generation.objects.create(owner=user, title="Harbour lights", tags="folk", status="completed", persona=ada)
    rain = Generation.objects.create(
        owner=user, title="City rain", prompt="[Verse]\nrain on the harbour glass", status="completed"
    )
    for variant in "AB":
        make_clip(
            user,
            title=f"City rain ({variant})",
            samples=tone(seconds=2),
            kind="generated",
            generation=rain,
            remote_id=variant,
        )
    Generation.objects.create(owner=user, title="Unrelated", status="failed")

    # Songs: search covers titles and lyrics; the favourite filter.
    page.goto(f"{live_server.url}/generations/")
    page.fill("input[name=q]", "harbour")
    page.click(".library-filters button[type=submit]")
    assert sorted(page.locator(".library-table tbody tr td:first-child a").all_inner_texts()) == [
        "City rain",
        "Harbour lights",
    ]
    page.click("text=City rain")
    page.locator("[data-action=favourite]").first.click()
    page.wait_for_selector("[data-action=favourite][aria-pressed=true]")
    assert page.locator("[data-action=favourite][aria-pressed=false]").count() == 1  # the other track
    page.goto(f"{live_server.url}/generations/?fav=1")
    assert page.locator(".library-table tbody tr").all_inner_texts()[0].startswith("★")
    assert page.locator(".library-table tbody tr").count() == 1
    page.goto(f"{live_server.url}/generations/?q=zebra")
    assert "No songs match “zebra”" in page.inner_text(".empty")

    # Clips: filter by kind, rename, and delete after being told what depends on it.
    page.goto(f"{live_server.url}/clips/")
    page.select_option("select[name=kind]", "recording")
    page.click(".library-filters button[type=submit]")
    assert page.locator(".library-table tbody tr").all_inner_texts()[0].startswith("Kitchen demo")
    page.click("text=Kitchen demo")
    page.click("summary:has-text('Rename or delete')")
    page.fill("#id_rename_title", "")
    page.click(".rename-form button[type=submit]")
    assert page.locator("#id_rename_title_error").is_visible()
    page.fill("#id_rename_title", "Kitchen demo, take 2")
    page.click(".rename-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Kitchen demo, take 2')")
    page.goto(f"{live_server.url}/clips/{take.id}/delete/")
    assert "Ada" in page.inner_text("[data-personas]")
    page.screenshot(path=str(SHOTS / "clip-delete-confirm.png"), full_page=True)
    page.click("text=Keep it")
    page.wait_for_url(re.compile(rf"/clips/{take.id}/$"))

    # Personas: describe, then delete — the song it sang stays.
    page.goto(f"{live_server.url}{ada.get_absolute_url()}")
    page.click("summary:has-text('Rename or describe')")
    page.fill("#id_description", "Warm mezzo, good for folk.")
    page.click(".persona-edit button[type=submit]")
    page.wait_for_selector(".persona-description:has-text('Warm mezzo')")
    page.click("text=Delete this persona…")
    assert "1 song used this persona; it stays" in page.inner_text("[data-dependents]")
    page.click("button.danger")
    page.wait_for_url(f"{live_server.url}/personas/")
    assert Generation.objects.filter(title="Harbour lights", persona=None).exists()
    assert "No personas yet" in page.inner_text("main")
