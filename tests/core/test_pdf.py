"""PDF rendering: Cyrillic text in the bundled font, page numbers, and a fetcher that serves static
files only and never touches the network."""
import gc
import io
import logging
import os
import socket
import threading
import time

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

import core.pdf
from core.pdf import ResourceRefused, StaticFilesURLFetcher, font_configuration, render_pdf

STATEMENT = """{% extends "pdf/base.html" %}
{% block title %}Ведомость{% endblock %}
{% block content %}
<h1>Ведомость слушателей</h1>
<table>
  <thead><tr><th>№</th><th>Фамилия, имя, отчество</th><th>Программа</th></tr></thead>
  <tbody>{% for name, programme in rows %}
    <tr><td>{{ forloop.counter }}</td><td>{{ name }}</td><td>{{ programme }}</td></tr>
  {% endfor %}</tbody>
</table>
{% endblock %}"""

HOSTILE = """{% extends "pdf/base.html" %}
{% block content %}
<style>@import url("https://example.com/evil.css"); p { background: url("http://example.com/bg.png"); }</style>
<p>Проверка</p>
<img src="http://example.com/x.png"><img src="file:///etc/passwd"><img src="/static/../../etc/passwd">
<link rel="stylesheet" href="https://example.com/other.css">
{% endblock %}"""


@pytest.fixture(autouse=True)
def test_templates(settings):
    """The templates above in memory, with the project's templates (and pdf/base.html) behind them."""
    settings.TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": settings.TEMPLATES[0]["DIRS"],
        "OPTIONS": {"loaders": [
            ("django.template.loaders.locmem.Loader", {"test/statement.html": STATEMENT,
                                                       "test/hostile.html": HOSTILE}),
            "django.template.loaders.filesystem.Loader",
        ]},
    }]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection is recorded and fails."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def fresh_fonts(monkeypatch):
    """This process's font configuration as if nothing had been rendered yet."""
    monkeypatch.setattr(core.pdf, "_fonts", threading.local())


@pytest.fixture
def fetched(monkeypatch):
    """URLs the fetcher was asked for, with what it answered (a content type or the refusal)."""
    calls = []
    original = StaticFilesURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except ResourceRefused:
            calls.append((url, "refused"))
            raise
        calls.append((url, response.content_type))
        return response

    monkeypatch.setattr(StaticFilesURLFetcher, "fetch", spy)
    return calls


def _rows(n):
    return [("Иванов Иван Иванович", "Основы программирования на Python")] * n


