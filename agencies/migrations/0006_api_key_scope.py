"""API keys get a scope: read-only or read-write, and optionally a list of resources. Keys
made before keep what they had (read-write, every resource); new keys are read-only unless
the admin says otherwise."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0005_row_level_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='access',
            field=models.CharField(choices=[('read', 'Read only'), ('read_write', 'Read and write')], default='read_write', max_length=10, verbose_name='access'),
        ),
        migrations.AlterField(
            model_name='apikey',
            name='access',
            field=models.CharField(choices=[('read', 'Read only'), ('read_write', 'Read and write')], default='read', max_length=10, verbose_name='access'),
        ),
        migrations.AddField(
            model_name='apikey',
            name='resources',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=40), blank=True, default=list),
        ),
    ]
