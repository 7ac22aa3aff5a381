"""Member search at scale (issue 15): the plans the list takes must find the same members and counts as
the plain search, whatever the path (candidates by id, a dense search as a condition on the person, a
small scope sorted instead of walked), and the statements must stay small (one array parameter, no
union condition for a scope that is every union, a count without the row query's joins)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huigong.accounts.models import Role
from huigong.members import selectors
from huigong.members.models import EmploymentForm, Membership
from huigong.testing import make_member, make_staff


@pytest.fixture
def crowd(cast):
    """Eight more members of the Hangzhou subtree (two initials sharing a prefix, a pinyin prefix, two
    join dates), one in Qingdao, and a national admin whose scope is every union."""
    for i, (name, union) in enumerate([("刘晓华", cast.tech), ("李晓明", cast.riders), ("李想", cast.tech),
                                       ("刘备", cast.riders), ("林小路", cast.tech), ("吕霞", cast.tech),
                                       ("李华", cast.riders), ("黎明", cast.tech)]):
        make_member(cast.city_admin, union, name, joined_on=dt.date(2023, 1 + i, 1))
    make_member(cast.outsider, cast.qd_ent, "李青")
    cast.national = make_staff(cast.root, Role.ADMIN, "national_admin")
    return cast


def page(actor, q=""):
    qs = selectors.member_list_for_actor(actor, q=q)
    count, exact = selectors.count_members(qs)
    return [m.pk for m in qs[:50]], count, exact


def plain(actor, q):
    """The same search the simplest way: every membership of the scope whose person matches."""
    prefix = selectors.root_path(actor)
    people = selectors._people(q, prefix) if q else None
    qs = Membership.objects.filter(union__path__startswith=prefix, status="active")
    if people is not None:
        qs = qs.filter(person__in=people)
    ids = list(qs.order_by("-joined_on", "-id").values_list("pk", flat=True))
    return ids[:50], len(ids)


QUERIES = ["l", "lx", "li", "lixiao", "李", "晓", "李晓明", ""]


@pytest.mark.parametrize("who", ["national", "city_admin", "district_staff", "outsider"])
def test_candidate_path_finds_what_the_plain_search_finds(crowd, who):
    actor = getattr(crowd, who)
    for q in QUERIES:
        ids, count, exact = page(actor, q)
        assert (ids, count) == plain(actor, q) and exact, (who, q)


@pytest.mark.parametrize("who", ["national", "city_admin", "district_staff"])
@pytest.mark.parametrize("small_scope_share", [0.0, 1.0])
def test_dense_path_finds_what_the_candidate_path_finds(crowd, monkeypatch, who, small_scope_share):
    """Past SEARCH_CANDIDATES matches a search becomes a condition on each membership's person, and in
    a small scope the list is sorted from the scope's memberships: same members, same order, same count."""
    actor = getattr(crowd, who)
    expected = {q: page(actor, q) for q in QUERIES}
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 1)
    monkeypatch.setattr(selectors, "SMALL_SCOPE_SHARE", small_scope_share)
    for q in QUERIES:
        assert page(actor, q) == expected[q], (who, q, small_scope_share)


def test_dense_search_in_a_small_scope_is_sorted_not_walked(crowd, monkeypatch, on_postgres):
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 1)
    monkeypatch.setattr(selectors, "SMALL_SCOPE_SHARE", 0.5)
    sql = str(selectors.member_list_for_actor(crowd.district_staff, q="li").query)
    assert '("members_membership"."joined_on" + 0) DESC' in sql
    sql = str(selectors.member_list_for_actor(crowd.national, q="li").query)  # every union: the walk
    assert '"members_membership"."joined_on" DESC' in sql and "+ 0" not in sql
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 10_000)
    sql = str(selectors.member_list_for_actor(crowd.district_staff, q="li").query)  # few matches: by ids
    assert "+ 0" not in sql


def test_initials_and_pinyin_candidates_are_collected_once_each(crowd):
    ids = selectors.candidate_ids("li", "")
    assert len(ids) == len(set(ids))
    expected = set(selectors._people("li", "").values_list("pk", flat=True))
    assert set(ids) == expected and len(expected) >= 5


def test_a_scope_of_every_union_needs_no_union_condition(crowd, on_postgres):
    ids, share = selectors.scope_union_ids(selectors.root_path(crowd.national))
    assert ids is None and share == 1.0
    ids, share = selectors.scope_union_ids(selectors.root_path(crowd.district_staff))
    assert sorted(ids) == sorted([crowd.xihu.pk, crowd.riders.pk, crowd.tech.pk]) and 0 < share < 1
    assert "union_id" not in str(selectors.member_list_for_actor(crowd.national).query).split("WHERE")[1]


def test_ids_travel_as_one_array_parameter(crowd, on_postgres):
    with CaptureQueriesContext(connection) as ctx:
        page(crowd.city_admin, "li")
    listing = [q["sql"] for q in ctx.captured_queries if "members_membership" in q["sql"]]
    assert listing and all('"members_membership"."union_id" = ANY(' in sql for sql in listing)
    assert all('"members_membership"."person_id" = ANY(' in sql for sql in listing)
    assert all(" IN (" not in sql for sql in listing)


def test_the_count_does_not_join_what_its_filters_do_not_read(crowd, on_postgres):
    with CaptureQueriesContext(connection) as ctx:
        count, exact = selectors.count_members(selectors.member_list_for_actor(crowd.city_admin))
    assert (count, exact) == (10, True)
    assert "members_person" not in ctx.captured_queries[-1]["sql"]
    # A filter on the person keeps its join, and the count stays right.
    qs = selectors.member_list_for_actor(crowd.city_admin, employment_form=EmploymentForm.RIDER)
    assert selectors.count_members(qs) == (qs.count(), True) == (1, True)


def test_an_estimate_is_never_below_what_was_counted(crowd, monkeypatch, on_postgres):
    monkeypatch.setattr(selectors, "COUNT_EXACT_UP_TO", 3)
    count, exact = selectors.count_members(selectors.member_list_for_actor(crowd.city_admin))
    assert not exact and count >= 4


def test_the_page_shows_the_rows_labels_and_links(client, crowd):
    client.force_login(crowd.city_admin)
    r = client.get(reverse("members:list"), {"status": "all"})
    html = r.content.decode()
    rider = crowd.rider.person
    assert f'<a href="{reverse("members:detail", args=[rider.pk])}">{rider.name}</a>' in html
    assert f'<span class="muted small">{rider.get_gender_display()}</span>' in html
    assert "网约配送员/外卖骑手</span>" in html and '<span class="badge badge-ok">在会</span>' in html
