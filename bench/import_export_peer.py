"""The peer of figure 1: what a Django team would reach for — django-import-export, one
`ModelResource` for applications whose rows also create the citizen (a user without a password and
a Citizen) by SNILS, like the feed does. Bench-only and throwaway: no validation beyond the models'
own, no history, no e-mail, which only flatters the peer."""
import tablib
from import_export import fields, resources, widgets

from accounts.models import Region, User
from enrollment.models import Application, Citizen
from programs.models import CitizenCategory, Cohort, Program


class ApplicationResource(resources.ModelResource):
    submitted_at = fields.Field(attribute="submitted_at", column_name="submitted_at",
                                widget=widgets.DateTimeWidget(format="%Y-%m-%dT%H:%M:%S%z"))
    program = fields.Field(attribute="program", column_name="program_odin_id",
                           widget=widgets.ForeignKeyWidget(Program, field="odin_id"))
    cohort = fields.Field(attribute="cohort", column_name="cohort_odin_id",
                          widget=widgets.ForeignKeyWidget(Cohort, field="odin_id"))
    region = fields.Field(attribute="region", column_name="region_code",
                          widget=widgets.ForeignKeyWidget(Region, "code"))
    category = fields.Field(attribute="category", column_name="category",
                            widget=widgets.ForeignKeyWidget(CitizenCategory, "code"))

    class Meta:
        model = Application
        import_id_fields = ("rr_number",)
        fields = ("rr_number", "submitted_at", "program", "cohort", "region", "category")
        skip_unchanged = True

    def before_save_instance(self, instance, row, **kwargs):
        citizen = Citizen.objects.filter(snils=row["snils"]).first()
        if citizen is None:
            user = User.objects.create_user(email=row["email"], is_citizen=True)
            citizen = Citizen.objects.create(user=user, snils=row["snils"], last_name=row["last_name"],
                                             first_name=row["first_name"], middle_name=row["middle_name"],
                                             birth_date=row["birth_date"], email=row["email"], phone=row["phone"])
        instance.citizen = citizen
        instance.partner_id = instance.program.partner_id


def import_rows(rows: list[tuple]) -> None:
    from bench.figures.feed import COLUMNS

    outcome = ApplicationResource().import_data(tablib.Dataset(*rows, headers=COLUMNS), dry_run=False,
                                                raise_errors=True, use_transactions=True)
    assert outcome.totals["new"] == len(rows), outcome.totals
