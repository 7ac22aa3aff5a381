import pytest

from huigong.portal.sms import MemorySmsSender


@pytest.fixture(autouse=True)
def sms_outbox():
    MemorySmsSender.clear()
    yield MemorySmsSender
    MemorySmsSender.clear()


@pytest.fixture
def make_worker(db):
    """make_worker(phone, person=None) -> (account, password): a signed-up worker account."""
    from huigong.portal import services
    from huigong.portal.models import SmsPurpose

    def make(phone: str = "13900000001", person=None, password: str = "Hg-worker-2026", id_consent: bool = True):
        services.sms_code_send(phone=phone, purpose=SmsPurpose.SIGNUP)
        code = MemorySmsSender.last_code(phone)
        account = services.account_signup(phone=phone, password=password, code=code)
        if id_consent:  # as the join walk's identity step does
            services.consent_give(account=account, purpose="id_number")
        if person is not None:
            account.person = person
            account.save(update_fields=["person"])
        return account, password

    return make


@pytest.fixture
def worker_client(client, make_worker):
    """worker_client(account) -> a Django test client signed in as that worker through the portal's form."""

    def sign_in(account, password="Hg-worker-2026", c=None):
        c = c or client
        r = c.post("/portal/login/", {"mode": "password", "phone": account.phone, "password": password})
        assert r.status_code == 302, r.content.decode()[:2000]
        return c

    return sign_in


@pytest.fixture
def api_as(db):
    """api_as(user) -> a JSON client of /api/v1/ with a fresh bearer token for that user."""
    from huigong.api.tests.conftest import ApiClient, make_token

    def make(user=None):
        return ApiClient(make_token(user) if user is not None else None)

    return make
