"""Sweeps: assignment over the subtree, visits, coverage, candidates, close."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.assistance.models import HardshipLevel, SweepAssignment, SweepStatus, SweepVisit
from huigong.assistance.selectors import screening as sel
from huigong.assistance.services import screening
from huigong.core.models import AuditEvent
from huigong.members.services import membership_withdraw
from huigong.testing import make_member, make_node, make_staff

from .files_support import DIBAO, rule, sweep


def test_open_assigns_every_member_holding_union_with_active_totals(cast, django_assert_max_num_queries):
    make_member(cast.city_admin, cast.tech, "甲")
    gone = make_member(cast.city_admin, cast.tech, "乙")
    membership_withdraw(actor=cast.city_admin, person=gone.person, reason="离职")
    with django_assert_max_num_queries(12):
        sw = sweep(cast)
    totals = dict(SweepAssignment.objects.filter(sweep=sw).values_list("node_id", "member_total"))
    assert totals == {cast.tech.pk: 2, cast.riders.pk: 1}  # 李小红 + 甲; the rider; not the withdrawn one
    assert AuditEvent.objects.filter(verb="sweep.open", object_id=str(sw.pk)).exists()


def test_open_refuses_bad_input_and_outsiders(cast):
    with pytest.raises(ValidationError) as e:
        screening.sweep_open(actor=cast.city_admin, node=cast.hangzhou, title=" ", year=1900,
                             deadline=dt.date(2000, 1, 1))
    assert set(e.value.message_dict) == {"title", "year", "deadline"}
    for actor in (cast.outsider, cast.viewer, cast.leader, cast.finance):
        with pytest.raises(PermissionDenied):
            sweep(cast, actor=actor)


def test_visit_is_an_upsert_counted_once_and_clears_a_stale_flag(cast):
    rule(cast)
    sw = sweep(cast)
    p = cast.member.person
    screening.sweep_visit_record(actor=cast.tech_staff, sweep=sw, person=p, household_size=2, monthly_income_fen=1000)
    screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)
    assert SweepVisit.objects.get(sweep=sw, person=p).flagged_level == HardshipLevel.DEEP
    v = screening.sweep_visit_record(actor=cast.tech_staff, sweep=sw, person=p, household_size=2,
                                     monthly_income_fen=10 * DIBAO)
    assert (v.household_size, v.flagged_level, v.flagged_rule_id) == (2, "", None)
    a = SweepAssignment.objects.get(sweep=sw, node=cast.tech)
    assert (a.visited_count, SweepVisit.objects.filter(sweep=sw).count()) == (1, 1)
    verbs = list(AuditEvent.objects.filter(verb__startswith="sweep.visit").values_list("verb", flat=True)
                 .order_by("id"))
    assert verbs == ["sweep.visit.create", "sweep.visit.update"]


def test_visit_refuses_non_members_outsiders_and_bad_figures(cast):
    sw = sweep(cast)
    with pytest.raises(ValidationError) as e:  # a member of another subtree
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.qd_member.person,
                                     household_size=1, monthly_income_fen=0)
    assert "person" in e.value.message_dict
    gone = make_member(cast.city_admin, cast.tech, "丙").person
    membership_withdraw(actor=cast.city_admin, person=gone, reason="离职")
    with pytest.raises(ValidationError):
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=gone, household_size=1,
                                     monthly_income_fen=0)
    with pytest.raises(PermissionDenied):  # the tech union's staff may not record the riders' members
        screening.sweep_visit_record(actor=cast.tech_staff, sweep=sw, person=cast.rider.person, household_size=1,
                                     monthly_income_fen=0)
    with pytest.raises(ValidationError) as e:
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=0,
                                     monthly_income_fen=-5, rigid_expense_fen="x", children_in_school=-1)
    assert set(e.value.message_dict) == {"household_size", "monthly_income_fen", "rigid_expense_fen",
                                         "children_in_school"}
    assert SweepVisit.objects.count() == 0
    assert SweepAssignment.objects.get(sweep=sw, node=cast.tech).visited_count == 0


def test_a_member_of_a_union_created_after_the_sweep_opened_is_refused(cast):
    sw = sweep(cast)
    late = make_node(cast.xihu, "新成立工会", "grassroots")
    p = make_member(cast.city_admin, late, "丁").person
    with pytest.raises(ValidationError) as e:
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=p, household_size=1,
                                     monthly_income_fen=0)
    assert "未分配" in e.value.message_dict["person"][0]


def test_closed_sweep_takes_no_visits(cast):
    sw = sweep(cast)
    screening.sweep_close(actor=cast.city_admin, sweep=sw)
    assert sw.status == SweepStatus.CLOSED
    with pytest.raises(ValidationError):
        screening.sweep_close(actor=cast.city_admin, sweep=sw)
    with pytest.raises(ValidationError):
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=1,
                                     monthly_income_fen=0)


def test_coverage_rolls_up_per_child_and_candidates_are_masked_for_viewers(cast, django_assert_max_num_queries):
    rule(cast)
    sw = sweep(cast)
    screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=3,
                                 monthly_income_fen=1000, has_illness=True)
    screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.rider.person, household_size=1,
                                 monthly_income_fen=10 * DIBAO)
    result = screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)
    assert (result["evaluated"], result["deep"], result["relative"]) == (2, 1, 0)
    with django_assert_max_num_queries(4):
        total, rows = sel.sweep_coverage(cast.city_admin, sw)
    assert (total.total, total.visited) == (2, 2)
    assert [(r.node.pk, r.total, r.visited) for r in rows] == [(cast.xihu.pk, 2, 2)]
    _, rows = sel.sweep_coverage(cast.city_admin, sw, node=cast.xihu)
    assert {r.node.pk: (r.total, r.visited, r.percent) for r in rows} == {cast.riders.pk: (1, 1, 100),
                                                                         cast.tech.pk: (1, 1, 100)}
    cands = list(sel.candidate_list(cast.viewer, sw))
    assert [c.person_id for c in cands] == [cast.member.person_id] and cands[0].has_file is False
    assert sel.display_name(cast.viewer, "李小红") == "李*红"
    assert sel.display_name(cast.city_admin, "李小红") == "李小红"
    # a grassroots union sees its part of a sweep opened above it; the outsider sees nothing
    total, _ = sel.sweep_coverage(cast.tech_staff, sw)
    assert (total.total, total.visited) == (1, 1)
    with pytest.raises(PermissionDenied):
        sel.sweep_get_for_actor(cast.outsider, sw.pk)


def test_rule_pass_only_by_the_sweeps_owners(cast):
    sw = sweep(cast)
    with pytest.raises(PermissionDenied):
        screening.sweep_rules_apply(actor=cast.tech_staff, sweep=sw)
    with pytest.raises(PermissionDenied):
        screening.sweep_rules_apply(actor=cast.outsider, sweep=sw)
    screening.sweep_rules_apply(actor=make_staff(cast.hangzhou, "staff"), sweep=sw)


def test_visits_without_a_rule_are_evaluated_as_no_candidate(cast):
    sw = sweep(cast)
    screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=1,
                                 monthly_income_fen=0)
    assert screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)["deep"] == 0
    v = SweepVisit.objects.get()
    assert (v.flagged_level, v.flagged_rule_id, v.per_capita_fen) == ("", None, 0)


def test_a_member_who_joined_after_the_sweep_opened_raises_the_total(cast):
    sw = sweep(cast)
    late = make_member(cast.city_admin, cast.tech, "后入会").person
    for p in (cast.member.person, late):
        screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=p, household_size=1,
                                     monthly_income_fen=0)
    a = SweepAssignment.objects.get(sweep=sw, node=cast.tech)
    assert (a.member_total, a.visited_count) == (2, 2)
    total, _ = sel.sweep_coverage(cast.city_admin, sw)
    assert total.percent <= 100


def test_sweep_list_totals_are_the_actors_part(cast):
    sw = sweep(cast)
    screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=1,
                                 monthly_income_fen=0)
    [mine] = sel.sweep_list_for_actor(cast.tech_staff)
    assert (mine.total, mine.visited) == (1, 1)
    [city] = sel.sweep_list_for_actor(cast.city_admin)
    assert (city.total, city.visited) == (2, 1)
    assert list(sel.sweep_list_for_actor(cast.outsider)) == []
