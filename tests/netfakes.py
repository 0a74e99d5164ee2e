"""Network stand-ins for the address-guard tests: a name resolver the test scripts, a connection that lands
on an in-process peer instead of the address it was aimed at, and a block on every connection that would
leave this host. Nothing here sends a packet anywhere but loopback."""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import threading

import urllib3.util.connection


def _is_this_host(host: str) -> bool:
    address = ipaddress.ip_address(host.split("%", 1)[0])
    # Only 127.0.0.0/8 and ::1: "::127.0.0.1", "::ffff:127.0.0.1" and the like may route off the host.
    return (address.version == 4 and address.is_loopback) or address == ipaddress.ip_address("::1")


def block_off_host_connections(monkeypatch) -> list[object]:
    """Refuse (and record) any socket connection to an address other than 127.0.0.0/8 or ::1."""
    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def allowed(address: object) -> bool:
        if isinstance(address, tuple) and address and isinstance(address[0], str) and not _is_this_host(address[0]):
            attempts.append(address)
            return False
        return True

    def connect(self, address):
        if not allowed(address):
            raise OSError(errno.ENETUNREACH, "blocked by the test: that address is off this host")
        return real_connect(self, address)

    def connect_ex(self, address):
        return real_connect_ex(self, address) if allowed(address) else errno.ENETUNREACH

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


class ScriptedResolver:
    """socket.getaddrinfo that answers for the given names, one answer per lookup (the last one repeats);
    IP literals and other names go to the real resolver (which needs no network for literals)."""

    def __init__(self, monkeypatch, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            if name != "localhost":
                ipaddress.ip_address(name)  # the tests look up only their own names, localhost and literals
            return self._real(host, port, family, type, proto, flags)
        seen = self.lookups.count(name)
        self.lookups.append(name)
        addresses = self.answers[name][min(seen, len(self.answers[name]) - 1)]
        infos = []
        for address in addresses:
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port or 0), 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0))))
        return infos


class Peer:
    """Stands in for whatever host urllib3 connects to: the connection becomes one end of a socket pair
    whose other end answers one HTTP request (over TLS when given a server context). Records the address
    urllib3 aimed at, the request it sent and the TLS server name (SNI) it asked for."""

    def __init__(self, monkeypatch, *, body: bytes = b"ok", tls: ssl.SSLContext | None = None) -> None:
        self.body, self.tls = body, tls
        self.targets: list[tuple] = []
        self.requests: list[str] = []
        self.server_names: list[str | None] = []
        self.threads: list[threading.Thread] = []
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", self.connect)

    def connect(self, address, timeout=None, source_address=None, socket_options=None):
        self.targets.append(tuple(address))
        ours, theirs = socket.socketpair()
        ours.settimeout(timeout if isinstance(timeout, (int, float)) else 10)
        thread = threading.Thread(target=self._answer, args=(theirs,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return ours

    def _answer(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data.decode("latin-1"))
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(self.body), self.body)
            )
        except (OSError, ssl.SSLError):
            pass  # e.g. the client refused our certificate
        finally:
            sock.close()

    def host_headers(self) -> list[str]:
        return [
            line.split(":", 1)[1].strip()
            for request in self.requests
            for line in request.split("\r\n")
            if line.lower().startswith("host:")
        ]
