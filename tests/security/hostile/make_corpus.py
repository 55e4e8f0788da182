"""Writes the hostile-upload corpus next to this file (security UPL-01…07, issue #9).

Run once from the project root, `.venv/bin/python tests/security/hostile/make_corpus.py`, and check
the files in: the tests read the files, never this script, so that what is tested is exactly what is
in the repository. Re-running rewrites the same bytes (nothing random, no timestamps), except that
pypdf's encryption salts its keys, so `encrypted.pdf` differs while meaning the same.

Every file is small. The decompression bomb is a well-formed PNG that declares 50 000 × 50 000
one-bit pixels (2.5 gigapixels, 312 MB decoded) but holds only its first rows: a decoder that trusts
the header before checking the size is already lost, and a few hundred bytes are enough to show it.

The EICAR anti-virus test string is deliberately not stored here (it would set off the scanners of
whoever clones the repository); the scanner tests build it at run time.

`names.json` holds the hostile file names (a NUL byte cannot be part of a real file name on disk).
"""
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

HERE = Path(__file__).resolve().parent

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"


def png(size=(64, 48), color="white", **save) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, "PNG", **save)
    return output.getvalue()


def jpeg(size=(64, 48), exif: bytes | None = None) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "white").save(output, "JPEG", quality=80, **({"exif": exif} if exif else {}))
    return output.getvalue()


def pdf(*, javascript: str = "", attachment: bytes = b"", password: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if javascript:  # an /OpenAction that runs a script when the document is opened
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject(javascript)})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if attachment:
        writer.add_attachment("invoice.exe", attachment)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 50_000, rows: int = 16) -> bytes:
    """IHDR of side×side 1-bit greyscale; IDAT with `rows` zero rows only (the rest never comes)."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)  # filter byte, then the packed pixels
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(row * rows, 9)) + png_chunk(b"IEND", b""))


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Spy 1"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (56.0, 29.0, 4.0)  # GPSLatitude: Tomsk
    gps[3] = "E"
    gps[4] = (84.0, 56.0, 53.0)
    return exif.tobytes()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return output.getvalue()


def corpus() -> dict[str, bytes]:
    clean_pdf = pdf()
    return {
        # Harmless files, uploaded under the hostile names of names.json.
        "clean.pdf": clean_pdf,
        "clean.png": png(),
        "clean.jpg": jpeg(),
        # Not what the name says.
        "html_renamed.pdf": HTML,
        "script.svg": (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                       b"<script>alert(document.domain)</script></svg>\n"),
        "scan.pdf.exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
                        + b"This program cannot be run in DOS mode.\r\n",
        "archive.zip": zip_bytes({"scan.pdf": clean_pdf, "readme.txt": b"hello"}),
        "macro.docm": zip_bytes({
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                   b'package/2006/content-types"/>',
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"AutoOpen\"",
        }),
        "empty.pdf": b"",
        # Polyglots: valid to one parser, HTML to a browser that sniffs.
        "png_html_polyglot.png": png() + HTML,
        "pdf_html_polyglot.pdf": clean_pdf + HTML,
        "html_then_pdf.pdf": HTML + clean_pdf,
        # Valid formats carrying something dangerous.
        "bomb.png": bomb_png(),
        "encrypted.pdf": pdf(password="secret"),
        "javascript.pdf": pdf(javascript="app.alert('pwned');"),
        "embedded_file.pdf": pdf(attachment=b"MZ\x90\x00 not really a program"),
        "exif_gps.jpg": jpeg(size=(80, 60), exif=exif_with_gps()),
    }


NAMES = {
    "traversal": "../../etc/passwd",
    "windows_traversal": "..\\..\\windows\\win.ini",
    "nul": "a\x00.pdf",
    "rtl_override": "scan\u202efdp.exe",
    "long": "д" * 296 + ".pdf",
    "quote": 'scan".pdf',
    "semicolon": "scan; filename=evil.html",
    "crlf": "scan\r\nSet-Cookie: a=b.pdf",
    "cyrillic": "Паспорт гражданина.pdf",
}


def main() -> None:
    for name, data in corpus().items():
        (HERE / name).write_bytes(data)
    (HERE / "names.json").write_text(json.dumps(NAMES, ensure_ascii=True, indent=2) + "\n")


if __name__ == "__main__":
    main()
