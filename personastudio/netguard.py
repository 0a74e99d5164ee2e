"""Is a URL's host on the public internet? Guards every URL a user can point the server at."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _


class PrivateAddressError(ValueError):
    """The URL is not http(s), its host does not resolve, or it resolves to a non-public address."""


def require_public_http_url(url: str) -> None:
    """Raise PrivateAddressError (with a sentence) unless every address of the host is global."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PrivateAddressError(_("The address must start with http:// or https://."))
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise PrivateAddressError(_("Could not find the host %(host)s.") % {"host": parts.hostname}) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise PrivateAddressError(_("%(host)s is a private or local address, which this server does not call.")
                                      % {"host": parts.hostname})
