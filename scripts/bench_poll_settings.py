"""The studio's settings for scripts/bench_poll.py's gunicorn, with one addition: a trivial view behind the log-in."""

from personastudio.settings import *  # noqa: F403

ROOT_URLCONF = "bench_poll_urls"
