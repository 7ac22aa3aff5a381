"""A worker chooses which notifications also reach her by SMS; join decisions go through the outbox."""

import re

import pytest

from huigong.core.notify.models import Notification, Preference, Status
from huigong.core.notify.services import wanted_channels
from huigong.portal import join
from huigong.portal.testing import make_worker_account, sign_in, submit_join

pytestmark = pytest.mark.django_db
URL = "/portal/messages/settings/"


def test_anonymous_is_sent_to_the_portal_sign_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and "/portal/login" in r["Location"]


def test_staff_are_not_workers(client, cast):
    client.force_login(cast.district_staff)
    assert client.get(URL).status_code in (302, 403)


def test_a_worker_switches_sms_off_for_join_decisions(client, cast):
    account = make_worker_account("13911110101")
    sign_in(client, account)
    body = client.get(URL).content.decode()
    assert "入会申请结果" in body and "139****0101" in body and "13911110101" not in body
    assert 'name="join.decided:sms" checked' in body
    # Every other event the installed apps register stays ticked (the page lists them all).
    others = tuple(sorted(set(re.findall(r'name="([\w.]+):sms"', body)) - {"join.decided"}))
    assert {"aid.decided", "claim.decided", "link.decided", "reimbursement.decided", "reimbursement.paid",
            "transfer.decided"} <= set(others)
    r = client.post(URL, {f"{e}:sms": "on" for e in others})  # join.decided:sms unticked
    assert r.status_code == 302
    recipient = f"u:{account.user_id}"
    assert dict(Preference.objects.filter(recipient=recipient).values_list("event", "enabled")) == {
        "join.decided": False, **{e: True for e in others}}
    assert wanted_channels(recipient, "join.decided") == {"portal"}
    # Her rejected application now reaches her inbox only.
    app = submit_join(account, platform=cast.platform)
    staff = _staff_for(app)
    join.join_reject(actor=staff, application=app, reason="材料不全")
    rows = Notification.objects.filter(recipient=recipient, event="join.decided")
    assert [(r.channel, r.status) for r in rows] == [("portal", Status.SENT)]


def _staff_for(app):
    from huigong.accounts.models import Role
    from huigong.testing import make_staff

    return make_staff(app.routed_to, Role.ADMIN, f"staff{app.pk}")


def test_each_worker_sets_only_her_own(client):
    mine, theirs = make_worker_account("13911110102"), make_worker_account("13911110103")
    sign_in(client, mine)
    client.post(URL, {})
    assert Preference.objects.filter(recipient=f"u:{mine.user_id}").exists()
    assert not Preference.objects.filter(recipient=f"u:{theirs.user_id}").exists()


def test_a_linked_worker_sets_the_preferences_of_her_member_record(client, cast):
    account = make_worker_account("13911110104", person=cast.rider.person)
    sign_in(client, account)
    client.post(URL, {})
    assert Preference.objects.filter(recipient=f"p:{cast.rider.person_id}", event="join.decided",
                                     enabled=False).exists()


def test_a_join_rejection_goes_through_the_outbox_once(cast):
    account = make_worker_account("13911110105")
    app = submit_join(account, platform=cast.platform)
    join.join_reject(actor=_staff_for(app), application=app, reason="材料不全")
    rows = {r.channel: r for r in Notification.objects.filter(event="join.decided")}
    assert rows["portal"].status == Status.SENT and rows["portal"].event_key == f"join:{app.pk}:rejected"
    assert rows["sms"].address_mask == "139****0105" and rows["sms"].node_path == app.routed_to.path
    assert account.messages.filter(title="入会申请未通过").count() == 1
