"""Serve a stored file with HTTP Range support, so audio players can seek.

Django's FileResponse ignores Range; a player that cannot get 206 cannot seek.
"""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

# At most 18 digits: a longer number is no file's offset, and the header is then ignored (served whole).
RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


class _LimitedReader:
    """A file-like that yields at most `length` bytes from the current position."""

    def __init__(self, handle, length: int, block_size: int = 64 * 1024) -> None:
        self.handle, self.remaining, self.block_size = handle, length, block_size

    def __iter__(self):
        while self.remaining > 0:
            chunk = self.handle.read(min(self.block_size, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.handle.close()


def ranged_file_response(request: HttpRequest, field_file, *, content_type: str,
                         download_name: str | None = None) -> HttpResponse:
    size = field_file.size
    match = RANGE_RE.match(request.headers.get("Range", "").strip())
    handle = field_file.open("rb")
    if match is None or (not match.group(1) and not match.group(2)):
        response = FileResponse(handle, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
    else:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # a suffix range: the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        response = FileResponse(_LimitedReader(handle, end - start + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        response["Accept-Ranges"] = "bytes"
    if download_name:
        response["Content-Disposition"] = content_disposition_header(True, download_name)
    response["Cache-Control"] = "private, max-age=3600"
    return response
