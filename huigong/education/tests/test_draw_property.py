"""The draw is a deterministic function of the published seed and the entrant list: for any seed,
any set of entrants, any number of places and any split into unit quotas, the round's draw (a) gives
the order `lottery.order(seed, ids)` (HMAC-SHA256 of each application id under the seed, ascending),
(b) hands out places exactly as a reference model of "the unit's quota, then the round's" does, and
(c) run again from the same seed over the same entrants gives the identical list, by the kernel's
set-based path (PostgreSQL) and its per-entry path alike (rows, counters, timestamps); `draw_verify`
confirms it from what was published.

With priorities (a tier per entrant, from the kernel's person facets as of the draw) and in merit rounds
(points, the tier breaking ties) the order is `lottery.order(seed, ids, precedence)`: the precedences are
published with the draw and covered by the hash, and a priority entrant is never worse off than the
reference model says: whenever an entrant of a lower tier in the same unit takes a place, every entrant of
a higher tier there has one, and an entrant of the top tier who wins the plain lottery wins this one."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huigong.core.capacity import lottery
from huigong.core.capacity import services as cap
from huigong.education import services
from huigong.education.models import Application, ApplicationStatus, ProgrammeQuota, ProgrammeStatus, Ranking
from huigong.education.places import PLACES
from huigong.education.testing import World, applicant, make_programme

N = 12


def _world():
    from huigong.testing import Cast

    w = World(Cast().build())
    p = make_programme(w.c.city_admin, w.c.xihu, total=4, quota_formula="equal",
                       priorities=["model_worker", "hardship_file"])
    people = [applicant(w.c.city_admin, w.c.tech if i % 2 else w.c.riders) for i in range(N)]
    apps = [services.application_submit(actor=w.c.city_admin, programme=p, person=x, major=p.majors.first(),
                                        xuexin_code="ABCD1234") for x in people]
    return w, p, [a.pk for a in apps]


@pytest.fixture(scope="module")
def world(module_world):
    return module_world(_world)


def _set_up(p, ids, entrants, total, quotas, merit=None):
    Application.objects.filter(pk__in=ids).update(status=ApplicationStatus.WITHDRAWN, place="", draw_rank=None,
                                                  merit_points=None)
    for pk, points in (merit or {}).items():
        Application.objects.filter(pk=pk).update(merit_points=points)
    for pk in entrants:
        a = Application.objects.get(pk=pk)
        key = services.programmes.unit_key(p, a.node_path) if quotas else None
        Application.objects.filter(pk=pk).update(status=ApplicationStatus.APPROVED, place="entered", sub_key=key)
    ProgrammeQuota.objects.filter(programme=p).delete()
    type(p).objects.filter(pk=p.pk).update(total=total, remaining=total, uses_sub_pools=False,
                                           status=ProgrammeStatus.CLOSED, is_open=False,
                                           ranking=Ranking.MERIT if merit is not None else Ranking.DRAW)
    p.refresh_from_db()
    if quotas:
        units = services.programmes.unit_nodes(p)
        for unit, slots in zip(units, quotas, strict=False):
            cap.sub_pool_set(PLACES, pool=p, key=unit.pk, slots=min(slots, total))
        p.refresh_from_db()


def _reference(seed, entrants, total, units: dict[int, int], key_of: dict[int, int], prec=None) -> dict[int, str]:
    left, unit_left, out = total, dict(units), {}
    for pk in lottery.order(seed, entrants, prec):
        k = key_of.get(pk)
        ok = left > 0 and (not units or unit_left.get(k, 0) > 0)
        if ok:
            left -= 1
            if units:
                unit_left[k] -= 1
        out[pk] = "granted" if ok else "lost"
    return out


def _draw(w, p, seed, tiers=None):
    # The tiers as the kernel's facets would give them (model worker 2, hardship file 1).
    keys = {2: "model_worker", 1: "hardship_file"}
    found = {pk: (t, keys[t]) for pk, t in (tiers or {}).items() if t}
    with mock.patch("huigong.education.services.applications.priority_tiers", lambda _p, ids: {
            pk: v for pk, v in found.items() if pk in ids}):
        record = services.programme_draw(actor=w.c.city_admin, programme=p, seed=seed)
    rows = dict(Application.objects.filter(pk__in=record.entrants).values_list("pk", "place"))
    ranks = dict(Application.objects.filter(pk__in=record.entrants).values_list("pk", "draw_rank"))
    return record, rows, ranks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
       .filter(lambda s: s.strip() == s and s),
       pick=st.sets(st.integers(0, N - 1), min_size=1, max_size=N),
       total=st.integers(1, N), quotas=st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(0, 6))),
       tier_of=st.lists(st.integers(0, 2), min_size=N, max_size=N),
       points=st.one_of(st.none(), st.lists(st.integers(0, 3), min_size=N, max_size=N)))
def test_the_draw_is_a_function_of_seed_and_entrants(db, world, seed, pick, total, quotas, tier_of, points):
    w, p, ids = copy.deepcopy(world)
    entrants = sorted(ids[i] for i in pick)
    tiers = {ids[i]: tier_of[i] for i in pick if tier_of[i]}
    merit = {ids[i]: points[i] for i in pick} if points is not None else None
    # The published precedence: the tier; in a merit round points × 3 + tier (two priorities listed).
    prec = {pk: merit[pk] * 3 + tiers.get(pk, 0) for pk in entrants} if merit is not None else dict(tiers)
    prec = {pk: v for pk, v in prec.items() if v}
    if quotas is not None and sum(min(q, total) for q in quotas) > total:
        quotas = (min(quotas[0], total), 0)
    results = []
    for set_based in (True, False):  # on PostgreSQL: the set-based draw, then the per-entry one
        cap.SET_BASED_DRAW = set_based
        sid = transaction.savepoint()
        _set_up(p, ids, entrants, total, quotas, merit)
        units = {q.key: q.slots for q in ProgrammeQuota.objects.filter(programme=p)}
        key_of = dict(Application.objects.filter(pk__in=entrants).values_list("pk", "sub_key"))
        record, places, ranks = _draw(w, p, seed, tiers)
        assert record.entrants == entrants
        assert cap.draw_precedence(record) == prec
        assert record.entrants_hash == lottery.entrants_hash(entrants, prec)
        if prec:  # the hash covers the precedences: the bare list does not match it
            assert record.entrants_hash != lottery.entrants_hash(entrants)
        order = lottery.order(seed, entrants, prec)
        assert [r[0] for r in record.result] == order
        assert ranks == {pk: n for n, pk in enumerate(order, 1)}
        assert places == _reference(seed, entrants, total, units, key_of, prec)
        assert services.draw_verify(p)[1] == []
        # The priority snapshot each entrant carries is the tier found at the draw.
        assert {pk: pr for pk, pr in Application.objects.filter(pk__in=entrants).values_list("pk", "priority")} == {
            pk: {2: "model_worker", 1: "hardship_file"}.get(tiers.get(pk, 0), "") for pk in entrants}
        if merit is None:
            # Never worse off: a lower tier's place in a unit means every higher tier there has one ...
            for pk, st_ in places.items():
                if st_ == "granted":
                    for other in entrants:
                        if tiers.get(other, 0) > tiers.get(pk, 0) and key_of.get(other) == key_of.get(pk):
                            assert places[other] == "granted"
            # ... and the top tier does at least as well as in the plain lottery.
            plain = _reference(seed, entrants, total, units, key_of)
            top = max([tiers.get(pk, 0) for pk in entrants])
            for pk in entrants:
                if tiers.get(pk, 0) == top and plain[pk] == "granted":
                    assert places[pk] == "granted"
        won = set(Application.objects.filter(pk__in=entrants, status=ApplicationStatus.WON).values_list("pk", flat=True))
        assert won == {pk for pk, s in places.items() if s == "granted"}
        p.refresh_from_db()
        counters = (p.remaining, sorted(ProgrammeQuota.objects.filter(programme=p).values_list("key", "remaining")))
        stamps = sorted((pk, g is None, e is None) for pk, g, e in Application.objects.filter(
            pk__in=entrants).values_list("pk", "granted_at", "ended_at"))
        results.append((record.result, places, counters, stamps))
        transaction.savepoint_rollback(sid)
    cap.SET_BASED_DRAW = True
    assert results[0] == results[1]