def _read(pdf: bytes) -> tuple[str, set[str], list[str]]:
    """Extracted text, BaseFont names, and the family names inside the embedded font programs."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = descriptor["/FontFile2"].get_object().get_data()
    families = [TTFont(io.BytesIO(data))["name"].getDebugName(1) for data in fonts.values()]
    return text, set(fonts), families


def test_it_renders_cyrillic_text_with_the_bundled_dejavu_font(no_network, fresh_fonts, fetched):
    started = time.perf_counter()
    pdf = render_pdf("test/statement.html", {"rows": _rows(100)})
    elapsed = time.perf_counter() - started

    text, base_fonts, families = _read(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "Ведомость слушателей" in text
    assert "Фамилия, имя, отчество" in text
    assert "Иванов Иван Иванович" in text
    # Our @font-face aliases, not a system font standing in for them...
    assert {name.split("+")[-1] for name in base_fonts} == {"Flow-Sans", "Flow-Sans-Bold"}
    # ...whose embedded programs are DejaVu Sans, served from static/fonts/.
    assert set(families) == {"DejaVu Sans"}
    assert ("file:///static/fonts/DejaVuSans.ttf", "font/ttf") in fetched
    assert ("file:///static/fonts/DejaVuSans-Bold.ttf", "font/ttf") in fetched
    assert no_network == []
    print(f"render_pdf, 100-row Cyrillic table: {elapsed:.3f} s")  # shown with pytest -s


def test_the_fonts_are_loaded_once_per_process_and_embedded_in_every_document(fresh_fonts, fetched):
    first = render_pdf("test/statement.html", {"rows": _rows(3)})
    fonts_fetched = [url for url, _ in fetched if url.endswith(".ttf")]
    second = render_pdf("test/statement.html", {"rows": _rows(3)})

    assert sorted(fonts_fetched) == ["file:///static/fonts/DejaVuSans-Bold.ttf", "file:///static/fonts/DejaVuSans.ttf"]
    assert [url for url, _ in fetched if url.endswith(".ttf")] == fonts_fetched  # not again for the second
    for pdf in (first, second):
        text, base_fonts, families = _read(pdf)
        assert "Иванов Иван Иванович" in text
        assert {name.split("+")[-1] for name in base_fonts} == {"Flow-Sans", "Flow-Sans-Bold"}
        assert set(families) == {"DejaVu Sans"}


def test_a_thread_renders_with_its_own_font_configuration(fresh_fonts):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(font_configuration()))
    thread.start()
    thread.join()

    assert seen[0] is not font_configuration()


def test_a_forked_child_makes_its_own_font_configuration_and_leaves_the_parents_fonts(fresh_fonts):
    render_pdf("test/statement.html", {"rows": _rows(1)})
    parent = font_configuration()
    folder = parent._folder
    assert folder is not None
    assert any(folder.iterdir())

    child = os.fork()
    if child == 0:  # the child: a configuration of its own, the inherited one dropped
        ok = font_configuration() is not parent
        del parent
        gc.collect()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert font_configuration() is parent
    assert any(folder.iterdir())  # the child did not delete the parent's font files
    text, _, families = _read(render_pdf("test/statement.html", {"rows": _rows(1)}))
    assert "Иванов Иван Иванович" in text
    assert set(families) == {"DejaVu Sans"}


def test_it_numbers_pages_in_the_footer():
    text, _, _ = _read(render_pdf("test/statement.html", {"rows": _rows(100)}))
    pages = text.count("Страница ")
    assert pages >= 2
    assert f"Страница 1 из {pages}" in text
    assert f"Страница {pages} из {pages}" in text


def test_it_skips_remote_and_local_files_without_touching_the_network(no_network, fetched, caplog):
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = render_pdf("test/hostile.html", {})

    assert "Проверка" in _read(pdf)[0]
    assert no_network == []
    refused = {url for url, answer in fetched if answer == "refused"}
    assert {"http://example.com/x.png", "file:///etc/passwd", "https://example.com/evil.css",
            "https://example.com/other.css", "http://example.com/bg.png"} <= refused
    assert all(url.startswith("file:///static/fonts/") for url, answer in fetched if answer != "refused")
    assert "ResourceRefused" in caplog.text


@pytest.mark.parametrize("url", [
    "http://example.com/x.png",
    "https://example.com/static/fonts/DejaVuSans.ttf",
    "ftp://example.com/x",
    "file:///etc/passwd",
    "file:///static/../etc/passwd",
    "file:///static/fonts/../../../etc/passwd",
    "file:///static/fonts/%2e%2e/%2e%2e/etc/passwd",
    "file:///static//etc/passwd",
    "file:///static/fonts/missing.ttf",
    "file:///work/main/static/fonts/DejaVuSans.ttf",
    "/etc/passwd",
])
def test_the_fetcher_refuses_anything_but_static_files(no_network, url):
    with pytest.raises(ResourceRefused):
        StaticFilesURLFetcher().fetch(url)
    assert no_network == []


@pytest.mark.parametrize("url", ["file:///static/fonts/DejaVuSans.ttf", "/static/fonts/DejaVuSans.ttf"])
def test_the_fetcher_serves_a_static_font(url):
    response = StaticFilesURLFetcher()(url)
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert response.content_type == "font/ttf"


def test_the_fetcher_serves_image_data_uris_only(no_network):
    response = StaticFilesURLFetcher().fetch("data:image/png;base64,0J/RgNC40LLQtdGC")
    assert response.read().decode() == "Привет"
    assert response.content_type == "image/png"
    with pytest.raises(ResourceRefused):  # a data: "attachment" would embed a file in the PDF (EXP-04)
        StaticFilesURLFetcher().fetch("data:application/octet-stream;base64,0J/RgNC40LLQtdGC")


def test_the_cyclic_collector_is_paused_for_the_render_and_back_on_after(monkeypatch):
    """core.collector: a document's box tree is walked again and again by the collector otherwise."""
    import weasyprint

    during = []
    original = weasyprint.HTML.write_pdf

    def spy(self, *args, **kwargs):
        during.append(gc.isenabled())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy)
    assert gc.isenabled()
    assert render_pdf("test/statement.html", {"rows": _rows(1)}).startswith(b"%PDF-")
    assert during == [False]
    assert gc.isenabled()
