"""factory_boy factories shared by every test module."""
import datetime as dt
import itertools

import factory
from django.utils import timezone

from accounts.models import Campaign, CampaignParticipation, Membership, Organization, Region, User

_serial = itertools.count(1)


def valid_inn(seed: int) -> str:
    """A 10-digit organisation INN with a correct control digit."""
    body = f"70{seed:07d}"[-9:]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return body + str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


def valid_ogrn(seed: int) -> str:
    """A 13-digit OGRN with a correct control digit."""
    body = f"10270{seed:07d}"[-12:]
    return body + str(int(body) % 11 % 10)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    last_name = "Иванов"
    first_name = factory.Sequence(lambda n: f"Пользователь{n}")
    password = factory.PostGenerationMethodCall("set_password", "Qwerty!234x")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:  # save what the post-generation hooks (the password) changed
            instance.save()


class CitizenUserFactory(UserFactory):
    is_citizen = True
    password = factory.PostGenerationMethodCall("set_unusable_password")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.PARTNER
    name = factory.Sequence(lambda n: f"Образовательная организация №{n}")
    short_name = factory.Sequence(lambda n: f"ОП-{n}")
    inn = factory.LazyFunction(lambda: valid_inn(next(_serial)))
    kpp = "701701001"
    ogrn = factory.LazyFunction(lambda: valid_ogrn(next(_serial)))
    legal_address = "634050, г. Томск, пр. Ленина, д. 36"
    region = factory.LazyFunction(lambda: Region.objects.get(code="70"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.PARTNER_STAFF


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("code",)

    code = "amsz-2026"
    national_project = Campaign.NationalProject.ACTIVE_EMPLOYMENT
    year = 2026
    title = "АМСЗ 2026"
    starts_on = dt.date(2026, 1, 1)
    ends_on = dt.date(2026, 12, 31)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignParticipation

    campaign = factory.SubFactory(CampaignFactory)
    partner = factory.SubFactory(OrganizationFactory)
    is_qualified = True
    first_program_at = factory.LazyFunction(timezone.now)  # a partner with programs (staff can be invited)
