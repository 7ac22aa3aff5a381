"""Nomination campaigns: the live composition meter, refusals (rule broken, over quota, empty), the
chain up the tree, vetting, 公示 with an upheld objection, award with certificates and entitlements."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core.models import AuditEvent
from huigong.core.scope import OutOfScope
from huigong.honours import clock, selectors, services
from huigong.honours.models import (
    Attribute,
    CampaignStatus,
    EntitlementKind,
    Honour,
    ListStatus,
    NomineeStatus,
    Source,
)
from huigong.honours.testing import DEPARTMENTS, approved_list, fill_list, make_campaign, vetted, worker
from huigong.members.models import Gender


def test_meter_shows_why_and_submission_is_refused_while_a_rule_is_broken(w):
    c = make_campaign(w)
    nl = fill_list(w, c, women=0, men=4, industrial=2)  # no woman: the 20 % rule is broken
    meter = services.meter_of(nl)
    broken = [r for r in meter.rows if not r.ok]
    assert [r.rule.attribute for r in broken] == [Attribute.FEMALE]
    assert "女性须不低于 20%：4 人中至少 1 人，现有 0 人" in broken[0].why
    with pytest.raises(ValidationError) as e:
        services.list_submit(actor=w.district_staff, nomination_list=nl)
    assert "女性须不低于 20%" in " ".join(e.value.messages)
    nl.refresh_from_db()
    assert nl.status == ListStatus.DRAFT and nl.round == 0 and not nl.steps.exists()
    # Fixed: a woman replaces a man; the meter is green and the list goes up.
    services.nominee_remove(actor=w.district_staff, nominee=nl.nominees.filter(name="男职工3").get())
    services.nominee_add(actor=w.district_staff, nomination_list=nl, person=worker(w, "女劳模", Gender.FEMALE),
                         attributes=[Attribute.FRONTLINE], deeds="班组长，带出三名技师")
    assert services.meter_of(nl).ok
    services.list_submit(actor=w.district_staff, nomination_list=nl)
    nl.refresh_from_db()
    assert nl.status == ListStatus.IN_APPROVAL and nl.round == 1
    assert AuditEvent.objects.filter(verb="nomination_list.submit", object_id=str(nl.pk)).exists()


def test_female_attribute_follows_the_member_record(w):
    c = make_campaign(w)
    nl = services.list_open(actor=w.district_staff, campaign=c, node=w.xihu)
    man = worker(w, "张师傅")
    n = services.nominee_add(actor=w.district_staff, nomination_list=nl, person=man,
                             attributes=[Attribute.FEMALE, Attribute.INDUSTRIAL], deeds="事迹")
    assert n.attributes == [Attribute.INDUSTRIAL]  # a man cannot be counted as a woman


def test_unit_heads_above_the_ceiling_and_over_quota_are_refused(w):
    c = make_campaign(w, places=4)
    nl = fill_list(w, c, women=1, men=3, industrial=2)
    n = nl.nominees.first()
    services.nominee_set_attributes(actor=w.district_staff, nominee=n, attributes=[Attribute.UNIT_HEAD,
                                                                                   Attribute.INDUSTRIAL])
    with pytest.raises(ValidationError, match="企业负责人须不超过 15%"):
        services.list_submit(actor=w.district_staff, nomination_list=nl)
    services.nominee_set_attributes(actor=w.district_staff, nominee=n, attributes=[Attribute.INDUSTRIAL])
    services.nominee_add(actor=w.district_staff, nomination_list=nl, person=worker(w, "第五人"),
                         attributes=[Attribute.INDUSTRIAL], deeds="事迹")
    with pytest.raises(ValidationError, match="超出名额：名额 4 人，名单 5 人"):
        services.list_submit(actor=w.district_staff, nomination_list=nl)


def test_a_node_without_quota_or_an_empty_list_cannot_submit(w):
    c = make_campaign(w)
    with pytest.raises(ValidationError, match="名单中还没有人选"):
        services.list_submit(actor=w.district_staff, nomination_list=services.list_open(
            actor=w.district_staff, campaign=c, node=w.xihu))
    tech_list = services.list_open(actor=w.tech_staff, campaign=c, node=w.tech)
    assert "组织单位尚未给本单位分配名额" in services.meter_of(tech_list).problems


def test_chain_district_then_city_and_nobody_decides_their_own(w):
    c = make_campaign(w)
    nl = fill_list(w, c)
    services.list_submit(actor=w.district_staff, nomination_list=nl)
    with pytest.raises(PermissionDenied):  # the district's step is the district's
        services.list_decide(actor=w.city_admin, nomination_list=nl, decision="approved")
    services.list_decide(actor=w.xihu_admin, nomination_list=nl, decision="approved")
    nl.refresh_from_db()
    assert nl.status == ListStatus.IN_APPROVAL and nl.current_seq == 1
    services.list_decide(actor=w.city_admin, nomination_list=nl, decision="approved")
    nl.refresh_from_db()
    assert nl.status == ListStatus.APPROVED
    assert set(nl.nominees.values_list("status", flat=True)) == {NomineeStatus.APPROVED}


def test_returned_needs_a_comment_and_goes_back_for_a_new_round(w):
    c = make_campaign(w)
    nl = fill_list(w, c)
    services.list_submit(actor=w.district_staff, nomination_list=nl)
    with pytest.raises(ValidationError, match="请填写审批意见"):
        services.list_decide(actor=w.xihu_admin, nomination_list=nl, decision="returned")
    services.list_decide(actor=w.xihu_admin, nomination_list=nl, decision="returned", comment="事迹材料不全")
    nl.refresh_from_db()
    assert nl.status == ListStatus.RETURNED
    services.list_submit(actor=w.district_staff, nomination_list=nl)
    nl.refresh_from_db()
    assert nl.round == 2 and nl.steps.filter(round=2).count() == 2


def test_rejected_list_withdraws_its_nominees(w):
    nl = fill_list(w, make_campaign(w))
    services.list_submit(actor=w.district_staff, nomination_list=nl)
    services.list_decide(actor=w.xihu_admin, nomination_list=nl, decision="rejected", comment="不符合条件")
    assert set(nl.nominees.values_list("status", flat=True)) == {NomineeStatus.WITHDRAWN}


def test_vetting_incomplete_is_refused_at_publication(w):
    nl = approved_list(w)
    first = nl.nominees.first()
    services.opinion_record(actor=w.city_admin, nominee=first, department=DEPARTMENTS[0], verdict="agree")
    with pytest.raises(ValidationError, match="尚缺纪委监委的意见"):
        services.notice_publish(actor=w.city_admin, campaign=nl.campaign, nominees=[first])
    with pytest.raises(ValidationError, match="请写明理由"):
        services.opinion_record(actor=w.city_admin, nominee=first, department=DEPARTMENTS[1], verdict="disagree")
    services.opinion_record(actor=w.city_admin, nominee=first, department=DEPARTMENTS[1], verdict="disagree",
                            note="存在违纪记录")
    with pytest.raises(ValidationError, match="纪委监委不同意"):
        services.notice_publish(actor=w.city_admin, campaign=nl.campaign, nominees=[first])


def test_notice_objection_upheld_withdraws_then_award_writes_the_register(w):
    nl = approved_list(w)
    vetted(w, nl)
    c = nl.campaign
    nominees = list(nl.nominees.all())
    notice = services.notice_publish(actor=w.city_admin, campaign=c, nominees=nominees)
    assert notice.campaign_id == c.pk
    assert set(nl.nominees.values_list("status", flat=True)) == {NomineeStatus.ON_NOTICE}
    assert all("*" in e.masked_name for e in notice.entries.all())
    target = nominees[0]
    obj = services.objection_record(actor=w.city_admin, notice=notice, nominee=target, content="群众反映其事迹有夸大",
                                    channel="来信")
    with pytest.raises(ValidationError, match="公示期到"):
        services.notice_end(actor=w.city_admin, notice=notice)
    with pytest.raises(ValidationError, match="公示尚未结束"):
        services.campaign_award(actor=w.city_admin, campaign=c)
    services.objection_resolve(actor=w.city_admin, objection=obj, upheld=True, resolution="经核实，事迹有夸大，撤回推荐")
    target.refresh_from_db()
    assert target.status == NomineeStatus.WITHDRAWN and not notice.entries.filter(nominee=target).exists()
    with clock.travel(notice.ends_on):
        services.notice_end(actor=w.city_admin, notice=notice)
    honours = services.campaign_award(actor=w.city_admin, campaign=c)
    assert len(honours) == len(nominees) - 1
    assert target.pk not in {h.nominee_id for h in honours}
    h = honours[0]
    assert h.source == Source.AWARD and h.certificate_no.startswith("2026-")
    assert set(h.entitlements.values_list("kind", flat=True)) == set(EntitlementKind.values)
    c.refresh_from_db()
    assert c.status == CampaignStatus.AWARDED
    with pytest.raises(ValidationError):
        services.campaign_award(actor=w.city_admin, campaign=c)
    assert Honour.objects.filter(nominee__campaign=c).count() == len(honours)


def test_award_is_the_organisers_decision(w):
    nl = approved_list(w)
    with pytest.raises(PermissionDenied):
        services.campaign_award(actor=w.district_staff, campaign=nl.campaign)
    with pytest.raises(PermissionDenied):  # an admin below the organiser
        services.campaign_award(actor=w.xihu_admin, campaign=nl.campaign)


def test_outsider_sees_neither_campaign_nor_list(w):
    nl = fill_list(w, make_campaign(w))
    with pytest.raises(OutOfScope):
        selectors.campaign_get_for_actor(w.outsider, nl.campaign_id)
    with pytest.raises(OutOfScope):
        selectors.list_get_for_actor(w.outsider, nl.pk)
    with pytest.raises(OutOfScope):
        services.list_open(actor=w.outsider, campaign=nl.campaign, node=w.gaoxin)
    # A district sees the city's campaign it nominates to, and only its own subtree's lists.
    assert selectors.campaign_get_for_actor(w.district_staff, nl.campaign_id) == nl.campaign
    assert list(selectors.campaign_lists_for_actor(w.tech_staff, nl.campaign)) == []


def test_first_prizes_are_offered_to_the_next_campaign(w):
    from huigong.honours.testing import make_innovation

    inv = make_innovation(w)
    type(inv).objects.filter(pk=inv.pk).update(flagged_for_nomination=True)
    assert list(selectors.first_prizes_for_campaign(make_campaign(w))) == [inv]
