"""Fixtures shared by every test: isolated media, a task runner, a real worker thread, Chromium."""

import ipaddress
import os
import re
import socket
import sys
import threading
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's DB calls from it are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# One BLAS thread per test process (and the app processes tests start): on two shared cores OpenBLAS's
# spinning threads made the speaker embedding's small matrix products 4-5 times slower (2.4 s -> 0.5 s
# per 16 s clip); renders, mostly one-threaded, take the same time. Set before numpy loads OpenBLAS.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
# The neural voice on one onnxruntime thread too: the two test workers already keep both cores busy, and a
# second thread each only contended (the suite, alternating runs: 254 and 250 s against 277 and 257 s).
os.environ.setdefault("PERSONASTUDIO_VOICE_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # `import factories` from any test module

from content_cache import once_per_content  # noqa: E402  (from tests/, just put on the path)

# Debian's old headless shell: the browser tests drew the same pages with 40-45 % less of Chromium's CPU
# than the full browser in headless mode (tests/browser/ on 2 workers: 87 -> 48 CPU s, 107 -> 90 s).
CHROMIUM = "/usr/bin/chromium-headless-shell"


def pytest_addoption(parser):
    parser.addoption(
        "--db-only", action="store_true", help="run only the tests that use the database (make test's PostgreSQL run)"
    )


# The files that take longest (measured), longest first. xdist's loadfile hands out whole files in
# collection order (pyproject's addopts turn off its own reordering, which sorts by number of tests and so
# sent the one-test browser flows last): with these first, the last file a worker takes is a short one
# and neither worker waits idle for the other at the end.
LONGEST_FIRST = (
    "browser/test_workflow.py",
    "engine/voice/test_fit.py",
    "engine/dsp/test_quality.py",
    "browser/test_voice_check.py",
    "browser/test_remote_workflow.py",
    "storage/",  # one unit (StorageTogether below), ~30 s
    "browser/test_language_and_access.py",
    "browser/test_extend_and_results.py",
    "generations/test_generation_flow.py",
    "personas/test_persona_from_region.py",
    "engine/test_api.py",
    "browser/test_library_and_dashboard.py",
    "browser/test_player_and_recording.py",
    "personas/test_voice_check.py",
    "engine/song/test_song.py",
    "browser/test_regions.py",
    "test_runstudio.py",  # these start servers, clusters and processes (~15 s each at load 5-7): not last
    "test_deploy_check.py",
    "providers/test_contract_live.py",
    "scripts/test_with_postgres.py",
    "browser/",
    "personas/",
    "engine/voice/",
    "engine/dsp/",
    "engine/song/",
)


def _longest_first(item) -> int:
    path = Path(str(item.path)).relative_to(Path(__file__).parent).as_posix()
    return next((rank for rank, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)), len(LONGEST_FIRST))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, with tests/storage/ handed out as one unit: its files share a SeaweedFS server (a
    session fixture that takes seconds to start), so one worker starts it instead of both."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class StorageTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/storage/" if nodeid.startswith("tests/storage/") else super()._split_scope(nodeid)

    return StorageTogether(config, log)


