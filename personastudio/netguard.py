"""Is a URL's host on the public internet? Guards every URL a user can point the server at."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

from django.utils.translation import gettext as _


class PrivateAddressError(ValueError):
    """The URL is not http(s), its host does not resolve, or it resolves to a non-public address."""


_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def split_http_url(url: str) -> SplitResult:
    """The parts of an http(s) URL, or PrivateAddressError (with a sentence) when it cannot be one:
    no http(s), no host, unbalanced IPv6 brackets, a port that is not 1-65535, a host name no DNS has."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or malformed [IPv6] host
        raise PrivateAddressError(_("The address is not a valid URL: an IPv6 host goes in square brackets, "
                                    "e.g. http://[2001:db8::1]/.")) from None
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
            raise PrivateAddressError(_("The host name in the address is not valid: use an address like "
                                        "https://example.com/.")) from None
    return parts


def require_public_http_url(url: str) -> None:
    """Raise PrivateAddressError (with a sentence) unless every address of the host is global."""
    parts = split_http_url(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise PrivateAddressError(_("Could not find the host %(host)s.") % {"host": parts.hostname}) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise PrivateAddressError(_("%(host)s is a private or local address, which this server does not call.")
                                      % {"host": parts.hostname})
