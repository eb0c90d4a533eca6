import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_describe_user_pool(idp):
    pool = idp.create_user_pool(PoolName="smoke")["UserPool"]
    assert pool["Id"].startswith("us-east-1_")
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Name"] == "smoke"
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8


def test_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(ClientError) as exc:
        idp.describe_user_pool(UserPoolId="us-east-1_nothere00")
    assert error_code(exc) == "ResourceNotFoundException"
