"""``manage.py bootstrap``: an operator, an access key, a demo pool and app client (idempotent).

``make run`` calls it before starting the server and shows what it prints.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.db import transaction

from identity.models import AccessKey
from identity.services.callers import access_key_create
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.models import User, UserPool
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

DEMO_TAG = "cognate:demo"
KEY_DESCRIPTION = "bootstrap key (make run)"
DEMO_CALLBACK = "http://localhost:3000/"


class Command(BaseCommand):
    help = "Create (once) an operator, an access key, a demo user pool and app client, and print them."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("COGNATE_BOOTSTRAP_USERNAME", "admin"))
        parser.add_argument("--password", default=os.environ.get("COGNATE_BOOTSTRAP_PASSWORD", ""))

    @transaction.atomic
    def handle(self, *args, username: str, password: str, **options):
        ctx = ServiceContext(actor="cli:bootstrap")
        operator = User.objects.filter(pool__isnull=True, username_key=username).first()
        if operator is None:
            if not password:
                self.stderr.write("Set COGNATE_BOOTSTRAP_PASSWORD (make run writes it to .env).")
                raise SystemExit(2)
            operator = User.objects.create_superuser(username=username, email="", password=password)
        key = operator.access_keys.filter(description=KEY_DESCRIPTION, is_active=True).first()
        if key is None:
            key = access_key_create(ctx, operator=operator, description=KEY_DESCRIPTION).key
            key = AccessKey.objects.get(pk=key.pk)
        pool = UserPool.objects.filter(tags__has_key=DEMO_TAG).order_by("created_at").first()
        if pool is None:
            pool = user_pool_create(
                ctx,
                {
                    "PoolName": "demo",
                    "UserPoolTags": {DEMO_TAG: "true"},
                    "AutoVerifiedAttributes": ["email"],
                    "UsernameAttributes": ["email"],
                },
            )
        client = pool.clients.order_by("created").first()
        if client is None:
            client = user_pool_client_create(
                ctx,
                {
                    "UserPoolId": pool.id,
                    "ClientName": "demo-app",
                    "ExplicitAuthFlows": [
                        "ALLOW_USER_PASSWORD_AUTH",
                        "ALLOW_USER_SRP_AUTH",
                        "ALLOW_REFRESH_TOKEN_AUTH",
                        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                    ],
                    # The hosted pages, for an app on a development server at localhost:3000.
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
                    "CallbackURLs": [DEMO_CALLBACK],
                    "LogoutURLs": [DEMO_CALLBACK],
                    "SupportedIdentityProviders": ["COGNITO"],
                },
            )
        url = cognate_settings().PUBLIC_URL
        region = pool.region
        callbacks = client.settings.get("CallbackURLs") or []
        hosted = ""
        if client.settings.get("AllowedOAuthFlowsUserPoolClient") and callbacks:
            # The demo client is public, so PKCE S256 is required (hostedui.services.oauth.pkce_required):
            # the verifier printed redeems the code at /oauth2/token.
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            query = urlencode(
                {
                    "client_id": client.client_id,
                    "response_type": "code",
                    "redirect_uri": callbacks[0],
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
            hosted = f"  Hosted sign-in  {url}/{pool.id}/oauth2/authorize?{query}\n    code_verifier {verifier}\n"
        shown_password = password or "(unchanged; see COGNATE_BOOTSTRAP_PASSWORD in .env)"
        self.stdout.write(
            f"""
Cognate is starting on {url}

  Admin console   {url}/admin/
    username      {operator.username}
    password      {shown_password}
  REST API docs   {url}/api/v1/docs/

  AWS_ACCESS_KEY_ID={key.access_key_id}
  AWS_SECRET_ACCESS_KEY={key.secret_access_key}

  User pool id    {pool.id}
  App client id   {client.client_id}
{hosted}
Try it with boto3 (copy and paste into python):

import boto3
idp = boto3.client("cognito-idp", endpoint_url="{url}", region_name="{region}",
                   aws_access_key_id="{key.access_key_id}",
                   aws_secret_access_key="{key.secret_access_key}")
print(idp.describe_user_pool(UserPoolId="{pool.id}")["UserPool"]["Name"])
print(idp.list_user_pool_clients(UserPoolId="{pool.id}", MaxResults=10)["UserPoolClients"])
"""
        )
