"""A user's own hosted service: every call, download and redirect hop connects only to a checked public address."""

from __future__ import annotations

import pytest
from netfakes import ScriptedResolver, block_off_host_connections

from personastudio import netguard
from personastudio.contract.errors import ProtocolError
from personastudio.providers.remote import RemoteProvider

KEY = "sk-mm-test-secret-0123456789"


@pytest.fixture
def users_own_service(settings):
    settings.MUSIC_API_BASE_URL, settings.MUSIC_API_ALLOW_PRIVATE = "https://api.operator.example", False


def test_calls_to_a_users_service_that_rebinds_to_loopback_never_reach_it(users_own_service, httpserver, monkeypatch):
    # The name resolves to loopback, where a service answers: before, calls went there unchecked.
    ScriptedResolver(monkeypatch, {"music.example": [["127.0.0.1"]]})
    httpserver.expect_request("/api/v1/tasks").respond_with_json({"code": 0, "data": {"items": [], "total": 0}})
    off_host = block_off_host_connections(monkeypatch)
    provider = RemoteProvider.connect(owner=None, base_url=f"http://music.example:{httpserver.port}", api_key=KEY)

    with pytest.raises(ProtocolError) as refused:
        provider.ping()

    assert "music.example is a private or local address" in refused.value.message
    assert "MUSIC_API_ALLOW_PRIVATE" in refused.value.message
    assert not httpserver.log and off_host == []


def test_an_audio_link_that_redirects_to_the_metadata_service_is_refused_before_connecting(
    users_own_service, httpserver, monkeypatch
):
    judge = netguard.is_public_address  # our loopback test service counts as public here, nothing else does
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address.is_loopback or judge(address))
    httpserver.expect_request("/media/a.mp3").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam/"}
    )
    off_host = block_off_host_connections(monkeypatch)
    provider = RemoteProvider.connect(owner=None, base_url=httpserver.url_for("/"), api_key=KEY)

    with pytest.raises(ProtocolError) as refused:
        provider.fetch_audio(httpserver.url_for("/media/a.mp3"))

    assert refused.value.message.startswith("169.254.169.254 is a private or local address")
    assert len(httpserver.log) == 1 and off_host == []


def test_an_audio_link_may_redirect_to_another_public_address(users_own_service, httpserver, monkeypatch):
    judge = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address.is_loopback or judge(address))
    httpserver.expect_request("/media/a.mp3").respond_with_data("", status=302, headers={"Location": "/cdn/a.mp3"})
    httpserver.expect_request("/cdn/a.mp3").respond_with_data(b"ID3 audio", content_type="audio/mpeg")
    provider = RemoteProvider.connect(owner=None, base_url=httpserver.url_for("/"), api_key=KEY)

    assert provider.fetch_audio(httpserver.url_for("/media/a.mp3")) == b"ID3 audio"


def test_the_operators_own_service_is_not_guarded(settings, httpserver):
    settings.MUSIC_API_BASE_URL, settings.MUSIC_API_ALLOW_PRIVATE = httpserver.url_for("/"), False
    httpserver.expect_request("/api/v1/tasks").respond_with_json(
        {"code": 0, "message": "ok", "data": {"items": [], "total": 0, "page": 1}}
    )

    RemoteProvider.connect(owner=None, base_url=httpserver.url_for("/"), api_key=KEY).ping()

    assert len(httpserver.log) == 1
