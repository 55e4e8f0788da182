"""ZIP packages of stored files (an assignment with its signatures, an act's document archive).

An archive may hold hundreds of scans, so it is never assembled in memory: each stored file is
copied into the ZIP in 1 MB chunks, the ZIP itself is written to a temporary file on disk, and the
storage reads that file in chunks when it is saved (S3 uploads it in parts). Entry names are made
safe (no folders from the outside, no control or bidirectional characters, no `..`) and unique
within the archive («скан.pdf», «скан (2).pdf»).
"""
import hashlib
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

CHUNK = 1024 * 1024
MAX_NAME = 120
# Already compressed: storing them again with deflate costs time and saves nothing.
STORED_EXTENSIONS = {"pdf", "jpg", "jpeg", "png", "zip", "sig"}
_UNSAFE = re.compile(r'[\\/:*?"<>|]+')
_SPACES = re.compile(r"\s+")
_DOTS = re.compile(r"\.{2,}")


@dataclass(frozen=True)
class Entry:
    """One file of a package: its path inside the archive ("folder/name.pdf") and a stored file."""

    path: str
    file: object  # a FieldFile (or anything with .open("rb"))


def safe_segment(name: str, default: str = "файл") -> str:
    """One path segment safe on every unpacker: printable, no separators, no leading dots."""
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format (RLO), unassigned
    name = _DOTS.sub(".", _SPACES.sub(" ", _UNSAFE.sub("_", name))).strip(" .")
    if not name:
        return default
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:MAX_NAME - len(extension) - 1] + "." + extension) if dot and len(extension) <= 8 \
            else name[:MAX_NAME]
    return name


def safe_path(path: str) -> str:
    return "/".join(safe_segment(segment) for segment in str(path).split("/") if segment.strip(" ."))


class UniqueNames:
    """Paths made unique within one archive, case-blind (Windows unpackers)."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, path: str) -> str:
        path = safe_path(path) or "файл"
        folder, slash, name = path.rpartition("/")
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, n = path, 1
        while candidate.lower() in self.used:
            n += 1
            candidate = f"{folder}{slash}{stem} ({n}){'.' + extension if extension else ''}"
        self.used.add(candidate.lower())
        return candidate


def write_zip(entries: Iterable[Entry], target) -> list[str]:
    """Write `entries` into the open binary file `target` as a ZIP; returns the paths used.
    A stored file that is gone is skipped (the caller lists what it expected)."""
    names = UniqueNames()
    written = []
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for entry in entries:
            path = names(entry.path)
            extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
            compression = zipfile.ZIP_STORED if extension in STORED_EXTENSIONS else zipfile.ZIP_DEFLATED
            try:
                source = entry.file.open("rb")
            except FileNotFoundError:
                continue
            info = zipfile.ZipInfo(path)
            info.compress_type = compression
            with source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, CHUNK)
            written.append(path)
    return written


def build_zip_file(entries: Iterable[Entry]) -> tuple[tempfile.SpooledTemporaryFile, str, list[str]]:
    """The ZIP in a temporary file (on disk beyond 1 MB), rewound, with its SHA-256 and paths."""
    target = tempfile.SpooledTemporaryFile(max_size=CHUNK)  # noqa: SIM115 - returned to the caller, who closes it
    paths = write_zip(entries, target)
    target.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: target.read(CHUNK), b""):
        digest.update(block)
    target.seek(0)
    return target, digest.hexdigest(), paths
