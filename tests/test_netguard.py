"""The address guard: which addresses the server calls, and that it connects only to the one it checked."""

from __future__ import annotations

import ipaddress
import ssl

import pytest
import requests
import trustme
from netfakes import Peer, ScriptedResolver, block_off_host_connections

from personastudio import netguard
from personastudio.contract.http import AddressRefused
from personastudio.netguard import (
    PrivateAddressError,
    guarded_session,
    is_public_address,
    require_public_http_url,
)

PUBLIC_V4 = "93.184.216.34"


@pytest.fixture
def off_host(monkeypatch):
    """Connections that would leave this host fail and are recorded (the refusals must come first)."""
    return block_off_host_connections(monkeypatch)


@pytest.fixture
def loopback_allowed(monkeypatch):
    """Our own loopback test servers count as public; everything else is judged as in production."""
    judge = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address.is_loopback or judge(address))


@pytest.mark.parametrize(
    "address, public",
    [
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("::1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud metadata service
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),  # site-local (Python calls it global)
        ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.251", False),  # multicast (Python calls some of it global)
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),  # documentation
        ("2001:db8::1", False),
        # IPv6 forms carrying an IPv4 address are judged as that address
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("::127.0.0.1", False),  # IPv4-compatible: Python calls it global
        ("::10.0.0.1", False),
        ("::169.254.169.254", False),
        ("::8.8.8.8", True),
        ("64:ff9b::127.0.0.1", False),  # NAT64, well-known prefix: Python calls it global
        ("64:ff9b::169.254.169.254", False),
        ("64:ff9b::10.1.2.3", False),
        ("64:ff9b::8.8.8.8", True),
        ("64:ff9b:1:7f00:0:100::", False),  # NAT64, local-use prefix, carrying 127.0.0.1
        ("64:ff9b:1::8.8.8.8", False),  # the local-use prefix is never public
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
    ],
)
def test_which_addresses_count_as_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "address, carried",
    [
        ("::ffff:127.0.0.1", ["127.0.0.1"]),
        ("::127.0.0.1", ["127.0.0.1"]),
        ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),
        ("64:ff9b:1:7f00:0:100::", ["127.0.0.1"]),
        ("2002:c0a8:101::1", ["192.168.1.1"]),
        ("2606:4700::1111", []),
        ("8.8.8.8", []),
    ],
)
def test_ipv6_forms_give_up_the_ipv4_address_they_carry(address, carried):
    assert [str(v4) for v4 in netguard.carried_ipv4(ipaddress.ip_address(address))] == carried


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]:8000/",  # routes off these machines: must never be tried
        "http://[::ffff:127.0.0.1]:8000/",
        "http://[64:ff9b::7f00:1]/",
        "http://[::169.254.169.254]/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/",
        "http://[fec0::1]/",
    ],
)
def test_a_refused_address_is_refused_before_anything_connects(off_host, monkeypatch, url):
    peer = Peer(monkeypatch)
    with pytest.raises(AddressRefused, match="private or local address"):
        guarded_session().get(url, timeout=(2, 2))
    assert peer.targets == [] and off_host == []
    with pytest.raises(PrivateAddressError, match="MUSIC_API_ALLOW_PRIVATE"):
        require_public_http_url(url)


def test_the_connection_goes_to_the_checked_address_and_a_rebound_answer_is_refused(monkeypatch, off_host):
    # DNS rebinding: public when looked up first, loopback on every later lookup.
    resolver = ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4], ["127.0.0.1"]]})
    peer = Peer(monkeypatch, body=b"ID3 audio")
    session = guarded_session()

    response = session.get("http://music.example/a.mp3", timeout=(2, 2))

    assert response.content == b"ID3 audio"
    assert peer.targets == [(PUBLIC_V4, 80)]  # the address that was checked, not a second lookup's
    assert resolver.lookups == ["music.example"]  # looked up once, by the guard
    assert peer.host_headers() == ["music.example"]  # the server still hears its own name
    with pytest.raises(AddressRefused, match="music.example is a private or local address"):
        session.get("http://music.example/b.mp3", timeout=(2, 2))  # the next request looks up again
    assert peer.targets == [(PUBLIC_V4, 80)] and off_host == []


