"""A detached signature is accepted only if its content is a CMS SignedData: DER, BER (indefinite
lengths, as streaming tools write), PEM or bare base64; anything else is refused in Russian."""
import base64
import os

import pytest
from django.core.exceptions import ValidationError

from documents.validators import SIGNATURE_MAX_SIZE, is_cms_signed_data, validate_signature_file
from tests.programs.test_contract_support import (
    OPENSSL,
    der_signed_data,
    integer,
    oid,
    openssl_signature,
    pdf_bytes,
    seq,
    signature_file,
    tlv,
)

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl binary for a genuine signature")


def test_it_accepts_a_hand_built_der_signed_data():
    assert validate_signature_file(signature_file()) == der_signed_data()


@needs_openssl
def test_it_accepts_a_genuine_detached_der_signature(tmp_path):
    data = openssl_signature(tmp_path)
    assert validate_signature_file(signature_file(data=data)) == data


@needs_openssl
def test_it_accepts_a_genuine_pem_signature(tmp_path):
    data = openssl_signature(tmp_path, pem=True)
    assert data.startswith(b"-----BEGIN CMS-----")
    assert validate_signature_file(signature_file(data=data)) == data


@needs_openssl
def test_it_accepts_ber_with_indefinite_lengths(tmp_path):
    data = openssl_signature(tmp_path, stream=True)
    assert data[1] == 0x80  # the outer SEQUENCE has an indefinite length
    assert is_cms_signed_data(data)


def test_it_accepts_pkcs7_pem_armour_and_bare_base64():
    body = base64.encodebytes(der_signed_data())
    assert is_cms_signed_data(b"-----BEGIN PKCS7-----\n" + body + b"-----END PKCS7-----\n")
    assert is_cms_signed_data(b"-----BEGIN CMS-----\r\n" + body.replace(b"\n", b"\r\n") + b"-----END CMS-----")
    assert is_cms_signed_data(body)


@pytest.mark.parametrize(("name", "data"), [
    ("random.sig", os.urandom(2048)),
    ("contract.sig", pdf_bytes()),
    ("text.sig", "Подпись".encode()),
    ("certificate.sig", b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"),
    ("other-content-type.sig", seq(oid("1.2.840.113549.1.7.1"), tlv(0xA0, seq(integer(1))))),
    ("truncated.sig", der_signed_data()[:-7]),
    ("trailing-garbage.sig", der_signed_data() + b"garbage"),
    ("mismatched-armour.sig",
     b"-----BEGIN PKCS7-----\n" + base64.encodebytes(der_signed_data()) + b"-----END CMS-----"),
])
def test_it_refuses_what_is_not_a_cms_signature(name, data):
    with pytest.raises(ValidationError) as error:
        validate_signature_file(signature_file(name, data))
    assert error.value.code == "not_cms"
    assert "не является электронной подписью" in error.value.messages[0]


def test_it_refuses_an_empty_file():
    with pytest.raises(ValidationError) as error:
        validate_signature_file(signature_file(data=b""))
    assert error.value.messages == ["Файл пустой."]


def test_it_refuses_a_file_over_one_megabyte():
    data = seq(oid("1.2.840.113549.1.7.2"), tlv(0xA0, b"\x00" * SIGNATURE_MAX_SIZE))
    with pytest.raises(ValidationError) as error:
        validate_signature_file(signature_file(data=data))
    assert error.value.code == "too_large"
    assert "1 МБ" in error.value.messages[0]


def test_deeply_nested_indefinite_lengths_are_refused_not_recursed_forever():
    data = b"\x30\x80" * 5000 + b"\x00\x00" * 5000
    assert not is_cms_signed_data(data)
