"""The people and organisations of the demo world (`manage.py seed_demo`). Idempotent."""
import datetime as dt

from django.db import transaction

from accounts.groups import operator_group
from accounts.models import Campaign, CampaignParticipation, Membership, Organization, Region, User

DEMO_PASSWORD = "Demo!2026flow"

OPERATOR = {
    "inn": "7701000019", "kpp": "770101001", "ogrn": "1027700000019",
    "name": "Федеральное государственное автономное образовательное учреждение «Федеральный оператор»",
    "short_name": "Федеральный оператор", "region": "77",
    "legal_address": "125009, г. Москва, ул. Тверская, д. 1",
}
EMPLOYMENT_SERVICE = {
    "inn": "7017000026", "kpp": "701701001", "ogrn": "1027000000026",
    "name": "Департамент труда и занятости населения Томской области",
    "short_name": "СЗН Томской области", "region": "70",
    "legal_address": "634041, г. Томск, пр. Кирова, д. 41",
}
PARTNERS = [
    {"inn": "7017000033", "kpp": "701701001", "ogrn": "1027000000037",
     "name": "Автономная некоммерческая организация дополнительного профессионального образования "
             "«Учебный центр «Альфа»",
     "short_name": "АНО ДПО «Альфа»", "document_prefix": "АЛЬФА", "region": "70",
     "legal_address": "634050, г. Томск, пр. Ленина, д. 36",
     "staff": [("partner-a1@demo.flow", "Смирнова", "Анна", "Сергеевна"),
               ("partner-a2@demo.flow", "Кузнецов", "Алексей", "Иванович")]},
    {"inn": "5406000040", "kpp": "540601001", "ogrn": "1025400000042",
     "name": "Частное образовательное учреждение дополнительного профессионального образования «Бета»",
     "short_name": "ЧОУ ДПО «Бета»", "document_prefix": "БЕТА", "region": "54",
     "legal_address": "630099, г. Новосибирск, ул. Ленина, д. 5",
     "staff": [("partner-b1@demo.flow", "Попова", "Мария", "Андреевна"),
               ("partner-b2@demo.flow", "Васильев", "Дмитрий", "Петрович")]},
]


@transaction.atomic
def seed_accounts() -> tuple[list[tuple[str, User]], User]:
    """Create or refresh the demo organisations, staff, citizen and campaign; return the
    (role, user) logins to print and the citizen."""
    return _Seeder().run()


class _Seeder:
    def run(self):
        operator = self._organization(Organization.Kind.OPERATOR, OPERATOR)
        employment = self._organization(Organization.Kind.EMPLOYMENT_SERVICE, EMPLOYMENT_SERVICE)
        employment.regions.add(Region.objects.get(code="70"))
        campaign, _ = Campaign.objects.update_or_create(
            code="amsz-2026",
            defaults={"national_project": Campaign.NationalProject.ACTIVE_EMPLOYMENT, "year": 2026,
                      "title": "АМСЗ 2026", "starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2026, 12, 31),
                      "is_active": True},
        )
        logins = [("Администратор (поддержка)", self._user("sokolov.ops@demo.flow", "Соколов", "Андрей", "",
                                                            is_staff=True, is_superuser=True))]
        reviewer = self._user("fo@demo.flow", "Орлова", "Ольга", "Викторовна", is_staff=True)
        reviewer.groups.add(operator_group())
        self._member(reviewer, operator, Membership.Role.OPERATOR_REVIEWER)
        logins.append(("Представитель федерального оператора", reviewer))
        szn = self._user("szn70@demo.flow", "Соколов", "Игорь", "Николаевич")
        self._member(szn, employment, Membership.Role.EMPLOYMENT_REVIEWER)
        logins.append(("Представитель СЗН (регион 70)", szn))
        for spec in PARTNERS:
            partner = self._organization(Organization.Kind.PARTNER, spec)
            CampaignParticipation.objects.get_or_create(campaign=campaign, partner=partner,
                                                        defaults={"is_qualified": True})
            for email, last, first, middle in spec["staff"]:
                staff = self._user(email, last, first, middle)
                self._member(staff, partner, Membership.Role.PARTNER_STAFF)
                logins.append((f"Сотрудник {partner.short_name}", staff))
        citizen = self._user("citizen@demo.flow", "Петров", "Пётр", "Петрович", is_citizen=True)
        return logins, citizen
    def _organization(self, kind, spec) -> Organization:
        fields = {k: v for k, v in spec.items() if k not in ("inn", "staff", "region")}
        org, _ = Organization.objects.update_or_create(
            inn=spec["inn"], defaults={**fields, "kind": kind, "region_id": spec["region"],
                                       "contact_email": f"info-{spec['inn']}@demo.flow"})
        return org

    def _user(self, email, last, first, middle, *, is_citizen=False, **flags) -> User:
        user, created = User.objects.update_or_create(
            email=email, defaults={"last_name": last, "first_name": first, "patronymic": middle,
                                   "is_citizen": is_citizen, "is_active": True, **flags})
        if is_citizen:
            user.set_unusable_password()
        elif created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _member(self, user, organization, role):
        Membership.objects.update_or_create(user=user, organization=organization, role=role,
                                            defaults={"is_active": True})
