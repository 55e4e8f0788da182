"""Fault tests' invariant lines (`R<n> invariant: …`, security checklist §4).

`report(line)` prints the line and, when FLOW_INVARIANTS_LOG names a file, appends it there: under
xdist a worker's output never reaches CI's log, so `.ci/run` prints that file after the suite and
fails if a scenario's line is missing.
"""
import os


def report(line: str) -> None:
    print(line)
    path = os.environ.get("FLOW_INVARIANTS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line.replace("\n", " ") + "\n")
