"""The password as a first factor (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH's
PASSWORD, the hosted sign-in page), and what every first factor asks of a proven user.

A wrong password and an unknown user both answer "Incorrect username or password." when
the client sets ``PreventUserExistenceErrors`` to ENABLED, and take as long: an unknown
user's password is checked against a dummy hash (userpools/signin/lockout.py). With LEGACY
an unknown user is a UserNotFoundException.
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.utils import timezone

from userpools.errors import InvalidParameter, NotAuthorized, PasswordResetRequired, UserNotConfirmed
from userpools.models import AppClient, User
from userpools.services import users
from userpools.signin import lockout
from userpools.signin.state import DISABLED, INCORRECT, TEMPORARY_EXPIRED, AuthOutcome, SignIn


def password_matches(raw: str, user: User | None) -> bool:
    """Check ``raw`` against ``user``'s hash, or against a dummy hash when there is none, so
    that both cost the same; upgrade the stored hash when its hasher's parameters changed,
    and make the SRP verifier of a password that has none."""
    dummy = user is None or not user.has_usable_password()
    encoded = lockout.dummy_hash() if dummy else user.password

    def upgrade(raw_password: str) -> None:
        assert user is not None
        users.password_store(user, raw_password)
        User.objects.filter(pk=user.pk).update(password=user.password, srp_verifier=user.srp_verifier)

    try:
        matched = check_password(raw, encoded, setter=None if dummy else upgrade)
    except UnicodeEncodeError:  # a lone surrogate from JSON: not anyone's password
        return False
    if matched and not dummy and not user.srp_verifier and user.pool_id:
        upgrade(raw)  # a password set before SRP verifiers existed gets one now
    return matched and not dummy


def may_sign_in(user: User) -> User:
    """``user``, whose first factor was just proven, if their account lets them sign in now."""
    if not user.is_active:
        raise NotAuthorized(DISABLED)
    if user.status == User.Status.UNCONFIRMED:
        raise UserNotConfirmed("User is not confirmed.")
    if user.status == User.Status.RESET_REQUIRED:
        raise PasswordResetRequired("Password reset required for the user")
    if (
        user.status == User.Status.FORCE_CHANGE_PASSWORD
        and user.temporary_password_expires_at is not None
        and user.temporary_password_expires_at <= timezone.now()
    ):
        raise NotAuthorized(TEMPORARY_EXPIRED)
    if user.status not in (User.Status.CONFIRMED, User.Status.FORCE_CHANGE_PASSWORD):
        raise NotAuthorized(INCORRECT)
    return user


def names(client: AppClient, username: str, user: User) -> bool:
    """Whether ``username`` (as a response sent it) names ``user``: their own username
    (what SDKs echo back, no query needed), or an alias or sub that resolves to them."""
    if users.username_key(client.pool, username) == user.username_key:
        return True
    return users.user_find(client.pool, username) == user


class Password:
    """PASSWORD: the password is checked here and now; the user is proven or refused.

    Raises InvalidParameterException (a parameter missing), NotAuthorizedException (wrong
    password; unknown user with PreventUserExistenceErrors; locked out; disabled; expired
    temporary password), UserNotFoundException (unknown user, LEGACY; the pipeline's),
    UserNotConfirmedException, PasswordResetRequiredException.
    """

    name = "PASSWORD"
    carries_password = True  # the user-migration hook can be asked
    relooks = True  # looks the username up again even after USER_AUTH's SELECT_CHALLENGE did

    def check(self, sign_in: SignIn) -> None:
        if not sign_in.username:
            raise InvalidParameter("Missing required parameter USERNAME")
        if sign_in.parameters.get("PASSWORD") is None:
            raise InvalidParameter("Missing required parameter PASSWORD")

    def unknown_legacy(self, sign_in: SignIn) -> None:
        password_matches(sign_in.parameters["PASSWORD"], None)  # spend the time a real check takes

    def start(self, sign_in: SignIn) -> AuthOutcome | None:
        password, user, client = sign_in.parameters["PASSWORD"], sign_in.user, sign_in.client
        if user is None:
            # An unknown username is counted and locked out as a user is, with the same
            # statements: its answers (up to "Password attempts exceeded") and their time match.
            unknown = lockout.unknown_lockout(client.pool, sign_in.username)
            lockout.unlocked(unknown)
            password_matches(password, None)
            lockout.sign_in_failed(sign_in.ctx, client, None, sign_in.username, unknown=unknown)
        user.pool = client.pool
        lockout.unlocked(user)
        matched = password_matches(password, user)
        lockout.lockout_recheck(user)  # also after a wrong one: an unknown username reads its lockout row as well
        if not matched:
            lockout.sign_in_failed(sign_in.ctx, client, user, sign_in.username)
        may_sign_in(user)
        return None
