"""Is a URL's host on the public internet? Guards every URL a user can point the server at.

Checking a name and then letting the HTTP library look it up again would let DNS rebinding through
(public when checked, 127.0.0.1 when connecting). So `guarded_session()` resolves each host once, judges
every address it got, and connects to exactly the address it judged (`PinnedAdapter`), keeping the
host name for the Host header, TLS SNI and certificate checks. Every redirect hop goes through the same
adapter, so each hop is judged the same way before anything connects.

IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96 and
64:ff9b:1::/48, 6to4 2002::/16, Teredo) are judged by the IPv4 address they carry as well.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util.connection import allowed_gai_family

from personastudio.contract.http import AddressRefused

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MUSIC_API_SETTING = "MUSIC_API_ALLOW_PRIVATE"
MAX_REDIRECTS = 5  # hops a guarded session follows when the caller lets it follow any

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: bits 48-63 and 72-87 (RFC 6052, /48)


class PrivateAddressError(ValueError):
    """The URL is not http(s), its host does not resolve, or it resolves to a non-public address."""


def carried_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo); none for others."""
    if address.version == 4:
        return []
    assert isinstance(address, ipaddress.IPv6Address)
    value = int(address)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if value >> 32 == 0:  # IPv4-compatible ::a.b.c.d (also :: and ::1, which carry 0.0.0.0 and 0.0.0.1)
        return [ipaddress.IPv4Address(value & 0xFFFF_FFFF)]
    if address in _NAT64_WELL_KNOWN:
        return [ipaddress.IPv4Address(value & 0xFFFF_FFFF)]
    if address in _NAT64_LOCAL_USE:
        return [ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client)
    return []


def is_public_address(address: IPAddress) -> bool:
    """True for an address on the public internet: not private, loopback, link-local, site-local, reserved,
    shared (CGNAT), multicast or documentation space, nor an IPv6 form carrying such an IPv4 address."""
    carried = carried_ipv4(address)
    if any(not is_public_address(v4) for v4 in carried):
        return False
    if (
        carried
        and isinstance(address, ipaddress.IPv6Address)
        and (address.ipv4_mapped is not None or int(address) >> 32 == 0 or address in _NAT64_WELL_KNOWN)
    ):
        return True  # judged as the IPv4 address it carries (Python calls some of these forms global, some not)
    if address.is_multicast or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local):
        return False
    return address.is_global


_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def split_http_url(url: str) -> SplitResult:
    """The parts of an http(s) URL, or PrivateAddressError (with a sentence) when it cannot be one:
    no http(s), no host, unbalanced IPv6 brackets, a port that is not 1-65535, a host name no DNS has."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or malformed [IPv6] host
        raise PrivateAddressError(
            _("The address is not a valid URL: an IPv6 host goes in square brackets, e.g. http://[2001:db8::1]/.")
        ) from None
    if parts.scheme not in ("http", "https"):
        raise PrivateAddressError(_("The address must start with http:// or https://."))
    if not parts.hostname:
        raise PrivateAddressError(_("The address has no host name: use one like https://example.com/."))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise PrivateAddressError(_("The port in the address must be a number from 1 to 65535."))
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            ascii_host = host.encode("idna").decode("ascii").rstrip(".")
        except UnicodeError:
            ascii_host = ""
        if not (0 < len(ascii_host) <= 253 and all(_HOST_LABEL.match(label) for label in ascii_host.split("."))):
            raise PrivateAddressError(
                _("The host name in the address is not valid: use an address like https://example.com/.")
            ) from None
    return parts


def refusal_sentence(host: str, setting: str = MUSIC_API_SETTING) -> str:
    """What a person reads when an address is refused: what it is and who can allow it (never what answered)."""
    return _(
        "%(host)s is a private or local address (loopback, link-local or on a private network), which "
        "this server does not call. If the service really runs there, the site's operator can allow such "
        "addresses with the %(setting)s setting."
    ) % {"host": host, "setting": setting}


def public_addresses(host: str, port: int, *, setting: str = MUSIC_API_SETTING) -> list[IPAddress]:
    """Resolve `host` once and return its addresses, or raise PrivateAddressError if any of them is not public."""
    try:
        infos = socket.getaddrinfo(host, port, family=allowed_gai_family(), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise PrivateAddressError(_("Could not find the host %(host)s.") % {"host": host}) from None
    addresses = [
        ipaddress.ip_address(info[4][0].split("%", 1)[0])
        for info in infos
        if info[0] in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise PrivateAddressError(_("Could not find the host %(host)s.") % {"host": host})
    refused = [address for address in addresses if not is_public_address(address)]
    if refused:
        logger.warning("refused %s: it resolves to %s, not a public address", host, refused[0])
        raise PrivateAddressError(refusal_sentence(host, setting))
    return addresses


def require_public_http_url(url: str, *, setting: str = MUSIC_API_SETTING) -> None:
    """Raise PrivateAddressError (with a sentence) unless every address of the host is public.

    A check only: to fetch the URL, use `guarded_session()`, which connects to the address it checked."""
    parts = split_http_url(url)
    public_addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), setting=setting)


class PinnedAdapter(HTTPAdapter):
    """A requests transport that judges the host's addresses and connects to exactly the one it judged.

    It uses requests' documented hook for choosing a connection pool (`build_connection_pool_key_attributes`):
    the pool's host becomes the checked IP address, the Host header stays the URL's host, and for https
    urllib3 gets `server_hostname` (SNI) and `assert_hostname` (certificate) for the name, not the IP.
    It never goes through a proxy: a proxy would look the name up again itself.
    """

    def __init__(self, *, setting: str = MUSIC_API_SETTING) -> None:
        super().__init__(max_retries=0)
        self.setting = setting

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host, port, scheme = host_params["host"], host_params["port"], host_params["scheme"]
        if not host or scheme not in ("http", "https"):
            raise AddressRefused(_("The address must start with http:// or https://."))
        try:
            pinned = public_addresses(host, port or (443 if scheme == "https" else 80), setting=self.setting)[0]
        except PrivateAddressError as exc:
            raise AddressRefused(str(exc), request=request) from None
        # A copy: the caller's header dict may be shared between requests (and redirects copy it on).
        request.headers = CaseInsensitiveDict(request.headers or {})
        name = f"[{host}]" if ":" in host else host
        request.headers["Host"] = f"{name}:{port}" if port else name
        if scheme == "https":
            pool_kwargs["server_hostname"] = host
            pool_kwargs["assert_hostname"] = host
        host_params["host"] = str(pinned)
        return host_params, pool_kwargs


def guarded_session(*, setting: str = MUSIC_API_SETTING, max_redirects: int = MAX_REDIRECTS) -> requests.Session:
    """A requests session that refuses non-public addresses and connects only to the address it checked,
    on every request and every redirect hop (it follows at most `max_redirects`)."""
    session = requests.Session()
    adapter = PinnedAdapter(setting=setting)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = max_redirects
    return session
