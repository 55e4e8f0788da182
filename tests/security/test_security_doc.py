"""docs/security.md answers for every ID of the security checklist (issue #9, acceptance 1).

Each row names its status and, when the application does it, the test that proves it: the test
module must exist and hold the named test, so the table cannot point at a test that was renamed
or deleted. The checklist itself lives in the shared reference folder beside the repository.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
CHECKLIST = ROOT.parent / "shared" / "reference" / "security-checklist.md"
ID = re.compile(r"^\| ([A-Z]{3,4}-\d{2}) \|", re.MULTILINE)
STATUSES = ("done", "operator's duty", "not applicable", "partly done", "not done")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def doc_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        match = ID.match(line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return rows


@pytest.mark.skipif(not CHECKLIST.exists(), reason="the shared checklist is not beside this checkout")
def test_every_checklist_id_has_a_row():
    wanted = set(ID.findall(CHECKLIST.read_text()))
    assert len(wanted) > 90
    assert wanted - doc_rows().keys() == set()


def test_every_row_has_a_status_and_done_rows_name_a_test():
    rows = doc_rows()
    assert rows, "docs/security.md has no checklist rows"
    for key, cells in rows.items():
        status = cells[1]
        assert status in STATUSES, f"{key}: unknown status {status!r}"
        if status in ("done", "partly done"):
            assert TEST_REF.search(cells[-1]), f"{key}: a done row names the test that proves it"


def test_named_tests_exist():
    missing = []
    for key, cells in doc_rows().items():
        for path, name in TEST_REF.findall(cells[-1]):
            module = ROOT / path
            if not module.exists():
                missing.append(f"{key}: {path}")
            elif name and name not in _test_names(module):
                missing.append(f"{key}: {path}::{name}")
    assert missing == []


def _test_names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return {node.name for node in ast.walk(tree) if isinstance(node, kinds)}
