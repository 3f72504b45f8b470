"""Row-level security on the disclosures table (agencies/migration_operations.py): every
tenant table has the policy; the operation covers this app's tables as they now are."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("participants", "0003_disclosure")]

    operations = [RowLevelSecurity("participants")]
