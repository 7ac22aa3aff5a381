"""Reminders before the due date and escalation up the tree when overdue, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from huigong.core.notify.models import Notification
from huigong.core.outcomes import services
from huigong.core.outcomes.models import EntryKind
from huigong.core.outcomes.testing import make_item

pytestmark = pytest.mark.django_db


def _notified(item, event):
    return set(Notification.objects.filter(event=event, event_key__startswith=f"outcome:{item.pk}:")
               .values_list("user__username", flat=True))


def test_reminders_then_escalation_up_the_tree(w):
    due = dt.date(2026, 5, 31)
    item = make_item(w.city_admin, w.tech, due_date=due)
    assert services.remind_and_escalate(today=due - dt.timedelta(days=10)) == {"reminded": 0, "escalated": 0}
    assert services.remind_and_escalate(today=due - dt.timedelta(days=6))["reminded"] == 1
    assert services.remind_and_escalate(today=due - dt.timedelta(days=5))["reminded"] == 0  # once per threshold
    assert services.remind_and_escalate(today=due - dt.timedelta(days=1))["reminded"] == 1
    assert _notified(item, "outcome.due_soon") == {"tech_staff"}
    # Overdue: the item's own union first, the district after ESCALATE_EVERY_DAYS, then the city.
    assert services.remind_and_escalate(today=due + dt.timedelta(days=1))["escalated"] == 1
    assert services.remind_and_escalate(today=due + dt.timedelta(days=2))["escalated"] == 0
    services.remind_and_escalate(today=due + dt.timedelta(days=services.ESCALATE_EVERY_DAYS))
    services.remind_and_escalate(today=due + dt.timedelta(days=2 * services.ESCALATE_EVERY_DAYS))
    item.refresh_from_db()
    assert item.escalation_level == 3
    assert _notified(item, "outcome.overdue") == {"tech_staff", "district_staff", "city_admin", "city_staff2"}
    kinds = list(item.timeline.values_list("kind", flat=True))
    assert kinds.count(EntryKind.REMINDER) == 2 and kinds.count(EntryKind.ESCALATION) == 3


def test_closed_items_are_not_escalated(w):
    due = dt.date(2026, 5, 31)
    item = make_item(w.city_admin, w.tech, due_date=due)
    services.item_drop(actor=w.city_admin, item=item, reason="重复事项")
    assert services.remind_and_escalate(today=due + dt.timedelta(days=40)) == {"reminded": 0, "escalated": 0}


def test_escalation_target():
    assert services.escalation_target(0, 5) == 0
    assert services.escalation_target(1, 5) == 1
    assert services.escalation_target(services.ESCALATE_EVERY_DAYS, 5) == 2
    assert services.escalation_target(1000, 3) == 3
