"""EXP-04: PDFs are rendered through core.pdf's local-only URL fetcher. Hostile markup — in a
template, or arriving as data in the context — cannot make WeasyPrint read a local file, reach the
network (the cloud metadata address included) or embed an attachment: the fetcher refuses before
any I/O, and the PDF carries no embedded files. No test here may open a connection: the socket
layer is replaced by a recorder that fails."""
import io
import socket

import pytest
from pypdf import PdfReader

from core.pdf import ResourceRefused, StaticFilesURLFetcher, render_pdf

HOSTILE_TEMPLATE = """{% extends "pdf/base.html" %}
{% block content %}
<style>
  @import url("http://169.254.169.254/latest/meta-data/evil.css");
  @import "https://example.com/more.css";
  @import url("file:///etc/passwd");
  p.bg { background: url("http://169.254.169.254/bg.png"); }
  @font-face { font-family: Evil; src: url("https://example.com/evil.woff"); }
</style>
<p class="bg">Проверка загрузчика</p>
<img src="file:///etc/passwd">
<img src="file:///static/../../../etc/passwd">
<img src="/static/%2e%2e/%2e%2e/etc/passwd">
<img src="http://169.254.169.254/latest/meta-data/">
<link rel="attachment" href="http://169.254.169.254/latest/meta-data/iam/">
<link rel="attachment" href="file:///etc/passwd">
<a rel="attachment" href="file:///etc/hostname">вложение</a>
<a rel="attachment" href="data:application/octet-stream;base64,TVpQAAIAAAAEAA8A//8AALgAAAAAAAAAQAAa">exe</a>
<link rel="stylesheet" href="ftp://example.com/x.css">
<iframe src="file:///etc/passwd"></iframe><object data="file:///etc/passwd"></object>
<svg><image href="file:///etc/passwd"/></svg>
{% endblock %}"""

# The same payloads as *data*: a citizen's name or a comment printed on a document.
DATA_TEMPLATE = """{% extends "pdf/base.html" %}
{% block content %}<p>{{ name }}</p><p>{{ comment }}</p>{% endblock %}"""
HOSTILE_VALUES = {
    "name": '<img src="file:///etc/passwd"><link rel="attachment" href="http://169.254.169.254/">Иванов',
    "comment": '<style>@import url("http://example.com/x.css")</style><a rel="attachment" href="file:///etc/passwd">x</a>',
}
REFUSED = ["file:///etc/passwd", "http://169.254.169.254/", "https://example.com/", "ftp://example.com/",
           "file:///static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "file:///etc/hostname",
           "data:application/octet-stream;base64,TVpQAAIAAAAEAA8A", "data:text/html,<script>alert(1)</script>"]


@pytest.fixture(autouse=True)
def hostile_templates(settings):
    settings.TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": settings.TEMPLATES[0]["DIRS"],
        "OPTIONS": {"loaders": [
            ("django.template.loaders.locmem.Loader", {"test/hostile.html": HOSTILE_TEMPLATE,
                                                       "test/data.html": DATA_TEMPLATE}),
            "django.template.loaders.filesystem.Loader",
        ]},
    }]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every way to open a connection is recorded and fails: a test that reaches it fails too."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], "a connection was attempted"


@pytest.fixture
def opened(monkeypatch):
    """Local files WeasyPrint's fetcher opened (it must open static files only)."""
    paths = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        paths.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    return paths


@pytest.fixture
def fetched(monkeypatch):
    calls = []
    original = StaticFilesURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except ResourceRefused:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(StaticFilesURLFetcher, "fetch", spy)
    return calls


def embedded_files(pdf: bytes) -> list:
    """Attachments in any form: the document's EmbeddedFiles name tree and file-attachment annotations."""
    reader = PdfReader(io.BytesIO(pdf))
    found = list(reader.attachments)
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("/EmbeddedFiles")
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append("/FileAttachment")
    return found


@pytest.mark.parametrize("url", REFUSED)
def test_the_fetcher_refuses_anything_but_static_files_and_images_before_any_io(url, opened):
    with pytest.raises(ResourceRefused):
        StaticFilesURLFetcher().fetch(url)
    assert not any("passwd" in p or "hostname" in p for p in opened)


def test_the_fetcher_still_serves_static_files_and_data_images():
    assert StaticFilesURLFetcher().fetch("file:///static/fonts/DejaVuSans.ttf").content_type == "font/ttf"
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
             "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    assert StaticFilesURLFetcher().fetch(pixel).content_type == "image/png"


def test_a_hostile_template_renders_without_reading_files_reaching_the_network_or_embedding(fetched, opened):
    pdf = render_pdf("test/hostile.html", {})
    assert pdf.startswith(b"%PDF-")
    assert "Проверка загрузчика" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert embedded_files(pdf) == []
    served = [url for url, answer in fetched if answer == "served"]
    assert all(url.startswith("file:///static/") for url in served), served
    refused = {url for url, answer in fetched if answer == "refused"}
    assert {"file:///etc/passwd", "http://169.254.169.254/latest/meta-data/iam/", "file:///etc/hostname",
            "http://169.254.169.254/latest/meta-data/evil.css"} <= refused
    assert any(url.startswith("data:application/octet-stream") for url in refused)
    assert not any(p.startswith("/etc") for p in opened)
    assert b"root:" not in pdf


def test_hostile_values_in_the_context_are_escaped_text_not_markup(fetched):
    pdf = render_pdf("test/data.html", HOSTILE_VALUES)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Иванов" in text
    assert "file:///etc/passwd" in text  # printed as text...
    assert all(url.startswith("file:///static/") for url, _answer in fetched)  # ...never fetched
    assert embedded_files(pdf) == []
