"""The sign-in pipeline's hooks (userpools/signin/hooks.py, pipeline.py): for each flow, which
stages run, in which order, what each hook is told, and that a hook can stop a sign-in.

The hooks here are real registered functions that record what they were called with; the
services are called directly (as tests/auth/test_queries.py does)."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.signin.recording import Call, recording, stages
from userpools import srp
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import NotAuthorized, UserNotFound
from userpools.models import RefreshToken, User
from userpools.services import mfa, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_set_mfa_config
from userpools.signin import auth_initiate, auth_respond, hooks, hosted_sign_in, refresh
from userpools.signin.pipeline import FLOW_HOOKS

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
]
CTX = ServiceContext(actor="test")


@pytest.fixture
def calls():
    """Every stage's hook registered, recording its calls in order (cleared afterwards)."""
    with recording() as recorded:
        yield recorded


@pytest.fixture
def app():
    """(pool, client_id, prevent=True client_id-less variant maker): a pool, a client with
    every flow, and a confirmed user alice."""
    pool = user_pool_create(SYSTEM, {"PoolName": "hooks"})
    client = user_pool_client_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientName": "app",
            "ExplicitAuthFlows": FLOWS,
            "PreventUserExistenceErrors": "ENABLED",
        },
    )
    users.user_create(
        SYSTEM, pool=pool, username="alice", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    return pool, client.client_id


def password_auth(client_id: str, password: str = PASSWORD, *, username: str = "alice", pool_id: str | None = None):
    flow = "ADMIN_USER_PASSWORD_AUTH" if pool_id else "USER_PASSWORD_AUTH"
    return auth_initiate(
        CTX, client_id=client_id, flow=flow, pool_id=pool_id, parameters={"USERNAME": username, "PASSWORD": password}
    )


AUTHENTICATED = ["pre_authentication", "risk", "post_authentication", "token_generation"]
SOURCES = [
    "PreAuthentication_Authentication",
    None,
    "PostAuthentication_Authentication",
    "TokenGeneration_Authentication",
]


@pytest.mark.parametrize("admin", [False, True])
def test_password_flows_run_every_authentication_hook_in_order(app, calls, admin):
    pool, client_id = app
    outcome = password_auth(client_id, pool_id=pool.id if admin else None)
    assert outcome.tokens is not None
    flow = "ADMIN_USER_PASSWORD_AUTH" if admin else "USER_PASSWORD_AUTH"
    assert calls == [
        Call(stage, source, flow, "alice", client_id, False)
        for stage, source in zip(AUTHENTICATED, SOURCES, strict=True)
    ]


def test_a_wrong_password_calls_no_post_authentication_or_token_hook(app, calls):
    _, client_id = app
    with pytest.raises(NotAuthorized):
        password_auth(client_id, "Wrong-Passw0rd!")
    assert stages(calls) == ["pre_authentication", "risk"]


def test_an_unknown_user_is_offered_to_migration_then_pre_authentication(app, calls):
    _, client_id = app
    with pytest.raises(NotAuthorized):
        password_auth(client_id, username="nobody")
    assert calls == [
        Call("user_migration", "UserMigration_Authentication", "USER_PASSWORD_AUTH", "nobody", client_id, False),
        Call("pre_authentication", "PreAuthentication_Authentication", "USER_PASSWORD_AUTH", "nobody", client_id, True),
        Call("risk", None, "USER_PASSWORD_AUTH", "nobody", client_id, True),
    ]


def test_without_prevent_user_existence_errors_an_unknown_user_gets_no_pre_authentication(app, calls):
    pool, _ = app
    legacy = user_pool_client_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientName": "legacy",
            "ExplicitAuthFlows": FLOWS,
            "PreventUserExistenceErrors": "LEGACY",
        },
    )
    with pytest.raises(UserNotFound):
        password_auth(legacy.client_id, username="nobody")
    assert stages(calls) == ["user_migration"]


