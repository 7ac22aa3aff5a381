"""Pieces of the claim rush's hot path: instances from precomposed reads (core.rawread.partial and
relate), the message store kept to pages, and the bearer check that looks in META first."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory

from huigong.api.auth import TokenAuth
from huigong.core.middleware import PageMessageMiddleware
from huigong.core.rawread import partial, relate
from huigong.members.models import Person
from huigong.orgs.models import UnionNode
from huigong.portal.models import WorkerAccount


def test_partial_holds_only_the_given_fields_and_is_a_saved_row():
    node = partial(UnionNode, {"id": 7, "path": "0001", "name": "西湖区骑手联合工会"})
    assert (node.pk, node.path, node.name) == (7, "0001", "西湖区骑手联合工会")
    assert not node._state.adding and node._state.db == "default"
    deferred = node.get_deferred_fields()
    assert "code" in deferred and "name" not in deferred and "path" not in deferred
    with pytest.raises(ValueError, match="no concrete fields"):
        partial(UnionNode, {"id": 7, "nonsense": 1})


def test_relate_caches_the_relation_and_a_one_to_ones_reverse():
    user = get_user_model()(id=3, username="w3")
    account = partial(WorkerAccount, {"id": 5, "user_id": 3, "person_id": 9})
    person = partial(Person, {"id": 9, "name": "张三"})
    relate(account, "user", user)
    relate(account, "person", person)
    # Read from the cache: no database is open in this test, so a query would fail.
    assert account.user is user and user.worker_account is account
    assert account.person is person and account.person_id == 9


def _page_and_api_requests():
    rf = RequestFactory()
    return rf.get("/members/"), rf.post("/api/v1/benefit-claims")


@pytest.mark.django_db
def test_the_message_store_is_built_for_pages_only():
    page, api = _page_and_api_requests()
    for request in (page, api):
        request.session = {}
        request.COOKIES = {}
    middleware = PageMessageMiddleware(lambda request: HttpResponse("ok"))
    assert middleware(page).status_code == 200 and hasattr(page, "_messages")
    assert middleware(api).status_code == 200 and not hasattr(api, "_messages")


def test_a_call_without_a_token_is_passed_on_without_reading_every_header():
    _page, api = _page_and_api_requests()
    assert TokenAuth()(api) is None
    assert "headers" not in api.__dict__  # request.headers (built from the whole environ) never made
    api.META["HTTP_AUTHORIZATION"] = "Basic abc"
    assert TokenAuth()(api) is None  # another scheme: not ours either
