"""Rows of the access matrix (tests/test_access_matrix.py), one module per app.

A module defines `ROWS = {"app:url_name": row(anonymous, citizen, staff_a, staff_b,
employment_reviewer, operator_reviewer, args=(...), method="post", data={...})}` and, when its
URLs name objects, `objects(world) -> dict` creating them from the shared world (personas and
`partner_a`, `partner_b`, `operator_org`, `employment_org`, `campaign`). Partner A and B staff,
the employment reviewer (region 70) and the operator are the personas; an `args` entry names a
world key whose pk (or value) goes into the URL.
"""
from dataclasses import dataclass, field

PERSONAS = ("anonymous", "citizen", "staff_a", "staff_b", "employment_reviewer", "operator_reviewer")


@dataclass(frozen=True)
class Rule:
    expect: dict[str, int]
    args: tuple[str, ...] = ()  # world keys whose pk (or value) goes into the URL
    method: str = "get"
    data: dict = field(default_factory=dict)


def row(anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer, **kwargs) -> Rule:
    return Rule(dict(zip(PERSONAS, (anonymous, citizen, staff_a, staff_b, employment_reviewer,
                                    operator_reviewer), strict=True)), **kwargs)
