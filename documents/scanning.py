"""Anti-virus scan of every upload before anything is stored (security UPL-04).

`scan_upload(data)` is called by `documents.validators.read_upload`, so every upload slot (scans,
PDFs, signatures) is scanned once, on the bytes the user sent, before the content checks. Which
scanner runs is the setting `UPLOAD_SCANNER`:

- empty (development and tests): no scan;
- `clamd://host:3310` or `clamd:///run/clamav/clamd.ctl`: ClamAV's daemon, `INSTREAM` command;
- a dotted path to a callable `scan(data: bytes) -> str | None` that returns the threat's name, or
  None when the file is clean, and raises `ScannerUnavailable` (or OSError) when it cannot tell.

Fail closed: a file is stored only after the scanner said it is clean. A scanner that cannot be
reached, times out or answers something unexpected refuses the upload with a "try later" message,
so nothing unscanned is ever stored, let alone served; there is no "pending scan" state to leak.
Every refusal is written to the security log (`flow.security`, one line: `event=upload.infected` as a
warning, `event=upload.scan_unavailable` as an error) with the file's SHA-256 and size, never its
content or the user's file name.
"""
import hashlib
import logging
import socket
import struct
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger("flow.security")

CLAMD_CHUNK = 64 * 1024
CLAMD_DEFAULT_PORT = 3310
DEFAULT_TIMEOUT = 30  # seconds: clamd scans 30 MB in a few seconds; a hung daemon must not hang the upload


class ScannerUnavailable(Exception):
    """The scanner could not give a verdict (down, timed out, or answered nonsense)."""


def scan_upload(data: bytes) -> None:
    """Raise a Russian ValidationError when the configured scanner finds a threat or cannot scan."""
    scanner = _scanner()
    if scanner is None:
        return
    try:
        threat = scanner(data)
    except (ScannerUnavailable, OSError) as error:
        logger.error("event=upload.scan_unavailable reason=%s sha256=%s size=%d",
                     type(error).__name__, _sha256(data), len(data))
        raise ValidationError(
            _("Проверка файлов на вирусы временно недоступна, файл не принят. Попробуйте загрузить его позже."),
            code="scan_unavailable") from None
    if threat:
        logger.warning("event=upload.infected threat=%s sha256=%s size=%d", threat, _sha256(data), len(data))
        raise ValidationError(
            _("Антивирус обнаружил в файле вредоносную программу (%(threat)s), файл не принят.") % {"threat": threat},
            code="infected")


def _scanner():
    setting = (getattr(settings, "UPLOAD_SCANNER", "") or "").strip()
    if not setting:
        return None
    if setting.startswith("clamd://"):
        return ClamdScanner.from_url(setting)
    return import_string(setting)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ClamdScanner:
    """clamd's INSTREAM: `zINSTREAM\\0`, chunks each prefixed with their length (4 bytes, network
    order), a zero length, then one reply such as `stream: OK` or `stream: Eicar-Signature FOUND`."""

    def __init__(self, *, host: str | None = None, port: int = CLAMD_DEFAULT_PORT, path: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.host, self.port, self.path, self.timeout = host, port, path, timeout

    @classmethod
    def from_url(cls, url: str) -> "ClamdScanner":
        parts = urlsplit(url)
        timeout = float(getattr(settings, "UPLOAD_SCANNER_TIMEOUT", DEFAULT_TIMEOUT))
        if parts.hostname:
            return cls(host=parts.hostname, port=parts.port or CLAMD_DEFAULT_PORT, timeout=timeout)
        return cls(path=parts.path, timeout=timeout)

    def __call__(self, data: bytes) -> str | None:
        reply = self._exchange(data)
        if reply.endswith(" FOUND"):
            return reply.removeprefix("stream:").removesuffix(" FOUND").strip() or "unknown"
        if reply == "stream: OK":
            return None
        raise ScannerUnavailable(f"unexpected clamd reply: {reply[:200]!r}")

    def _exchange(self, data: bytes) -> str:
        with self._connect() as connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CLAMD_CHUNK):
                chunk = data[start:start + CLAMD_CHUNK]
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = connection.recv(4096)
                if not part:
                    break
                reply += part
        return reply.rstrip(b"\0").decode("utf-8", "replace").strip()

    def _connect(self) -> socket.socket:
        if self.path:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            try:
                connection.connect(self.path)
            except OSError:
                connection.close()
                raise
            return connection
        return socket.create_connection((self.host, self.port), timeout=self.timeout)
