"""PDF rendering: a Django template through WeasyPrint, with no network access at all.

Templates extend `pdf/base.html` and reference assets with `{% static %}`. WeasyPrint fetches
them through `StaticFilesURLFetcher`, which serves only files found by the staticfiles finders or
storage and `data:` URIs of images and fonts (a QR code); anything else is refused before any I/O,
and WeasyPrint logs and skips it. That also keeps attachments out: `<a rel=attachment>` would
embed whatever the fetcher returned, and a `data:` file of any other type is refused (EXP-04).
"""
import mimetypes
import os
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.collector import cyclic_gc_paused


class ResourceRefused(ValueError):
    """A PDF template referenced something that is neither a static file nor a data: URI."""


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` with `context` to PDF bytes. Pure: no side effects, no network.
    Documents are legal papers in Russian, whatever language the requesting user has chosen."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template_name, context)
    with cyclic_gc_paused():  # the box tree of a big document: see core.collector
        return HTML(string=html, base_url=static_base_url(), url_fetcher=StaticFilesURLFetcher()).write_pdf(
            font_config=font_configuration())


_fonts = threading.local()


def font_configuration() -> FontConfiguration:
    """The font configuration this process and thread renders with, made once and reused.
    WeasyPrint makes a new one per document unless given one: it reads the system's fonts and
    writes and registers every @font-face file again — ~10 ms a document, a fifth of an enrolment
    blank. A configuration keeps each face it was given (keyed by its descriptors) and loads it once.
    Per thread because Pango's font map is not thread-safe; per process because a forked child
    inherits its parent's configuration, whose temporary font folder belongs to the parent."""
    pid = os.getpid()
    if getattr(_fonts, "pid", None) != pid:
        inherited = getattr(_fonts, "config", None)
        if inherited is not None:
            inherited._folder = None  # dropping it must not delete the parent's fonts (FontConfiguration.__del__)
        _fonts.config, _fonts.pid = FontConfiguration(), pid
    return _fonts.config


def static_base_url() -> str:
    """A local, virtual `file:` URL for STATIC_URL's path: `/static/x` in a template resolves to
    `file:///static/x`, which only the fetcher below understands; nothing is read from there."""
    return "file://" + posixpath.join("/", urlsplit(settings.STATIC_URL).path.lstrip("/"), "")


class _StaticResponse(URLFetcherResponse):
    def __init__(self, url: str, path: str):
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        super().__init__(url, Path(path).read_bytes(), {"Content-Type": content_type})
        self._path = path

    @property
    def path(self):
        # WeasyPrint reads images lazily from this path; point it at the real file.
        return self._path


# `data:` URIs of these media types only: what a document shows, never a file to embed or a page.
DATA_MEDIA_TYPES = ("image/", "font/", "application/font-", "application/x-font-")


class StaticFilesURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher for static files and `data:` images and fonts only; raises
    ResourceRefused for everything else (http, https, ftp, file: outside static, other data:)
    without opening anything."""

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            media_type = url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
            if not media_type.startswith(DATA_MEDIA_TYPES):
                raise ResourceRefused(f"data: URI of type {media_type[:60] or 'text/plain'}")
            with DataHandler().data_open(Request(url)) as response:
                return URLFetcherResponse(url, response.read(), dict(response.headers.items()))
        path = _find_static(_static_name(url))
        if path is None:
            raise ResourceRefused(f"not a static file: {url[:200]}")
        return _StaticResponse(url, path)


def _static_name(url: str) -> str | None:
    """The static file name `url` points to, or None if it is not under STATIC_URL."""
    for prefix in (static_base_url(), settings.STATIC_URL):
        if url.startswith(prefix):
            name = unquote(urlsplit(url[len(prefix):]).path)
            parts = name.split("/")
            if name and "\\" not in name and "\x00" not in name and ".." not in parts and "" not in parts:
                return name
            return None
    return None


def _find_static(name: str | None) -> str | None:
    """Absolute path of a static file: first the finders (source files), then the storage when it
    is on local disk (collected, possibly hashed names). Remote storages are never asked."""
    if name is None:
        return None
    try:
        path = finders.find(name)
        if not path:
            path = staticfiles_storage.path(name)
    except (SuspiciousFileOperation, NotImplementedError, ImproperlyConfigured):
        return None
    return path if Path(path).is_file() else None
