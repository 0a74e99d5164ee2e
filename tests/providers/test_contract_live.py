"""The remote client against a real server: the engine's own /api/v1/ on live_server, with a worker."""

import time

import pytest
from factories import UserFactory, consent_phrase_file, sung_line, wav_bytes

from personastudio.contract.errors import AuthError, NotFound
from personastudio.contract.types import GenerateRequest
from personastudio.engine import services
from personastudio.providers.remote import RemoteProvider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def remote(live_server):
    key = services.key_create(user=UserFactory())
    return RemoteProvider(base_url=live_server.url, api_key=key, timeout_s=30)


def _wait_for_final(provider, task_id, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = provider.get_task(task_id)
        if info.is_final:
            return info
        time.sleep(0.5)
    raise AssertionError("the task did not finish")


def test_the_whole_contract_round_trip(remote, worker_thread, tmp_path):
    path = tmp_path / "voice.wav"
    path.write_bytes(wav_bytes(sung_line(seconds=14)))
    uploaded = remote.upload_file(path, filename="voice.wav")
    assert uploaded.status == 1 and uploaded.duration_s == 14

    stem = remote.stem(clip_id=uploaded.clip_id, vocal_start_s=0, vocal_end_s=12)
    assert stem.status == "complete" and stem.vocal_clip_id
    assert len(remote.fetch_audio(stem.vocal_audio_url)) > 1000

    # The clip is an upload, so its singer's consent goes with it: the phrase, sung by the same voice.
    reading = remote.upload_file(consent_phrase_file(tmp_path), filename="phrase.wav")
    persona = remote.create_persona(name="我的歌手", clip_id=stem.vocal_clip_id, verification_clip_id=reading.clip_id)
    assert persona.status == "complete" and persona.persona_id.startswith("persona-")

    task = remote.generate(
        GenerateRequest(
            prompt="[Verse]\nHello river\n[Chorus]\nSing along",
            title="River",
            tags="folk",
            persona_id=persona.persona_id,
        )
    )
    assert task.status == "queuing"
    info = _wait_for_final(remote, task.task_id)
    assert info.status == "completed", info.error
    assert len(info.results) == 2
    audio = remote.fetch_result_audio(info.results[0])
    assert len(audio) > 10_000

    page = remote.list_tasks(page=1, page_size=10)
    assert page.total == 1 and page.items[0].id == task.task_id


def test_the_client_maps_the_engines_errors(remote, live_server):
    with pytest.raises(NotFound):
        remote.get_task("000000000000000000000000")
    with pytest.raises(AuthError):
        RemoteProvider(base_url=live_server.url, api_key="sk-mm-wrong").list_tasks()
