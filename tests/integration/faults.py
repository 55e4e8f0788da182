"""Fault injection on loopback for the §4 fault tests (R1, R2, R4, R5, R7): a TCP proxy that can cut
PostgreSQL connections, a private redis-server the test may stop, SMTP sinks (with STARTTLS, without,
refusing, silent) and a Celery worker process the test may SIGKILL. Nothing here touches the shared
PostgreSQL or Redis servers other agents use: every fault is on a port of its own."""
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 30  # no step of a fault test may wait longer than this


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = STEP_TIMEOUT, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# PostgreSQL behind a proxy that can be cut --------------------------------------------------------

class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target, one pair of threads per connection. `cut()` resets
    every open connection, as a server restart or a network drop does; `cut_when_seen(b"...")` resets
    a connection when the client sends those bytes (a query in the middle of a request)."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._trigger: bytes | None = None
        self.cuts = 0
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while self._running:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket):
        sockets = [client, upstream]
        try:
            while self._running:
                readable, _, _ = select.select(sockets, [], [], 0.2)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is client and self._trigger and self._trigger in data:
                        self._trigger = None
                        self.cuts += 1
                        return  # the query never reaches the server; both ends are reset below
                    (upstream if source is client else client).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            self._reset(client, upstream)

    @staticmethod
    def _reset(*socks: socket.socket):
        for sock in socks:
            try:  # RST, not FIN: the client sees "connection reset", as after a crash
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()
            except OSError:
                pass

    def open_connections(self) -> int:
        with self._lock:
            self._pairs = [(c, u) for c, u in self._pairs if c.fileno() != -1]
            return len(self._pairs)

    def cut(self) -> int:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            self._reset(client, upstream)
        self.cuts += len(pairs)
        return len(pairs)

    def cut_when_seen(self, marker: bytes):
        self._trigger = marker

    def close(self):
        self._running = False
        self.cut()
        self._listener.close()
        self._thread.join(timeout=5)


# A private Redis ------------------------------------------------------------------------------------

class PrivateRedis:
    """A redis-server of the test's own on a free loopback port, no persistence; stop and start it
    at will (the shared server on 6379 is never touched)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(self.ping, timeout=10), "redis-server did not start"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        assert wait_for(lambda: not self.ping(), timeout=5)

    def llen(self, key: str) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(f"LLEN {key}\r\n".encode())
            return int(sock.recv(64).strip().lstrip(b":"))


# SMTP sinks --------------------------------------------------------------------------------------

def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 the client is told to trust (SSL_CERT_FILE): TLS is verified."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class _Collector:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.refuse:
            return "451 4.3.0 Temporary failure, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        self.sink.received.append({"message_id": message["Message-ID"], "to": envelope.rcpt_tos,
                                   "tls": session.ssl is not None})
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on loopback that records every accepted message (its Message-ID and
    whether it came over TLS). `starttls=False` is a server that does not offer STARTTLS;
    `refuse=True` answers every recipient with 451."""

    def __init__(self, *, cert: tuple[Path, Path] | None, port: int | None = None, refuse: bool = False):
        self.received: list[dict] = []
        self.refuse = refuse
        self.port = port or free_port()
        kwargs = {}
        if cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            kwargs = {"tls_context": context, "require_starttls": True}
        self.controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port, ready_timeout=10,
                                     **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def message_ids(self) -> list[str]:
        return [item["message_id"] for item in self.received]


class SilentServer:
    """Accepts TCP connections and never says a word: a hung SMTP server."""

    def __init__(self):
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._held: list[socket.socket] = []
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self._listener.settimeout(0.2)
        while self._running:
            try:
                self._held.append(self._listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self):
        self._running = False
        for sock in self._held:
            sock.close()
        self._listener.close()


# A Celery worker process ---------------------------------------------------------------------------

def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


class Worker:
    """`celery worker` (prefork, one child: a SIGKILLed child is a lost worker, as in production)
    on a queue of its own, against the test database; extra environment for faults and e-mail."""

    def __init__(self, tmp_path: Path, *, broker_url: str, queue: str | None = None, env: dict | None = None,
                 name: str = "worker"):
        self.tmp_path = tmp_path
        self.queue = queue or f"flow-it-{uuid.uuid4().hex[:8]}"
        self.broker_url = broker_url
        self.extra_env = env or {}
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log_path = tmp_path / f"{name}.log"
        self.starts = 0

    def start(self, *, env: dict | None = None):
        self.starts += 1
        self.log_path = self.tmp_path / f"{self.name}-{self.starts}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_URL": f"filemail://{self.tmp_path / 'mail'}",
            "MEDIA_ROOT": str(self.tmp_path / "media"),
            "CONN_MAX_AGE": "0",
            **self.extra_env,
            **(env or {}),
        }
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "flow", "worker", "-Q", self.queue, "-c", "1",
                 "--pool", "prefork", "-l", "info", "--without-heartbeat", "--without-gossip", "--without-mingle",
                 "-n", f"{self.name}-{uuid.uuid4().hex[:6]}@%h"],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for(lambda: "ready" in self.log() or self.proc.poll() is not None, timeout=STEP_TIMEOUT):
            raise AssertionError("the Celery worker did not start:\n" + self.log())
        if self.proc.poll() is not None:
            raise AssertionError("the Celery worker exited:\n" + self.log())
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def send(self, task, **kwargs):
        """Publish `task` to this worker's queue through the real broker."""
        from flow.celery import app

        with app.connection_for_write(self.broker_url) as conn:
            return app.send_task(task.name, kwargs=kwargs, queue=self.queue, connection=conn)

    def kill(self):
        """SIGKILL the whole worker (main process and child), as the OOM killer or a host crash does."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
