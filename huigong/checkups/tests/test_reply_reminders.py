"""Reminders of instruments' reply deadlines (services.instrument_reminders, the periodic job
`checkups.reply_reminders`): due soon, overdue, escalated one level up; never twice for one deadline and
step; nothing once the enterprise has replied."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture(scope="module")
def world(module_world):
    """The cast with one visited examination and one 提示函 issued five days ago (replies due in ten)."""
    from huigong.accounts.models import Role
    from huigong.checkups import services
    from huigong.checkups.testing import visited
    from huigong.testing import Cast, make_staff

    def build():
        c = Cast().build()
        c.district_staff2 = make_staff(c.xihu, Role.STAFF, "district_staff2")
        _campaign, exam, findings = visited(c.district_staff, c.xihu, c.enterprise)
        c.inst = services.instrument_issue(actor=c.district_staff, exam=exam, kind="reminder",
                                           findings=findings[:1], render=False,
                                           issued_on=timezone.localdate() - dt.timedelta(days=5), reply_days=15)
        return c

    return module_world(build)


@pytest.fixture
def inst(w):
    return w.inst


def told(step_event: str = "checkups.reply") -> list[tuple[str, str]]:
    from huigong.core.notify.models import Notification

    return sorted((n.user.username, n.event) for n in
                  Notification.objects.filter(event__startswith=step_event).select_related("user"))


def test_due_soon_overdue_and_escalation_each_once(w, inst):
    from huigong.checkups.models import InstrumentReminder
    from huigong.checkups.services import instrument_reminders
    from huigong.core.audit import AuditEvent

    due = inst.reply_due
    assert instrument_reminders(due - dt.timedelta(days=4)) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert told() == []
    # Three days before: the enterprise's union (杭州某科技公司工会's staff) and the issuer are reminded.
    assert instrument_reminders(due - dt.timedelta(days=3))["due_soon"] == 1
    assert told() == [("district_staff", "checkups.reply_due_soon"), ("tech_staff", "checkups.reply_due_soon")]
    # Not again, the same day or the next.
    assert instrument_reminders(due - dt.timedelta(days=3))["due_soon"] == 0
    assert instrument_reminders(due - dt.timedelta(days=1))["due_soon"] == 0
    assert len(told()) == 2
    # The day after the deadline: overdue, to the same people.
    assert instrument_reminders(due + dt.timedelta(days=1)) == {"due_soon": 0, "overdue": 1, "escalated": 0}
    assert told("checkups.reply_overdue") == [("district_staff", "checkups.reply_overdue"),
                                              ("tech_staff", "checkups.reply_overdue")]
    assert instrument_reminders(due + dt.timedelta(days=6))["overdue"] == 0
    # A week overdue: escalated one level up (西湖区总工会's staff, the union above the enterprise's).
    assert instrument_reminders(due + dt.timedelta(days=7))["escalated"] == 1
    escalated = [n for n in told("checkups.reply_overdue")]
    assert escalated.count(("district_staff", "checkups.reply_overdue")) == 2
    assert escalated.count(("district_staff2", "checkups.reply_overdue")) == 1
    assert ("tech_staff", "checkups.reply_overdue") in escalated and len(escalated) == 4
    assert instrument_reminders(due + dt.timedelta(days=30)) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    marks = list(InstrumentReminder.objects.filter(instrument=inst).values_list("step", "node__name", "recipients"))
    assert marks == [("due_soon", "杭州某科技公司工会", 2), ("overdue", "杭州某科技公司工会", 2),
                     ("escalated", "西湖区总工会", 2)]
    assert AuditEvent.objects.filter(verb="checkups.instrument_remind").count() == 3


def test_a_missed_window_sends_overdue_and_escalation_not_due_soon(w, inst):
    from huigong.checkups.services import instrument_reminders

    got = instrument_reminders(inst.reply_due + dt.timedelta(days=10))
    assert got == {"due_soon": 0, "overdue": 1, "escalated": 1}


def test_replied_instrument_is_left_alone(w, inst):
    from huigong.checkups import services

    services.instrument_reply(actor=w.district_staff, instrument=inst, replied_on=timezone.localdate(), accepted=True)
    assert services.instrument_reminders(inst.reply_due + dt.timedelta(days=10)) == \
        {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert told() == []


def test_a_new_deadline_is_reminded_again(w, inst):
    from huigong.checkups.models import Instrument
    from huigong.checkups.services import instrument_reminders

    instrument_reminders(inst.reply_due + dt.timedelta(days=1))
    new_due = inst.reply_due + dt.timedelta(days=20)
    Instrument.objects.filter(pk=inst.pk).update(reply_due=new_due)
    assert instrument_reminders(new_due - dt.timedelta(days=2))["due_soon"] == 1
    assert instrument_reminders(new_due + dt.timedelta(days=1))["overdue"] == 1


def test_the_job_is_declared_and_runs(w, inst):
    from huigong.core import periodic

    periodic.register_contributed()
    job = periodic.JOBS["checkups.reply_reminders"]
    assert job.every_seconds == 3600
    assert job.func() == {"due_soon": 0, "overdue": 0, "escalated": 0}  # today: 10 days before the deadline
