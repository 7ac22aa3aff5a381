"""Innovation results: a reason for every decision (refused without one, read by the submitter),
transitions, measured gains verified by someone else, scoring panels, tiers, first prizes flagged."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core.notify.models import Notification
from huigong.honours import selectors, services
from huigong.honours.models import InnovationStatus, Tier
from huigong.honours.testing import make_innovation, worker
from huigong.members.models import Gender
from huigong.testing import make_staff


def test_rejection_without_a_reason_is_refused(w):
    inv = make_innovation(w)
    for reason in ("", "   ", "不行"):
        with pytest.raises(ValidationError) as e:
            services.innovation_review(actor=w.city_admin, innovation=inv, decision="reject", reason=reason)
        assert "reason" in e.value.message_dict
    inv.refresh_from_db()
    assert inv.status == InnovationStatus.SUBMITTED and not inv.reviews.exists()


def test_every_decision_reaches_the_submitter_with_its_reason(w):
    inv = make_innovation(w)
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="材料齐全，进入评审")
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="return",
                               reason="请补充改造前后的入洗量实测记录")
    inv.refresh_from_db()
    assert inv.status == InnovationStatus.RETURNED
    mine = selectors.innovation_for_person(inv.person, inv.pk)
    assert [r.reason for r in mine.reviews.all()] == ["材料齐全，进入评审", "请补充改造前后的入洗量实测记录"]
    assert Notification.objects.filter(event="innovation.reviewed", recipient=f"p:{inv.person_id}").count() >= 2
    services.gain_add(actor=None, person=inv.person, innovation=inv, metric="每班入洗量", unit="吨", baseline="800",
                      after="2400", annual_value_fen=0, method="三个月班报平均")
    services.innovation_resubmit(actor=None, person=inv.person, innovation=inv)
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="补充材料已收到")
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="效益经核实，予以采纳")
    inv.refresh_from_db()
    assert inv.status == InnovationStatus.ADOPTED


def test_wrong_transitions_and_own_results_are_refused(w):
    inv = make_innovation(w)
    with pytest.raises(ValidationError, match="不能采纳"):
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="直接采纳吧试试")
    with pytest.raises(PermissionDenied):  # district_staff submitted it
        services.innovation_review(actor=w.district_staff, innovation=inv, decision="accept", reason="自己受理自己")
    other = worker(w, "别人")
    with pytest.raises(PermissionDenied):
        services.gain_add(actor=None, person=other, innovation=inv, metric="x", unit="t", baseline=1, after=2,
                          annual_value_fen=0, method="m")


def test_adoption_needs_a_measured_gain_and_gains_are_verified_by_another(w):
    inv = make_innovation(w)
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="材料齐全，进入评审")
    with pytest.raises(ValidationError, match="实测效益"):
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="效益显著予以采纳")
    with pytest.raises(ValidationError, match="改进后与改进前相同"):
        services.gain_add(actor=w.city_admin, innovation=inv, metric="水分", unit="%", baseline="10", after="10",
                          annual_value_fen=0, method="化验")
    g = services.gain_add(actor=w.city_admin, innovation=inv, metric="商品煤水分", unit="%", baseline="10",
                          after="8.5", annual_value_fen=0, method="化验室月度报告")
    with pytest.raises(PermissionDenied):
        services.gain_verify(actor=w.district_staff, gain=g, verifier="自己", verified_on=dt.date(2026, 3, 1))
    services.gain_verify(actor=w.city_admin, gain=g, verifier="选煤厂质检科", verified_on=dt.date(2026, 3, 1))
    g.refresh_from_db()
    assert g.verified


def test_panel_scores_tiers_and_first_prize_flagged(w):
    invs = []
    for title in ("闸板改造", "闲置设备再利用", "旁通溜槽"):
        inv = make_innovation(w, title=title, person=worker(w, f"{title}人", Gender.FEMALE))
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="材料齐全，进入评审")
        services.gain_add(actor=w.city_admin, innovation=inv, metric="效益", unit="万元", baseline="0", after="100",
                          annual_value_fen=100, method="财务核算")
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="效益经核实，予以采纳")
        invs.append(inv)
    judges = [make_staff(w.hangzhou, "viewer", f"judge{i}") for i in range(3)]
    with pytest.raises(ValidationError, match="至少 3 人"):
        services.round_create(actor=w.city_admin, node=w.hangzhou, title="评审", year=2026, panel=judges[:2],
                              innovations=invs, tiers=[(Tier.FIRST, 1, 500000)])
    r = services.round_create(actor=w.city_admin, node=w.hangzhou, title="2026年职工创新成果评审", year=2026,
                              panel=judges, innovations=invs, tiers=[(Tier.FIRST, 1, 500000), (Tier.SECOND, 1, 200000)])
    with pytest.raises(PermissionDenied):
        services.score_record(actor=w.city_admin, round=r, innovation=invs[0], score=90)
    for j in judges:
        for k, inv in enumerate(invs):
            services.score_record(actor=j, round=r, innovation=inv, score=[70, 95, 80][k])
    awards = services.round_award(actor=w.city_admin, round=r)
    assert [(a.innovation_id, a.tier) for a in awards] == [(invs[1].pk, Tier.FIRST), (invs[2].pk, Tier.SECOND)]
    invs[1].refresh_from_db()
    invs[2].refresh_from_db()
    assert invs[1].flagged_for_nomination and not invs[2].flagged_for_nomination
    assert invs[1].status == InnovationStatus.AWARDED


def test_portal_submission_uses_the_workers_own_union(w):
    person = w.member.person
    inv = services.innovation_submit(actor=None, via_portal=True, person=person, title="合理化建议：夜班照明",
                                     kind="suggestion", summary="夜班巷道照明不足，建议加装感应灯")
    assert inv.union_id == w.tech.pk and inv.lead_name == "李小红"
    with pytest.raises(ValidationError):
        services.innovation_submit(actor=None, via_portal=True, person=person, title="", kind="x", summary="")


def test_participation_per_unit(w):
    make_innovation(w)
    rows = selectors.participation(w.district_staff, dt.date.today().year)
    tech = next(r for r in rows if r["node"].pk == w.tech.pk)
    assert tech["results"] == 1 and tech["people"] == 1 and tech["rate"] > 0
