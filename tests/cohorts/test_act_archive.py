"""The act's document archive (reference §5.3–5.4; acceptance 5): a ZIP built by Celery that opens
and holds every expected file exactly once — the act's current PDF and both signatures, the
invoice, the journal and screenshots, and per citizen the enrolment and completion orders, the
contract and the qualification document — under safe, unique names, streamed without holding the
files in memory; and the unit rules of documents.packages (safe names, unique names, write_zip)."""
import io
import os
import tracemalloc
import unicodedata
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from cohorts.models import Act, JournalFile
from cohorts.services import acts
from documents.models import GeneratedDocument, Signature
from documents.packages import Entry, UniqueNames, safe_path, safe_segment, write_zip
from enrollment.models import ApplicationDocument, Citizen, QualificationDocument
from orders.models import Order, OrderScan
from tests.cohorts.support import operator_with_signatory, pdf_upload, png_upload
from tests.cohorts.test_act_cycle import (
    ACT_DAY,
    act_in,
    finished_cohort,
    fresh,
    generate_act,
    sign_as_partner,
    upload_journal,
)
from tests.cohorts.test_assignments import at, run_on_commit
from tests.programs.test_contract_support import signature_file

pytestmark = pytest.mark.django_db

HOSTILE_LAST_NAME = "Иванов/../\u202eevil"
MB = 1024 * 1024
# The archive of 50 citizens carries about 200 MB of scans; building it may hold a few 1 MB copy
# buffers at once, never the files themselves.
PEAK_BOUND = 16 * MB


@pytest.fixture(autouse=True)
def _cohort_site(monkeypatch, operator_org):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)


def archive_of(act, user) -> tuple[GeneratedDocument, zipfile.ZipFile]:
    with at(ACT_DAY), run_on_commit():
        document = acts.act_archive_request(actor=user, act=act)
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY, document.error
    return document, zipfile.ZipFile(io.BytesIO(document.file.open("rb").read()))


def read(field) -> bytes:
    with field.open("rb") as file:
        return file.read()


def is_safe(name: str) -> bool:
    return (".." not in name and not name.startswith("/") and "\\" not in name
            and not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name))


# The archive of a signed act --------------------------------------------------------------------

@pytest.fixture
def signed(partner_a, campaign, staff_a, operator_reviewer):
    """An act signed by both for two citizens, one with a hostile name, and a second journal screenshot."""
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=3)
    hostile, plain, _left_out = applications
    Citizen.objects.filter(applications=hostile).update(last_name=HOSTILE_LAST_NAME, first_name="Пётр\x1b[31m")
    act = generate_act(staff_a, cohort, [hostile, plain])
    upload_journal(staff_a, cohort, screenshots=[png_upload("1.png"), pdf_upload("2.pdf")])
    act.refresh_from_db()
    with at(ACT_DAY):
        act = acts.act_approve(actor=operator_reviewer, act=act)
        act = sign_as_partner(staff_a, act)
        act = acts.act_start_signature_check(actor=operator_reviewer, act=act)
        act = acts.act_sign_by_operator(actor=operator_reviewer, act=act, signature=signature_file(),
                                        act_date=ACT_DAY)
    return act, fresh([hostile, plain])


def expected_files(act, applications) -> dict:
    """{archive path, or (rr number, file name) for a citizen's file: the stored file}."""
    n = act.number
    signatures = {s.party: s.file for s in act.document.signatures.all()}
    journal = {f.kind + str(f.position): f.file for f in JournalFile.objects.filter(package__cohort=act.cohort)}
    expected = {
        f"Акт {n}.pdf": act.document.file,
        f"Акт {n} — подпись ОП.sig": signatures[Signature.Party.PARTNER],
        f"Акт {n} — подпись ФО.sig": signatures[Signature.Party.OPERATOR],
        "Счёт.pdf": act.invoices.get().file,
        "Журнал и скриншоты/Журнал.pdf": journal["journal1"],
        "Журнал и скриншоты/Скриншот 1.png": journal["screenshot1"],
        "Журнал и скриншоты/Скриншот 2.pdf": journal["screenshot2"],
    }
    for application in applications:
        for order in Order.objects.filter(assignments__application=application):
            expected[(application.rr_number, f"Приказ {order.number}.pdf")] = order.scans.get(is_current=True).file
        expected[(application.rr_number, "Договор.pdf")] = ApplicationDocument.objects.get(
            application=application, kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT).file
        expected[(application.rr_number, "Документ о квалификации.pdf")] = QualificationDocument.objects.get(
            application=application).scan
    return expected


