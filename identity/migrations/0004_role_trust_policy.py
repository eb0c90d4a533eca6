# Roles get a trust policy (who may assume them); existing roles trust nobody until an
# operator gives them one, since a role set on a pool by a caller that could not pass it
# must not be trusted by the upgrade. Access keys that still hold the old full-access
# default get its successor, which adds iam:PassRole (setting roles now needs it).

from django.db import migrations, models

OLD_DEFAULT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["cognito-idp:*", "cognito-identity:*"], "Resource": "*"}],
}
NEW_DEFAULT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["cognito-idp:*", "cognito-identity:*", "iam:PassRole"], "Resource": "*"}
    ],
}


def default_keys_may_pass_roles(apps, schema_editor):
    AccessKey = apps.get_model("identity", "AccessKey")
    for key in AccessKey.objects.only("pk", "policy").iterator():
        if key.policy == OLD_DEFAULT:
            AccessKey.objects.filter(pk=key.pk).update(policy=NEW_DEFAULT)


def default_keys_back(apps, schema_editor):
    AccessKey = apps.get_model("identity", "AccessKey")
    for key in AccessKey.objects.only("pk", "policy").iterator():
        if key.policy == NEW_DEFAULT:
            AccessKey.objects.filter(pk=key.pk).update(policy=OLD_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_identity_pools"),
    ]

    operations = [
        migrations.AddField(
            model_name="role",
            name="trust_policy",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(default_keys_may_pass_roles, default_keys_back),
    ]
