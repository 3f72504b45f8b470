"""Row-level security on the text check-ins table (agencies/migration_operations.py): the
operation covers this app's tables as they now are."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("checkins", "0003_text_checkins")]

    operations = [RowLevelSecurity("checkins")]