def test_the_archive_holds_every_file_once_under_safe_unique_names(signed, staff_a):
    act, applications = signed
    document, archive = archive_of(act, staff_a)
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(set(names)) == 7 + 2 * 4
    assert all(is_safe(name) for name in names), names

    expected = expected_files(act, applications)
    assert len(expected) == 7 + 2 * 4  # two orders each: enrolment and completion
    for key, stored in expected.items():
        if isinstance(key, str):
            matches = [name for name in names if name == key]
        else:
            rr_number, file_name = key
            matches = [name for name in names if name.startswith("Слушатели/") and rr_number in name
                       and name.endswith("/" + file_name)]
        assert len(matches) == 1, (key, names)
        assert archive.read(matches[0]) == read(stored), key
    hostile = [name for name in names if applications[0].rr_number in name]
    assert len(hostile) == 4
    assert all("\u202e" not in name and "\x1b" not in name and "evil" in name for name in hostile)
    assert document.kind == "act_archive"
    assert document.sha256
    act.refresh_from_db()
    assert act.archive == document


def test_each_citizens_files_sit_in_one_folder_of_their_own(signed, staff_a):
    act, applications = signed
    _document, archive = archive_of(act, staff_a)
    for name in archive.namelist():
        if name.startswith("Слушатели/"):
            assert len(name.split("/")) == 3, name


