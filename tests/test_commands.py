"""Management commands: create_access_key, bootstrap (idempotent), rotate_encryption_keys."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from identity.models import AccessKey
from userpools.models import AppClient, User, UserPool

pytestmark = pytest.mark.django_db


def test_create_access_key_prints_aws_lines(make_operator):
    make_operator("ops")
    out = StringIO()
    call_command("create_access_key", "ops", stdout=out)
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}", lines[0])
    assert re.fullmatch(r"AWS_SECRET_ACCESS_KEY=\S{40}", lines[1])
    key = AccessKey.objects.get(access_key_id=lines[0].split("=", 1)[1])
    assert key.secret_access_key == lines[1].split("=", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_access_key FROM identity_accesskey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert key.secret_access_key not in stored  # encrypted at rest


def test_create_access_key_rejects_unknown_operator_and_bad_policy(make_operator):
    with pytest.raises(CommandError):
        call_command("create_access_key", "nobody", stdout=StringIO())
    make_operator("ops")
    with pytest.raises(CommandError):
        call_command("create_access_key", "ops", "--policy", '{"Statement": [{"Effect": "Maybe"}]}', stdout=StringIO())
    assert AccessKey.objects.count() == 0


def test_bootstrap_is_idempotent():
    first, second = StringIO(), StringIO()
    call_command("bootstrap", "--password", "pw-1234567", stdout=first)
    call_command("bootstrap", "--password", "pw-1234567", stdout=second)
    assert User.objects.filter(pool__isnull=True).count() == 1
    assert AccessKey.objects.count() == 1
    assert UserPool.objects.count() == 1
    assert AppClient.objects.count() == 1
    key_line = [line for line in first.getvalue().splitlines() if "AWS_ACCESS_KEY_ID=" in line][0]
    assert key_line in second.getvalue()
    pool = UserPool.objects.get()
    assert pool.id in first.getvalue() and "describe_user_pool" in first.getvalue()


def test_rotate_encryption_keys(settings, make_access_key):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.COGNATE = {**settings.COGNATE, "ENCRYPTION_KEYS": [old]}
    key_id, secret = make_access_key()
    settings.COGNATE = {**settings.COGNATE, "ENCRYPTION_KEYS": [new, old]}
    call_command("rotate_encryption_keys", stdout=StringIO())
    settings.COGNATE = {**settings.COGNATE, "ENCRYPTION_KEYS": [new]}
    assert AccessKey.objects.get(access_key_id=key_id).secret_access_key == secret


@pytest.mark.django_db(transaction=True)
def test_bootstrap_snippet_works_against_the_server(live_server, settings, capsys):
    settings.COGNATE = {**settings.COGNATE, "PUBLIC_URL": live_server.url}
    out = StringIO()
    call_command("bootstrap", "--password", "pw-1234567", stdout=out)
    text = out.getvalue()
    snippet = text[text.index("import boto3") :]
    exec(compile(snippet, "<bootstrap snippet>", "exec"), {})  # noqa: S102 - our own printed snippet
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "demo"
    assert "demo-app" in printed[1]


def test_bootstrap_prints_a_hosted_sign_in_url_that_shows_the_login_page(client, db):
    out = StringIO()
    call_command("bootstrap", "--password", "pw-1234567", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "Hosted sign-in" in line)
    url = line.split()[-1]
    path = url.split("://", 1)[1].partition("/")[2]
    response = client.get("/" + path)
    assert response.status_code == 302 and "/login?" in response["Location"]
    assert client.get(response["Location"]).status_code == 200
