"""Two delivery workers at once (PostgreSQL, real threads): every row is sent exactly once."""

import pytest
from django.db import connection

from huigong.core.notify import services
from huigong.core.notify.models import Notification, Status
from huigong.core.notify.sms import MemorySmsSender
from huigong.testing import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_delivery_sends_each_row_once(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    person = cast.member.person
    for i in range(60):
        services.notify(event="join.decided", key=f"bulk:{i}", person=person, title=f"第{i}条", node_path="0001")
    MemorySmsSender.clear()  # the sync after-commit tasks above sent them already: make them due again
    Notification.objects.filter(channel="sms").update(status=Status.PENDING, attempts=0,
                                                      next_attempt_at=Notification.objects.first().created_at)
    run_in_threads(lambda _i: services.deliver_due(), range(4), threads=4)
    assert Notification.objects.filter(channel="sms", status=Status.SENT).count() == 60
    assert len(MemorySmsSender.outbox) == 60
    assert sorted(s.params["title"] for s in MemorySmsSender.outbox) == sorted(f"第{i}条" for i in range(60))
