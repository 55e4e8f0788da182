"""An uploaded PDF (the cost calculation) is checked by content: the %PDF- magic, then pypdf must
open it with at least one page; 30 MB at most."""
import pytest
from django.core.exceptions import ValidationError

from documents.validators import validate_pdf_file
from tests.programs.test_contract_support import pdf_bytes, pdf_file

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_it_accepts_a_real_pdf_and_returns_its_bytes():
    data = pdf_bytes(pages=2)
    assert validate_pdf_file(pdf_file(data=data)) == data


@pytest.mark.parametrize("data", [PNG, b"%PDF-1.7\nthis is not really a pdf\n%%EOF\n", "Расчёт".encode()])
def test_it_refuses_what_is_not_a_readable_pdf(data):
    with pytest.raises(ValidationError) as error:
        validate_pdf_file(pdf_file("calculation.pdf", data))
    assert error.value.code == "not_pdf"
    assert "не является PDF" in error.value.messages[0]


def test_it_refuses_an_empty_file():
    with pytest.raises(ValidationError, match="Файл пустой"):
        validate_pdf_file(pdf_file(data=b""))


def test_it_refuses_a_file_over_the_limit():
    with pytest.raises(ValidationError) as error:
        validate_pdf_file(pdf_file(data=pdf_bytes()), max_size=100)
    assert error.value.code == "too_large"


def test_the_default_limit_is_thirty_megabytes(settings):
    assert settings.MAX_UPLOAD_SIZE == 30 * 1024 * 1024
    upload = pdf_file()
    upload.size = settings.MAX_UPLOAD_SIZE + 1  # refused before anything is read
    with pytest.raises(ValidationError, match="30 МБ"):
        validate_pdf_file(upload)
