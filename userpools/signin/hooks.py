"""Sign-in hooks: the seams where user pool triggers, threat protection and federation plug in.

The pipeline (userpools/signin/pipeline.py) calls each stage's registered functions, in
the order they were registered, with one :class:`HookContext`. A stage nobody registered
for costs a dictionary lookup and nothing else (no query). A hook may raise a
:class:`~userpools.errors.ServiceError` (NotAuthorized, UserNotFound ...) to stop the
sign-in with that error; nothing is issued then. What a hook returns:

* ``user_migration``: a :class:`~userpools.models.User` it created for a username that
  named nobody becomes the sign-in's user (its password is then checked as anyone's);
  anything else is ignored.
* ``token_generation``: a :class:`ClaimChanges` is collected (:func:`run` returns the
  results); the token service does not apply it yet.
* the others: ignored.

Register with :func:`register` (returns the function that unregisters) or the context
manager :func:`registered`::

    with hooks.registered(hooks.PRE_AUTHENTICATION, deny_blocked_users):
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from userpools.models import User
from userpools.signin.state import SignIn

USER_MIGRATION = "user_migration"
PRE_AUTHENTICATION = "pre_authentication"
RISK = "risk"
CUSTOM_CHALLENGE = "custom_challenge"
POST_AUTHENTICATION = "post_authentication"
TOKEN_GENERATION = "token_generation"
STAGES = (USER_MIGRATION, PRE_AUTHENTICATION, RISK, CUSTOM_CHALLENGE, POST_AUTHENTICATION, TOKEN_GENERATION)

# Trigger sources, as Cognito's Lambda trigger events name them. Threat protection (RISK)
# is no Lambda trigger and has none.
MIGRATION_AUTHENTICATION = "UserMigration_Authentication"
PRE_AUTHENTICATION_SOURCE = "PreAuthentication_Authentication"
POST_AUTHENTICATION_SOURCE = "PostAuthentication_Authentication"
TOKENS_AUTHENTICATION = "TokenGeneration_Authentication"
TOKENS_HOSTED = "TokenGeneration_HostedAuth"
TOKENS_NEW_PASSWORD = "TokenGeneration_NewPasswordChallenge"
TOKENS_DEVICE = "TokenGeneration_AuthenticateDevice"
TOKENS_REFRESH = "TokenGeneration_RefreshTokens"
DEFINE_CHALLENGE = "DefineAuthChallenge_Authentication"

Hook = Callable[["HookContext"], Any]


@dataclass(frozen=True)
class HookContext:
    """What a hook is told: the stage, the trigger source Cognito would send, and the sign-in."""

    stage: str
    trigger_source: str | None
    sign_in: SignIn
    user_not_found: bool = False  # PreventUserExistenceErrors: the username names nobody
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the password, for user_migration

    @property
    def flow(self) -> str:
        return self.sign_in.flow

    @property
    def client_id(self) -> str:
        return self.sign_in.client.client_id

    @property
    def pool_id(self) -> str:
        return self.sign_in.client.pool_id

    @property
    def user(self) -> User | None:
        return self.sign_in.user

    @property
    def username(self) -> str:
        """The user's username once known (as Cognito's ``userName``), else the name given."""
        return self.sign_in.user.username if self.sign_in.user is not None else self.sign_in.username


@dataclass(frozen=True)
class ClaimChanges:
    """What a token_generation hook may return: claims to add or override, claims to suppress."""

    add: dict[str, Any] = field(default_factory=dict)
    suppress: tuple[str, ...] = ()


_registry: dict[str, list[Hook]] = {}


def register(stage: str, fn: Hook) -> Callable[[], None]:
    """Call ``fn`` at ``stage`` from now on; returns the function that undoes it."""
    if stage not in STAGES:
        raise ValueError(f"unknown sign-in stage {stage!r}; one of {', '.join(STAGES)}")
    _registry.setdefault(stage, []).append(fn)

    def unregister() -> None:
        hooks = _registry.get(stage, [])
        if fn in hooks:
            hooks.remove(fn)
        if not hooks:
            _registry.pop(stage, None)

    return unregister


@contextmanager
def registered(stage: str, fn: Hook) -> Iterator[Hook]:
    """``fn`` registered at ``stage`` for the ``with`` block."""
    unregister = register(stage, fn)
    try:
        yield fn
    finally:
        unregister()


def active(stage: str) -> bool:
    return bool(_registry.get(stage))


def run(
    stage: str, sign_in: SignIn, trigger_source: str | None, *, user_not_found: bool = False, **extra: Any
) -> list[Any]:
    """Record ``stage`` as run and call its hooks in order; returns what they returned."""
    sign_in.stages.append(stage)
    hooks = _registry.get(stage)
    if not hooks:
        return []
    context = HookContext(
        stage=stage, trigger_source=trigger_source, sign_in=sign_in, user_not_found=user_not_found, extra=extra
    )
    return [hook(context) for hook in list(hooks)]