def test_a_user_the_migration_hook_creates_signs_in(app, calls):
    pool, client_id = app
    seen: list[str] = []

    def migrate(context: hooks.HookContext) -> User:
        seen.append(context.extra["password"])
        return users.user_create(
            SYSTEM,
            pool=pool,
            username=context.username,
            password=context.extra["password"],
            attributes={},
            status=User.Status.CONFIRMED,
        )

    with hooks.registered(hooks.USER_MIGRATION, migrate):
        outcome = password_auth(client_id, "Imp0rted!pass", username="carol")
    assert outcome.tokens is not None and seen == ["Imp0rted!pass"]
    assert stages(calls) == ["user_migration", *AUTHENTICATED]
    assert [c.username for c in calls] == ["carol"] * 5 and calls[1].user_not_found is False


def test_srp_runs_pre_authentication_at_initiate_and_the_rest_after_the_claim(app, calls):
    pool, client_id = app
    helper = srp.Client(pool.id)
    challenge = auth_initiate(
        CTX, client_id=client_id, flow="USER_SRP_AUTH", parameters={"USERNAME": "alice", "SRP_A": helper.srp_a}
    )
    assert stages(calls) == ["pre_authentication", "risk"]
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="PASSWORD_VERIFIER",
        session=challenge.session,
        responses=helper.respond(challenge.parameters, PASSWORD),
    )
    assert outcome.tokens is not None
    assert calls == [
        Call(stage, source, "USER_SRP_AUTH", "alice", client_id, False)
        for stage, source in zip(AUTHENTICATED, SOURCES, strict=True)
    ]


def test_srp_never_asks_the_migration_hook(app, calls):
    pool, client_id = app
    helper = srp.Client(pool.id)
    auth_initiate(
        CTX, client_id=client_id, flow="USER_SRP_AUTH", parameters={"USERNAME": "nobody", "SRP_A": helper.srp_a}
    )
    assert stages(calls) == ["pre_authentication", "risk"] and calls[0].user_not_found


def test_user_auth_password_choice(app, calls):
    pool, client_id = app
    outcome = auth_initiate(
        CTX,
        client_id=client_id,
        flow="USER_AUTH",
        parameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "PREFERRED_CHALLENGE": "PASSWORD"},
    )
    assert outcome.tokens is not None
    assert calls == [
        Call(stage, source, "USER_AUTH", "alice", client_id, False)
        for stage, source in zip(AUTHENTICATED, SOURCES, strict=True)
    ]


def test_user_auth_select_challenge_runs_the_hooks_once_the_factor_is_chosen(app, calls):
    pool, client_id = app
    selected = auth_initiate(CTX, client_id=client_id, flow="USER_AUTH", parameters={"USERNAME": "alice"})
    assert selected.challenge == "SELECT_CHALLENGE" and calls == []
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="SELECT_CHALLENGE",
        session=selected.session,
        responses={"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert outcome.tokens is not None
    assert [(c.stage, c.flow) for c in calls] == [(stage, "USER_AUTH") for stage in AUTHENTICATED]


def test_mfa_sign_in_calls_post_authentication_and_token_hooks_only_after_the_code(app, calls):
    pool, client_id = app
    user_pool_set_mfa_config(
        SYSTEM,
        {"UserPoolId": pool.id, "MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    )
    alice = users.user_find(pool, "alice")
    totp = pyotp.TOTP(mfa.totp_associate(SYSTEM, alice))
    mfa.totp_verify(SYSTEM, alice, totp.now(), "phone")
    mfa.preference_set(SYSTEM, alice, {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}})
    challenge = password_auth(client_id)
    assert challenge.challenge == "SOFTWARE_TOKEN_MFA" and challenge.tokens is None
    assert stages(calls) == ["pre_authentication", "risk"]
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="SOFTWARE_TOKEN_MFA",
        session=challenge.session,
        responses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp.at(time.time() + 30)},
    )
    assert outcome.tokens is not None
    assert calls[2:] == [
        Call(
            "post_authentication", "PostAuthentication_Authentication", "USER_PASSWORD_AUTH", "alice", client_id, False
        ),
        Call("token_generation", "TokenGeneration_Authentication", "USER_PASSWORD_AUTH", "alice", client_id, False),
    ]


