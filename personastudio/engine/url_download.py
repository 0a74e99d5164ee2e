"""`music/upload`'s `audio_url`: fetch a file from a public address, limited in size, time and redirects.

Unless ENGINE_UPLOAD_ALLOW_PRIVATE is on, every hop goes through netguard's guarded session: the host is
resolved once, every address it has must be public, and the connection goes to exactly the address that
was checked (no second lookup for DNS rebinding to answer differently). Redirects are followed here by
hand, at most REDIRECTS of them, and each Location is checked like the first URL before anything connects.
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import requests

from personastudio.contract.errors import BadRequest, PayloadTooLarge
from personastudio.contract.http import AddressRefused
from personastudio.netguard import PrivateAddressError, guarded_session, split_http_url

SETTING = "ENGINE_UPLOAD_ALLOW_PRIVATE"
REDIRECTS = 3
CONNECT_TIMEOUT_S = 5.0
CHUNK_BYTES = 64 * 1024
USER_AGENT = "PersonaStudio-Engine/0.1"


def fetch(url: str, *, max_bytes: int, timeout_s: float, allow_private: bool) -> tuple[bytes, str]:
    """The file at `url` and a file name for it, or BadRequest / PayloadTooLarge with a sentence."""
    with requests.Session() if allow_private else guarded_session(setting=SETTING) as session:
        for _hop in range(REDIRECTS + 1):
            try:  # refused before any lookup or connection: no http(s), no host, bad brackets or port
                split_http_url(url)
            except PrivateAddressError as exc:
                raise BadRequest(f"audio_url: {exc}") from None
            try:
                response = session.get(
                    url,
                    stream=True,
                    timeout=(CONNECT_TIMEOUT_S, timeout_s),
                    allow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                )
            except AddressRefused as exc:  # a private address: nothing was sent, nothing answered
                raise BadRequest(f"audio_url: {exc}") from None
            except requests.RequestException:
                raise BadRequest("Could not download audio_url.") from None
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                response.close()
                continue
            break
        else:
            raise BadRequest("audio_url redirects too many times.")
        with response:
            return _read(response, max_bytes=max_bytes, timeout_s=timeout_s), _filename(url)


def _read(response: requests.Response, *, max_bytes: int, timeout_s: float) -> bytes:
    if response.status_code != 200:
        raise BadRequest(f"Downloading audio_url answered HTTP {response.status_code}.")
    chunks, size, deadline = [], 0, time.monotonic() + timeout_s
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"The file at audio_url is larger than {max_bytes // (1024 * 1024)} MB.")
            if time.monotonic() > deadline:
                raise BadRequest("Downloading audio_url took too long.")
            chunks.append(chunk)
    except requests.RequestException:
        raise BadRequest("Could not download audio_url.") from None
    return b"".join(chunks)


def _filename(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).name or "upload"
