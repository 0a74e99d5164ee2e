"""A new user's walk through a running `make run` server, in Chinese on a phone and in English on a desktop.

    make install-test && .venv/bin/python scripts/new_user_walk.py http://127.0.0.1:8000 /tmp/walk [zh|en]

Signs up two new users, uploads an MP3 of a synthesized sung line, selects a region, separates it,
makes a persona from the region, makes a song with it, extends the song from second 8 and visits
the libraries, saving a full-page screenshot of each step under the output folder. Not part of
`make test` (the browser tests cover each story); this is the reviewer's walk, to look at.
"""

import re
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]
import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from synth import sung_line  # noqa: E402

from personastudio.engine.dsp.audio_io import encode_mp3  # noqa: E402

BASE = sys.argv[1]
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "walk-shots")
OUT.mkdir(parents=True, exist_ok=True)
audio = OUT / "take.mp3"
silence = np.zeros(4 * 22050, np.float32)
audio.write_bytes(encode_mp3(np.concatenate([silence, sung_line(seconds=20), silence]), sr=22050))
phrase = OUT / "phrase.mp3"  # the same singer, another tune: the consent phrase
phrase.write_bytes(encode_mp3(sung_line(seconds=16, seed=5), sr=22050))
PASSWORD = "a-long-Walk-passw0rd"


def run(locale, viewport, user, tag):
    t0 = time.time()
    ctx = browser.new_context(locale=locale, viewport=viewport)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shot(name):
        page.screenshot(path=str(OUT / f"{tag}-{name}.png"), full_page=True)

    page.goto(f"{BASE}/accounts/signup/")
    shot("signup")
    page.fill("#id_username", user)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{BASE}/")
    shot("home")
    page.goto(f"{BASE}/clips/upload/")
    page.fill("#id_title", "试唱" if locale.startswith("zh") else "Demo take")
    page.set_input_files("#id_audio", str(audio))
    page.click(".upload-file button[type=submit]")
    page.wait_for_url(re.compile(r"/clips/[0-9a-f-]{36}/$"))
    page.wait_for_selector("#clip-player[data-waveform=ready]")
    page.fill("#region-start", "4")
    page.fill("#region-end", "22")
    page.press("#region-end", "Tab")
    shot("clip-region")
    print(tag, "region summary:", page.inner_text("[data-region-summary]"))
    page.click("form[data-region-form=separation] button[type=submit]")
    page.wait_for_selector('#separation[data-status="complete"]', timeout=600_000)
    shot("separated")
    page.click("form[data-region-form=persona] button[type=submit]")
    page.wait_for_url(re.compile(r"/personas/new/"))
    page.fill("#id_name", "我的歌手" if locale.startswith("zh") else "My singer")
    page.set_input_files("#id_phrase_audio", str(phrase))
    shot("persona-form")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/personas/[0-9a-f-]{36}/$"))
    page.wait_for_selector('#persona-status[data-status="complete"]', timeout=600_000)
    shot("persona")
    print(tag, "persona:", page.inner_text("[data-range]"), "|", page.inner_text("hgroup p"))
    page.click("a[href*='persona=']")
    page.wait_for_url(re.compile(r"/generations/new/"))
    page.fill("#id_title", "夏天" if locale.startswith("zh") else "Summer")
    page.fill(
        "#id_prompt",
        "[主歌]\n夜空中最亮的星\n能否听清\n[副歌]\n我祈祷拥有一颗透明的心灵\n"
        if locale.startswith("zh")
        else "[Verse]\nCity lights are calling me\n[Chorus]\nHold on to the night\n",
    )
    page.fill("#id_tags", "流行 抒情 女声" if locale.startswith("zh") else "pop upbeat")
    shot("song-form")
    page.click("#generation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('#generation-status[data-status="completed"]', timeout=300_000)
    page.locator("[data-action=favourite]").first.click()
    page.wait_for_selector("[data-action=favourite][aria-pressed=true]")
    shot("song")
    page.locator("[data-parts] summary").first.click()
    page.wait_for_timeout(1500)
    shot("song-stems")
    print(tag, "stems:", page.locator("[data-parts]").first.locator(".track-part").count())
    page.locator("[data-action=extend]").first.click()
    page.wait_for_url(re.compile(r"/generations/new/\?extend="))
    page.fill("input[name=continue_at]", "8")
    page.fill("#id_prompt", "[副歌]\n再唱一遍\n" if locale.startswith("zh") else "[Chorus]\nOne more time tonight\n")
    shot("extend-form")
    page.click("#generation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    page.wait_for_selector('#generation-status[data-status="completed"]', timeout=300_000)
    shot("extended")
    for path in ("/generations/", "/personas/", "/clips/", "/"):
        page.goto(BASE + path)
        shot("lib" + path.replace("/", "-"))
    width = page.evaluate("document.documentElement.scrollWidth")
    print(tag, f"done in {time.time() - t0:.1f} s; page errors: {errors}; scrollWidth {width}")
    ctx.close()


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    only = sys.argv[3] if len(sys.argv) > 3 else ""  # "zh" or "en": walk one of the two
    if only in ("", "zh"):
        run("zh-CN", {"width": 375, "height": 812}, f"xiaolin{int(time.time())}", "zh-phone")
    if only in ("", "en"):
        run("en-US", {"width": 1280, "height": 900}, f"songwriter{int(time.time())}", "en-desktop")
    browser.close()
