"""The private (underscore-named or undocumented) Django and gunicorn APIs that the
performance mechanisms call, each with the parameters the code passes: a release that
moves or changes one fails here by name. benchmarks/README.md ("Performance mechanisms")
lists which mechanism uses which; pyproject.toml pins both packages to the range tested."""

from __future__ import annotations

import importlib
import inspect
import os
import socket
from unittest import mock

import pytest


def _parameters(target) -> list[str]:
    return [name for name in inspect.signature(target).parameters if name != "self"]


def _attribute(dotted: str):
    module, _, name = dotted.rpartition(":")
    found = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


# (module:attribute, the parameters it is called with, in order). The code passes these
# positionally or by these names: config/wire/front.py,
# userpools/services/compiled.py.
DJANGO_CALLABLES = [
    ("django.core.handlers.wsgi:get_script_name", ["environ"]),
    ("django.core.handlers.wsgi:WSGIRequest", ["environ"]),
    ("django.urls:get_resolver", ["urlconf"]),
    ("django.urls:set_script_prefix", ["prefix"]),
    ("django.db.models.query:get_related_populators", ["klass_info", "select", "db"]),
    ("django.db.models.query:RelatedPopulator.populate", ["row", "from_obj"]),
    ("django.db.transaction:mark_for_rollback_on_error", ["using"]),
    ("django.db.models.sql:UpdateQuery.add_update_values", ["values"]),
    ("django.db.models.sql:Query.chain", ["klass"]),
    ("django.db.models.sql:Query.get_compiler", ["using", "connection", "elide_empty"]),
    ("django.db.models.sql.compiler:SQLCompiler.pre_sql_setup", ["with_col_aliases"]),
    ("django.db.models.sql.compiler:SQLCompiler.as_sql", ["with_limits", "with_col_aliases"]),
    ("django.db.models.sql.compiler:SQLCompiler.get_converters", ["expressions"]),
    ("django.db.backends.base.operations:BaseDatabaseOperations.last_insert_id", ["cursor", "table_name", "pk_name"]),
]


@pytest.mark.parametrize(("dotted", "parameters"), DJANGO_CALLABLES, ids=[d for d, _ in DJANGO_CALLABLES])
def test_django_callables_keep_their_parameters(dotted, parameters):
    assert _parameters(_attribute(dotted))[: len(parameters)] == parameters


def test_the_iterable_classes_compiled_queries_recognise_exist():
    from django.db.models.query import ModelIterable, ValuesListIterable

    from userpools.models import AppClient

    assert AppClient.objects.all()._iterable_class is ModelIterable
    assert AppClient.objects.values_list("client_id")._iterable_class is ValuesListIterable


def test_compiler_state_compiled_queries_read():
    """userpools/services/compiled.py reads these off a queryset and its compiler."""
    from django.db import connection
    from django.db.models import sql

    from userpools.models import AppClient

    queryset = AppClient.objects.select_related("pool").filter(client_id="x")
    assert queryset._prefetch_related_lookups == ()
    assert AppClient.objects.values_list("client_id", "name")._fields == ("client_id", "name")
    compiler = queryset.query.get_compiler(queryset.db)
    _, params = compiler.as_sql()
    assert params == ("x",)
    assert compiler.col_count == len(compiler.select[: compiler.col_count]) > 0
    assert {"model", "select_fields", "related_klass_infos"} <= set(compiler.klass_info)
    assert compiler.klass_info["model"] is AppClient
    assert isinstance(compiler.annotation_col_map, dict)
    query = compiler.query
    assert (query.extra_select, query.values_select, query.annotation_select) == ({}, (), {})
    assert query.select_for_update is False
    update = queryset.query.chain(sql.UpdateQuery)
    update.add_update_values({"name": "y"})
    assert update.related_updates == {}
    assert isinstance(connection.features.can_return_columns_from_insert, bool)
    assert isinstance(connection.features.has_select_for_update, bool)


def test_a_response_closes_what_is_appended_to_its_resource_closers():
    """config/wire/front.py closes the request with the response, as Django's handler does."""
    from django.core import signals
    from django.http import HttpResponse

    closed = []
    response = HttpResponse(b"x")
    response._resource_closers.append(lambda: closed.append(True))
    with mock.patch.object(signals.request_finished, "send") as finished:  # no database to close here
        response.close()
    assert closed == [True] and finished.called


def test_the_app_registry_says_when_models_are_ready():
    """userpools/services/memo.py connects caches made after the apps loaded."""
    from django.apps import apps

    assert apps.models_ready is True


# --- gunicorn: config/workers.py ------------------------------------------------------------

THREAD_WORKER_METHODS = [
    ("run", []),
    ("enqueue_req", ["conn"]),
    ("finish_request", ["conn", "fs"]),
    ("on_pending_socket_readable", ["conn", "client"]),
    ("handle_request", ["req", "conn"]),
    ("_keepalive_after", ["conn", "keepalive"]),
    ("handle_error", ["req", "client", "addr", "exc"]),
    ("set_accept_enabled", ["enabled"]),
    ("accept", ["listener"]),
    ("wait_for_and_dispatch_events", ["timeout"]),
]


@pytest.mark.parametrize(("name", "parameters"), THREAD_WORKER_METHODS, ids=[n for n, _ in THREAD_WORKER_METHODS])
def test_gthread_worker_methods_keep_their_parameters(name, parameters):
    from gunicorn.workers.gthread import ThreadWorker

    assert _parameters(getattr(ThreadWorker, name)) == parameters


