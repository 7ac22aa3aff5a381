"""The outbox: written in the decision's transaction, delivered after commit, once per recipient, channel
and decision; preferences choose the channels; phones encrypted at rest."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from huigong.core.notify import channels, services
from huigong.core.notify.models import Notification, Preference, Status
from huigong.core.notify.sms import MemorySmsSender

pytestmark = pytest.mark.django_db


def _tell(person, key="test:1", event="join.decided", **kw):
    return services.notify(event=event, key=key, person=person, title="入会申请已通过", body="欢迎",
                           node_path=kw.pop("node_path", "0001"), **kw)


def test_a_committed_decision_is_in_the_inbox_at_once_and_sent_by_sms_after_commit(person, django_capture_on_commit_callbacks):
    from huigong.portal.models import Message

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        rows = _tell(person)
        assert Message.objects.filter(person=person, title="入会申请已通过").count() == 1
        assert MemorySmsSender.outbox == []  # nothing leaves before the decision commits
    assert {r.channel: r.status for r in rows} == {"portal": "sent", "sms": "pending"}
    for cb in callbacks:
        cb()
    assert [(s.phone, s.template, s.params) for s in MemorySmsSender.outbox] == [
        (person.phone, "notice", {"title": "入会申请已通过"})]
    sms = Notification.objects.get(channel="sms")
    assert sms.status == Status.SENT and sms.attempts == 1 and sms.sent_at is not None
    assert sms.address_mask == person.phone_mask and sms.address_mask != person.phone
    assert sms.address is None  # once delivered the phone is not kept, only its mask


def test_a_rolled_back_decision_sends_nothing(person, django_capture_on_commit_callbacks):
    from huigong.portal.models import Message

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():
        _tell(person)
        raise RuntimeError("the decision failed after notifying")
    assert callbacks == []
    assert not Notification.objects.exists() and not Message.objects.filter(person=person).exists()
    assert services.deliver_due() == {"sent": 0, "failed": 0, "pending": 0}
    assert MemorySmsSender.outbox == []


def test_the_same_decision_notified_twice_sends_once(person, django_capture_on_commit_callbacks):
    from huigong.portal.models import Message

    with django_capture_on_commit_callbacks(execute=True):
        first = _tell(person, key="join:7:accepted")
        again = _tell(person, key="join:7:accepted")
    assert len(first) == 2 and again == []
    assert Notification.objects.count() == 2
    assert Message.objects.filter(person=person).count() == 1 and len(MemorySmsSender.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        _tell(person, key="join:7:rejected")  # another decision is another message
    assert Message.objects.filter(person=person).count() == 2 and len(MemorySmsSender.outbox) == 2


def test_a_repeat_inside_the_decisions_transaction_leaves_it_usable(person):
    with transaction.atomic():
        _tell(person, key="k")
        _tell(person, key="k")  # IntegrityError caught in a savepoint
        assert Notification.objects.count() == 2  # the transaction still works


def test_preferences_choose_the_channels_and_the_inbox_always_gets_it(person):
    recipient = services.recipient_key(person=person)
    assert services.wanted_channels(recipient, "join.decided") == {"portal", "sms"}
    assert services.wanted_channels(recipient, "link.decided") == {"portal"}  # its default: inbox only
    services.preferences_set(actor=None, recipient=recipient,
                             choices={("join.decided", "sms"): False, ("link.decided", "sms"): True})
    assert services.wanted_channels(recipient, "join.decided") == {"portal"}
    assert services.wanted_channels(recipient, "link.decided") == {"portal", "sms"}
    rows = _tell(person)
    assert [r.channel for r in rows] == ["portal"]
    # A stored switch for the inbox (not switchable) changes nothing.
    Preference.objects.create(recipient=recipient, event="join.decided", channel="portal", enabled=False)
    assert "portal" in services.wanted_channels(recipient, "join.decided")


def test_preferences_refuse_unknown_events_whole(person):
    recipient = services.recipient_key(person=person)
    with pytest.raises(ValueError):
        services.preferences_set(actor=None, recipient=recipient,
                                 choices={("join.decided", "sms"): False, ("no.such.event", "sms"): True})
    assert not Preference.objects.exists()


def test_an_unknown_event_is_a_programming_error(person):
    with pytest.raises(ValueError, match="unknown notification event"):
        _tell(person, event="never.declared")


def test_no_phone_is_recorded_as_skipped(person):
    type(person).objects.filter(pk=person.pk).update(phone=None, phone_hash="", phone_mask="")
    person.refresh_from_db()
    rows = _tell(person)
    sms = next(r for r in rows if r.channel == "sms")
    assert sms.status == Status.SKIPPED and sms.address_mask == ""


def test_the_phone_is_encrypted_at_rest(person):
    _tell(person)
    with connection.cursor() as cur:
        cur.execute("SELECT address, address_mask FROM notify_notification WHERE channel = 'sms'")
        stored, mask = cur.fetchone()
    assert person.phone not in stored and stored != person.phone
    assert mask == person.phone_mask
    assert Notification.objects.get(channel="sms").address == person.phone


def test_a_staff_member_can_be_addressed(cast):
    """Staff have no portal inbox and no phone on record today: the row says the SMS was not sent."""
    rows = services.notify(event="transfer.decided", key="staff:1", user=cast.district_staff, title="待办",
                           node_path=cast.xihu.path)
    assert sorted((r.channel, r.status, r.recipient) for r in rows) == [
        ("portal", "skipped", f"u:{cast.district_staff.pk}"), ("sms", "skipped", f"u:{cast.district_staff.pk}")]


def test_wechat_is_off_unless_configured(person, settings):
    settings.HUIGONG_WECHAT = {"appid": "", "secret": "", "template_id": ""}
    services.preferences_set(actor=None, recipient=services.recipient_key(person=person),
                             choices={("join.decided", "wechat"): True})
    assert "wechat" not in {r.channel for r in _tell(person)}
    assert all(sw["channel"] != "wechat" for row in services.preferences_for(services.recipient_key(person=person))
               for sw in row["switches"])


# --- retries ------------------------------------------------------------------------------------------

class _Flaky:
    """A sender that fails transiently `fails` times, then delivers."""

    fails = 0
    sent: list = []

    def send(self, phone, text, *, template="", params=None):
        from huigong.core.notify.sms import TransientSmsError

        if _Flaky.fails > 0:
            _Flaky.fails -= 1
            raise TransientSmsError(f"isv.BUSINESS_LIMIT_CONTROL: throttled for {phone}")
        _Flaky.sent.append(phone)
        return "ok-1"


class _Refusing:
    def send(self, phone, text, *, template="", params=None):
        from huigong.core.notify.sms import PermanentSmsError

        raise PermanentSmsError("isv.MOBILE_NUMBER_ILLEGAL: 非法手机号")


class _Crashing:
    def send(self, phone, text, *, template="", params=None):
        raise ConnectionResetError(f"peer reset while sending to {phone}")


def _due_now():
    Notification.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())


def test_transient_errors_back_off_exponentially_then_succeed(person, settings):
    settings.HUIGONG_SMS_SENDER = "huigong.core.notify.tests.test_outbox._Flaky"
    settings.HUIGONG_NOTIFY_RETRY = {"base": 60, "cap": 3600, "max_attempts": 6}
    _Flaky.fails, _Flaky.sent = 3, []
    _tell(person)
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        assert services.deliver_due() == {"sent": 0, "failed": 0, "pending": 1}
        row = Notification.objects.get(channel="sms")
        waits.append(round((row.next_attempt_at - before).total_seconds()))
        assert services.deliver_due()["pending"] == 0  # not due yet: nothing is tried
        _due_now()
    assert waits == [60, 120, 240]
    assert services.deliver_due() == {"sent": 1, "failed": 0, "pending": 0}
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.SENT and row.attempts == 4 and row.last_error == "" and row.provider_id == "ok-1"
    assert _Flaky.sent == [person.phone]


def test_an_error_naming_the_phone_is_masked_in_the_row_and_the_log(person, settings, caplog):
    settings.HUIGONG_SMS_SENDER = "huigong.core.notify.tests.test_outbox._Flaky"
    _Flaky.fails, _Flaky.sent = 1, []
    _tell(person)
    services.deliver_due()
    row = Notification.objects.get(channel="sms")
    assert row.last_error == f"isv.BUSINESS_LIMIT_CONTROL: throttled for {person.phone_mask}"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert person.phone_mask in logged and person.phone not in logged
    assert services._scrub("to +8613912345678 and 8613812345678", row) == "to 139****5678 and 138****5678"


def test_the_back_off_is_capped():
    assert services.backoff(1) == dt.timedelta(seconds=60)
    assert services.backoff(4) == dt.timedelta(seconds=480)
    assert services.backoff(30) == dt.timedelta(hours=6)


def test_retries_end_failed_after_the_last_attempt(person, settings, caplog):
    settings.HUIGONG_SMS_SENDER = "huigong.core.notify.tests.test_outbox._Crashing"
    settings.HUIGONG_NOTIFY_RETRY = {"base": 1, "cap": 10, "max_attempts": 3}
    _tell(person)
    results = []
    for _ in range(3):
        results.append(services.deliver_due())
        _due_now()
    assert results[-1] == {"sent": 0, "failed": 1, "pending": 0}
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.FAILED and row.attempts == 3 and row.next_attempt_at is None
    assert row.last_error == "ConnectionResetError"  # the exception's text (with the phone) is not kept
    assert services.deliver_due()["failed"] == 0  # a failed row is never tried again
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"notification {row.pk}" in logged and person.phone not in logged


def test_a_permanent_error_fails_at_once(person, settings):
    settings.HUIGONG_SMS_SENDER = "huigong.core.notify.tests.test_outbox._Refusing"
    _tell(person)
    assert services.deliver_due() == {"sent": 0, "failed": 1, "pending": 0}
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.FAILED and row.attempts == 1 and "MOBILE_NUMBER_ILLEGAL" in row.last_error


def test_the_disabled_sender_records_a_failure_staff_can_see(person, settings):
    settings.HUIGONG_SMS_SENDER = "huigong.portal.sms.DisabledSmsSender"
    _tell(person)
    services.deliver_due()
    row = Notification.objects.get(channel="sms")
    assert row.status == Status.FAILED and "HUIGONG_SMS_SENDER" in row.last_error


def test_a_stale_worker_cannot_overwrite_a_newer_attempt(person):
    _tell(person)
    claimed = services._claim(10)
    assert len(claimed) == 1
    Notification.objects.filter(pk=claimed[0].pk).update(attempts=5)  # another worker took it after the lease
    services.deliver_one(claimed[0])
    row = Notification.objects.get(pk=claimed[0].pk)
    assert row.status == Status.PENDING and row.attempts == 5
    assert channels.CHANNELS["sms"] is not None


def test_the_periodic_job_is_registered():
    from huigong.core import periodic

    assert periodic.JOBS["notify.deliver"].func is services.deliver_due
