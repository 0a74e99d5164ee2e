"""MEDIA_STORAGE and the AWS_* variables, read by settings.py in a fresh interpreter."""

import json
import os
import subprocess
import sys

PRINT_STORAGE = (
    "import json, personastudio.settings as s; "
    "print(json.dumps([s.MEDIA_STORAGE, s.STORAGES['default'], s.MEDIA_S3_STORAGE]))"
)


def _settings(**env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIA_STORAGE"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT_STORAGE], env={**environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_with_nothing_set_media_stays_on_the_local_disk():
    result = _settings()
    assert result.returncode == 0, result.stderr
    name, default, bucket = json.loads(result.stdout)
    assert name == "disk" and default["BACKEND"] == "django.core.files.storage.FileSystemStorage" and bucket is None


def test_s3_makes_a_private_bucket_the_default_storage(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3-secret\n")
    result = _settings(
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="studio-media",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:8333",
        AWS_ACCESS_KEY_ID="studio",
        AWS_SECRET_ACCESS_KEY_FILE=str(secret),
    )
    assert result.returncode == 0, result.stderr
    name, default, bucket = json.loads(result.stdout)
    options = default["OPTIONS"]
    assert name == "s3" and default == bucket and default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "studio-media" and options["endpoint_url"] == "http://127.0.0.1:8333"
    assert options["access_key"] == "studio" and options["secret_key"] == "s3-secret"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["addressing_style"] == "path" and options["file_overwrite"] is False


def test_s3_without_a_bucket_or_an_unknown_storage_refuses_to_start_and_says_why():
    no_bucket = _settings(MEDIA_STORAGE="s3")
    assert no_bucket.returncode != 0 and "needs AWS_STORAGE_BUCKET_NAME" in no_bucket.stderr
    unknown = _settings(MEDIA_STORAGE="gcs")
    assert unknown.returncode != 0 and "MEDIA_STORAGE must be disk or s3, not 'gcs'" in unknown.stderr
