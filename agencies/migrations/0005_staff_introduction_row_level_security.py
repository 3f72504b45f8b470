"""Row-level security on the staff introductions table (agencies/migration_operations.py):
every tenant table has the policy; the operation covers this app's tables as they now are."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("agencies", "0004_staff_introduction")]

    operations = [RowLevelSecurity("agencies")]
