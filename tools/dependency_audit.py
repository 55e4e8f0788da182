#!/usr/bin/env python3
"""Audit requirements.lock for vulnerable or forbidden packages (checklist DEP-01, DEP-03, DEP-04).

    python tools/dependency_audit.py [--lock requirements.lock] [--advisories tools/advisories.toml]
                                     [--offline] [--require-online] [--today YYYY-MM-DD]

Two checks:
1. pip-audit against the lock (the PyPI vulnerability service). If the service cannot be reached,
   or answers for none of the packages (a mirror without the JSON API), the tool says so plainly
   and goes on with the offline check only; `--require-online` makes that an error instead.
   Unexpired [[exception]] entries of the advisory table are passed to pip-audit as --ignore-vuln.
2. Always, offline: the lock against the floor table tools/advisories.toml — a package below its
   floor, a denied package, or an expired exception is a violation.

Exit status: 0 clean; 1 a vulnerability or violation; 2 the lock or table is unusable;
3 the vulnerability service was unreachable and --require-online was given.
"""
import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\#]+)")


class Unusable(Exception):
    """The lock file or the advisory table cannot be read."""


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    message: str


def read_lock(path: Path) -> dict[str, str]:
    """Canonical package name → pinned version. Every requirement line must be an exact pin."""
    if not path.is_file():
        raise Unusable(f"{path}: no such lock file")
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "--hash")):
            continue
        match = PIN.match(line)
        if match is None:
            raise Unusable(f"{path}:{number}: not an exact pin (name==version): {line!r}")
        pins[canonicalize_name(match[1])] = match[2]
    if not pins:
        raise Unusable(f"{path}: no pinned packages")
    return pins


def read_advisories(path: Path) -> dict:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise Unusable(f"{path}: {error}") from None
    for entry in table.get("exception", []):
        if not isinstance(entry.get("expires"), dt.date):
            raise Unusable(f"{path}: exception {entry.get('advisory')!r} needs an `expires` date")
    return table


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def active_exceptions(table: dict, today: dt.date) -> set[tuple[str, str]]:
    return {(canonicalize_name(e["package"]), e["advisory"]) for e in table.get("exception", [])
            if e["expires"] >= today}


def offline_check(pins: dict[str, str], table: dict, today: dt.date) -> list[Finding]:
    """Floors, denials and expired exceptions (needs no network)."""
    findings = []
    excepted = active_exceptions(table, today)
    for floor in table.get("floor", []):
        name = canonicalize_name(floor["package"])
        if name not in pins:
            continue
        installed, minimum = _version(pins[name]), Version(floor["minimum"])
        if (name, floor["advisory"]) in excepted:
            continue
        if installed is None or installed < minimum:
            findings.append(Finding(name, pins[name], floor["advisory"],
                                    f"below the floor {minimum}: {floor.get('reason', '')}".strip()))
    for deny in table.get("deny", []):
        name = canonicalize_name(deny["package"])
        if name in pins and (name, deny.get("advisory", "")) not in excepted:
            findings.append(Finding(name, pins[name], deny.get("advisory", "deny"),
                                    f"must not be installed (use {deny.get('replacement', 'a maintained fork')}): "
                                    f"{deny.get('reason', '')}".strip()))
    for entry in table.get("exception", []):
        if entry["expires"] < today:
            name = canonicalize_name(entry["package"])
            findings.append(Finding(name, pins.get(name, "-"), entry["advisory"],
                                    f"the accepted exception expired on {entry['expires']:%Y-%m-%d}: "
                                    "upgrade, or renew it with a reason"))
    return findings


@dataclass
class OnlineResult:
    reachable: bool
    findings: list[Finding]
    note: str


def online_check(lock: Path, ignored: set[str], pip_audit: str | None = None, timeout: int = 300) -> OnlineResult:
    """pip-audit against the lock. `reachable` is False when the service answered for nothing."""
    pip_audit = pip_audit or shutil.which("pip-audit") or str(Path(sys.executable).with_name("pip-audit"))
    if not Path(pip_audit).exists() and shutil.which(pip_audit) is None:
        return OnlineResult(False, [], "pip-audit is not installed")
    command = [pip_audit, "-r", str(lock), "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    for advisory in sorted(ignored):
        command += ["--ignore-vuln", advisory]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return OnlineResult(False, [], f"pip-audit timed out after {timeout} s")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return OnlineResult(False, [], f"pip-audit failed (exit {run.returncode}): {last}")
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    findings = [Finding(canonicalize_name(d["name"]), d.get("version", "-"), v["id"],
                        f"known vulnerability; fixed in {', '.join(v.get('fix_versions') or ['(no fix yet)'])}")
                for d in dependencies for v in d.get("vulns", [])]
    if dependencies and len(skipped) == len(dependencies):
        return OnlineResult(False, findings, "the vulnerability service answered for none of the "
                                             f"{len(dependencies)} packages ({skipped[0]['skip_reason']})")
    note = f"{len(dependencies) - len(skipped)} packages audited online"
    if skipped:
        note += f"; {len(skipped)} could not be audited: " + ", ".join(d["name"] for d in skipped)
    return OnlineResult(True, findings, note)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--advisories", type=Path, default=ROOT / "tools" / "advisories.toml")
    parser.add_argument("--offline", action="store_true", help="skip pip-audit; floor table only")
    parser.add_argument("--require-online", action="store_true",
                        help="fail (exit 3) when the vulnerability service cannot be reached")
    # A standalone tool (no Django settings): the UTC date, not django.utils.timezone.
    today = dt.datetime.now(dt.UTC).date()  # noqa: TID251
    parser.add_argument("--today", type=dt.date.fromisoformat, default=today,
                        help="the date exceptions are checked against (default: today, UTC)")
    args = parser.parse_args(argv)
    try:
        pins = read_lock(args.lock)
        table = read_advisories(args.advisories)
    except Unusable as error:
        print(f"dependency audit: {error}", file=sys.stderr)
        return 2

    findings = offline_check(pins, table, args.today)
    print(f"Offline floor check: {len(pins)} pinned packages against {args.advisories.name}.")
    unreachable = False
    if args.offline:
        print("Online audit skipped (--offline).")
    else:
        ignored = {advisory for _package, advisory in active_exceptions(table, args.today)}
        online = online_check(args.lock, ignored)
        if online.reachable:
            print(f"Online audit (pip-audit): {online.note}.")
        else:
            unreachable = True
            print(f"WARNING: the vulnerability service is unreachable — {online.note}. "
                  "Known vulnerabilities were NOT checked online; only the offline floor table was applied.")
        findings += online.findings

    for finding in findings:
        print(f"VIOLATION {finding.package}=={finding.version} [{finding.advisory}]: {finding.message}")
    if findings:
        print(f"{len(findings)} violation(s).")
        return 1
    if unreachable and args.require_online:
        return 3
    print("No violations.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
