"""How Flow writes values in Russian documents and messages."""
from decimal import Decimal


def money(value: Decimal | None) -> str:
    """1234567.5 → «1 234 567,50» (non-breaking spaces between thousands); None → ""."""
    if value is None:
        return ""
    return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")
