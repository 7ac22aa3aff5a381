"""The main path, each transition and each refusal: round → application → first check → review →
lottery → 公示 → cohort → tranches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.core import idnumber
from huigong.core.notices import services as ns
from huigong.education import clock, services
from huigong.education.models import (
    Application,
    ApplicationStatus,
    ApplicationStep,
    EnrolmentStatus,
    Tranche,
    TrancheStatus,
)
from huigong.education.services import notices as edu_notices
from huigong.education.testing import World, applicant, make_programme, submit, worker_of
from huigong.members.models import EmploymentForm, Person
from huigong.portal.models import Message


@pytest.fixture
def w(cast):
    return World(cast)


def test_submission_runs_the_first_check_and_writes_the_review_chain(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    person = applicant(w.c.city_admin, w.c.tech)
    app = submit(p, person)
    assert app.status == ApplicationStatus.IN_REVIEW and app.checked_at and app.check_failures == ""
    steps = list(ApplicationStep.objects.filter(application=app).order_by("seq"))
    assert [s.node_id for s in steps] == [w.c.xihu.pk, w.c.hangzhou.pk]


def test_first_check_refuses_with_every_failed_rule_and_tells_the_worker(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou,
                       rules={"member_months": 12, "forms": [EmploymentForm.CONTRACT], "max_age": 20})
    born = timezone.localdate().replace(year=timezone.localdate().year - 30, month=1, day=1)  # 29-30: over 20
    person = applicant(w.c.city_admin, w.c.riders, joined_on=timezone.localdate() - dt.timedelta(days=30),
                       employment_form=EmploymentForm.RIDER, id_number=idnumber.make("330106", born, 123))
    app = submit(p, person)
    assert app.status == ApplicationStatus.INELIGIBLE
    assert set(app.check_failures.strip(",").split(",")) == {"member_months", "forms", "max_age"}
    assert not ApplicationStep.objects.filter(application=app).exists()
    msg = Message.objects.filter(person=person).order_by("-id").first()
    assert msg is not None and "入会时间不足 12 个月" in msg.body


def test_once_per_level_refuses_a_second_grant_at_the_same_level(w):
    first = make_programme(w.c.city_admin, w.c.hangzhou, total=1)
    person = applicant(w.c.city_admin, w.c.tech)
    apps, _record = w.drawn(first, [person])
    assert apps[0].status == ApplicationStatus.WON
    second = make_programme(w.c.city_admin, w.c.hangzhou)
    app = submit(second, person)
    assert app.status == ApplicationStatus.INELIGIBLE and "once_per_level" in app.check_failures


def test_refusals_late_duplicate_not_member_other_person(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    person = applicant(w.c.city_admin, w.c.tech)
    account = worker_of(person)
    submit(p, person, account)
    with pytest.raises(ValidationError, match="不能重复申报"):
        submit(p, person, account)
    other = applicant(w.c.city_admin, w.c.tech)
    with pytest.raises(PermissionDenied):
        services.application_submit(actor=account.user, programme=p, person=other, major=p.majors.first(),
                                    xuexin_code="ABCD1234")
    late = make_programme(w.c.city_admin, w.c.hangzhou)
    late.closes_on = late.opens_on = timezone.localdate() - dt.timedelta(days=1)
    late.save()
    with pytest.raises(ValidationError, match="截止"):
        submit(late, other)
    with pytest.raises(ValidationError, match="学信网"):
        services.application_submit(actor=worker_of(other).user, programme=p, person=other,
                                    major=p.majors.first())


def test_correction_window_resubmits_until_the_deadline(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, rules={"member_months": 12})
    person = applicant(w.c.city_admin, w.c.tech, joined_on=timezone.localdate() - dt.timedelta(days=30))
    account = worker_of(person)
    app = submit(p, person, account)
    assert app.status == ApplicationStatus.INELIGIBLE
    # The union corrects the register (the worker had joined earlier), the worker resubmits.
    from huigong.members.models import Membership

    Membership.objects.filter(person=person).update(joined_on=dt.date(2019, 1, 1))
    app = services.application_correct(actor=account.user, application=app)
    assert app.status == ApplicationStatus.IN_REVIEW
    # After the deadline nothing can be corrected.
    app2 = submit(make_programme(w.c.city_admin, w.c.hangzhou, rules={"member_months": 600}),
                  applicant(w.c.city_admin, w.c.tech))
    app2.programme.closes_on = timezone.localdate() - dt.timedelta(days=1)
    app2.programme.opens_on = app2.programme.closes_on
    app2.programme.save()
    with pytest.raises(ValidationError, match="截止"):
        services.application_correct(actor=app2.applied_by, application=app2)


def test_review_return_reject_and_nobody_decides_their_own_or_two_steps(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    app = submit(p, applicant(w.c.city_admin, w.c.tech))
    with pytest.raises(PermissionDenied):  # the city's step is not yet: the district decides first
        services.application_decide(actor=w.c.leader, application=app, decision="approved")
    with pytest.raises(ValidationError):
        services.application_decide(actor=w.xihu_admin, application=app, decision="returned")  # no comment
    app = services.application_decide(actor=w.xihu_admin, application=app, decision="returned", comment="请补录取通知书")
    assert app.status == ApplicationStatus.RETURNED
    app = services.application_correct(actor=app.applied_by, application=app)
    assert app.status == ApplicationStatus.IN_REVIEW and app.round == 2
    app = services.application_decide(actor=w.xihu_admin, application=app, decision="approved")
    app = services.application_decide(actor=w.c.leader, application=app, decision="rejected", comment="名额用于一线职工")
    assert app.status == ApplicationStatus.REJECTED


def test_lottery_respects_places_and_publishes_a_verifiable_draw(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=2)
    people = [applicant(w.c.city_admin, w.c.tech) for _ in range(5)]
    apps, record = w.drawn(p, people)
    statuses = sorted(a.status for a in apps)
    assert statuses.count(ApplicationStatus.WON) == 2 and statuses.count(ApplicationStatus.LOST) == 3
    assert record.seed == "20251001" and len(record.entrants_hash) == 64
    _r, problems = services.draw_verify(p)
    assert problems == []
    p.refresh_from_db()
    assert p.remaining == 0 and p.status == "drawn"
    with pytest.raises(ValidationError):
        services.programme_draw(actor=w.c.city_admin, programme=p)


def test_draw_refused_while_open_or_while_applications_are_in_review(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    submit(p, applicant(w.c.city_admin, w.c.tech))
    with pytest.raises(ValidationError, match="截止申报"):
        services.programme_draw(actor=w.c.city_admin, programme=p)
    services.programme_close(actor=w.c.city_admin, programme=p)
    with pytest.raises(ValidationError, match="审核中"):
        services.programme_draw(actor=w.c.city_admin, programme=p)


def test_quota_per_sub_union_full(w):
    """Quotas by formula: every child union of Xihu gets its share; a unit whose quota is full loses
    although the round has places left elsewhere."""
    p = make_programme(w.c.city_admin, w.c.xihu, total=2, quota_formula="equal")
    services.quotas_compute(actor=w.c.city_admin, programme=p)
    techs = [applicant(w.c.city_admin, w.c.tech) for _ in range(3)]
    apps, _record = w.drawn(p, techs)
    assert sum(a.status == ApplicationStatus.WON for a in apps) == 1  # tech's quota is one of two places
    assert all(a.sub_key == w.c.tech.pk for a in apps)


def test_fallback_grant_and_carry_over(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=1, fallback_fen=50000)
    people = [applicant(w.c.city_admin, w.c.tech) for _ in range(3)]
    apps, _r = w.drawn(p, people)
    lost = [a for a in apps if a.status == ApplicationStatus.LOST]
    assert len(lost) == 2
    assert all(Tranche.objects.get(application=a).status == TrancheStatus.DUE for a in lost)
    nxt = make_programme(w.c.city_admin, w.c.hangzhou, total=5, carried_from=p)
    assert services.programme_carry_over(actor=w.c.city_admin, source=p, target=nxt) == 2
    carried = Application.objects.filter(programme=nxt)
    assert all(a.status == ApplicationStatus.APPROVED and a.place == "entered" for a in carried)
    assert not ApplicationStep.objects.filter(application__programme=nxt).exists()  # no second review


def test_notice_objection_upheld_gives_the_place_back_and_the_end_schedules_tranches(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=2)
    people = [applicant(w.c.city_admin, w.c.tech) for _ in range(2)]
    apps, notice = w.confirmed(p, people)
    assert all(Application.objects.get(pk=a.pk).status == ApplicationStatus.NOTICE for a in apps)
    bad = apps[0]
    obj = edu_notices.objection_record(actor=w.c.city_admin, notice=notice, content="非一线职工", application=bad)
    with clock.travel(notice.ends_on), pytest.raises(ValidationError, match="异议"):
        edu_notices.notice_end(actor=w.c.city_admin, notice=notice)
    edu_notices.objection_resolve(actor=w.c.city_admin, objection=obj, upheld=True, resolution="经核实成立")
    bad.refresh_from_db()
    assert bad.status == ApplicationStatus.REJECTED and bad.place == "cancelled"
    p.refresh_from_db()
    assert p.remaining == 1
    with clock.travel(notice.ends_on):
        edu_notices.notice_end(actor=w.c.city_admin, notice=notice)
    good = Application.objects.get(pk=apps[1].pk)
    assert good.status == ApplicationStatus.CONFIRMED
    assert list(good.tranches.values_list("trigger", "status")) == [
        ("enrolment", "scheduled"), ("term", "scheduled"), ("graduation", "scheduled")]
    assert ns.notice_rows(edu_notices.EDU_NOTICES, notice)[0].masked_name != Person.objects.get(pk=good.person_id).name


def test_cohort_enrol_terms_transfer_graduate(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=1, majors=2)
    apps, notice = w.confirmed(p, [applicant(w.c.city_admin, w.c.tech)])
    with clock.travel(notice.ends_on):
        edu_notices.notice_end(actor=w.c.city_admin, notice=notice)
    app = Application.objects.get(pk=apps[0].pk)
    e = services.enrolment_confirm(actor=w.c.city_admin, application=app, enrolled_on=timezone.localdate(),
                                   confirmed_by="institution")
    assert app.tranches.get(trigger="enrolment").status == TrancheStatus.DUE
    with pytest.raises(ValidationError):
        services.enrolment_confirm(actor=w.c.city_admin, application=app, enrolled_on=timezone.localdate())
    services.term_record(actor=w.c.city_admin, enrolment=e, term=1, passed=True)
    services.term_record(actor=w.c.city_admin, enrolment=e, term=2, passed=False)
    assert app.tranches.get(trigger="term").status == TrancheStatus.STOPPED
    other = p.majors.exclude(pk=e.major_id).first()
    with pytest.raises(ValidationError):
        services.enrolment_transfer(actor=w.c.city_admin, enrolment=e, major=other, reason="")
    e = services.enrolment_transfer(actor=w.c.city_admin, enrolment=e, major=other, reason="岗位调整")
    assert e.major_id == other.pk
    e = services.enrolment_graduate(actor=w.c.city_admin, enrolment=e, graduated_on=timezone.localdate(),
                                    proof="XX2025001")
    assert e.status == EnrolmentStatus.GRADUATED
    assert app.tranches.get(trigger="graduation").status == TrancheStatus.DUE
    with pytest.raises(ValidationError):
        services.term_record(actor=w.c.city_admin, enrolment=e, term=3, passed=True)


def test_outsider_cannot_touch_another_subtree(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    app = submit(p, applicant(w.c.city_admin, w.c.tech))
    from huigong.core.scope import OutOfScope
    from huigong.education import selectors

    with pytest.raises(OutOfScope):
        selectors.application_get_for_actor(w.c.outsider, app.pk)
    with pytest.raises(OutOfScope):
        selectors.programme_get_for_actor(w.c.outsider, p.pk)
    with pytest.raises(PermissionDenied):
        services.programme_close(actor=w.c.outsider, programme=p)
