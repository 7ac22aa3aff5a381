"""Review fixes: the console page to edit a programme, and places added by an edit going to the waitlist."""

import pytest
from django.core.exceptions import ValidationError

from huigong.benefits import services
from huigong.benefits.models import BenefitProgramme, ClaimStatus, ProgrammeKind, ProgrammeStatus
from huigong.benefits.testing import clerk, make_programme
from huigong.core.models import AuditEvent
from huigong.members.models import Person

pytestmark = pytest.mark.django_db


def _person(membership):
    return Person.objects.get(pk=membership.person_id)


def _post(p, **over):
    data = {"title": p.title, "board": p.board, "year": p.year, "status": p.status, "description": p.description,
            "quota_total": p.quota_total or "", "opens_at": "", "closes_at": "", "joined_from": "", "joined_to": ""}
    if p.waitlist:
        data["waitlist"] = "on"
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


# --- services: places added by an edit are not lost ----------------------------------------------


def test_raising_the_quota_promotes_every_waitlisted_claim(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    w1 = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    assert w1.status == ClaimStatus.WAITLISTED
    services.programme_update(actor=cast.city_admin, programme=p, quota_total=3)
    w1.refresh_from_db()
    p.refresh_from_db()
    assert w1.status == ClaimStatus.GRANTED and p.remaining == 1 and p.claimed == 2


def test_waitlist_cannot_be_switched_off_while_people_wait(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    with pytest.raises(ValidationError) as e:
        services.programme_update(actor=cast.city_admin, programme=p, waitlist=False, title="改名")
    assert "waitlist" in e.value.message_dict and "候补" in e.value.message_dict["waitlist"][0]
    p.refresh_from_db()
    assert p.waitlist and p.title != "改名"


def test_raising_a_sub_quota_promotes_that_enterprises_waitlisted_member(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, waitlist=True)
    services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=0)
    c = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert c.status == ClaimStatus.WAITLISTED
    services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=1)
    c.refresh_from_db()
    assert c.status == ClaimStatus.GRANTED


# --- the console edit page ---------------------------------------------------------------------


def test_edit_page_renders_with_current_values(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=7, title="杭州职工体检", description="每年一次")
    client.force_login(cast.city_admin)
    r = client.get(f"/benefits/programmes/{p.pk}/edit/")
    html = r.content.decode()
    assert r.status_code == 200 and "杭州职工体检" in html and "每年一次" in html and 'value="7"' in html
    assert f"/benefits/programmes/{p.pk}/edit/" in client.get(f"/benefits/programmes/{p.pk}/").content.decode()


def test_edit_saves_fields_eligibility_and_audits(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, open_now=False)
    client.force_login(cast.city_admin)
    r = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(
        p, title="新名称", description="新说明", quota_total=9, employment_forms=["rider"],
        joined_from="2020-01-01", opens_at="2026-01-01T08:00", closes_at="2030-12-31T18:00"))
    assert r.status_code == 302, r.content.decode()[:2000]
    p.refresh_from_db()
    assert (p.title, p.description, p.quota_total, p.remaining, p.employment_forms) == \
        ("新名称", "新说明", 9, 9, ["rider"])
    assert str(p.joined_from) == "2020-01-01" and p.opens_at and p.closes_at
    assert AuditEvent.objects.filter(verb="benefit_programme.update", object_id=str(p.pk)).exists()


def test_edit_opens_and_closes_the_programme(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, open_now=False)
    client.force_login(cast.city_admin)
    assert client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, status="open")).status_code == 302
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.OPEN
    assert client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, status="closed")).status_code == 302
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.CLOSED


def test_edit_back_to_draft_is_refused_and_nothing_is_written(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    client.force_login(cast.city_admin)
    r = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, status="draft", title="半截修改"))
    assert r.status_code == 200 and "已开放的项目不能退回草稿" in r.content.decode()
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.OPEN and p.title != "半截修改"


def test_edit_bad_input_names_the_field(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    client.force_login(cast.city_admin)
    html = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, quota_total=1)).content.decode()
    assert "已有 2 个名额被领取" in html
    html = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(
        p, opens_at="2026-05-01T08:00", closes_at="2026-04-01T08:00")).content.decode()
    assert "截止时间应晚于开始时间" in html
    html = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, title="")).content.decode()
    assert "项目名称" in html
    p.refresh_from_db()
    assert p.quota_total == 5 and p.closes_at is None


def test_edit_reimbursement_cap(client, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10)
    client.force_login(cast.city_admin)
    r = client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, cap_yuan="120.50"))
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.reimbursement_cap_fen == 12050


