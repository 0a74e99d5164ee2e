"""The whole workflow with the hosted-service provider, pointed at our own engine's /api/v1/ on
live_server: settings → test connection → upload → stems → persona → songs in both modes → play."""

import re
from pathlib import Path

import pytest
from factories import PASSWORD, UserFactory, consent_phrase_file, sung_line, wav_bytes

from personastudio.clips.models import Clip
from personastudio.engine import services as engine
from personastudio.generations.models import Generation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_workflow_on_a_hosted_service(page, live_server, worker_thread, settings, tmp_path):
    # The studio asks the service about a song at most as often as the page polls (quick_page_polls' 0.25 s):
    # with 1 s, a finished song waited up to a second for the next ask. The interval's rule is tested in
    # tests/generations/test_poll_writes.py.
    settings.GENERATION_POLL_INTERVAL_S = 0.25
    settings.PUBLIC_BASE_URL = live_server.url  # where the service fetches our clips from
    settings.ENGINE_UPLOAD_ALLOW_PRIVATE = True  # the "service" runs on 127.0.0.1 here
    settings.MUSIC_API_ALLOW_PRIVATE = True  # and the studio may call it there
    page.set_default_timeout(60_000)
    shots = Path(__file__).resolve().parents[2] / "test-results" / "screens"
    user = UserFactory()
    service_key = engine.key_create(user=user)  # the account at the "hosted" service
    voice = tmp_path / "voice.wav"
    voice.write_bytes(wav_bytes(sung_line(seconds=16, low_hz=180, high_hz=360)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/accounts/settings/")
    page.check("input[name=provider][value=remote]")
    page.fill("#id_base_url", live_server.url)
    page.fill("#id_api_key", service_key)
    page.click("text=Test connection")
    page.wait_for_selector('#test-result[data-ok="true"]')
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text=…{service_key[-4:]}")
    assert service_key not in page.content()
    page.screenshot(path=str(shots / "remote-settings.png"), full_page=True)

    page.goto(f"{live_server.url}/clips/upload/")
    page.fill("#id_title", "Remote voice")
    page.set_input_files("#id_audio", str(voice))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/clips/[0-9a-f-]{36}/$"))
    page.click("text=Separate vocals")
    page.wait_for_selector('#separation[data-status="complete"]')
    assert page.locator('#separation a[data-kind="vocals"]').count() == 1

    page.click("text=Make a persona from this clip")
    page.fill("#id_name", "Remote singer")
    # The clip's singer sings the consent phrase: the same voice, in the same register.
    page.set_input_files(
        "#id_phrase_audio", str(consent_phrase_file(tmp_path, sung_line(seconds=16, low_hz=180, high_hz=360, seed=5)))
    )
    page.click("main button[type=submit]")
    # The service learns the voice while the request waits (2 minutes measured on a loaded 2-core machine).
    page.wait_for_selector('[data-status="complete"]', timeout=240_000)

    page.click("text=Use in a new song")
    page.fill("#id_title", "Over the wire")
    page.fill("#id_prompt", "[Verse]\nSignals crossing in the night\n[Chorus]\nCarry me home\n")
    page.fill("#id_tags", "electronic dance")
    page.click("main button[type=submit]")
    page.wait_for_selector('[data-status="completed"]', timeout=120_000)
    assert page.locator('[data-status="completed"] audio').count() == 2
    duration = page.evaluate("""async () => {
        const audio = document.querySelector('[data-status="completed"] audio');
        if (!(audio.duration > 0)) await new Promise(r => audio.addEventListener('loadedmetadata', r, {once: true}));
        return audio.duration; }""")
    assert duration > 5
    page.screenshot(path=str(shots / "remote-song.png"), full_page=True)

    page.goto(f"{live_server.url}/generations/new/")
    page.check("input[name=mode][value=inspiration]")
    # A pop song: the lines it sings here last 18 s where a ballad's (slower) lasted 30 s; the style is not the subject.
    page.fill("#id_gpt_description_prompt", "A happy pop song about rain on the window")
    page.click("main button[type=submit]")
    page.wait_for_selector('[data-status="completed"]', timeout=120_000)

    # Everything was made on the hosted service, and kept here.
    assert set(Generation.objects.values_list("provider", flat=True)) == {"remote"}
    assert Clip.objects.filter(kind="generated", provider="remote").count() == 4
