"""WeChat template messages against a local fake of WeChat's API: token fetched and cached, an expired token
fetched again, rate limits retried, an unsubscribed user failed."""

import pytest
from django.core.cache import cache

from huigong.core.notify import channels, services
from huigong.core.notify.models import Notification, Status
from huigong.core.notify.testing import fake_wechat, wechat_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat(settings, cast):
    cache.clear()
    with fake_wechat() as srv:
        settings.HUIGONG_WECHAT = wechat_config(srv)

        def resolver(*, person=None, user=None):
            if person is not None and person.pk == cast.member.person.pk:
                return channels.Contact(phone=person.phone, wechat_openid=srv.openid, inbox=True)
            return None

        srv.openid = "o-member-openid-0001"
        channels._RESOLVERS.insert(0, resolver)
        try:
            yield srv
        finally:
            channels._RESOLVERS.remove(resolver)
            cache.clear()


def _tell(cast, key="aid:1"):
    person = cast.member.person
    services.preferences_set(actor=None, recipient=services.recipient_key(person=person),
                             choices={("aid.decided", "wechat"): True})
    return services.notify(event="aid.decided", key=key, person=person, title="帮扶申请已批准", body="核定金额 500.00 元",
                           link="/portal/", node_path=cast.tech.path)


def test_a_template_message_is_sent_with_a_cached_token(wechat, cast):
    _tell(cast, "aid:1")
    _tell(cast, "aid:2")
    services.deliver_due()
    rows = Notification.objects.filter(channel="wechat")
    assert [r.status for r in rows] == [Status.SENT, Status.SENT]
    assert rows[0].address_mask == "o-me…" and wechat.tokens == 1
    sent = [r for r in wechat.requests if r["path"] == "/cgi-bin/message/template/send"]
    assert len(sent) == 2
    body = sent[0]["json"]
    assert body["touser"] == wechat.openid and body["template_id"] == "tmpl-1"
    assert body["url"] == "https://huigong.example.org/portal/" and body["data"]["thing1"]["value"] == "帮扶申请已批准"


def test_an_expired_token_is_fetched_again(wechat, cast):
    _tell(cast)
    cache.set(f"notify:wechat-token:{wechat_config(wechat)['appid']}", "stale-token", 600)
    services.deliver_due()
    assert Notification.objects.get(channel="wechat").status == Status.SENT
    assert wechat.tokens == 1


def test_a_rate_limit_is_retried_and_an_unsubscribed_user_fails(wechat, cast):
    wechat.answers[wechat.openid] = "45009"
    _tell(cast, "aid:1")
    services.deliver_due()
    row = Notification.objects.get(channel="wechat", event_key="aid:1")
    assert row.status == Status.PENDING and "45009" in row.last_error
    wechat.answers[wechat.openid] = "43004"
    _tell(cast, "aid:2")
    services.deliver_due()
    row = Notification.objects.get(channel="wechat", event_key="aid:2")
    assert row.status == Status.FAILED and "43004" in row.last_error
