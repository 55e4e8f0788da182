"""Error reports and logs without passport or SNILS values (PDN-10, PDN-11).

Django's error e-mail to ADMINS (and any reporter built on ExceptionReporter) carries the POST
data, the exception message and, in HTML, every frame's local variables. Marking each view with
`sensitive_post_parameters` works only where someone remembered; these classes scrub every report:

    DEFAULT_EXCEPTION_REPORTER = "privacy.reporting.PersonalDataExceptionReporter"
    DEFAULT_EXCEPTION_REPORTER_FILTER = "privacy.reporting.PersonalDataReporterFilter"

and `MaskPersonalDataFilter` does the same for log records (add it to a handler's "filters").
"""
import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SUBSTITUTE = "********************"
# POST fields whose values never appear in a report, by name.
SENSITIVE_FIELDS = re.compile(r"snils|passport|inn$|phone|birth|address|education_document|password|token", re.I)
# SNILS (123-456-789 01, 12345678901) and passport (69 04 123456, 6904123456) anywhere in text;
# 10–12 digit runs also cover INN. Dates and short ids are left alone.
_SNILS = re.compile(r"(?<!\d)\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?!\d)")
_PASSPORT = re.compile(r"(?<!\d)\d{2} ?\d{2} ?\d{6}(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{10,12}(?!\d)")


def scrub(text: str) -> str:
    """Mask SNILS, passport and INN numbers in free text, keeping the last two digits."""
    for pattern in (_SNILS, _PASSPORT, _LONG_DIGITS):
        text = pattern.sub(lambda m: "*" * (len(m[0]) - 2) + m[0][-2:], text)
    return text


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Django's safe filter, plus: personal POST fields hidden by name; frame variables scrubbed."""

    def get_post_parameters(self, request):
        cleansed = super().get_post_parameters(request)
        if not cleansed:
            return cleansed
        cleansed = cleansed.copy()
        for name in list(cleansed):
            if SENSITIVE_FIELDS.search(name):
                cleansed[name] = SUBSTITUTE
            else:
                cleansed.setlist(name, [scrub(str(value)) for value in cleansed.getlist(name)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, scrub(repr(value)) if not isinstance(value, str) or value != SUBSTITUTE else value)
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]


class PersonalDataExceptionReporter(ExceptionReporter):
    """The whole report, text and HTML, scrubbed last: the exception message ("Key (snils)=…")
    and anything a filter cannot reach."""

    def get_traceback_text(self):
        return scrub(super().get_traceback_text())

    def get_traceback_html(self):
        return scrub(super().get_traceback_html())


class MaskPersonalDataFilter(logging.Filter):
    """A logging filter: the formatted message and arguments with SNILS and passport numbers masked."""

    def filter(self, record):
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True