@pytest.mark.parametrize("who", ["outsider", "viewer", "finance", "leader", "tech_staff"])
def test_edit_refused_without_benefit_or_scope(client, cast, who):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, title="原名称")
    client.force_login(getattr(cast, who))
    assert client.get(f"/benefits/programmes/{p.pk}/edit/").status_code in (403, 404)
    assert client.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, title="被改了")).status_code in (403, 404)
    assert BenefitProgramme.objects.get(pk=p.pk).title == "原名称"


def test_edit_refused_to_a_signed_in_worker(cast, rider_worker):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, title="原名称")
    r = rider_worker.post(f"/benefits/programmes/{p.pk}/edit/", _post(p, title="被改了"))
    assert r.status_code in (302, 403, 404)
    assert BenefitProgramme.objects.get(pk=p.pk).title == "原名称"


def test_waitlisted_member_who_left_is_not_promoted(cast):
    from huigong.members.models import Membership, MembershipStatus

    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    first = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    gone = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    assert gone.status == ClaimStatus.WAITLISTED
    Membership.objects.filter(pk=cast.rider.pk).update(status=MembershipStatus.WITHDRAWN)
    services.claim_cancel(actor=cast.city_admin, claim=first, reason="另有安排")
    gone.refresh_from_db()
    p.refresh_from_db()
    assert gone.status == ClaimStatus.CANCELLED and "不再符合条件" in gone.cancel_reason
    assert p.remaining == 1  # the place is free, not handed to someone who left


def test_refused_reimbursement_leaves_no_receipt_file(cast, settings, tmp_path):
    from huigong.benefits.services import QuotaFull
    from huigong.benefits.testing import receipt_png

    settings.MEDIA_ROOT = str(tmp_path)
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=1)
    services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.member), amount_fen=100,
                                  receipt=receipt_png())
    with pytest.raises(QuotaFull):
        services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                      amount_fen=100, receipt=receipt_png())
    files = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert len(files) == 1, files


def test_quota_set_later_on_a_reimbursement_programme_counts_live_applications(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=None)
    from huigong.benefits.testing import receipt_png

    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.member),
                                         amount_fen=100, receipt=receipt_png())
    p = services.programme_update(actor=cast.city_admin, programme=p, quota_total=1)
    assert p.remaining == 0
    services.reimbursement_reject(actor=cast.city_admin, reimbursement=item, reason="票据不清")
    p.refresh_from_db()
    assert p.remaining == 1  # never above the quota


def test_a_sub_quota_added_after_claims_counts_the_enterprises_earlier_claims(cast):
    """Places an enterprise's members took before it had a sub-quota are counted against it, and a
    cancellation gives such a place back to it."""
    from huigong.benefits.models import BenefitClaim, ProgrammeQuota
    from huigong.benefits.testing import bulk_members

    p = make_programme(cast.city_admin, cast.hangzhou, quota=10)
    a, b = bulk_members(cast.tech, 2, employer=cast.enterprise)
    first = services.claim_create(actor=cast.city_admin, programme=p, person=a)
    assert first.enterprise_id is None
    with pytest.raises(ValidationError) as e:  # one place is already the enterprise's
        services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=0)
    assert "已领取 1 个名额" in e.value.message_dict["slots"][0]
    row = services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=1)
    assert (row.slots, row.remaining) == (1, 0)
    assert BenefitClaim.objects.get(pk=first.pk).enterprise_id == cast.enterprise.pk
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=b)
    assert "单位的名额已满" in e.value.message_dict["programme"][0]
    services.claim_cancel(actor=cast.city_admin, claim=BenefitClaim.objects.get(pk=first.pk))
    assert ProgrammeQuota.objects.get(pk=row.pk).remaining == 1
    assert services.claim_create(actor=cast.city_admin, programme=p, person=b).enterprise_id == cast.enterprise.pk


def test_a_claim_queued_before_sub_quotas_waits_for_its_enterprises_place(cast):
    """A waitlisted claim from before the programme had sub-quotas is promoted only from its own
    enterprise's places: a place freed elsewhere does not go to a member whose employer has none."""
    from huigong.benefits.models import BenefitClaim
    from huigong.benefits.testing import bulk_members

    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    (a,) = bulk_members(cast.tech, 1, employer=cast.enterprise)
    granted = services.claim_create(actor=cast.city_admin, programme=p, person=a)
    waiting = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))  # a platform
    assert waiting.status == ClaimStatus.WAITLISTED
    services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=1)
    services.claim_cancel(actor=cast.city_admin, claim=BenefitClaim.objects.get(pk=granted.pk))
    assert BenefitClaim.objects.get(pk=waiting.pk).status == ClaimStatus.WAITLISTED
    assert BenefitProgramme.objects.get(pk=p.pk).remaining == 1
