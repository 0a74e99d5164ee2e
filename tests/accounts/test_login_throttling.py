"""Log-in throttling (django-axes): too many wrong passwords for a name from one address pause its log-in."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_password_hashes(settings):
    """Dozens of log-ins per test: a fast hasher (the throttling, not the hashing, is tested here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _log_in(client, username, password, address="127.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_fifty_wrong_passwords_lock_the_name_out_and_the_right_one_is_then_refused_with_a_sentence(client, settings):
    assert (5, timedelta(minutes=15)) == (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME)
    user = UserFactory()
    with time_machine.travel(datetime(2030, 5, 6, 14, 0, tzinfo=UTC), tick=False):
        statuses = [_log_in(client, user.username, f"wrong-{n}").status_code for n in range(50)]
        assert statuses[:4] == [200] * 4  # the form again, with "enter a correct username and password"
        assert statuses[4:] == [429] * 46

        response = _log_in(client, user.username, PASSWORD)
        assert response.status_code == 429
        page = response.content.decode()
        assert (
            "Too many wrong passwords for this name, so logging in with it from here is paused. "
            "Try again after 14:15 UTC (in 15\xa0minutes)." in page
        )
        assert response["Retry-After"] == str(15 * 60 + 1)
        assert f'value="{user.username}"' in page  # the name stays typed in, in the normal page layout
        assert 'name="password"' in page and "<nav" in page
        assert not _is_logged_in(client)


def test_the_lock_out_ends_after_the_cool_off_and_tries_during_it_do_not_extend_it(client):
    user = UserFactory()
    for n in range(5):
        _log_in(client, user.username, f"wrong-{n}")
    locked_at = timezone.now()

    with time_machine.travel(locked_at + timedelta(minutes=14), tick=False):
        assert _log_in(client, user.username, "still-wrong").status_code == 429
        assert _log_in(client, user.username, PASSWORD).status_code == 429
        assert not _is_logged_in(client)

    with time_machine.travel(locked_at + timedelta(minutes=15, seconds=5), tick=False):
        response = _log_in(client, user.username, PASSWORD)
        assert response.status_code == 302
        assert _is_logged_in(client)


def test_a_successful_log_in_resets_the_count(client):
    user = UserFactory()
    for n in range(4):
        assert _log_in(client, user.username, f"wrong-{n}").status_code == 200
    assert _log_in(client, user.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    for n in range(4):
        assert _log_in(client, user.username, f"wrong-again-{n}").status_code == 200
    assert _log_in(client, user.username, PASSWORD).status_code == 302


def test_the_lock_out_holds_one_name_from_one_address_only(client):
    user, neighbour = UserFactory(), UserFactory()
    for n in range(5):
        _log_in(client, user.username, f"wrong-{n}", address="203.0.113.7")
    assert _log_in(client, user.username, PASSWORD, address="203.0.113.7").status_code == 429

    assert _log_in(client, neighbour.username, PASSWORD, address="203.0.113.7").status_code == 302
    client.post("/accounts/logout/")
    assert _log_in(client, user.username, PASSWORD, address="198.51.100.2").status_code == 302


def test_the_limit_and_the_cool_off_come_from_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    user = UserFactory()
    assert [_log_in(client, user.username, f"wrong-{n}").status_code for n in range(2)] == [200, 429]
    assert int(_log_in(client, user.username, PASSWORD)["Retry-After"]) <= 61
