"""The demo world's programs and cohorts: the Odin sample files imported as the feed would."""
from pathlib import Path

from django.conf import settings

from programs.services.odin import odin_import

SAMPLES = Path(settings.BASE_DIR) / "docs" / "samples"


def seed_programs() -> dict[str, int]:
    """Import docs/samples/odin_programs.csv and odin_cohorts.csv (idempotent); return the row
    counts per file. A sample that no longer imports cleanly is a bug: fail loudly."""
    counts = {}
    for kind in ("programs", "cohorts"):
        result = odin_import(kind=kind, source=SAMPLES / f"odin_{kind}.csv", initiator="seed_demo")
        if result.exit_code != 0:
            raise RuntimeError(f"docs/samples/odin_{kind}.csv: {result.errors[:3]}")
        counts[kind] = result.rows
    return counts
