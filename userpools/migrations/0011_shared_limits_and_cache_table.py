# Security state shared by every server process (config/settings.py, CACHES;
# userpools.services.limits): the counters' table, and the table of the database cache,
# the default cache when REDIS_URL is unset. The cache table is created whatever the
# cache is now, so that unsetting REDIS_URL later needs no other command.

from django.core.management import call_command
from django.db import migrations, models

CACHE_TABLE = "cognate_cache"  # config/settings.py's CACHES LOCATION


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def cache_table_drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ("userpools", "0010_unknown_user_lockout"),
    ]

    operations = [
        migrations.CreateModel(
            name="LimitCounter",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField(default=0)),
                ("window_ends", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(cache_table_create, cache_table_drop),
    ]
