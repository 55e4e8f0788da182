"""Password composition (Flow's own rule, seed 000): at least one uppercase letter, one digit
and one special character; the length is MinimumLengthValidator's job."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class PasswordCompositionValidator:
    def validate(self, password, user=None):
        missing = []
        if not any(ch.isupper() for ch in password):
            missing.append(_("заглавную букву"))
        if not any(ch.isdigit() for ch in password):
            missing.append(_("цифру"))
        if not any(not ch.isalnum() and not ch.isspace() for ch in password):
            missing.append(_("специальный символ (например, ! ? # %)"))
        if missing:
            raise ValidationError(
                _("Пароль должен содержать %(missing)s.") % {"missing": ", ".join(missing)},
                code="password_composition",
            )

    def get_help_text(self):
        return _("Пароль должен содержать заглавную букву, цифру и специальный символ.")


def validate_inn(value: str) -> None:
    """ИНН: 10 digits (organisation) or 12 (person), with control digits."""
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.ru import inn

    try:
        inn.validate(value)
    except StdnumError:
        raise ValidationError(_("Неверный ИНН: проверьте количество цифр и контрольные разряды."),
                              code="invalid_inn") from None


def validate_ogrn(value: str) -> None:
    """ОГРН (13 digits) or ОГРНИП (15 digits), with the control digit."""
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.ru import ogrn

    try:
        ogrn.validate(value)
    except StdnumError:
        raise ValidationError(_("Неверный ОГРН: проверьте количество цифр и контрольный разряд."),
                              code="invalid_ogrn") from None


def validate_kpp(value: str) -> None:
    """КПП has no control digit: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits."""
    import re

    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", value or ""):
        raise ValidationError(_("Неверный КПП: ожидается 9 знаков, например 701701001."), code="invalid_kpp")


def validate_bik(value: str) -> None:
    """БИК: 9 digits starting with 04 (Russian banks)."""
    import re

    if not re.fullmatch(r"04\d{7}", value or ""):
        raise ValidationError(_("Неверный БИК: ожидается 9 цифр, начиная с 04."), code="invalid_bik")


def normalize_snils(value: str) -> str:
    """Digits only: `112-233-445 95` → `11223344595`."""
    return "".join(ch for ch in (value or "") if ch.isdigit())


def snils_control_number(body: str) -> int:
    """The control number of a SNILS's first nine digits (Pension Fund rule): the digits weighted
    9…1 and summed; below 100 the sum itself, 100 or 101 give 0, above that the sum mod 101
    (and a remainder of 100 gives 0)."""
    total = sum(int(digit) * weight for digit, weight in zip(body, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def validate_snils(value: str) -> None:
    """СНИЛС: 11 digits with a correct control number. Numbers up to 001-001-998 were issued
    before the control rule and are accepted as they are."""
    digits = normalize_snils(value)
    if len(digits) != 11:
        raise ValidationError(_("Неверный СНИЛС: нужно 11 цифр."), code="invalid_snils")
    body, control = digits[:9], int(digits[9:])
    if int(body) > 1001998 and snils_control_number(body) != control:
        raise ValidationError(_("Неверный СНИЛС: не сходится контрольное число."), code="invalid_snils")
