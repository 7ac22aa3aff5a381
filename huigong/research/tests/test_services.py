"""Every transition of a research project and every refusal: the guide, the team rules, approval up
the tree, the budget, fieldwork, the mid-term check, reports (length, duplication), awards."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.core.duties import DutyConflict
from huigong.core.models import AuditEvent
from huigong.core.scope import OutOfScope
from huigong.research import services
from huigong.research.models import (
    MemberRole,
    ProjectStatus,
    ReportStatus,
    RuleKind,
    TrancheStatus,
)
from huigong.research.testing import (
    approved_project,
    fresh_text,
    make_programme,
    make_project,
    reported_project,
    ride,
    upload,
)
from huigong.testing import make_staff


def messages(exc) -> str:
    return " ".join(exc.value.messages)


# --- the guide -------------------------------------------------------------------------------------------


def test_programme_opens_only_with_topics(w):
    p = make_programme(w, topics=0, open_=False, brand="青年说")
    with pytest.raises(ValidationError) as e:
        services.programme_transition(actor=w.city_admin, programme=p, action="open")
    assert "选题" in messages(e)
    services.topic_add(actor=w.city_admin, programme=p, title="工业机器人")
    assert services.programme_transition(actor=w.city_admin, programme=p, action="open").status == "open"
    assert services.programme_transition(actor=w.city_admin, programme=p, action="close").status == "closed"
    with pytest.raises(ValidationError):
        services.programme_transition(actor=w.city_admin, programme=p, action="close")


def test_guide_is_kept_by_the_programme_union_only(w):
    with pytest.raises(PermissionDenied):  # a district staff member sees the programme but does not keep it
        services.topic_add(actor=w.district_staff, programme=w.programme, title="数字文化")
    with pytest.raises(OutOfScope):
        services.topic_add(actor=w.outsider, programme=w.programme, title="数字文化")
    with pytest.raises(ValidationError) as e:
        services.topic_add(actor=w.city_admin, programme=w.programme, title="低空经济")
    assert "已在指南中" in messages(e)


def test_one_programme_per_brand_and_year(w):
    with pytest.raises(ValidationError) as e:
        make_programme(w)
    assert "已存在" in messages(e)


def test_tranche_plan_must_add_up_to_100(w):
    with pytest.raises(ValidationError) as e:
        services.programme_create(actor=w.city_admin, node=w.hangzhou, brand="x", year=2026, title="x",
                                  tranche_plan=[[50, "approval"], [40, "completion"]])
    assert "100%" in messages(e)


# --- applications and the team rules -----------------------------------------------------------------------


def test_team_rules_are_data_and_name_what_is_missing(w):
    p = make_project(w, w.programme, team=False)
    services.team_member_add(actor=w.district_staff, project=p, name="老队长", role=MemberRole.LEADER,
                             birth_year=w.programme.year - 45)
    with pytest.raises(ValidationError) as e:
        services.project_submit(actor=w.district_staff, project=p)
    text = messages(e)
    assert "至少 3 人" in text and "35 岁以下青年干部占比须不低于 60%" in text and "导师" in text
    # Loosen the rule (it is data): the programme's union changes it, and the message changes with it.
    services.rule_set(actor=w.city_admin, programme=w.programme, kind=RuleKind.YOUNG_SHARE, value=None)
    services.rule_set(actor=w.city_admin, programme=w.programme, kind=RuleKind.FRONTLINE_SHARE, value=50)
    with pytest.raises(ValidationError) as e:
        services.project_submit(actor=w.district_staff, project=p)
    assert "一线人员占比" in messages(e) and "青年干部" not in messages(e)


def test_application_refusals(w):
    topic = w.programme.topics.first()
    base = {"programme": w.programme, "topic": topic, "team_name": "队", "plan": "计划", "requested_fen": 1000,
                "payee_name": "西湖区总工会", "bank_name": "杭州银行", "bank_account": "6222020000004321"}
    with pytest.raises(ValidationError) as e:
        services.project_create(actor=w.district_staff, node=w.xihu, **{**base, "requested_fen": 300_000})
    assert "上限" in messages(e)
    with pytest.raises(ValidationError) as e:
        services.project_create(actor=w.district_staff, node=w.xihu, **{**base, "bank_account": "12ab"})
    assert "银行账号" in messages(e)
    with pytest.raises(OutOfScope):
        services.project_create(actor=w.district_staff, node=w.hangzhou, **base)
    with pytest.raises(OutOfScope):
        services.project_create(actor=w.outsider, node=w.qingdao, **base)
    closed = services.programme_transition(actor=w.city_admin, programme=w.programme, action="close")
    with pytest.raises(ValidationError) as e:
        services.project_create(actor=w.district_staff, node=w.xihu, **{**base, "programme": closed})
    assert "申报期" in messages(e)


def test_account_is_encrypted_and_masked(w):
    p = make_project(w, w.programme)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT bank_account FROM research_project WHERE id = %s", [p.pk])
        stored = cur.fetchone()[0]
    assert "6222020000004321" not in stored and p.bank_account_mask.endswith("4321")


# --- approval ----------------------------------------------------------------------------------------------


def test_approval_commits_budget_and_writes_tranches(w):
    p = make_project(w, w.programme)
    p = services.project_submit(actor=w.district_staff, project=p)
    assert p.status == ProjectStatus.SUBMITTED and p.steps.count() == 1
    p = services.project_decide(actor=w.city_admin, project=p, decision="approved", amount_fen=90_000)
    assert p.status == ProjectStatus.FIELDWORK and p.approved_fen == 90_000
    w.programme.refresh_from_db()
    assert w.programme.committed_fen == 90_000
    tranches = list(p.tranches.values_list("trigger", "amount_fen", "status"))
    assert tranches == [("approval", 36_000, "due"), ("midterm", 27_000, "locked"), ("completion", 27_000, "locked")]
    assert AuditEvent.objects.filter(verb="research_project.decide", object_id=str(p.pk)).exists()


def test_approval_cannot_raise_the_amount_or_pass_the_budget(w):
    p = services.project_submit(actor=w.district_staff, project=make_project(w, w.programme))
    with pytest.raises(ValidationError):
        services.project_decide(actor=w.city_admin, project=p, decision="approved", amount_fen=200_000)
    small = make_programme(w, budget_fen=50_000, brand="小预算")
    q = services.project_submit(actor=w.district_staff, project=make_project(w, small))
    with pytest.raises(ValidationError) as e:
        services.project_decide(actor=w.city_admin, project=q, decision="approved")
    assert "经费不足" in messages(e)
    q.refresh_from_db()
    assert q.status == ProjectStatus.SUBMITTED and not q.tranches.exists()


def test_return_needs_a_comment_and_allows_resubmission(w):
    p = services.project_submit(actor=w.district_staff, project=make_project(w, w.programme))
    with pytest.raises(ValidationError):
        services.project_decide(actor=w.city_admin, project=p, decision="returned")
    p = services.project_decide(actor=w.city_admin, project=p, decision="returned", comment="请补充调研提纲")
    assert p.status == ProjectStatus.RETURNED
    p = services.project_submit(actor=w.district_staff, project=p)
    assert p.status == ProjectStatus.SUBMITTED and p.round == 2
    p = services.project_decide(actor=w.leader, project=p, decision="rejected", comment="与已立项课题重复")
    assert p.status == ProjectStatus.REJECTED


def test_nobody_approves_their_own_application(w):
    p = make_project(w, w.programme, actor=w.city_admin, node=w.hangzhou)
    p = services.project_submit(actor=w.city_admin, project=p)
    with pytest.raises(DutyConflict):
        services.project_decide(actor=w.city_admin, project=p, decision="approved")
    assert services.project_decide(actor=w.leader, project=p, decision="approved").status == ProjectStatus.FIELDWORK


def test_outsider_and_roles_without_approve_cannot_decide(w):
    p = services.project_submit(actor=w.district_staff, project=make_project(w, w.programme))
    with pytest.raises(PermissionDenied):
        services.project_decide(actor=w.viewer, project=p, decision="approved")
    with pytest.raises(OutOfScope):
        services.project_decide(actor=w.outsider, project=p, decision="approved")


# --- fieldwork, mid-term ------------------------------------------------------------------------------------


def test_fieldwork_counts_and_refusals(w):
    p = approved_project(w, w.programme)
    log = ride(w, p, orders=642)
    assert log.orders == 642
    today = timezone.localdate()
    base = {"actor": w.district_staff, "project": p, "occurred_on": today, "place": "站点", "cadre": "吴队员"}
    with pytest.raises(ValidationError) as e:
        services.fieldwork_record(kind="interview", orders=3, **base)
    assert "完成单数" in messages(e)
    with pytest.raises(ValidationError):
        services.fieldwork_record(kind="visit", people=-1, **base)
    with pytest.raises(ValidationError):
        services.fieldwork_record(kind="visit", **{**base, "occurred_on": today + dt.timedelta(days=1)})
    with pytest.raises(OutOfScope):
        services.fieldwork_record(kind="visit", **{**base, "actor": w.outsider})
    draft = make_project(w, w.programme)
    with pytest.raises(ValidationError):
        services.fieldwork_record(kind="visit", **{**base, "project": draft})


def test_midterm_pass_improve_fail(w):
    p = approved_project(w, w.programme)
    with pytest.raises(ValidationError) as e:
        services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    assert "调研日志" in messages(e)
    ride(w, p)
    with pytest.raises(ValidationError):
        services.midterm_check(actor=w.city_admin, project=p, verdict="improve")
    p = services.midterm_check(actor=w.city_admin, project=p, verdict="improve", comment="访谈样本偏少")
    assert p.status == ProjectStatus.FIELDWORK
    with pytest.raises(PermissionDenied):  # the team's own union does not check itself
        services.midterm_check(actor=w.district_staff, project=p, verdict="pass")
    p = services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    assert p.status == ProjectStatus.MIDTERM
    assert p.tranches.get(trigger="midterm").status == TrancheStatus.DUE

    q = approved_project(w, w.programme)
    q = services.midterm_check(actor=w.city_admin, project=q, verdict="fail", comment="未开展调研")
    assert q.status == ProjectStatus.TERMINATED
    assert set(q.tranches.values_list("status", flat=True)) == {TrancheStatus.CANCELLED}


# --- reports ------------------------------------------------------------------------------------------------


def test_report_before_midterm_is_refused(w):
    p = approved_project(w, w.programme)
    with pytest.raises(ValidationError) as e:
        services.report_submit(actor=w.district_staff, project=p, title="t", upload=upload(fresh_text(5)),
                               recommendations="市总工会：建议")
    assert "中期检查" in messages(e)


def test_report_length_check(w):
    p = approved_project(w, w.programme)
    ride(w, p)
    services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    p.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        services.report_submit(actor=w.district_staff, project=p, title="短", upload=upload(fresh_text(3, 50)),
                               recommendations="市总工会：建议")
    assert "报告字数 50" in messages(e) and "200" in messages(e)


def test_recommendations_must_name_their_owner(w):
    p = approved_project(w, w.programme)
    ride(w, p)
    services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    with pytest.raises(ValidationError) as e:
        services.report_submit(actor=w.district_staff, project=p, title="t", upload=upload(fresh_text(4)),
                               recommendations="市总工会：甲\n只有内容没有对象")
    assert "第 2 行" in messages(e)


def test_duplicate_report_is_refused_naming_the_earlier_one(w):
    _first, r1 = reported_project(w, w.programme, seed=11, accept=True)
    p = approved_project(w, w.programme, topic=w.programme.topics.last())
    ride(w, p)
    services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    copied = fresh_text(11)[:500] + fresh_text(12, 100)  # ~80 % of it is the earlier report
    with pytest.raises(ValidationError) as e:
        services.report_submit(actor=w.district_staff, project=p, title="抄", upload=upload(copied),
                               recommendations="市总工会：建议")
    text = messages(e)
    assert "重复" in text and r1.title in text
    ok = services.report_submit(actor=w.district_staff, project=p, title="原创", upload=upload(fresh_text(13)),
                                recommendations="市总工会：建议")
    assert ok.similarity < 10


def test_report_file_is_encrypted_at_rest_and_docx_is_read(w):
    from huigong.research.testing import docx

    p = approved_project(w, w.programme)
    ride(w, p)
    services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    text = fresh_text(21)
    r = services.report_submit(actor=w.district_staff, project=p, title="docx", upload=docx(text),
                               recommendations="市总工会：建议")
    assert r.extension == "docx" and r.char_count == len(text)
    with open(r.file.path, "rb") as fh:
        raw = fh.read()
    assert b"word/document.xml" not in raw and text[:20].encode() not in raw
    assert r.file.open("rb").read()[:2] == b"PK"


def test_accept_completes_and_return_asks_for_a_new_version(w):
    p, r = reported_project(w, w.programme, seed=31)
    with pytest.raises(PermissionDenied):
        services.report_decide(actor=w.district_staff, report=r, accept=True)
    with pytest.raises(ValidationError):
        services.report_decide(actor=w.city_admin, report=r, accept=False)
    r = services.report_decide(actor=w.city_admin, report=r, accept=False, comment="对策建议不够具体")
    assert r.status == ReportStatus.RETURNED
    r2 = services.report_submit(actor=w.district_staff, project=p, title="修改稿", upload=upload(fresh_text(31)),
                                recommendations="市总工会：建议")
    assert r2.version == 2  # a revision may repeat its own earlier version
    r2 = services.report_decide(actor=w.city_admin, report=r2, accept=True)
    p.refresh_from_db()
    assert p.status == ProjectStatus.COMPLETED and p.tranches.get(trigger="completion").status == TrancheStatus.DUE


def test_awards_only_for_completed_projects_once(w):
    p, r = reported_project(w, w.programme, seed=41)
    with pytest.raises(ValidationError):
        services.award_give(actor=w.city_admin, project=p, level="first", title="优秀调研成果",
                            awarded_on=timezone.localdate())
    services.report_decide(actor=w.city_admin, report=r, accept=True)
    p.refresh_from_db()
    a = services.award_give(actor=w.city_admin, project=p, level="first", title="优秀调研成果",
                            awarded_on=timezone.localdate())
    assert a.get_level_display() == "一等奖"
    with pytest.raises(ValidationError):
        services.award_give(actor=w.city_admin, project=p, level="second", title="优秀调研成果",
                            awarded_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.award_give(actor=make_staff(w.xihu, "admin"), project=p, level="second", title="二",
                            awarded_on=timezone.localdate())


def test_the_programme_union_does_not_check_or_accept_its_own_team(w):
    """A team of the programme's own union: its applicant may neither hold its mid-term check nor accept
    its report (core.duties); a colleague may."""
    colleague = make_staff(w.hangzhou, "staff")
    p = approved_project(w, w.programme, actor=w.city_admin, node=w.hangzhou)
    ride(w, p, actor=w.city_admin)
    with pytest.raises(DutyConflict):
        services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    p = services.midterm_check(actor=colleague, project=p, verdict="pass")
    r = services.report_submit(actor=w.city_admin, project=p, title="自评", upload=upload(fresh_text(51)),
                               recommendations="市总工会：建议")
    with pytest.raises(DutyConflict):
        services.report_decide(actor=w.city_admin, report=r, accept=True)
    assert services.report_decide(actor=colleague, report=r, accept=True).status == ReportStatus.ACCEPTED


def test_recommendations_become_tracked_items_through_to_adoption(w):
    from huigong.core.outcomes import services as outcomes
    from huigong.core.outcomes.models import Status

    _p, r = reported_project(w, w.programme, seed=61, accept=True)
    recs = list(r.recommendations.select_related("item").order_by("seq"))
    assert [(x.owner, x.item.owner_name, x.item.kind) for x in recs] == [
        ("市城管局", "市城管局", "research.recommendation"), ("市总工会", "市总工会", "research.recommendation")]
    item = recs[1].item
    assert item.node_id == w.hangzhou.pk and item.status == Status.OPEN and item.due_date is not None
    # Adoption needs evidence of effect: without it the item cannot even go to verification.
    with pytest.raises(ValidationError):
        outcomes.item_submit(actor=w.city_admin, item=item)
    outcomes.evidence_add(actor=w.city_admin, item=item, kind="policy", title="健康证先办后补实施办法",
                          doc_number="杭工发〔2025〕12号", issuer="杭州市总工会", issued_on=timezone.localdate(),
                          of_effect=True)
    item = outcomes.item_submit(actor=w.city_admin, item=item)
    with pytest.raises(DutyConflict):  # nobody confirms the adoption they submitted
        outcomes.item_verify(actor=w.city_admin, item=item, effective=True)
    item = outcomes.item_verify(actor=w.leader, item=item, effective=True)
    assert item.status == Status.CLOSED
    recs[0].item.refresh_from_db()
    assert recs[0].item.status == Status.OPEN  # the other recommendation is untouched


def test_a_returned_report_makes_no_tracked_items(w):
    _p, r = reported_project(w, w.programme, seed=71)
    services.report_decide(actor=w.city_admin, report=r, accept=False, comment="重写")
    assert not r.recommendations.filter(item__isnull=False).exists()
