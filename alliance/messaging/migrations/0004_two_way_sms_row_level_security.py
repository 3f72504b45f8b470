"""Row-level security on the two-way SMS tables (agencies/migration_operations.py): the
operation covers this app's tables as they now are."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_two_way_sms")]

    operations = [RowLevelSecurity("messaging")]
