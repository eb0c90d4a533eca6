"""The one state object a sign-in carries through its stages, and what a step ends in.

A :class:`SignIn` is made when a request names a client and a user, and lives for that
request; between requests its ``state`` (with the flow, the first factor and ``auth_time``)
is kept in the challenge's :class:`~userpools.models.AuthSession` (userpools/signin/sessions.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from userpools.context import ServiceContext
from userpools.models import AppClient, User, UserPool

if TYPE_CHECKING:
    from userpools.services.tokens import TokenSet

INCORRECT = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
DISABLED = "User is disabled."
TEMPORARY_EXPIRED = "Temporary password has expired and must be reset by an administrator."
SESSION_INVALID = "Invalid session for the user."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."

# Keys of the session state that belong to the pipeline rather than to a challenge.
FLOW_KEY, FACTOR_KEY, ANSWERED_KEY = "flow", "factor", "answered"


@dataclass(frozen=True)
class AuthOutcome:
    """What a sign-in step ends in: tokens, or the next challenge and its Session."""

    tokens: TokenSet | None = None
    challenge: str | None = None
    session: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    available: list[str] | None = None  # USER_AUTH's AvailableChallenges
    new_device: dict[str, str] | None = None  # NewDeviceMetadata: a new device key (device tracking)
    # A hosted sign-in ends in a proven user instead of tokens (the pages start a browser
    # session and the OAuth endpoints issue tokens): who, since when, and how.
    user: User | None = None
    auth_time: datetime | None = None
    methods: list[str] = field(default_factory=list)


@dataclass
class SignIn:
    """A sign-in in progress.

    ``flow`` is the AuthFlow (InitiateAuth's, ``HOSTED`` for the hosted pages' own
    sign-in and its OAuth tokens, ``OAUTH_REFRESH_TOKEN`` for /oauth2/token's refresh);
    ``username`` as the request named the user; ``user`` once looked up (None for a name
    that names nobody); ``factor`` the first factor (PASSWORD, PASSWORD_SRP, EMAIL_OTP,
    SMS_OTP, WEB_AUTHN, REFRESH_TOKEN); ``auth_time`` when it was proven; ``state`` what
    the challenges keep between requests; ``stages`` the pipeline's stages run in this
    request, in order (userpools/signin/pipeline.py).
    """

    ctx: ServiceContext
    client: AppClient
    user: User | None = None
    auth_time: datetime | None = None
    state: dict[str, Any] = field(default_factory=dict)
    flow: str = ""
    username: str = ""
    factor: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)  # AuthParameters or ChallengeResponses
    looked_up: bool = False  # ``user`` was looked up by an earlier step (USER_AUTH's SELECT_CHALLENGE)
    stages: list[str] = field(default_factory=list)

    @property
    def pool(self) -> UserPool:
        return self.client.pool

    @property
    def hosted(self) -> bool:
        return bool(self.state.get("hosted"))

    def persisted(self) -> dict[str, Any]:
        """The state a challenge session keeps: the challenges' own and the pipeline's."""
        out = {**self.state, FLOW_KEY: self.flow, FACTOR_KEY: self.factor}
        if self.auth_time is not None:
            out["auth_time"] = self.auth_time.isoformat()
        return out

    def restore(self, stored: Mapping[str, Any]) -> None:
        """Take back what :meth:`persisted` kept."""
        state = dict(stored)
        self.flow = state.pop(FLOW_KEY, None) or self.flow
        self.factor = state.pop(FACTOR_KEY, None) or self.factor
        when = state.pop("auth_time", None)
        if when:
            self.auth_time = datetime.fromisoformat(when)
        self.state = state
