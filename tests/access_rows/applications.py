"""Access-matrix rows of the partner's application pages (enrollment/partner_urls.py).

Objects: app_a — partner A's application in region 70 (the employment reviewer's), in primary check,
with a passport scan (doc_passport_a), a signed enrolment scan (doc_enrolment_a) and a ready blank
(blank_a); app_w_a with a withdrawal request in review (withdrawal_a); app_q_a awaiting employment
with a qualification document and its scan; column_set_b — staff B's saved columns. Partner B's staff
get 404 on all of partner A's objects and files; the employment reviewer reads the application and
the signed enrolment papers but never passports, blanks or personal scans (404) and acts on nothing
(403); the operator reads everything and acts on nothing here (403). staff_a has no "may replace
citizen documents" right in the world, so the replace and on-behalf pages answer 403.
"""
from tests.access_rows import FORM, row

ROWS = {
    "enrollment:application_list": row(302, 403, 200, 200, 200, 200),
    "enrollment:column_set_save": row(302, 403, 302, 302, 302, 302, auditor=302, method="post",
                                      data={"name": "Мой набор", "cols": ["number", "status"]}),
    "enrollment:column_set_delete": row(302, 404, 404, 302, 404, 404, args=("column_set_b",), method="post"),
    "enrollment:application_detail": row(302, 404, 200, 404, 200, 200, args=("app_a",)),
    "enrollment:application_edit": row(302, 404, 200, 404, 403, 403, args=("app_a",), methods=FORM),
    "enrollment:document_replace": row(302, 404, 403, 404, 403, 403, args=("app_a",), methods=FORM),
    "enrollment:all_party_contract_upload": row(302, 404, 302, 404, 403, 403, args=("app_a",), method="post"),
    "enrollment:blanks_regenerate": row(302, 404, 302, 404, 403, 403, args=("app_a",), method="post"),
    "enrollment:withdrawal_create": row(302, 404, 403, 404, 403, 403, args=("app_w_a",), methods=FORM),
    "enrollment:qualification_edit": row(302, 404, 200, 404, 403, 403, args=("app_q_a",), methods=FORM),
    "enrollment:qualification_file": row(302, 404, 200, 404, 404, 200, args=("app_q_a",)),
    "enrollment:document_check": row(302, 404, 200, 404, 404, 403, args=("doc_passport_a",), methods=FORM),
    "enrollment:document_file": row(302, 404, 200, 404, 200, 200, args=("doc_enrolment_a",)),
    "enrollment:document_preview": row(302, 404, 200, 404, 404, 200, args=("doc_passport_a",)),
    "enrollment:blank_file": row(302, 404, 200, 404, 404, 200, args=("blank_a",)),
    "enrollment:withdrawal_decide": row(302, 404, 302, 404, 403, 403, args=("withdrawal_a",), method="post",
                                        data={"decision": "reject"}),
    "enrollment:withdrawal_file": row(302, 404, 200, 404, 404, 200, args=("withdrawal_a",)),
}


def objects(world) -> dict:
    import datetime as dt

    from django.core.files.base import ContentFile

    from documents.models import GeneratedDocument
    from enrollment.models import (
        Application,
        ApplicationBlank,
        ApplicationColumnSet,
        ApplicationDocument,
        QualificationDocument,
        WithdrawalRequest,
    )
    from tests.enrollment.test_application_support import application_for, document
    from tests.programs.factories import ProgramFactory

    program = ProgramFactory(partner=world["partner_a"], campaign=world["campaign"])
    app_a = application_for(program, Application.Status.PRIMARY_DOCS_REVIEW)
    kind = ApplicationDocument.Kind
    generated = GeneratedDocument.objects.create(kind=kind.ENROLMENT_CONTRACT, title="Договор", number="Д-1")
    generated.file.save("blank.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    generated.mark_ready(sha256="0" * 64)
    generated.save()
    app_w_a = application_for(program, Application.Status.WITHDRAWAL_REVIEW)
    withdrawal = WithdrawalRequest(application=app_w_a)
    withdrawal.file.save("w.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    withdrawal.save()
    app_q_a = application_for(program, Application.Status.AWAITING_EMPLOYMENT)
    qualification = QualificationDocument(application=app_q_a, number="1", registration_number="1",
                                          issued_on=dt.date(2026, 5, 1))
    qualification.scan.save("q.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    qualification.save()
    return {
        "app_a": app_a, "app_w_a": app_w_a, "app_q_a": app_q_a, "withdrawal_a": withdrawal,
        "doc_passport_a": document(app_a, kind.PASSPORT_MAIN),
        "doc_enrolment_a": document(app_a, kind.ENROLMENT_CONTRACT, ApplicationDocument.Status.APPROVED),
        "blank_a": ApplicationBlank.objects.create(application=app_a, kind=kind.ENROLMENT_CONTRACT,
                                                   document=generated),
        "column_set_b": ApplicationColumnSet.objects.create(user=world["staff_b"], name="Набор Б",
                                                            columns=["number"]),
    }
