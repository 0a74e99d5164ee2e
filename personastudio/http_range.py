"""Serve a stored file with HTTP Range support, so audio players can seek.

Django's FileResponse ignores Range; a player that cannot get 206 cannot seek.

Where the media lives in a bucket (MEDIA_STORAGE=s3), the bytes are streamed from it through this view,
each request's range as one ranged GET, rather than by redirecting the player to a presigned URL. Why:
- the ownership check stays on every request, seeks included, and nothing hands out a URL that anyone
  holding it could replay until it expires;
- the bucket stays private and internal: browsers never need to reach the S3 endpoint (SeaweedFS or MinIO
  on a private network), and no CORS rules are needed on it;
- one code path for the local disk and the bucket, with the same `Cache-Control: private` headers.
The cost is that audio bytes pass through the web process, in 64 KB blocks (memory stays flat whatever the
file's size) and never downloading more of the object than the range asked for.
"""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

# At most 18 digits: a longer number is no file's offset, and the header is then ignored (served whole).
RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
BLOCK_SIZE = 64 * 1024


class _LimitedReader:
    """An iterable of at most `length` bytes from a readable, in blocks; closing it closes what it reads."""

    def __init__(self, handle, length: int, block_size: int = BLOCK_SIZE) -> None:
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


def _ranged_reader(handle, start: int, length: int) -> _LimitedReader:
    """`length` bytes from `start` of an open stored file.

    A file on disk seeks. django-storages' S3File would download the whole object on its first read, so
    for it (its boto3 `obj`) only the range asked for is fetched, as a streamed ranged GET.
    """
    s3_object = getattr(handle, "obj", None)
    if s3_object is not None and hasattr(s3_object, "get"):
        handle.close()  # it read nothing (it only asked for the object's size)
        body = s3_object.get(Range=f"bytes={start}-{start + length - 1}")["Body"] if length else _Empty()
        return _LimitedReader(body, length)
    handle.seek(start)
    return _LimitedReader(handle, length)


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


def ranged_file_response(
    request: HttpRequest, field_file, *, content_type: str, download_name: str | None = None
) -> HttpResponse:
    """The stored file, whole (200) or the one byte range asked for (206; 416 outside the file).
    The caller has checked that the user may hear it."""
    handle = field_file.storage.open(field_file.name, "rb")
    size = handle.size
    match = RANGE_RE.match(request.headers.get("Range", "").strip())
    if match is None or (not match.group(1) and not match.group(2)):
        response = FileResponse(_ranged_reader(handle, 0, size), content_type=content_type)
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
        response = FileResponse(_ranged_reader(handle, start, end - start + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    if download_name:
        response["Content-Disposition"] = content_disposition_header(True, download_name)
    response["Cache-Control"] = "private, max-age=3600"
    return response
