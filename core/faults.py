"""Fault points: named checkpoints where a fault test makes the process fail on purpose (§4 R5).

Code that has a side effect marks the moments a crash matters::

    fault_point("document_render", "before_side_effect")
    ...store the file...
    fault_point("document_render", "after_side_effect_before_commit")

and a test starts a worker with `FLOW_FAULTS=<point>:<action>[,<point>:<action>…]`, where `<point>`
is the bare checkpoint (`before_side_effect`, every scope) or `<scope>.<checkpoint>`, and the action
is `raise` (FaultInjected), `kill` (SIGKILL of this process: no cleanup, no ack, like the OOM killer)
or `sleep=<seconds>`. Unset (production), a fault point is one dictionary lookup and does nothing.

`FLOW_FAULTS_ONCE=<directory>` makes each point fire once across processes (a marker file per
point): the worker child a `kill` took down is replaced, and the redelivered task then runs through,
as after a real crash, instead of dying on every delivery.
"""
import logging
import os
import signal
import time

logger = logging.getLogger(__name__)

ENV = "FLOW_FAULTS"
ONCE_ENV = "FLOW_FAULTS_ONCE"
CHECKPOINTS = ("before_side_effect", "after_side_effect_before_commit", "after_commit_before_ack")


class FaultInjected(RuntimeError):
    """Raised at a fault point whose action is `raise`."""


def parse(spec: str) -> dict[str, str]:
    """`"a.b:kill, c:sleep=2"` -> {"a.b": "kill", "c": "sleep=2"}; malformed entries are refused
    (a typo would silently test nothing)."""
    faults = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        point, sep, action = entry.rpartition(":")
        if not sep or not point or not (action in ("raise", "kill") or action.startswith("sleep=")):
            raise ValueError(f"{ENV}: expected point:raise|kill|sleep=<seconds>, got {entry!r}")
        faults[point] = action
    return faults


def fault_point(scope: str, checkpoint: str) -> None:
    """Act on the fault configured for `<scope>.<checkpoint>` or `<checkpoint>`, if any."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    faults = parse(spec)
    action = faults.get(f"{scope}.{checkpoint}") or faults.get(checkpoint)
    if action is None or not _first_time(f"{scope}.{checkpoint}"):
        return
    logger.warning("fault point %s.%s: %s", scope, checkpoint, action)
    if action == "raise":
        raise FaultInjected(f"{scope}.{checkpoint}")
    if action == "kill":
        for handler in logging.getLogger().handlers:  # the test reads the log to see where it died
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(action.removeprefix("sleep=")))


def _first_time(point: str) -> bool:
    directory = os.environ.get(ONCE_ENV)
    if not directory:
        return True
    try:  # O_EXCL: of two processes reaching the point together, one fires
        os.close(os.open(os.path.join(directory, point), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