def test_every_address_of_a_host_must_be_public(monkeypatch, off_host):
    ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4, "10.0.0.7"]]})
    peer = Peer(monkeypatch)
    with pytest.raises(AddressRefused):
        guarded_session().get("http://music.example:8080/", timeout=(2, 2))
    assert peer.targets == []


def test_a_non_default_port_stays_in_the_host_header(monkeypatch, off_host):
    ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4]]})
    peer = Peer(monkeypatch)
    guarded_session().get("http://music.example:8080/", timeout=(2, 2))
    assert peer.targets == [(PUBLIC_V4, 8080)] and peer.host_headers() == ["music.example:8080"]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _tls_server(ca, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def test_https_to_the_pinned_address_sends_sni_and_checks_the_certificate_for_the_name(
    monkeypatch, off_host, ca, tmp_path
):
    ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4]]})
    peer = Peer(monkeypatch, tls=_tls_server(ca, "music.example"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))

    response = guarded_session().get("https://music.example/a.mp3", timeout=(2, 5), verify=str(tmp_path / "ca.pem"))

    assert response.content == b"ok"
    assert peer.targets == [(PUBLIC_V4, 443)]
    assert peer.server_names == ["music.example"] and peer.host_headers() == ["music.example"]


def test_https_to_the_pinned_address_refuses_a_certificate_for_another_name(monkeypatch, off_host, ca, tmp_path):
    ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4]]})
    peer = Peer(monkeypatch, tls=_tls_server(ca, "other.example"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))

    with pytest.raises(requests.exceptions.SSLError):
        guarded_session().get("https://music.example/a.mp3", timeout=(2, 5), verify=str(tmp_path / "ca.pem"))
    assert peer.requests == []  # nothing was sent over a connection whose certificate did not match


def test_a_redirect_to_a_refused_address_is_refused_before_connecting(httpserver, loopback_allowed, off_host):
    httpserver.expect_request("/a.mp3").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )

    with pytest.raises(AddressRefused, match="169.254.169.254 is a private or local address"):
        guarded_session().get(httpserver.url_for("/a.mp3"), timeout=(2, 2))
    assert len(httpserver.log) == 1 and off_host == []


def test_a_redirect_to_a_name_that_rebinds_is_checked_at_the_hop(httpserver, loopback_allowed, monkeypatch, off_host):
    ScriptedResolver(monkeypatch, {"cdn.example": [["10.1.2.3"]]})
    httpserver.expect_request("/a.mp3").respond_with_data(
        "", status=307, headers={"Location": "http://cdn.example/a.mp3"}
    )

    with pytest.raises(AddressRefused, match="cdn.example is a private or local address"):
        guarded_session().get(httpserver.url_for("/a.mp3"), timeout=(2, 2))
    assert off_host == []


def test_a_guarded_session_follows_only_a_few_redirects(httpserver, loopback_allowed):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(requests.TooManyRedirects):
        guarded_session().get(httpserver.url_for("/loop"), timeout=(2, 2))
    assert len(httpserver.log) == netguard.MAX_REDIRECTS + 1


def test_the_refusal_names_the_setting_that_allows_it():
    sentence = netguard.refusal_sentence("files.example", "ENGINE_UPLOAD_ALLOW_PRIVATE")
    assert sentence.startswith("files.example is a private or local address")
    assert "ENGINE_UPLOAD_ALLOW_PRIVATE" in sentence


def test_an_ipv6_address_is_pinned_too(monkeypatch, off_host):
    ScriptedResolver(monkeypatch, {"music.example": [["2606:4700::1111"], ["::1"]]})
    peer = Peer(monkeypatch)
    guarded_session().get("http://music.example/", timeout=(2, 2))
    assert peer.targets[0][:2] == ("2606:4700::1111", 80) and peer.host_headers() == ["music.example"]


def test_a_proxy_from_the_environment_is_not_used_since_it_would_look_the_name_up_again(monkeypatch, off_host):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    ScriptedResolver(monkeypatch, {"music.example": [[PUBLIC_V4]]})
    peer = Peer(monkeypatch)
    guarded_session().get("http://music.example/", timeout=(2, 2))
    assert peer.targets == [(PUBLIC_V4, 80)]
