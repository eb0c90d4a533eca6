"""Real sign-in hooks that record their calls (userpools/signin/hooks.py), for the hook tests
of tests/signin and tests/hostedui/test_oauth_hooks.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from userpools.signin import hooks


@dataclass(frozen=True)
class Call:
    stage: str
    trigger_source: str | None
    flow: str
    username: str
    client_id: str
    user_not_found: bool


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Every stage's hook registered for the block, recording its calls in order."""
    recorded: list[Call] = []

    def record(context: hooks.HookContext) -> None:
        recorded.append(
            Call(
                context.stage,
                context.trigger_source,
                context.flow,
                context.username,
                context.client_id,
                context.user_not_found,
            )
        )

    undo = [hooks.register(stage, record) for stage in hooks.STAGES]
    try:
        yield recorded
    finally:
        for unregister in undo:
            unregister()


def stages(recorded: list[Call]) -> list[str]:
    return [call.stage for call in recorded]
