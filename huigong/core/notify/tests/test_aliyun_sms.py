"""Aliyun SMS (dysmsapi SendSms) against a local fake server that checks the RPC v1 signature and answers
with Aliyun's success and error payloads; through the outbox: success, throttling → back-off, a bad number
→ failed at once."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from huigong.core.notify import services
from huigong.core.notify.models import Notification, Status
from huigong.core.notify.sms import AliyunSmsSender, PermanentSmsError, TransientSmsError, aliyun_signature
from huigong.core.notify.testing import aliyun_config, fake_aliyun

ALIYUN = "huigong.core.notify.sms.AliyunSmsSender"


def test_the_signature_matches_aliyuns_documented_example():
    # The worked example of Aliyun's SMS API documentation (RPC signature v1, GET, AccessKeySecret testSecret).
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert aliyun_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_a_message_is_sent_with_its_template_and_a_valid_signature():
    with fake_aliyun() as srv:
        biz = AliyunSmsSender(aliyun_config(srv)).send("13912345678", "【惠工e家】x", template="notice",
                                                       params={"title": "入会申请已通过"})
    assert biz == "biz-1"
    sent = srv.requests[0]
    assert sent["Action"] == "SendSms" and sent["Version"] == "2017-05-25" and sent["PhoneNumbers"] == "13912345678"
    assert sent["TemplateCode"] == "SMS_100005" and sent["SignName"] == "惠工e家"
    assert json.loads(sent["TemplateParam"]) == {"title": "入会申请已通过"}


def test_a_wrong_secret_is_refused_by_the_server_and_is_permanent():
    with fake_aliyun() as srv, pytest.raises(PermanentSmsError, match="SignatureDoesNotMatch"):
        AliyunSmsSender(aliyun_config(srv, secret="not-the-secret")).send("13912345678", "x", template="notice")


def test_throttling_and_server_errors_are_transient_a_bad_number_is_permanent():
    with fake_aliyun() as srv:
        srv.answers.update({"13900000001": "isv.BUSINESS_LIMIT_CONTROL", "13900000002": "HTTP500",
                            "13900000003": "isv.MOBILE_NUMBER_ILLEGAL"})
        sender = AliyunSmsSender(aliyun_config(srv))
        with pytest.raises(TransientSmsError, match="BUSINESS_LIMIT_CONTROL"):
            sender.send("13900000001", "x")
        with pytest.raises(TransientSmsError, match="InternalError"):
            sender.send("13900000002", "x")
        with pytest.raises(PermanentSmsError, match="MOBILE_NUMBER_ILLEGAL"):
            sender.send("13900000003", "x")


def test_an_unreachable_gateway_is_transient():
    cfg = {"access_key_id": "k", "access_key_secret": "s", "sign_name": "n", "templates": {"notice": "SMS_1"},
           "endpoint": "http://127.0.0.1:9/", "timeout": 2}
    with pytest.raises(TransientSmsError, match="unreachable"):
        AliyunSmsSender(cfg).send("13912345678", "x")


def test_an_unconfigured_template_or_key_is_refused():
    with pytest.raises(ImproperlyConfigured):
        AliyunSmsSender({"access_key_id": "", "access_key_secret": "s", "sign_name": "n"})
    with fake_aliyun() as srv:
        cfg = aliyun_config(srv)
        cfg["templates"] = {}
        with pytest.raises(PermanentSmsError, match="no Aliyun template"):
            AliyunSmsSender(cfg).send("13912345678", "x", template="notice")
    assert srv.requests == []


@pytest.mark.django_db
def test_the_outbox_through_aliyun_success_backoff_and_failure(cast, settings):
    person, other, third = cast.member.person, cast.rider.person, cast.qd_member.person
    settings.HUIGONG_SMS_SENDER = ALIYUN
    settings.HUIGONG_NOTIFY_RETRY = {"base": 60, "cap": 3600, "max_attempts": 4}
    with fake_aliyun() as srv:
        settings.HUIGONG_ALIYUN_SMS = aliyun_config(srv)
        srv.answers.update({other.phone: "isv.BUSINESS_LIMIT_CONTROL", third.phone: "isv.MOBILE_NUMBER_ILLEGAL"})
        for p in (person, other, third):
            services.notify(event="join.decided", key="join:1", person=p, title="入会申请已通过", node_path="0001")
        assert services.deliver_due() == {"sent": 1, "failed": 1, "pending": 1}
        rows = {r.person_id: r for r in Notification.objects.filter(channel="sms")}
        assert rows[person.pk].status == Status.SENT and rows[person.pk].provider_id.startswith("biz-")
        assert rows[third.pk].status == Status.FAILED and "MOBILE_NUMBER_ILLEGAL" in rows[third.pk].last_error
        throttled = rows[other.pk]
        assert throttled.status == Status.PENDING and throttled.attempts == 1
        assert 59 <= (throttled.next_attempt_at - throttled.created_at).total_seconds() <= 70
        # The gateway lets it through later: the retry sends it, once.
        srv.answers[other.phone] = "OK"
        Notification.objects.filter(pk=throttled.pk).update(next_attempt_at=throttled.created_at)
        assert services.deliver_due() == {"sent": 1, "failed": 0, "pending": 0}
        assert services.deliver_due() == {"sent": 0, "failed": 0, "pending": 0}
    throttled.refresh_from_db()
    assert throttled.status == Status.SENT and throttled.attempts == 2
    assert [r["PhoneNumbers"] for r in srv.requests].count(other.phone) == 2
    assert [r["PhoneNumbers"] for r in srv.requests].count(person.phone) == 1


@pytest.mark.django_db
def test_portal_codes_go_through_the_same_gateway(settings):
    from huigong.portal import services as portal_services
    from huigong.portal.models import SmsPurpose

    settings.HUIGONG_SMS_SENDER = ALIYUN
    with fake_aliyun() as srv:
        settings.HUIGONG_ALIYUN_SMS = aliyun_config(srv)
        portal_services.sms_code_send(phone="13911112222", purpose=SmsPurpose.SIGNUP)
    sent = srv.requests[0]
    code = json.loads(sent["TemplateParam"])["code"]
    assert sent["TemplateCode"] == "SMS_100001" and len(code) == 6 and code.isdigit()
    portal_services.sms_code_check(phone="13911112222", purpose=SmsPurpose.SIGNUP, code=code)  # the code works