def pytest_collection_modifyitems(config, items):
    """The longest files first (LONGEST_FIRST; the order within a file is kept). With --db-only, keep the
    tests marked django_db or using a database fixture (db, live_server, …)."""
    items.sort(key=_longest_first)  # stable
    if not config.getoption("--db-only"):
        return
    kept, dropped = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or "_django_db_helper" in getattr(
            item, "fixturenames", ()
        )
        (kept if uses_db else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts and ends in the default language: a request or worker that activated another
    language on this thread (the test client's middleware does) must not reach the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def quick_persona_fit(request, settings, monkeypatch):
    """Personas made through the app keep their measured voice and fit no neural one (0 evaluations):
    the pages and flows are tested here, the fit in tests/engine/voice/test_fit.py and by the likeness
    report. A test marked `persona_fit` or `full_render` fits as the studio does with one evaluation (the
    register's own style, the clip's envelope bank; the studio compares all of the register's styles,
    tested in test_fit.py and test_fit_choice.py), its words checked on one sentence instead of eight and
    its likeness on the held-back part heard on one line instead of two (as test_fit.py's small search).
    (A fit speaks each check sentence once per style itself: intelligibility.voice_wer's `spoken`.)"""
    fits = request.node.get_closest_marker("persona_fit") or request.node.get_closest_marker("full_render")
    settings.ENGINE_PERSONA_FIT_EVALUATIONS = 1 if fits else 0
    if fits:
        from personastudio.engine.voice import fit, intelligibility

        monkeypatch.setattr(intelligibility, "FIT_SENTENCES", intelligibility.FIT_SENTENCES[:1])
        monkeypatch.setattr(fit, "CHECK_LINES", fit.CHECK_LINES[:1])
        # The probe and check lines at three times the tempo, as test_fit.py's (1.4 s a line instead of 4 s:
        # Kokoro's renders in a fit 7.8 -> 4.0 CPU s); the flows around the fit are the subject here.
        monkeypatch.setattr(fit, "NOTE_S", fit.NOTE_S / 3)


@pytest.fixture(autouse=True)
def quick_page_polls(request, settings):
    """In Chromium, pages ask for a job's progress every quarter second instead of every 2 s, so a browser
    test sees a finished job as soon as the worker ends it (tests/test_polling.py checks the setting)."""
    if request.node.get_closest_marker("browser") is not None:
        settings.PAGE_POLL_INTERVAL_S = 0.25


def sing_quickly(settings, monkeypatch, *, written_in_full=False) -> None:
    """Songs made through the app from now on sing with the formant voice at 22.05 kHz, clips are split into
    stems at 22.05 kHz, and, unless `written_in_full`, a song written from a description sings the first
    line of its first verse and of its chorus (20-35 s instead of 100-190; a whole verse and chorus of a
    ballad lasts 80 s). quick_renders' settings; tests/browser/test_workflow.py's second song uses it too."""
    settings.ENGINE_SINGER, settings.ENGINE_RENDER_SR_HZ = "formant", 22050
    settings.ENGINE_STEM_SR_HZ = 22050  # music/stem splits clips at 22.05 kHz too (3x quicker than 44.1)
    if written_in_full:
        return
    import dataclasses

    from personastudio.engine.dsp import inspiration

    write_song = inspiration.write_song

    def first_verse_and_chorus(description, *, seed):
        written = write_song(description, seed=seed)
        sections = re.split(r"\n(?=\[)", written.lyrics.strip())
        heads = ["\n".join([line for line in section.splitlines() if line.strip()][:2]) for section in sections[:2]]
        return dataclasses.replace(written, lyrics="\n\n".join(heads))  # each section's tag and first line

    monkeypatch.setattr(inspiration, "write_song", first_verse_and_chorus)


@pytest.fixture(autouse=True)
def quick_renders(request, settings, monkeypatch):
    """Songs made through the app sing quickly (sing_quickly): the app's flows are the subject there. The
    neural singer and the whole written song are tested in tests/engine/ and end to end where a test is
    marked `full_render`; tests/engine/dsp/ and tests/engine/song/ keep the whole written song."""
    if request.node.get_closest_marker("full_render") is not None:
        return
    path = Path(str(request.node.path))
    written_in_full = any(path.is_relative_to(Path(__file__).parent / "engine" / name) for name in ("dsp", "song"))
    sing_quickly(settings, monkeypatch, written_in_full=written_in_full)


@pytest.fixture
def sing_quickly_from_now(settings, monkeypatch):
    """For a `full_render` test: call it, and the songs it makes after that sing quickly (sing_quickly)."""
    return lambda: sing_quickly(settings, monkeypatch)


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Passwords are hashed with MD5 in tests: PBKDF2's 1.5 million rounds cost half a second per user
    made or logged in, hundreds of times a run. What is tested is who may log in, not the hash's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Deterministic measurements of audio, by content: a persona separates and measures the same clip up to
# three times (the voice check, the studio's samples, the engine's persona), and the app's tests upload the
# same few synthetic clips hundreds of times.
_measured: dict[tuple, object] = {}
_encoded: dict[tuple, object] = {}
# How many answers each keeps before it is emptied. At 64 and 48, a run emptied them a few times a worker and
# then computed again 23 MP3 and 18 FLAC encodes, 20 voice profiles, 15 embeddings and 3 separations it had
# already made (about 8 CPU s). At these sizes a worker holds at most a few hundred MB.
MEASURED_LIMIT, ENCODED_LIMIT = 256, 256


@pytest.fixture(autouse=True)
def measure_each_clip_once(request, monkeypatch):
    """Outside tests/engine/dsp/, song/ and voice/ (where they are the subject), separate_vocals,
    voice_profile and the speaker embedding give what they gave before for the same samples and arguments
    in this test process, as copies: all are deterministic, so the app sees the same vocals and
    measurements, computed once instead of per call."""
    path = Path(str(request.node.path))
    if any(path.is_relative_to(Path(__file__).parent / "engine" / part) for part in ("dsp", "song", "voice")):
        return
    import copy

    from personastudio.engine.dsp import profile, separate
    from personastudio.engine.voice import embedding

    monkeypatch.setattr(
        separate,
        "separate_vocals",
        once_per_content(
            separate.separate_vocals,
            cache=_measured,
            limit=MEASURED_LIMIT,
            copy=lambda parts: tuple(p.copy() for p in parts),
        ),
    )
    monkeypatch.setattr(
        profile, "voice_profile", once_per_content(profile.voice_profile, cache=_measured, limit=MEASURED_LIMIT)
    )
    monkeypatch.setattr(
        embedding,
        "embed_utterance",
        once_per_content(embedding.embed_utterance, cache=_measured, limit=MEASURED_LIMIT, copy=copy.copy),
    )


# Songs rendered through the app, by what was asked: many tests make "a finished song" from the same
# lyrics and tags, and render_song is deterministic for its arguments (tests/engine/song/test_song.py).
_rendered: dict[str, tuple] = {}


def _render_once(render):
    import copy
    import json

    def once(*, on_progress=None, **kwargs):
        key = json.dumps(kwargs, sort_keys=True, default=repr)
        found = _rendered.get(key)
        if found is None:
            heard = []

            def hear(stage, done, total):
                heard.append((stage, done, total))
                if on_progress is not None:
                    on_progress(stage, done, total)

            found = (render(on_progress=hear, **kwargs), heard)
            if len(_rendered) >= 8:  # a few songs (about 20 MB each at 22.05 kHz): keep the process small
                _rendered.clear()
            _rendered[key] = found
        elif on_progress is not None:
            for step in found[1]:  # the render's progress, as it was heard when it was made
                on_progress(*step)
        return copy.deepcopy(found[0])

    return once


@pytest.fixture(autouse=True)
def render_each_song_once(request, monkeypatch):
    """Outside tests/engine/'s folders (where the render is the subject) and full_render tests, a variant's
    seed depends on its number only, not on the task's random id, and render_song, encode_mp3 and
    encode_flac give what they gave before for the same arguments in this test process (copies; all
    deterministic): the tests that each make a song from the same lyrics and tags render and encode it once."""
    engine = Path(__file__).parent / "engine"
    if Path(str(request.node.path)).parent.is_relative_to(engine) and Path(str(request.node.path)).parent != engine:
        return
    if request.node.get_closest_marker("full_render") is not None:
        return
    from personastudio.engine import services, song
    from personastudio.engine.dsp import audio_io

    seed = services._seed
    monkeypatch.setattr(services, "_seed", lambda task_id, variant: seed("test", variant))
    monkeypatch.setattr(song, "render_song", _render_once(song.render_song))
    for name in ("encode_mp3", "encode_flac"):
        encode = getattr(audio_io, name)
        monkeypatch.setattr(
            audio_io, name, once_per_content(encode, cache=_encoded, limit=ENCODED_LIMIT, copy=lambda data: data)
        )


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test gets its own MEDIA_ROOT, so stored audio never leaks between tests."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _worker(**options):
    from django_tasks_db.management.commands.db_worker import Worker

    defaults = dict(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"test-{uuid.uuid4().hex[:8]}",
        excluded_queue_names=[],
    )
    return Worker(**{**defaults, **options})


@pytest.fixture
def run_tasks():
    """Run every queued task now, in this thread, as the worker would (needs transaction=True)."""

    def run() -> int:
        from django_tasks_db.models import DBTaskResult

        before = DBTaskResult.objects.finished().count()
        _worker(batch=True).run()
        return DBTaskResult.objects.finished().count() - before

    return run


@pytest.fixture
def worker_thread():
    """A real django-tasks-db worker running beside the test (for live_server and browser tests)."""
    worker = _worker()
    thread = threading.Thread(target=worker.run, daemon=True, name="test-worker")
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=60)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium-headless-shell is not installed (make test installs it when run as root)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    }


