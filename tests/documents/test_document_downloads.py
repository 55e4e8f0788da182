"""The generic downloads (the admin's links) serve any document or signature to the operator and
ops only, as an attachment; everyone else gets 404."""
import pytest
from django.urls import reverse

from documents.models import Signature
from tests.programs.test_contract_support import der_signed_data, ready_document, sign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 404), ("staff_a", 404), ("staff_b", 404), ("employment_reviewer", 404), ("operator_reviewer", 200)])
def test_only_the_operator_downloads_any_document(client, personas, persona, status):
    document = ready_document(title="Договор № 1 от 01.02.2026")
    signature = sign(document, Signature.Party.PARTNER)
    client.force_login(personas[persona])
    for url in (reverse("documents:download", args=[document.pk]),
                reverse("documents:signature_download", args=[signature.pk])):
        assert client.get(url).status_code == status


def test_files_are_attachments_with_russian_names(client, operator_reviewer):
    document = ready_document(title="Договор № 1 от 01.02.2026")
    signature = sign(document, Signature.Party.OPERATOR)
    client.force_login(operator_reviewer)

    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80" in response["Content-Disposition"]

    response = client.get(reverse("documents:signature_download", args=[signature.pk]))
    assert b"".join(response.streaming_content) == der_signed_data()
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".sig" in response["Content-Disposition"]
