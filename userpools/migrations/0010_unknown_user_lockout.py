# Failed sign-ins of usernames that do not exist (userpools.services.auth), counted like a user's.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("userpools", "0009_pkce_policy_and_domain_verification"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnknownUserLockout",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64)),
                ("failed_sign_ins", models.PositiveIntegerField(default=0)),
                ("locked_until", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True, db_index=True)),
                ("pool", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           related_name="unknown_user_lockouts", to="userpools.userpool")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("pool", "key"), name="unknown_user_lockout_key")],
            },
        ),
    ]
