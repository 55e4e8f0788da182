"""Helpers shared by the contract, add-on and cost-proposal tests (no tests here): signature and
PDF files, signatories, programs awaiting a contract, and contracts put straight into a status.

A genuine detached CMS signature is made with the `openssl` binary when it is installed
(`cryptography` is not a dependency); `der_signed_data()` builds a minimal but well-formed
SignedData by hand, so every test also runs without openssl.
"""
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from accounts.models import Signatory
from documents.models import GeneratedDocument, Signature
from programs.models import AddOnAgreement, Program, TrainingContract
from tests.programs.factories import ProgramFactory, TrainingContractFactory

OPENSSL = shutil.which("openssl")

# OBJECT IDENTIFIERs used in the hand-built signature.
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_GOST_3411_2012_256 = "1.2.643.7.1.1.2.2"
OID_GOST_3410_2012_256 = "1.2.643.7.1.1.1.1"


# ASN.1 DER, just enough to write a SignedData ----------------------------------------------------

def tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def der_set(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(items))


def integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big"))


def der_signed_data(signature: bytes = b"\x5a" * 64) -> bytes:
    """A detached ContentInfo/SignedData with one GOST R 34.10-2012 signer (no certificates)."""
    digest = seq(oid(OID_GOST_3411_2012_256))
    signer = seq(integer(1), seq(seq(), integer(4242)), digest, seq(oid(OID_GOST_3410_2012_256)),
                 tlv(0x04, signature))
    signed_data = seq(integer(1), der_set(digest), seq(oid(OID_DATA)), der_set(signer))
    return seq(oid(OID_SIGNED_DATA), tlv(0xA0, signed_data))


def openssl_signature(tmp_path: Path, *, pem: bool = False, stream: bool = False) -> bytes:
    """A genuine detached CMS signature of a small file, made by openssl with a throw-away key."""
    key, cert, data = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "contract.pdf"
    data.write_bytes(pdf_bytes())
    if not cert.exists():
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-subj", "/CN=Test signer", "-days", "2"], check=True, capture_output=True)
    out = tmp_path / ("sig.pem" if pem else "sig.der")
    command = [OPENSSL, "cms", "-sign", "-binary", "-in", str(data), "-signer", str(cert), "-inkey", str(key),
               "-outform", "PEM" if pem else "DER", "-out", str(out)]
    if stream:
        command.append("-stream")
    subprocess.run(command, check=True, capture_output=True)
    return out.read_bytes()


def signature_file(name: str = "signature.sig", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, der_signed_data() if data is None else data,
                              content_type="application/octet-stream")


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_file(name: str = "calculation.pdf", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, content_type="application/pdf")


# Domain objects -----------------------------------------------------------------------------------

def add_signatory(organization, **kwargs) -> Signatory:
    values = {"full_name": f"Подписант {organization.short_name}", "position": "Ректор",
              "valid_from": dt.date(2025, 1, 1), "is_main": True, **kwargs}
    return Signatory.objects.create(organization=organization, **values)


def awaiting_program(partner, campaign, **kwargs) -> Program:
    return ProgramFactory(partner=partner, campaign=campaign, status=Program.Status.AWAITING_CONTRACT, **kwargs)


def ready_document(kind: str = "training_contract", title: str = "Договор", content: bytes = b"") -> GeneratedDocument:
    """A ready generated document with a stored file (no rendering)."""
    document = GeneratedDocument.objects.create(kind=kind, title=title)
    document.file.save(f"{kind}-{document.pk}.pdf", ContentFile(content or pdf_bytes()), save=False)
    document.mark_ready(sha256="0" * 64)
    document.save()
    return document


def sign(document: GeneratedDocument, party: str) -> Signature:
    signature = Signature(document=document, party=party, original_name=f"{party}.sig", sha256="1" * 64)
    signature.file.save(f"{party}-{document.pk}.sig", ContentFile(der_signed_data()), save=False)
    signature.save()
    return signature


SIGNED_PARTIES = {
    TrainingContract.Status.GENERATED: (),
    TrainingContract.Status.SIGNED_BY_OPERATOR: (Signature.Party.OPERATOR,),
    TrainingContract.Status.SIGNED_BY_BOTH: (Signature.Party.OPERATOR, Signature.Party.PARTNER),
    TrainingContract.Status.REGISTERED: (Signature.Party.OPERATOR, Signature.Party.PARTNER),
}


def contract_in(status: str, *, partner, campaign, operator_org, programs=(), **kwargs) -> TrainingContract:
    """A contract put straight into `status`, with a ready PDF, the signatures of that status and
    both parties' signatories (service tests move it on through the services)."""
    operator_signatory = operator_org.signatories.filter(is_main=True).first() or add_signatory(operator_org)
    partner_signatory = partner.signatories.filter(is_main=True).first() or add_signatory(partner)
    if status == TrainingContract.Status.REGISTERED:
        kwargs = {"registration_number": "0365100000126000001", "registration_date": dt.date(2026, 2, 10), **kwargs}
    contract = TrainingContractFactory(partner=partner, campaign=campaign, status=status,
                                       operator_signatory=operator_signatory, partner_signatory=partner_signatory,
                                       **kwargs)
    contract.document = ready_document(title=str(contract))
    contract.save(update_fields=["document"])
    contract.programs.set(programs)
    for party in SIGNED_PARTIES[status]:
        sign(contract.document, party)
    return contract


def addon_in(status: str, *, contract, programs=(), number: int = 1) -> AddOnAgreement:
    addon = AddOnAgreement.objects.create(contract=contract, number=number, status=status)
    addon.programs.set(programs)
    if status != AddOnAgreement.Status.READY_TO_GENERATE:
        addon.document = ready_document(kind="addon_agreement", title=str(addon))
        addon.save(update_fields=["document"])
    if status in (AddOnAgreement.Status.SIGNED_BY_OPERATOR, AddOnAgreement.Status.DATE_REQUIRED,
                  AddOnAgreement.Status.SIGNED_BY_BOTH):
        sign(addon.document, Signature.Party.OPERATOR)
    if status in (AddOnAgreement.Status.DATE_REQUIRED, AddOnAgreement.Status.SIGNED_BY_BOTH):
        sign(addon.document, Signature.Party.PARTNER)
    return addon
