from django.db import migrations


def load_regions(apps, schema_editor):
    from accounts.regions import REGIONS

    Region = apps.get_model("accounts", "Region")
    Region.objects.bulk_create([Region(code=c, name=n) for c, n in REGIONS], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
