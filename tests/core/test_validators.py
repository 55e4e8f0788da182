import pytest
from django.core.exceptions import ValidationError

from core.validators import normalize_snils, validate_inn, validate_kpp, validate_ogrn, validate_snils


@pytest.mark.parametrize("snils", [
    "112-233-445 95",   # the Pension Fund's published example
    "11223344595",
    "087-654-303 00",   # a sum of 202: taken mod 101, control 00
    "001-001-998 00",   # issued before the control rule: accepted as is
])
def test_valid_snils_numbers_pass(snils):
    validate_snils(snils)


@pytest.mark.parametrize("snils", ["112-233-445 96", "1122334459", "", "abc"])
def test_invalid_snils_numbers_are_refused_in_russian(snils):
    with pytest.raises(ValidationError, match="СНИЛС"):
        validate_snils(snils)


def test_snils_is_normalised_to_digits():
    assert normalize_snils(" 112-233-445 95 ") == "11223344595"


def test_organisation_identifiers_are_checked():
    validate_inn("7017000033")
    validate_ogrn("1027000000037")
    validate_kpp("701701001")
    for check, bad in ((validate_inn, "7017000034"), (validate_ogrn, "1027000000038"), (validate_kpp, "70170100")):
        with pytest.raises(ValidationError):
            check(bad)
