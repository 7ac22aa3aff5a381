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


@pytest.mark.parametrize("cookie, accept, status", [
    (None, None, 200), ("en", None, 200), (None, "en-US,en;q=0.9", 404), ("zh-hans", "en", 200), ("xx", None, 200),
])
def test_the_locale_middleware_answers_as_djangos(cookie, accept, status, settings):
    """Same language, Vary and Content-Language as Django's LocaleMiddleware for a URLconf without
    i18n_patterns, with fewer steps; with i18n_patterns it is Django's (the prefix redirect still works)."""
    from django.middleware.locale import LocaleMiddleware as DjangoLocale
    from django.utils import translation

    from huigong.core.middleware import LocaleMiddleware

    def answer(middleware_class):
        request = RequestFactory().get("/members/")
        if cookie:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
        if accept:
            request.META["HTTP_ACCEPT_LANGUAGE"] = accept
        seen = []

        def view(req):
            seen.append((translation.get_language(), req.LANGUAGE_CODE))
            return HttpResponse("x", status=status)

        with translation.override(None):
            response = middleware_class(view)(request)
        return seen, response.get("Vary"), response.get("Content-Language"), response.status_code

    ours = answer(LocaleMiddleware)
    assert ours == answer(DjangoLocale)
    assert ours[1] == "Accept-Language"
    assert ours[0][0][0] == ("en" if (cookie == "en" or (accept and cookie is None)) else "zh-hans")


def test_with_i18n_patterns_the_locale_middleware_is_djangos():
    from huigong.core.middleware import LocaleMiddleware

    request = RequestFactory().get("/x/")
    request.urlconf = "huigong.core.tests.urls_i18n"
    response = LocaleMiddleware(lambda req: HttpResponse(status=404))(request)
    assert response.status_code == 302 and response["Location"] == "/zh-hans/x/"  # the prefix redirect
