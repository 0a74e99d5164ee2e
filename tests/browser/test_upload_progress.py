"""Uploading a large clip shows a determinate bar of the bytes sent and the time left; a failed upload says
why next to the file and keeps the title."""

import re

import numpy as np
import pytest
from factories import log_in_browser, wav_bytes

from personastudio.clips.models import Clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIP_PAGE = re.compile(r"/clips/[0-9a-f-]{36}/$")
UPLOAD_BYTES_PER_S = 3_000_000  # Chromium throttles the upload: the 4.2 MB file takes 1.4 s, progress every 50 ms


def _large_wav(path, seconds=24, sr=44100):
    """A stereo 16-bit WAV of a few MB: a quiet chord with a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    chord = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 277.2, 329.6)) / 6
    noise = np.random.default_rng(3).normal(0, 0.01, (len(t), 2))
    path.write_bytes(wav_bytes((chord[:, None] + noise).astype(np.float32), sr=sr))
    return path


def test_a_large_upload_shows_the_bytes_sent_and_the_time_left_until_the_bar_is_full(
    page, context, live_server, tmp_path
):
    page.set_default_timeout(45_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    audio = _large_wav(tmp_path / "long-take.wav")
    size = audio.stat().st_size
    assert size > 3_000_000
    user = log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/clips/upload/")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": UPLOAD_BYTES_PER_S},
    )
    seen = []
    page.expose_function("seenUpload", lambda value, maximum, text: seen.append((value, maximum, text)))
    page.evaluate("""() => {
        const bar = document.querySelector('[data-upload-bar]');
        const figures = document.querySelector('[data-upload-figures]');
        new MutationObserver(() => window.seenUpload(bar.value, bar.max, figures.textContent))
            .observe(bar, {attributes: true, attributeFilter: ['value', 'max']});
    }""")
    page.fill("#id_title", "Long take")
    page.set_input_files("#id_audio", str(audio))
    page.click("main button[type=submit]")
    page.wait_for_url(CLIP_PAGE)

    assert not errors
    assert Clip.objects.get(owner=user).title == "Long take"
    assert any(maximum >= size and value == maximum for value, maximum, _ in seen)  # the bar reached its max
    partway = [(value, maximum, text) for value, maximum, text in seen if 0 < value < maximum and maximum >= size]
    assert partway, seen
    assert any(re.search(r"\d+\.\d MB of \d+\.\d MB sent · about \d+ s left", text) for *_, text in partway)


def test_a_refused_upload_says_why_next_to_the_file_and_keeps_the_title(page, live_server, tmp_path):
    page.set_default_timeout(30_000)
    not_audio = tmp_path / "notes.wav"
    not_audio.write_bytes(b"these are my lyrics, not audio " * 200)
    log_in_browser(page, live_server)
    page.goto(f"{live_server.url}/clips/upload/")
    page.fill("#id_title", "My best take")
    page.set_input_files("#id_audio", str(not_audio))
    page.click("main button[type=submit]")

    error = page.locator("#id_audio ~ .field-error[role=alert]")
    error.wait_for()
    assert "doesn't look like audio" in error.inner_text()
    assert page.url.endswith("/clips/upload/") and page.input_value("#id_title") == "My best take"
    assert page.locator("#id_audio").get_attribute("aria-invalid") == "true"
    assert page.locator("[data-upload-status]").is_hidden()

    # The connection drops: the page says so and still keeps the title.
    page.route("**/clips/upload/", lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.click("main button[type=submit]")
    page.locator("[data-upload-error]").wait_for()
    assert "connection to the server was lost" in page.locator("[data-upload-error]").inner_text()
    assert page.input_value("#id_title") == "My best take"
