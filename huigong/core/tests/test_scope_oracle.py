"""An object outside the actor's subtree answers exactly like an id that does not exist (404, same
body), on pages and in the API: ids cannot be probed across subtrees. A role that lacks a capability
on an object it can see still gets 403."""

import re

import pytest
from django.urls import reverse

from huigong.api.tests.conftest import ApiClient, make_token
from huigong.members.models import Person
from huigong.orgs.models import Enterprise, UnionNode

UNKNOWN = 10_000_000


def _normalised(body: bytes) -> str:
    # per-response tokens (CSRF, CSP nonce) differ between any two responses
    text = body.decode()
    text = re.sub(r'(csrfmiddlewaretoken" value=|nonce=|csrf-token" content=)"[^"]*"', r'\1""', text)
    return re.sub(r'(csrftoken"\s*:\s*)"[^"]*"', r'\1""', text, flags=re.IGNORECASE)


def _pages(cast):
    """(name, url for the Hangzhou object, url for an id that does not exist, method)"""
    return [
        ("member", reverse("members:detail", args=[cast.member.person_id]), reverse("members:detail", args=[UNKNOWN]), "get"),
        ("member edit", reverse("members:edit", args=[cast.member.person_id]), reverse("members:edit", args=[UNKNOWN]), "get"),
        ("reveal", reverse("members:reveal", args=[cast.member.person_id, "phone"]),
         reverse("members:reveal", args=[UNKNOWN, "phone"]), "post"),
        ("union", reverse("orgs:node_detail", args=[cast.tech.pk]), reverse("orgs:node_detail", args=[UNKNOWN]), "get"),
        ("enterprise", reverse("orgs:enterprise_detail", args=[cast.enterprise.pk]),
         reverse("orgs:enterprise_detail", args=[UNKNOWN]), "get"),
    ]


@pytest.mark.django_db
def test_pages_answer_an_out_of_scope_object_like_an_unknown_id(client, cast):
    assert not Person.objects.filter(pk=UNKNOWN).exists() and not UnionNode.objects.filter(pk=UNKNOWN).exists()
    assert not Enterprise.objects.filter(pk=UNKNOWN).exists()
    client.force_login(cast.outsider)  # a Qingdao admin: every capability, another subtree
    for name, theirs, unknown, method in _pages(cast):
        a, b = getattr(client, method)(theirs), getattr(client, method)(unknown)
        assert (a.status_code, b.status_code) == (404, 404), name
        # the page echoes its own path (the language switcher's "next"): that much differs by design
        assert _normalised(a.content).replace(theirs, unknown) == _normalised(b.content), name


API = [
    ("get", "members/{member}", None),
    ("patch", "members/{member}", {"job_title": "工程师"}),
    ("get", "unions/{tech}", None),
    ("patch", "unions/{tech}", {"contact_name": "周联络"}),
    ("get", "enterprises/{enterprise}", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("method, route, body", API)
def test_the_api_answers_an_out_of_scope_object_like_an_unknown_id(cast, method, route, body):
    api = ApiClient(make_token(cast.outsider))
    ids = {"member": cast.member.person_id, "tech": cast.tech.pk, "enterprise": cast.enterprise.pk}
    args = (body,) if body is not None else ()
    theirs = getattr(api, method)(route.format(**ids), *args)
    unknown = getattr(api, method)(route.format(**dict.fromkeys(ids, UNKNOWN)), *args)
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json() == unknown.json()


@pytest.mark.django_db
def test_a_role_refusal_on_a_visible_object_stays_403(client, cast):
    # the city viewer sees the member but may not reveal full numbers
    client.force_login(cast.viewer)
    r = client.post(reverse("members:reveal", args=[cast.member.person_id, "phone"]))
    assert r.status_code == 403
