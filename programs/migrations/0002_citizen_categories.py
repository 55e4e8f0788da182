from django.db import migrations


def load(apps, schema_editor):
    from programs.categories import CATEGORIES

    CitizenCategory = apps.get_model("programs", "CitizenCategory")
    CitizenCategory.objects.bulk_create(
        [CitizenCategory(code=code, name=name, position=i) for i, (code, name) in enumerate(CATEGORIES)],
        ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
