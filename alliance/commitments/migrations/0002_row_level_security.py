"""Row-level security on this app's tenant tables (agencies/migration_operations.py)."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial"), ("agencies", "0003_row_level_security")]

    operations = [RowLevelSecurity("commitments")]
