"""Install the Peer Alliance Check-in for every existing agency. New agencies get it from
alliance.services.instrument_install_default."""

from django.db import migrations


def install(apps, schema_editor):
    from alliance import default_instrument as spec

    Agency = apps.get_model("agencies", "Agency")
    Instrument = apps.get_model("alliance", "Instrument")
    InstrumentItem = apps.get_model("alliance", "InstrumentItem")
    for agency in Agency.objects.all():
        instrument, created = Instrument.objects.get_or_create(
            agency=agency, key=spec.KEY, version=spec.VERSION,
            defaults={"name": spec.NAME, "is_default": True},
        )
        if created:
            InstrumentItem.objects.bulk_create(
                [InstrumentItem(agency=agency, instrument=instrument, **row) for row in spec.item_rows()]
            )


class Migration(migrations.Migration):
    dependencies = [("alliance", "0001_initial"), ("agencies", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
