"""Ops commands that touch citizens' personal data say who ran them (ADM-05, 152-FZ art. 19).

`PersonalDataCommand` is a BaseCommand that writes one audit event before it runs — the OS user,
the ticket it was run for (`--ticket` or FLOW_TICKET) and the command's arguments — and offers
`mask` for anything it prints that may quote a cell value (row-error reasons): ops' terminals
and CI logs are not a place for SNILS numbers or e-mail addresses.
"""
import getpass
import os

from django.core.management.base import BaseCommand

from core.imports import mask_personal
from privacy.audit import audit
from privacy.models import AuditEvent

# BaseCommand's own options: not worth recording.
_STANDARD_OPTIONS = {"verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color",
                     "skip_checks", "ticket"}


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def mask(text: str) -> str:
    return mask_personal(str(text))


class PersonalDataCommand(BaseCommand):
    """A management command over personal data: audited with its OS user and ticket."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--ticket", default=os.environ.get("FLOW_TICKET", ""),
                            help="номер заявки или обращения, по которому запускается команда (в журнал аудита)")
        return parser

    def execute(self, *args, **options):
        arguments = {key: str(value) for key, value in options.items()
                     if key not in _STANDARD_OPTIONS and value not in (None, False, "")}
        audit(action=AuditEvent.Action.COMMAND, object_type="command", object_id=self._name(),
              details={"os_user": os_user(), "ticket": options.get("ticket", ""),
                       "args": [mask(arg) for arg in args], "options": {k: mask(v) for k, v in arguments.items()}})
        return super().execute(*args, **options)

    def _name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]
