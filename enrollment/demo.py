"""The demo world's applications: the Работа России sample files imported as the feed would."""
from pathlib import Path

from django.conf import settings

from enrollment.services.feed import rr_import

SAMPLES = Path(settings.BASE_DIR) / "docs" / "samples"


def seed_applications() -> dict[str, int]:
    """Import docs/samples/rr_applications.csv and rr_events.csv (idempotent: a second run changes
    nothing and sends no second invitation); return the row counts per file."""
    counts = {}
    for kind, filename in (("applications", "rr_applications.csv"), ("events", "rr_events.csv")):
        result = rr_import(kind=kind, source=SAMPLES / filename, initiator="seed_demo")
        if result.exit_code != 0:
            raise RuntimeError(f"docs/samples/{filename}: {result.errors[:3]}")
        counts[kind] = result.rows
    return counts
