"""Security state is the same in every web process (G0 finding 3).

Attack, as reported: ``gunicorn config.wsgi -w 2`` with no ``REDIS_URL``. A deactivated
access key was still accepted for minutes by the process that had not made the change,
and each process kept its own count of codes sent, so ForgotPassword sent 10 reset codes
an hour instead of 5.

These tests run that server: two real gunicorn workers on one SQLite file, nothing else
shared. Each request goes over a kept-alive connection whose worker is known (from /proc,
as tests/test_workers.py finds it), so both workers are reached for certain.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import error_code
from tests.test_workers import Server, _holders, linux_only

ROOT = Path(__file__).resolve().parent.parent.parent
IDP = "AWSCognitoIdentityProviderService"

pytestmark = pytest.mark.timeout(240)

# Run in a separate Python on the server's database: the operator, their key, a pool whose
# users recover by e-mail, an app client and a confirmed user with a verified address.
SETUP = """
import json
import django
django.setup()
from identity.services.callers import access_key_create
from userpools.context import ServiceContext
from userpools.models import User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

ctx = ServiceContext(actor="test")
operator = User.objects.create_user(username="ops", password="pw-ops", is_staff=True)
key = access_key_create(ctx, operator=operator)
pool = user_pool_create(ctx, {"PoolName": "mp", "AutoVerifiedAttributes": ["email"]})
client = user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "app"})
for name in ("victim", "target"):
    users.user_create(ctx, pool=pool, username=name, password="Passw0rd!x",
                      attributes={"email": f"{name}@example.com", "email_verified": "true"},
                      status=User.Status.CONFIRMED)
print(json.dumps({"key": [key.key.access_key_id, key.secret_access_key], "client_id": client.client_id}))
"""

DEACTIVATE = """
import sys
import django
django.setup()
from identity.services.callers import access_key_set_active
from userpools.context import ServiceContext

access_key_set_active(ServiceContext(actor="test"), access_key_id=sys.argv[1], active=False)
"""


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(Server, setup, environment): gunicorn with two workers on a migrated SQLite file, no
    Redis. One for the module: migrating takes most of the time."""
    tmp_path = tmp_path_factory.mktemp("multiprocess")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",  # the attack's configuration: no shared cache service
        "CELERY_BROKER_URL": "",
        "SECRET_KEY": "multiprocess-test-not-a-secret",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)  # Server starts gunicorn with this process's environment
        environment = {**os.environ}
        _run(environment, "manage.py", "migrate", "--noinput")
        setup = json.loads(_run(environment, "-c", SETUP).strip().splitlines()[-1])
        gunicorn = Server(tmp_path, "config.workers.BalancedThreadWorker")
    try:
        yield gunicorn, setup, environment
    finally:
        gunicorn.stop()


def _both_workers(server: Server) -> list[http.client.HTTPConnection]:
    """Kept-alive connections, at least one held by each of the two workers."""
    connections = [server.connect() for _ in range(4)]
    held = _holders(server, connections)
    assert len(held) == 2 and all(held.values()), held
    return connections


def _post(conn: http.client.HTTPConnection, operation: str, params: dict, key: tuple[str, str] | None = None):
    """One wire request on ``conn``: (status, error type or None)."""
    body = json.dumps(params).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{IDP}.{operation}"}
    if key is not None:
        request = AWSRequest(method="POST", url=f"http://{conn.host}:{conn.port}/", data=body, headers=headers)
        SigV4Auth(Credentials(*key), "cognito-idp", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    conn.request("POST", "/", body=body, headers=headers)
    response = conn.getresponse()
    payload = json.loads(response.read() or b"{}")
    return response.status, payload.get("__type")


@linux_only  # finds each connection's worker in /proc
def test_a_deactivated_key_is_refused_by_every_worker_within_seconds(server):
    gunicorn, setup, environment = server
    key = tuple(setup["key"])
    connections = _both_workers(gunicorn)
    for _ in range(2):  # both workers now hold the key's record
        for conn in connections:
            assert _post(conn, "ListUserPools", {"MaxResults": 5}, key) == (200, None)
    _run(environment, "-c", DEACTIVATE, key[0])  # a third process: neither worker's own change
    time.sleep(2.5)
    answers = [_post(conn, "ListUserPools", {"MaxResults": 5}, key) for conn in connections]
    assert answers == [(400, "AccessDeniedException")] * len(connections)


@linux_only  # finds each connection's worker in /proc
def test_reset_codes_are_limited_across_workers(server):
    gunicorn, setup, _ = server
    connections = _both_workers(gunicorn)
    request = {"ClientId": setup["client_id"], "Username": "victim"}
    answers = [_post(connections[i % len(connections)], "ForgotPassword", request) for i in range(10)]
    assert [status for status, _ in answers[:5]] == [200] * 5
    assert answers[5:] == [(400, "LimitExceededException")] * 5


@linux_only  # finds each connection's worker in /proc
def test_concurrent_reset_requests_over_both_workers_send_five_codes(server):
    """The count is atomic: ten requests at once, over both workers, still send five."""
    gunicorn, setup, _ = server
    connections = [gunicorn.connect() for _ in range(10)]
    assert len(_holders(gunicorn, connections)) == 2
    request = {"ClientId": setup["client_id"], "Username": "target"}
    barrier = threading.Barrier(len(connections))
    answers = []

    def one(conn: http.client.HTTPConnection) -> None:
        barrier.wait()
        answers.append(_post(conn, "ForgotPassword", request))

    threads = [threading.Thread(target=one, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers, key=str) == [(200, None)] * 5 + [(400, "LimitExceededException")] * 5


def test_the_default_cache_is_shared_by_every_process():
    """Without REDIS_URL the cache is a table in the database, never one process's memory."""
    probe = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "REDIS_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "probe"}
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip().splitlines()[-1:] == ["django.core.cache.backends.db.DatabaseCache"], done.stderr[-2000:]


@pytest.mark.django_db(transaction=True)
def test_stamping_a_key_as_used_never_revives_it_after_a_change(boto_client, make_access_key, monkeypatch):
    """A process stamps ``last_used_at`` from the record it holds, which may predate another
    process's change by up to KEY_PROCESS_SECONDS: that stamp must not make the superseded
    record (active) outlive the bound, here or anywhere."""
    from django.core.cache import cache

    from identity.models import AccessKey
    from identity.services import callers

    monkeypatch.setattr(callers, "LAST_USED_RESOLUTION", timedelta(0))  # every request stamps
    key = make_access_key(username="stamped")
    client = boto_client("cognito-idp", key=key)
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []
    # Another process deactivates the key: the row changes, and whatever that process
    # shares with this one is invalidated; this process's own copy is not its to clear.
    AccessKey.objects.filter(access_key_id=key[0]).update(is_active=False)
    cache.clear()
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []  # this process's copy, stamped
    time.sleep(callers.KEY_PROCESS_SECONDS + 0.1)
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"
