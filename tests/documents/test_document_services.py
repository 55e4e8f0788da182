"""Generated documents are rendered once and kept (ready with a SHA-256, or failed with the error);
signatures are stored exactly as uploaded, never for a document that is not ready, never twice."""
import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from accounts.models import Signatory
from documents import services
from documents.models import GeneratedDocument, Signature
from documents.selectors import download_filename, signatory_for
from tests.programs.test_contract_support import add_signatory, der_signed_data, ready_document, signature_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(settings):
    settings.TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": settings.TEMPLATES[0]["DIRS"],
        "OPTIONS": {"loaders": [
            ("django.template.loaders.locmem.Loader", {
                "test/doc.html": '{% extends "pdf/base.html" %}{% block content %}<p>{{ text }}</p>{% endblock %}',
                "test/broken.html": "{% extends 'pdf/base.html' %}{% block content %}{% url 'no-such' %}{% endblock %}",
            }),
            "django.template.loaders.filesystem.Loader",
        ]},
    }]


def test_it_renders_a_pending_document_and_marks_it_ready(templates, operator_reviewer):
    document = services.document_create(kind="test", title="Тестовый документ", actor=operator_reviewer)
    assert document.status == GeneratedDocument.Status.PENDING

    services.document_render(document_id=document.pk, template_name="test/doc.html",
                             context_builder=lambda doc: {"text": f"Документ № {doc.pk}"})

    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    data = document.file.read()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert f"Документ № {document.pk}" in PdfReader(document.file).pages[0].extract_text()
    assert document.rendered_at is not None


def test_it_is_idempotent(templates):
    document = services.document_create(kind="test", title="Т")
    services.document_render(document_id=document.pk, template_name="test/doc.html", context_builder=lambda d: {})
    name = GeneratedDocument.objects.get(pk=document.pk).file.name

    def fail(doc):
        raise AssertionError("a ready document is never rendered again")

    services.document_render(document_id=document.pk, template_name="test/doc.html", context_builder=fail)
    assert GeneratedDocument.objects.get(pk=document.pk).file.name == name


@pytest.mark.parametrize("template", ["test/broken.html", "test/doc.html"])
def test_a_failure_is_recorded_on_the_row(templates, template):
    document = services.document_create(kind="test", title="Т")

    def builder(doc):
        if template == "test/doc.html":
            raise ValueError("нет реквизитов")
        return {}

    services.document_render(document_id=document.pk, template_name=template, context_builder=builder)

    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.FAILED
    assert document.error
    assert not document.file


def test_a_signature_is_stored_as_uploaded(operator_reviewer):
    document = ready_document()
    signature = services.signature_store(document=document, party=Signature.Party.OPERATOR,
                                         file=signature_file("ФО подпись.sig"), actor=operator_reviewer)
    assert signature.file.read() == der_signed_data()
    assert signature.sha256 == hashlib.sha256(der_signed_data()).hexdigest()
    assert (signature.original_name, signature.uploaded_by) == ("ФО подпись.sig", operator_reviewer)


def test_a_non_cms_file_is_refused_and_nothing_is_stored(operator_reviewer):
    document = ready_document()
    with pytest.raises(ValidationError, match="не является электронной подписью"):
        services.signature_store(document=document, party=Signature.Party.OPERATOR,
                                 file=signature_file(data=b"%PDF-1.4 not a signature"), actor=operator_reviewer)
    assert not Signature.objects.exists()


def test_a_document_not_ready_cannot_be_signed(operator_reviewer):
    document = services.document_create(kind="test", title="Т")
    with pytest.raises(ValidationError, match="ещё формируется"):
        services.signature_store(document=document, party=Signature.Party.OPERATOR, file=signature_file(),
                                 actor=operator_reviewer)
    assert not Signature.objects.exists()


def test_a_party_signs_once(operator_reviewer):
    document = ready_document()
    services.signature_store(document=document, party=Signature.Party.OPERATOR, file=signature_file(),
                             actor=operator_reviewer)
    with pytest.raises(ValidationError, match="уже загружена"):
        services.signature_store(document=document, party=Signature.Party.OPERATOR, file=signature_file(),
                                 actor=operator_reviewer)
    assert Signature.objects.count() == 1


# Signatories (reference §1.2) ------------------------------------------------------------------

def test_the_signatory_for_the_document_type_wins_over_the_main_one(partner_a):
    add_signatory(partner_a, full_name="Главный")
    special = add_signatory(partner_a, full_name="По договорам", is_main=False,
                            document_types=[Signatory.DocumentType.TRAINING_CONTRACT],
                            valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 6, 30))
    kind = Signatory.DocumentType.TRAINING_CONTRACT
    assert signatory_for(organization=partner_a, document_type=kind, on=dt.date(2026, 3, 1)) == special
    # outside the special signatory's period, or for another document type, the main one signs
    assert signatory_for(organization=partner_a, document_type=kind, on=dt.date(2026, 7, 1)).full_name == "Главный"
    assert signatory_for(organization=partner_a, document_type=Signatory.DocumentType.ACT,
                         on=dt.date(2026, 3, 1)).full_name == "Главный"


def test_nobody_valid_on_the_date_is_a_clear_error(partner_a):
    add_signatory(partner_a, valid_from=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError) as error:
        signatory_for(organization=partner_a, document_type="training_contract", on=dt.date(2026, 2, 1))
    assert "нет подписанта, действующего на 01.02.2026" in error.value.messages[0]


def test_download_names_are_safe():
    assert download_filename("Договор № 12/2026 от 01.02.2026", "pdf") == "Договор № 12_2026 от 01.02.2026.pdf"
