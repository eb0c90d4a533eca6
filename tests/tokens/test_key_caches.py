"""The token service's process caches are registered memo.ProcessCache instances
(userpools/services/tokens/keys.py, verify.py): a signing key's save or deletion reaches
them when its transaction commits, not before."""

from __future__ import annotations

import pytest
from django.utils import timezone

from userpools.context import SYSTEM
from userpools.models import SigningKey
from userpools.services import memo, tokens
from userpools.services.tokens import keys, verify

pytestmark = pytest.mark.django_db


def test_the_token_caches_are_registered():
    listed = {info.name: info for info in memo.registered()}
    for name in ("token-signers", "token-verifiers", "token-jwks"):
        assert listed[name].invalidated_by == ("userpools.SigningKey (by key)",)
        assert listed[name].seconds == keys.CACHE_SECONDS
    # A token's text never changes meaning: no row invalidates it, and it outlives no token.
    assert listed["verified-tokens"].invalidated_by == ()
    assert listed["verified-tokens"].seconds == tokens.MAX_TOKEN_LIFETIME.total_seconds()
    assert listed["verified-tokens"].max_entries == verify.VERIFIED_MAX


def test_a_retired_key_leaves_the_caches_when_its_transaction_commits(setup, django_capture_on_commit_callbacks):
    pool_id = setup[0]
    first = tokens._signer(pool_id)
    assert keys._verifier(first.kid).retired_at is None
    record = SigningKey.objects.get(kid=first.kid)
    with django_capture_on_commit_callbacks() as callbacks:
        record.retired_at = timezone.now()
        record.save()
        assert tokens._signer(pool_id) is first  # before the commit: still the cached signer
    assert callbacks
    for callback in callbacks:
        callback()
    assert tokens._signer(pool_id).kid != first.kid  # retired: a new signer was made
    assert keys._verifier(first.kid).retired_at is not None


def test_a_new_key_is_in_the_jwks_once_it_commits(setup, django_capture_on_commit_callbacks):
    pool_id = setup[0]
    before = {key["kid"] for key in tokens.jwks(pool_id)["keys"]}
    with django_capture_on_commit_callbacks(execute=True):
        SigningKey.objects.filter(pool_id=pool_id, purpose=SigningKey.Purpose.JWT).update(retired_at=timezone.now())
        added = keys._new_key(SigningKey.objects.get(kid=next(iter(before))).pool, SigningKey.Purpose.JWT)
    after = {key["kid"] for key in tokens.jwks(pool_id)["keys"]}
    assert after == before | {added.kid}


def test_jwks_cached_never_loads(setup, django_assert_num_queries):
    pool_id = setup[0]
    with django_assert_num_queries(0):
        assert tokens.jwks_cached(pool_id) is None
    document = tokens.jwks(pool_id)
    with django_assert_num_queries(0):
        assert tokens.jwks_cached(pool_id) is document


def test_rotation_clears_this_process_at_once(setup):
    pool_id = setup[0]
    first = tokens._signer(pool_id)
    tokens.signing_keys_rotate(SYSTEM, pool_id=pool_id)
    assert tokens._signer(pool_id).kid != first.kid
    assert keys._verifier(first.kid).retired_at is not None
