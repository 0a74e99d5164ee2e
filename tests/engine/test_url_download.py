"""music/upload's audio_url: fetched only from the public address that was checked, every redirect hop too."""

from __future__ import annotations

import pytest
from netfakes import Peer, ScriptedResolver, block_off_host_connections

from personastudio import netguard
from personastudio.contract.errors import BadRequest
from personastudio.engine import url_download

LIMITS = {"max_bytes": 1_000_000, "timeout_s": 5.0}


@pytest.fixture
def off_host(monkeypatch):
    return block_off_host_connections(monkeypatch)


@pytest.fixture
def loopback_allowed(monkeypatch):
    judge = netguard.is_public_address  # our loopback test server counts as public; nothing else changes
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address.is_loopback or judge(address))


def test_the_download_goes_to_the_checked_address_even_when_the_name_rebinds(monkeypatch, off_host):
    resolver = ScriptedResolver(monkeypatch, {"files.example": [["93.184.216.34"], ["127.0.0.1"]]})
    peer = Peer(monkeypatch, body=b"ID3 audio")

    data, filename = url_download.fetch("http://files.example/songs/a.mp3", allow_private=False, **LIMITS)

    assert (data, filename) == (b"ID3 audio", "a.mp3")
    assert peer.targets == [("93.184.216.34", 80)] and resolver.lookups == ["files.example"]
    assert peer.host_headers() == ["files.example"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]:8000/a.mp3",
        "http://[::ffff:127.0.0.1]/a.mp3",
        "http://[64:ff9b::7f00:1]/a.mp3",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_private_addresses_in_any_form_are_refused_before_connecting(monkeypatch, off_host, url):
    peer = Peer(monkeypatch)
    with pytest.raises(BadRequest) as refused:
        url_download.fetch(url, allow_private=False, **LIMITS)
    assert refused.value.message.startswith("audio_url: ") and "ENGINE_UPLOAD_ALLOW_PRIVATE" in refused.value.message
    assert peer.targets == [] and off_host == []


def test_a_redirect_to_the_metadata_service_is_refused_before_connecting(httpserver, loopback_allowed, off_host):
    httpserver.expect_request("/a.mp3").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )

    with pytest.raises(BadRequest, match="169.254.169.254 is a private or local address"):
        url_download.fetch(httpserver.url_for("/a.mp3"), allow_private=False, **LIMITS)
    assert len(httpserver.log) == 1 and off_host == []


def test_redirects_between_public_addresses_are_followed_a_few_times(httpserver, loopback_allowed):
    httpserver.expect_request("/a.mp3").respond_with_data("", status=301, headers={"Location": "/b.mp3"})
    httpserver.expect_request("/b.mp3").respond_with_data(b"ID3 b", content_type="audio/mpeg")
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})

    assert url_download.fetch(httpserver.url_for("/a.mp3"), allow_private=False, **LIMITS) == (b"ID3 b", "b.mp3")
    with pytest.raises(BadRequest, match="redirects too many times"):
        url_download.fetch(httpserver.url_for("/loop"), allow_private=False, **LIMITS)


def test_with_private_addresses_allowed_a_loopback_file_is_fetched(httpserver):
    httpserver.expect_request("/a.mp3").respond_with_data(b"ID3 local", content_type="audio/mpeg")
    assert url_download.fetch(httpserver.url_for("/a.mp3"), allow_private=True, **LIMITS)[0] == b"ID3 local"
