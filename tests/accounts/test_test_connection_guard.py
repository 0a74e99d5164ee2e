""" "Test connection" is no probe into the server's network: a refused address is never called, and the person
reads why and who can allow it, never a status line from whatever answered there."""

from __future__ import annotations

import pytest
from netfakes import ScriptedResolver, block_off_host_connections
from werkzeug import Response

pytestmark = pytest.mark.django_db

KEY = "sk-mm-very-secret-key-1234"


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_called(user_client, settings, httpserver, monkeypatch):
    settings.MUSIC_API_ALLOW_PRIVATE = False
    # Public when the form is checked, loopback (where something answers) when the call would connect.
    resolver = ScriptedResolver(monkeypatch, {"music.example": [["93.184.216.34"], ["127.0.0.1"]]})
    httpserver.expect_request("/api/v1/tasks").respond_with_response(
        Response("internal admin console", status=418, headers={"Server": "intranet-secret"})
    )
    off_host = block_off_host_connections(monkeypatch)

    body = user_client.post(
        "/accounts/settings/test/", {"base_url": f"http://music.example:{httpserver.port}", "api_key": KEY}
    ).content.decode()

    assert "music.example is a private or local address" in body and "MUSIC_API_ALLOW_PRIVATE" in body
    assert "418" not in body and "teapot" not in body.lower() and "intranet" not in body
    assert not httpserver.log and off_host == []
    assert resolver.lookups == ["music.example", "music.example"]  # the form's check, then the call's own


@pytest.mark.parametrize(
    "base_url",
    [
        "http://[::127.0.0.1]:8000",
        "http://[::ffff:127.0.0.1]:8000",
        "http://[64:ff9b::a9fe:a9fe]",
        "http://169.254.169.254",
    ],
)
def test_embedded_and_link_local_addresses_are_refused_with_a_sentence_before_connecting(
    user_client, settings, monkeypatch, base_url
):
    settings.MUSIC_API_ALLOW_PRIVATE = False
    off_host = block_off_host_connections(monkeypatch)

    body = user_client.post("/accounts/settings/test/", {"base_url": base_url, "api_key": KEY}).content.decode()

    assert "is a private or local address" in body and "MUSIC_API_ALLOW_PRIVATE" in body
    assert off_host == []
