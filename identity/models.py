"""Caller credentials: operator access keys for the SigV4-signed admin API.

Identity pools and the credentials they issue arrive with F6 and share the
policy evaluator (:mod:`identity.policy`) and the SigV4 verifier (:mod:`identity.sigv4`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from userpools.crypto import EncryptedTextField

# The policy a new key gets unless another is given: everything Cognate serves.
FULL_ACCESS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["cognito-idp:*", "cognito-identity:*"], "Resource": "*"},
    ],
}


def full_access_policy() -> dict:
    return {"Version": FULL_ACCESS_POLICY["Version"], "Statement": [dict(s) for s in FULL_ACCESS_POLICY["Statement"]]}


class AccessKey(models.Model):
    """An operator's access key (AWS-style id and secret), with an IAM-style policy."""

    access_key_id = models.CharField(max_length=128, unique=True)
    secret_access_key = EncryptedTextField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_keys",
        limit_choices_to={"pool__isnull": True},
    )
    description = models.CharField(max_length=256, blank=True)
    is_active = models.BooleanField(default=True)
    policy = models.JSONField(default=full_access_policy)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.access_key_id
