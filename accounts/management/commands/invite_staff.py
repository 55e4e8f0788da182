"""manage.py invite_staff: register a staff member of an organisation and e-mail the set-password link."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services
from accounts.models import Membership, Organization


class Command(BaseCommand):
    help = "Пригласить сотрудника организации: создать учётную запись и отправить ссылку для установки пароля."

    def add_arguments(self, parser):
        parser.add_argument("--organization-inn", required=True, help="ИНН организации")
        parser.add_argument("--email", required=True, help="e-mail сотрудника (он же логин)")
        parser.add_argument("--last-name", required=True, help="фамилия")
        parser.add_argument("--first-name", required=True, help="имя")
        parser.add_argument("--patronymic", default="", help="отчество")
        parser.add_argument("--role", default=Membership.Role.PARTNER_STAFF, choices=Membership.Role.values,
                            help="роль (по умолчанию partner_staff)")

    def handle(self, *args, **options):
        inn = options["organization_inn"].strip()
        organization = Organization.objects.filter(inn=inn).first()
        if organization is None:
            raise CommandError(f"Организация с ИНН {inn} не найдена.")
        try:
            validate_email(options["email"])
            membership = services.staff_invite(
                actor=None, organization=organization, email=options["email"],
                last_name=options["last_name"], first_name=options["first_name"],
                patronymic=options["patronymic"], role=options["role"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Приглашение отправлено: {membership.user.email} — {membership.get_role_display()}, {organization}."))
