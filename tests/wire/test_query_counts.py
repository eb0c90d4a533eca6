"""Query counts on the wire's hot path, pinned so a change that adds queries is noticed."""

import json

import pytest

from userpools.context import ServiceContext
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db


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
    from identity.services import callers

    signed("ListUserPools", {"MaxResults": 1})
    with django_assert_num_queries(1):  # the page: the key record is in process memory
        signed("ListUserPools", {"MaxResults": 3})
    callers._records.clear()
    with django_assert_num_queries(2):  # the key record, then the page
        signed("ListUserPools", {"MaxResults": 3})
