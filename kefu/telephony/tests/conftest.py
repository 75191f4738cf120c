import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.telephony.models import Extension


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast(make_user):
    class Cast:
        agent = make_user(Role.AGENT)
        agent2 = make_user(Role.AGENT)
        supervisor = make_user(Role.SUPERVISOR)
        inspector = make_user(Role.INSPECTOR)

    Extension.objects.create(user=Cast.agent, number="8001")
    return Cast


@pytest.fixture
def customer(cast):
    """张伟, created by the agent (so the agent may see them), mobile 138 0013 8000."""
    return create_customer(
        actor=cast.agent,
        name="张伟",
        contacts=ContactPoints({"mobile": ["13800138000"]}),
        level="vip",
    )
