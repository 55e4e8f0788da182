"""Access-matrix rows of the mass notifications (enrollment/partner_urls.py, «Отправленные»).

Objects: message_a — partner A's mailing with one recipient. Partner staff compose and send (to the
applications of their own organisation: staff A's send reaches partner A's applications of the world
and redirects to the mailing; partner B has no applications there, so staff B gets the form back with
the refusal); partner staff and the operator read the log; the employment reviewer and citizens
neither (403 on pages, 404 on a mailing). Partner B's staff get 404 on partner A's mailing.
"""
from tests.access_rows import FORM, row

SEND = {"subject": "Начало занятий", "body": "Занятия начинаются в понедельник.",
        "idempotency_key": "8f6a4a52-5d7b-4b0e-9a51-3c1f3f1a0a01"}

ROWS = {
    "enrollment:message_list": row(302, 403, 200, 200, 403, 200),
    "enrollment:message_compose": row(302, 403, 200, 200, 403, 403, methods=FORM),
    "enrollment:message_send": row(302, 403, 302, 200, 403, 403, method="post", data=SEND),
    "enrollment:message_detail": row(302, 404, 200, 404, 404, 200, args=("message_a",)),
}


def objects(world) -> dict:
    import uuid

    from core.models import OutgoingEmail
    from enrollment.models import CitizenMessage, CitizenMessageRecipient
    from tests.enrollment.test_application_support import application_for
    from tests.programs.factories import ProgramFactory

    program = ProgramFactory(partner=world["partner_a"], campaign=world["campaign"])
    application = application_for(program)
    message = CitizenMessage.objects.create(
        partner=world["partner_a"], sender=world["staff_a"], subject="Расписание", body="Расписание в кабинете.",
        audience="Все заявки", idempotency_key=uuid.uuid4(), recipients_count=1)
    email = OutgoingEmail.objects.create(to=application.citizen.email, subject="Расписание", body_text="…")
    CitizenMessageRecipient.objects.create(message=message, application=application, citizen=application.citizen,
                                           email=application.citizen.email, outgoing_email=email)
    return {"message_a": message}