def test_the_archive_holds_the_current_pdf_and_invoice_only(partner_a, campaign, staff_a, operator_reviewer):
    """After a rejection at the signature check the act's PDF is generated again: the archive holds
    the new PDF with its signatures and the newest invoice, not the superseded ones."""
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = act_in("rejected_at_check", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    old_pdf = act.document
    with at(ACT_DAY), run_on_commit():
        act = acts.act_resubmit(actor=staff_a, act=act, comment="Исправили")
    with at(ACT_DAY):
        act = acts.act_approve(actor=operator_reviewer, act=act)
        act = sign_as_partner(staff_a, act)
    assert act.document_id != old_pdf.pk
    _document, archive = archive_of(act, operator_reviewer)
    names = archive.namelist()
    assert archive.read(f"Акт {act.number}.pdf") == read(act.document.file)
    assert archive.read(f"Акт {act.number} — подпись ОП.sig") == read(act.document.signatures.get().file)
    assert f"Акт {act.number} — подпись ФО.sig" not in names
    assert archive.read("Счёт.pdf") == read(act.invoices.get(version=2).file)
    assert len([name for name in names if name.startswith("Счёт")]) == 1


def test_only_the_acts_partner_and_the_operator_may_request_it(partner_a, campaign, staff_a, staff_b,
                                                               operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = generate_act(staff_a, cohort, applications)
    with at(ACT_DAY), pytest.raises(PermissionDenied):
        acts.act_archive_request(actor=staff_b, act=act)
    assert not GeneratedDocument.objects.filter(kind="act_archive").exists()
    _document, archive = archive_of(act, operator_reviewer)
    assert f"Акт {act.number}.pdf" in archive.namelist()


# Memory -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [50])
def test_a_large_archive_is_streamed_not_held_in_memory(count, settings, tmp_path, partner_a, campaign, staff_a,
                                                        operator_reviewer, django_capture_on_commit_callbacks):
    """50 citizens with ~1 MB scans each: about 200 MB of files in the archive (the two orders'
    scans are in every citizen's folder). Building it through act_archive_task must keep the
    Python heap's peak (tracemalloc) under 16 MB — the files are copied in 1 MB chunks into a
    temporary file on disk, which the storage then reads in chunks."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=count)
    act = generate_act(staff_a, cohort, applications)
    upload_journal(staff_a, cohort)
    big = [*OrderScan.objects.filter(order__cohort=cohort),
           *ApplicationDocument.objects.filter(application__cohort=cohort,
                                               kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT),
           *QualificationDocument.objects.filter(application__cohort=cohort)]
    for row in big:
        field = row.scan if isinstance(row, QualificationDocument) else row.file
        with open(field.path, "wb") as file:
            file.write(b"%PDF-1.4\n" + os.urandom(MB))
    content = sum(os.path.getsize(f.path) for f in (
        [s.file for s in OrderScan.objects.filter(order__cohort=cohort)] * count
        + [r.file for r in ApplicationDocument.objects.filter(application__cohort=cohort,
                                                              kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT)]
        + [q.scan for q in QualificationDocument.objects.filter(application__cohort=cohort)]))
    assert content > 200 * MB

    with at(ACT_DAY), django_capture_on_commit_callbacks() as callbacks:
        document = acts.act_archive_request(actor=staff_a, act=act)
    assert len(callbacks) == 1
    tracemalloc.start()
    try:
        callbacks[0]()  # act_archive_task → document_package
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY, document.error
    with zipfile.ZipFile(document.file.path) as archive:
        infos = archive.infolist()
    assert len(infos) == 1 + 2 + count * 4
    assert sum(info.file_size for info in infos) >= content
    assert peak < PEAK_BOUND, f"peak {peak / MB:.1f} MB"


# documents.packages -----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "safe"), [
    ("акт.pdf", "акт.pdf"),
    ("a/b\\c:d*e?f\"g<h>i|j.pdf", "a_b_c_d_e_f_g_h_i_j.pdf"),
    ("..", "файл"),
    ("", "файл"),
    ("   . . ", "файл"),
    (".htaccess", "htaccess"),
    ("name. ", "name"),
    ("\u202egnp.exe", "gnp.exe"),
    ("evil\u200b\u2066name\u2069.pdf", "evilname.pdf"),
    ("bell\x07tab\tnewline\n.pdf", "belltabnewline.pdf"),
    ("two   spaces.pdf", "two spaces.pdf"),
    ("Пётр".replace("ё", "е\u0308"), "Пётр"),  # NFC: a decomposed ё becomes one character
])
def test_safe_segment(raw, safe):
    assert safe_segment(raw) == safe


def test_a_long_segment_is_cut_keeping_its_extension():
    name = safe_segment("я" * 300 + ".pdf")
    assert len(name) == 120
    assert name.endswith("я.pdf")
    assert len(safe_segment("я" * 300)) == 120


@pytest.mark.parametrize(("raw", "safe"), [
    ("../../etc/passwd", "etc/passwd"),
    ("/absolute/path.pdf", "absolute/path.pdf"),
    ("a//b/./c.pdf", "a/b/c.pdf"),
    ("Слушатели/\u202eevil/скан.pdf", "Слушатели/evil/скан.pdf"),
])
def test_safe_path(raw, safe):
    assert safe_path(raw) == safe


def test_unique_names_number_duplicates_case_blind():
    names = UniqueNames()
    assert names("скан.pdf") == "скан.pdf"
    assert names("скан.pdf") == "скан (2).pdf"
    assert names("СКАН.PDF") == "СКАН (3).PDF"
    assert names("папка/скан.pdf") == "папка/скан.pdf"
    assert names("ПАПКА/Скан.pdf") == "ПАПКА/Скан (2).pdf"
    assert names("README") == "README"
    assert names("readme") == "readme (2)"
    assert names("") == "файл"
    assert names("..") == "файл (2)"


def test_unique_names_never_repeat_an_original_name():
    names = UniqueNames()
    assert [names(n) for n in ("скан (2).pdf", "скан.pdf", "скан.pdf")] == ["скан (2).pdf", "скан.pdf",
                                                                            "скан (3).pdf"]


class _Stored:
    def __init__(self, data: bytes | None):
        self.data = data

    def open(self, mode="rb"):
        if self.data is None:
            raise FileNotFoundError
        return io.BytesIO(self.data)


def test_write_zip_makes_names_safe_and_unique_and_skips_missing_files():
    target = io.BytesIO()
    paths = write_zip([
        Entry("../скан.pdf", _Stored(b"%PDF-1")),
        Entry("Скан.pdf", _Stored(b"%PDF-2")),
        Entry("нет.pdf", _Stored(None)),
        Entry("заметка.txt", _Stored(b"text " * 100)),
    ], target)
    assert paths == ["скан.pdf", "Скан (2).pdf", "заметка.txt"]
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == paths
        assert archive.read("скан.pdf") == b"%PDF-1"
        assert archive.read("Скан (2).pdf") == b"%PDF-2"
        assert archive.getinfo("скан.pdf").compress_type == zipfile.ZIP_STORED  # already compressed
        assert archive.getinfo("заметка.txt").compress_type == zipfile.ZIP_DEFLATED


def test_a_new_request_builds_a_new_archive(partner_a, campaign, staff_a, operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = generate_act(staff_a, cohort, applications)
    first, _archive = archive_of(act, staff_a)
    second, _archive = archive_of(act, staff_a)
    assert first.pk != second.pk
    assert Act.objects.get(pk=act.pk).archive_id == second.pk
    assert first.status == GeneratedDocument.Status.READY  # the earlier archive stays downloadable
