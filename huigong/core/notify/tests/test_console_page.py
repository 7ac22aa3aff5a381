"""The staff page of notifications: the actor's subtree only, phones masked, the outsider sees nothing."""

import pytest
from django.urls import reverse

from huigong.core.notify import services
from huigong.core.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(cast):
    """A notification decided in 杭州某科技公司工会 (李小红) and one in 青岛某企业工会 (赵青岛)."""
    services.notify(event="join.decided", key="join:1", person=cast.member.person, title="入会申请已通过",
                    node_path=cast.tech.path)
    services.notify(event="join.decided", key="join:2", person=cast.qd_member.person, title="青岛的通知",
                    node_path=cast.qd_ent.path)
    return cast


def test_anonymous_is_sent_to_sign_in(client, sent):
    row = Notification.objects.first()
    for url in (reverse("notify:list"), reverse("notify:detail", args=[row.pk])):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_staff_see_their_subtrees_notifications_with_status_and_masked_phones(client, sent):
    client.force_login(sent.district_staff)
    body = client.get(reverse("notify:list")).content.decode()
    person = sent.member.person
    assert "入会申请已通过" in body and "李小红" in body and "青岛的通知" not in body
    assert person.phone_mask in body and person.phone not in body
    assert "已发送" in body  # the portal message, delivered with the decision
    sms = Notification.objects.get(person=person, channel="sms")
    detail = client.get(reverse("notify:detail", args=[sms.pk])).content.decode()
    assert person.phone_mask in detail and person.phone not in detail


def test_filters_by_person_and_status(client, sent):
    client.force_login(sent.city_admin)
    person = sent.member.person
    body = client.get(reverse("notify:list"), {"person": person.pk, "channel": "sms"}).content.decode()
    assert person.phone_mask in body
    body = client.get(reverse("notify:list"), {"person": sent.rider.person.pk}).content.decode()
    assert "入会申请已通过" not in body and "没有符合条件的通知" in body


def test_the_outsider_gets_nothing_of_ours(client, sent):
    client.force_login(sent.outsider)
    body = client.get(reverse("notify:list")).content.decode()
    assert "青岛的通知" in body and "入会申请已通过" not in body and "李小红" not in body
    ours = Notification.objects.filter(person=sent.member.person)
    for row in ours:
        assert client.get(reverse("notify:detail", args=[row.pk])).status_code == 404
    r = client.get(reverse("notify:list"), {"person": sent.member.person.pk})
    assert "李小红" not in r.content.decode()


def test_a_child_unions_staff_do_not_see_their_parents_or_siblings(client, sent, cast):
    services.notify(event="join.decided", key="join:3", person=cast.rider.person, title="骑手工会的通知",
                    node_path=cast.riders.path)
    client.force_login(cast.tech_staff)
    body = client.get(reverse("notify:list")).content.decode()
    assert "入会申请已通过" in body and "骑手工会的通知" not in body


def test_the_list_runs_a_bounded_number_of_queries(client, sent, django_assert_max_num_queries):
    for i in range(20):
        services.notify(event="join.decided", key=f"bulk:{i}", person=sent.member.person, title=f"第{i}条",
                        node_path=sent.tech.path)
    client.force_login(sent.district_staff)
    with django_assert_max_num_queries(12):
        r = client.get(reverse("notify:list"))
    assert r.status_code == 200


def test_the_page_is_in_the_nav_and_linked_from_the_member(client, sent):
    client.force_login(sent.district_staff)
    home = client.get(reverse("console:home")).content.decode()
    assert f'href="{reverse("notify:list")}"' in home
    person = sent.member.person
    detail = client.get(reverse("members:detail", args=[person.pk])).content.decode()
    assert f'{reverse("notify:list")}?person={person.pk}' in detail
