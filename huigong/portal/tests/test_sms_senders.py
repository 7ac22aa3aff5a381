"""Workers' one-time codes stay out of logs in production: the production settings refuse a sender that
writes codes to the log (or keeps them in the process), and the console sender masks the phone."""

import logging

import pytest
from django.core.exceptions import ValidationError

from huigong.core.tests.test_settings_prod import KEYS, settings_probe
from huigong.portal import services
from huigong.portal.models import SmsCode, SmsPurpose
from huigong.portal.sms import ConsoleSmsSender

PHONE = "13812345678"


@pytest.mark.parametrize("sender", ["huigong.portal.sms.ConsoleSmsSender", "huigong.portal.sms.MemorySmsSender", ""])
def test_production_refuses_a_sender_that_does_not_deliver(tmp_path, sender):
    out = settings_probe(tmp_path, HUIGONG_SMS_SENDER=sender, **KEYS)
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr
    assert "HUIGONG_SMS_SENDER" in out.stderr and "SMS gateway's adapter" in out.stderr


def test_production_starts_with_a_gateway_adapter_or_without_sms(tmp_path):
    for sender in ("acme_sms.huigong.AcmeSender", "huigong.portal.sms.DisabledSmsSender"):
        out = settings_probe(tmp_path, HUIGONG_SMS_SENDER=sender, **KEYS)
        assert out.returncode == 0, out.stderr


def test_the_console_sender_never_logs_the_full_phone(caplog):
    with caplog.at_level(logging.INFO):
        ConsoleSmsSender().send(PHONE, "【惠工e家】测试消息")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in logged
    assert PHONE not in logged


@pytest.mark.django_db
def test_without_a_gateway_a_code_is_refused_and_not_counted(settings):
    settings.HUIGONG_SMS_SENDER = "huigong.portal.sms.DisabledSmsSender"
    with pytest.raises(ValidationError) as e:
        services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    assert str(services.SMS_FAILED) in str(e.value)
    assert not SmsCode.objects.exists()


def test_production_refuses_aliyun_without_its_keys_and_templates(tmp_path):
    out = settings_probe(tmp_path, HUIGONG_SMS_SENDER="huigong.core.notify.sms.AliyunSmsSender",
                         HUIGONG_ALIYUN_SMS_KEY_ID="LTAI-x", **KEYS)
    assert out.returncode != 0 and "ImproperlyConfigured" in out.stderr
    assert "access_key_secret" in out.stderr and "templates[notice]" in out.stderr
    templates = '{"code":"SMS_1","link":"SMS_2","registered":"SMS_3","not_registered":"SMS_4","notice":"SMS_5"}'
    out = settings_probe(tmp_path, HUIGONG_SMS_SENDER="huigong.core.notify.sms.AliyunSmsSender",
                         HUIGONG_ALIYUN_SMS_KEY_ID="LTAI-x", HUIGONG_ALIYUN_SMS_KEY_SECRET="s",
                         HUIGONG_ALIYUN_SMS_SIGN_NAME="惠工e家", HUIGONG_ALIYUN_SMS_TEMPLATES=templates, **KEYS)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("sender", ["huigong.core.notify.sms.ConsoleSmsSender", "huigong.core.notify.sms.MemorySmsSender"])
def test_production_refuses_the_kernels_non_delivering_senders_too(tmp_path, sender):
    out = settings_probe(tmp_path, HUIGONG_SMS_SENDER=sender, **KEYS)
    assert out.returncode != 0 and "ImproperlyConfigured" in out.stderr