def test_gthread_worker_state_the_workers_read():
    from gunicorn.config import Config
    from gunicorn.workers.gthread import ThreadWorker

    worker = ThreadWorker(0, os.getppid(), [], None, 30, Config(), mock.Mock())
    try:
        assert len(worker.pending_conns) == 0 and hasattr(worker.pending_conns, "append")
        assert worker.poller is None  # made in init_process
        assert worker.nr_conns == 0
        assert worker.worker_connections == Config().worker_connections
        assert worker.alive is True
        assert hasattr(worker, "pid") and hasattr(worker, "log")  # pid is set in init_process
    finally:
        worker.tmp.close()


def test_gunicorn_config_the_workers_read():
    from gunicorn.config import Config

    cfg = Config()
    assert not cfg.is_ssl
    assert "h2" not in cfg.http_protocols
    assert isinstance(cfg.keepalive, int)


def test_a_connection_unreads_and_hands_back_its_buffered_bytes():
    """InlineWorker gives the parser the bytes it read itself, and takes back read-ahead."""
    from gunicorn.config import Config
    from gunicorn.http.errors import NoMoreData
    from gunicorn.workers.gthread import TConn

    assert issubclass(NoMoreData, Exception)
    ours, theirs = socket.socketpair()
    try:
        conn = TConn(Config(), ours, ("127.0.0.1", 1), ("127.0.0.1", 2))
        assert (conn.parser, conn.timeout, conn.is_http2) == (None, None, False)
        conn.init()
        conn.parser.unreader.unread(b"GET / HTTP/1.1\r\n")
        assert conn.parser.unreader.take_buffered() == b"GET / HTTP/1.1\r\n"
        assert conn.parser.unreader.take_buffered() == b""
        assert conn.sock is ours
    finally:
        ours.close()
        theirs.close()


# hostedui/services/validator.py overrides these django-oauth-toolkit and oauthlib methods
# (called with these parameters) and reads these oauthlib Request attributes.
OAUTH_OVERRIDDEN = [
    ("oauth2_provider.oauth2_backends:OAuthLibCore.extract_body", ["request"]),
    ("oauth2_provider.oauth2_backends:OAuthLibCore.create_revocation_response", ["request"]),
    ("oauthlib.oauth2.rfc6749.endpoints.token:TokenEndpoint.validate_token_request", ["request"]),
    ("oauthlib.oauth2.rfc6749.endpoints.revocation:RevocationEndpoint.validate_revocation_request", ["request"]),
    ("oauthlib.oauth2.rfc6749.tokens:BearerToken.create_token", ["request", "refresh_token", "kwargs"]),
]
# ... and calls these (hostedui/services/oauth.py, validator.py), with these parameters.
OAUTH_CALLED = [
    (
        "oauthlib.oauth2.rfc6749.endpoints.authorization:AuthorizationEndpoint.__init__",
        ["default_response_type", "default_token_type", "response_types"],
    ),
    (
        "oauthlib.oauth2.rfc6749.endpoints.authorization:AuthorizationEndpoint.validate_authorization_request",
        ["uri", "http_method", "body", "headers"],
    ),
    (
        "oauthlib.oauth2.rfc6749.endpoints.authorization:AuthorizationEndpoint.create_authorization_response",
        ["uri", "http_method", "body", "headers", "scopes", "credentials"],
    ),
    (
        "oauthlib.openid.connect.core.endpoints.userinfo:UserInfoEndpoint.create_userinfo_response",
        ["uri", "http_method", "body", "headers"],
    ),
    (
        "oauthlib.oauth2.rfc6749.grant_types.base:ValidatorsContainer.__init__",
        ["post_auth", "post_token", "pre_auth", "pre_token"],
    ),
]


@pytest.mark.parametrize("dotted, parameters", OAUTH_CALLED, ids=[d for d, _ in OAUTH_CALLED])
def test_the_oauth_methods_the_server_calls_keep_their_parameters(dotted, parameters):
    assert _parameters(_attribute(dotted)) == parameters


def test_oauthlib_grants_take_custom_validators_by_name():
    """CognitoServer passes pre_auth/post_auth checks to the code and implicit grants."""
    from oauthlib.oauth2 import RequestValidator
    from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant, ImplicitGrant

    def check(request):
        return {}

    for grant_type in (AuthorizationCodeGrant, ImplicitGrant):
        grant = grant_type(RequestValidator(), pre_auth=[check], post_auth=[check])
        assert grant.custom_validators.pre_auth == [check] and grant.custom_validators.post_auth == [check]


@pytest.mark.parametrize("dotted, parameters", OAUTH_OVERRIDDEN, ids=[d for d, _ in OAUTH_OVERRIDDEN])
def test_the_oauth_methods_the_validator_overrides_keep_their_parameters(dotted, parameters):
    assert _parameters(_attribute(dotted)) == parameters


def test_oauthlib_requests_carry_what_the_validator_reads():
    from oauthlib.common import Request

    request = Request(
        "https://example.com/oauth2/token",
        http_method="POST",
        body="a=1&a=2&b=3",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert request.duplicate_params == ["a"]
    assert ("b", "3") in request.decoded_body