@pytest.fixture
def context(context):
    """pytest-playwright's context, whose pages draw no endless animation: Pico's busy sign and indeterminate
    progress bar kept a quarter of a core busy while a page waited for a job (tests/quiet_pages.py). Tests that
    make their own context or page call quiet_pages on it."""
    from quiet_pages import quiet_pages

    quiet_pages(context)
    return context


@pytest.fixture
def instant_retries(monkeypatch):
    """The hosted-service client's waits between retries pass at once and are recorded here (seconds):
    tests against a scripted server that answers 5xx or 429 check what is retried, not the clock."""
    from personastudio.providers.remote import RemoteProvider

    waits: list[float] = []
    init = RemoteProvider.__init__

    def without_waiting(self, *args, sleep=None, **kwargs):
        init(self, *args, sleep=sleep or waits.append, **kwargs)

    monkeypatch.setattr(RemoteProvider, "__init__", without_waiting)
    return waits


@pytest.fixture
def user_client(client):
    """A test client logged in as a new user (`client.user`)."""
    from factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def no_network(monkeypatch):
    """Fail (and record) any connection or name lookup, for tests that must send no traffic; IP literals and localhost resolve without traffic."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name != "localhost":
                attempts.append(f"lookup {name[:60]!r}")
                raise socket.gaierror(socket.EAI_NONAME, "blocked by the test") from None
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address, *args, **kwargs):
        attempts.append(f"connect {address!r}")
        raise OSError("connections are blocked by the test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts
