"""Dependencies and supply chain (checklist DEP-01…DEP-04): the lock, the audit tool and its
offline floor table, the SBOM. The online half of the audit (pip-audit against the vulnerability
service) is exercised with a stand-in pip-audit: CI runs the real one (`make audit`)."""
import datetime as dt
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import dependency_audit as audit  # noqa: E402
import sbom  # noqa: E402

LOCK = ROOT / "requirements.lock"
ADVISORIES = ROOT / "tools" / "advisories.toml"
TODAY = dt.date(2026, 12, 4)


def _lock(tmp_path, text: str) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text(text, encoding="utf-8")
    return path


def _advisories(tmp_path, extra: str) -> Path:
    path = tmp_path / "advisories.toml"
    path.write_text(ADVISORIES.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def _offline(lock: Path, advisories: Path = ADVISORIES, today: dt.date = TODAY) -> int:
    return audit.main(["--lock", str(lock), "--advisories", str(advisories), "--offline", "--today", today.isoformat()])


# DEP-01 the lock ------------------------------------------------------------------------------

def test_the_lock_pins_exactly_the_installed_set():
    pins = audit.read_lock(LOCK)
    # pip freeze leaves out Flow itself (editable) and pip's own packaging tools.
    left_out = ("flow", "pip", "setuptools", "wheel", "distribute")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()
                 if d.metadata["Name"] and canonicalize_name(d.metadata["Name"]) not in left_out}
    assert pins == installed


def test_every_line_of_the_lock_is_an_exact_pin(tmp_path):
    with pytest.raises(audit.Unusable, match="not an exact pin"):
        audit.read_lock(_lock(tmp_path, "django>=5.2\n"))
    assert audit.main(["--lock", str(_lock(tmp_path, "django>=5.2\n")), "--offline"]) == 2


def test_the_real_lock_passes_the_offline_audit(capsys):
    assert _offline(LOCK) == 0
    assert "No violations." in capsys.readouterr().out


def test_django_and_weasyprint_are_at_their_floors():
    pins = audit.read_lock(LOCK)
    assert Version(pins["django"]) >= Version("5.2.18")
    assert Version(pins["django"]) < Version("5.3")
    assert Version(pins["weasyprint"]) >= Version("70.0")


@pytest.mark.parametrize(("line", "advisory"), [
    ("django==5.2.17", "FLOW-DEP-01"),
    ("django==5.2.1", "CVE-2025-48432"),
    ("weasyprint==69.0", "FLOW-DEP-01"),
    ("django-guardian==2.4.0", "FLOW-DEP-03"),
])
def test_a_package_below_its_floor_fails_the_audit(tmp_path, capsys, line, advisory):
    assert _offline(_lock(tmp_path, line + "\n")) == 1
    out = capsys.readouterr().out
    assert f"VIOLATION {line} [{advisory}]" in out


# DEP-03 unmaintained libraries ----------------------------------------------------------------

def test_django_fsm_is_refused_in_favour_of_django_fsm_2(tmp_path, capsys):
    assert _offline(_lock(tmp_path, "django-fsm==3.0.0\n")) == 1
    assert "use django-fsm-2" in capsys.readouterr().out


def test_the_installed_set_has_no_denied_package_and_guardian_3():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert "django-fsm" not in installed
    assert "django-fsm-2" in installed
    assert Version(installed["django-guardian"]) >= Version("3")


# DEP-04 exceptions expire -----------------------------------------------------------------------

EXCEPTION = """
[[exception]]
package = "django"
advisory = "FLOW-DEP-01"
expires = 2026-12-31
reason = "Upgrade scheduled with the next release."
"""


def test_an_unexpired_exception_lets_the_audit_pass(tmp_path):
    assert _offline(_lock(tmp_path, "django==5.2.17\n"), _advisories(tmp_path, EXCEPTION)) == 0


def test_an_expired_exception_fails_the_audit(tmp_path, capsys):
    code = _offline(_lock(tmp_path, "django==5.2.19\n"), _advisories(tmp_path, EXCEPTION),
                    today=dt.date(2027, 1, 1))
    assert code == 1
    assert "expired on 2026-12-31" in capsys.readouterr().out


def test_an_exception_without_an_expiry_date_is_refused(tmp_path):
    table = _advisories(tmp_path, '[[exception]]\npackage = "django"\nadvisory = "X"\nreason = "r"\n')
    assert _offline(LOCK, table) == 2


def test_the_remediation_policy_is_written_down():
    policy = (ROOT / "tools" / "DEPENDENCY_POLICY.md").read_text(encoding="utf-8")
    for severity in ("Critical", "High", "Medium", "Low"):
        assert severity in policy
    assert "24 hours" in policy
    assert "expires" in policy


# The online half: pip-audit's answer is read correctly --------------------------------------------

def _fake_pip_audit(tmp_path, report: dict | None, exit_code: int = 0) -> str:
    script = tmp_path / "pip-audit"
    payload = "" if report is None else json.dumps(report)
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({payload!r})\n"
                      f"sys.stderr.write('ConnectionError: vulnerability service')\nsys.exit({exit_code})\n")
    script.chmod(0o755)
    return str(script)


def test_an_unreachable_service_is_reported_plainly(tmp_path):
    result = audit.online_check(LOCK, set(), pip_audit=_fake_pip_audit(tmp_path, None, exit_code=1))
    assert not result.reachable
    assert "pip-audit failed" in result.note


def test_a_mirror_answering_for_nothing_counts_as_unreachable(tmp_path):
    report = {"dependencies": [{"name": "django", "version": "5.2.19",
                                "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    result = audit.online_check(LOCK, set(), pip_audit=_fake_pip_audit(tmp_path, report))
    assert not result.reachable
    assert "answered for none" in result.note


def test_a_known_vulnerability_from_pip_audit_is_a_finding(tmp_path):
    report = {"dependencies": [{"name": "Django", "version": "5.2.19", "vulns": [
        {"id": "PYSEC-2099-1", "fix_versions": ["5.2.20"]}]}, {"name": "celery", "version": "5.5.0", "vulns": []}]}
    result = audit.online_check(LOCK, set(), pip_audit=_fake_pip_audit(tmp_path, report, exit_code=1))
    assert result.reachable
    expected = audit.Finding("django", "5.2.19", "PYSEC-2099-1", "known vulnerability; fixed in 5.2.20")
    assert result.findings == [expected]


def test_the_tool_runs_from_the_command_line_and_says_when_the_service_is_unreachable():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "dependency_audit.py"), "--require-online"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    if "unreachable" in run.stdout:
        assert run.returncode == 3
        assert "Known vulnerabilities were NOT checked online" in run.stdout
    else:  # a machine that reaches the service: a clean audit
        assert run.returncode == 0, run.stdout + run.stderr


# DEP-02 the SBOM ------------------------------------------------------------------------------

def test_the_sbom_lists_every_pinned_package_with_its_purl(tmp_path):
    output = tmp_path / "sbom.json"
    assert sbom.main(["--lock", str(LOCK), "--output", str(output)]) == 0
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["bomFormat"] == "CycloneDX"
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["component"]["name"] == "flow"
    purls = {c["purl"] for c in document["components"]}
    pins = audit.read_lock(LOCK)
    assert len(document["components"]) == len(pins)
    assert f"pkg:pypi/django@{pins['django']}" in purls


def test_every_pin_carries_the_hash_of_its_file():
    """DEP-01: `pip install --require-hashes` refuses a file that is not the one pinned."""
    text = LOCK.read_text(encoding="utf-8")
    pins = [line for line in text.splitlines() if audit.PIN.match(line) and not line.startswith("#")]
    assert len(pins) == len(audit.read_lock(LOCK))
    for pin in pins:
        block = text.split(pin, 1)[1].split("\n", 1)[1]
        assert block.lstrip().startswith("--hash=sha256:"), pin
