"""Query counts on the wire's hot path, pinned so a change that adds queries is noticed."""

import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from identity.services.callers import access_key_create
from userpools.context import ServiceContext
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(client, django_user_model):
    operator = django_user_model.objects.create_user(username="q", password="x", is_staff=True)
    key = access_key_create(ServiceContext(), operator=operator)
    credentials = Credentials(key.key.access_key_id, key.secret_access_key)

    def post(operation: str, params: dict):
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url="http://testserver/", data=body,
                             headers={"X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"})  # fmt: skip
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
        return client.post("/", data=body, content_type="application/x-amz-json-1.1", HTTP_HOST="testserver", **meta)

    return post


def test_describe_user_pool_queries(signed, django_assert_num_queries):
    pool = user_pool_create(ServiceContext(), {"PoolName": "q"})
    signed("ListUserPools", {"MaxResults": 1})  # first use stamps last_used_at and caches the key
    # the pool with its user count, its domains (the key record comes from the cache)
    with django_assert_num_queries(2):
        response = signed("DescribeUserPool", {"UserPoolId": pool.id})
    assert response.status_code == 200, response.content


def test_list_user_pools_queries(signed, django_assert_num_queries):
    for i in range(5):
        user_pool_create(ServiceContext(), {"PoolName": f"p{i}"})
    signed("ListUserPools", {"MaxResults": 1})
    with django_assert_num_queries(1):
        response = signed("ListUserPools", {"MaxResults": 3})
    assert len(json.loads(response.content)["UserPools"]) == 3


def test_a_cold_key_costs_one_query(signed, django_assert_num_queries):
    from django.core.cache import cache

    signed("ListUserPools", {"MaxResults": 1})
    cache.clear()
    with django_assert_num_queries(2):  # the key record, then the page
        signed("ListUserPools", {"MaxResults": 3})
