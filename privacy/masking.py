"""Masks for identifiers shown in lists, admin and logs (PDN-10): enough to tell people apart,
not enough to use the number."""


def mask_snils(snils: str) -> str:
    """«12345678901» → «***-***-*** 01» (the control number only)."""
    digits = "".join(ch for ch in str(snils or "") if ch.isdigit())
    return f"***-***-*** {digits[-2:]}" if len(digits) >= 2 else ""


def mask_name(last_name: str, first_name: str = "", middle_name: str = "") -> str:
    """«Петров Пётр Петрович» → «П. П. П.» (initials only)."""
    return " ".join(f"{part[0]}." for part in (last_name, first_name, middle_name) if part)
