"""Periodic clean-up of the hosted pages' state (scheduled in config.celery)."""

from __future__ import annotations

from celery import shared_task

from hostedui.services import oauth, sessions


@shared_task(name="hostedui.sessions_prune")
def sessions_prune() -> dict[str, int]:
    """Browser sessions that ended or expired a day ago, authorization codes expired an hour ago."""
    return {"hosted_sessions": sessions.hosted_sessions_purge(), "authorization_codes": oauth.grants_purge()}
