"""Helpers of the analytics tests (plain functions, no tests here). The bulk generator and the
funnel's status table live in analytics.scale (the benchmarks and `manage.py generate_scale_data`
use the same data); what stays here re-states the funnel independently, for the direct counts."""
from analytics.scale import ENROLLED, PRICE, REACHED, RESERVED, generate, make_act

__all__ = ["ENROLLED", "PRICE", "REACHED", "RESERVED", "expected_funnel", "generate", "make_act"]


def expected_funnel(statuses) -> list[int]:
    """The seven step counts of applications in `statuses`, from REACHED."""
    statuses = list(statuses)
    return [sum(1 for status in statuses if REACHED[status] >= step) for step in range(1, 8)]
