"""The Cognito identity-pool wire API (``AWSCognitoIdentityService.*``).

The 23 operations of the cognito-identity model arrive with F6; until then every one
of them is validated and authenticated as the model says and then answers
``UnsupportedOperationException``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools.conf import cognate_settings

HANDLERS: dict[str, Callable] = {}


def iam_resource(operation: str, params: Any) -> str:
    if isinstance(params, dict):
        if isinstance(params.get("ResourceArn"), str):
            return params["ResourceArn"]
        pool_id = params.get("IdentityPoolId")
        if isinstance(pool_id, str):
            conf = cognate_settings()
            region = pool_id.split(":", 1)[0]
            return f"arn:aws:cognito-identity:{region}:{conf.ACCOUNT_ID}:identitypool/{pool_id}"
    return "*"