def test_a_new_password_sign_in_generates_tokens_as_new_password_challenge(app, calls):
    pool, client_id = app
    users.user_create(
        SYSTEM, pool=pool, username="dave", password=PASSWORD, attributes={}, status=User.Status.FORCE_CHANGE_PASSWORD
    )
    challenge = password_auth(client_id, username="dave")
    assert challenge.challenge == "NEW_PASSWORD_REQUIRED"
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="NEW_PASSWORD_REQUIRED",
        session=challenge.session,
        responses={"USERNAME": "dave", "NEW_PASSWORD": "N3w-Passw0rd!"},
    )
    assert outcome.tokens is not None
    assert [(c.stage, c.trigger_source) for c in calls] == [
        ("pre_authentication", "PreAuthentication_Authentication"),
        ("risk", None),
        ("post_authentication", "PostAuthentication_Authentication"),
        ("token_generation", "TokenGeneration_NewPasswordChallenge"),
    ]


def test_refresh_calls_only_the_token_hook(app, calls):
    _, client_id = app
    refresh_token = password_auth(client_id).tokens.refresh_token
    calls.clear()
    outcome = auth_initiate(
        CTX, client_id=client_id, flow="REFRESH_TOKEN_AUTH", parameters={"REFRESH_TOKEN": refresh_token}
    )
    assert outcome.tokens is not None
    assert calls == [
        Call("token_generation", "TokenGeneration_RefreshTokens", "REFRESH_TOKEN_AUTH", "alice", client_id, False)
    ]


def test_a_token_hook_refusing_a_refresh_leaves_nothing_used(app):
    _, client_id = app
    refresh_token = password_auth(client_id).tokens.refresh_token
    before = list(RefreshToken.objects.values_list("pk", "last_used_at"))

    def deny(context: hooks.HookContext) -> None:
        raise NotAuthorized("Refresh refused by a hook.")

    with hooks.registered(hooks.TOKEN_GENERATION, deny), pytest.raises(NotAuthorized, match="refused by a hook"):
        auth_initiate(CTX, client_id=client_id, flow="REFRESH_TOKEN_AUTH", parameters={"REFRESH_TOKEN": refresh_token})
    assert list(RefreshToken.objects.values_list("pk", "last_used_at")) == before


@pytest.mark.parametrize("stage", ["pre_authentication", "risk", "post_authentication", "token_generation"])
def test_a_hook_raising_not_authorized_stops_sign_in_and_issues_nothing(app, calls, stage):
    _, client_id = app

    def deny(context: hooks.HookContext) -> None:
        raise NotAuthorized("PreAuthentication failed with error denied.")

    with hooks.registered(stage, deny), pytest.raises(NotAuthorized, match="denied"):
        password_auth(client_id)
    assert stages(calls) == AUTHENTICATED[: AUTHENTICATED.index(stage) + 1]
    assert not RefreshToken.objects.exists()


def test_hosted_sign_in_runs_authentication_hooks_but_issues_no_tokens(app, calls):
    from userpools.models import AppClient

    _, client_id = app
    client = AppClient.objects.select_related("pool").get(client_id=client_id)
    outcome = hosted_sign_in(CTX, client=client, username="alice", password=PASSWORD)
    assert outcome.user is not None and outcome.tokens is None
    assert [(c.stage, c.flow) for c in calls] == [(s, "HOSTED") for s in AUTHENTICATED[:3]]


def test_the_flow_table_names_what_runs():
    assert FLOW_HOOKS["USER_SRP_AUTH"] == ("pre_authentication", "risk", "post_authentication", "token_generation")
    assert FLOW_HOOKS["REFRESH_TOKEN_AUTH"] == ("token_generation",)
    assert "user_migration" in FLOW_HOOKS["USER_PASSWORD_AUTH"]
    # the hosted pages' token hook runs when the OAuth endpoints issue (tests/hostedui/test_oauth_hooks.py)
    assert FLOW_HOOKS["HOSTED"] == (
        "user_migration",
        "pre_authentication",
        "risk",
        "post_authentication",
        "token_generation",
    )
    assert FLOW_HOOKS[refresh.OAUTH_FLOW] == ("token_generation",)
    assert FLOW_HOOKS[refresh.GET_TOKENS_FLOW] == ("token_generation",)


def test_register_refuses_an_unknown_stage_and_unregisters():
    with pytest.raises(ValueError):
        hooks.register("pre_signup", lambda context: None)
    unregister = hooks.register(hooks.RISK, lambda context: None)
    assert hooks.active(hooks.RISK)
    unregister()
    assert not hooks.active(hooks.RISK)
