from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from huigong.core.models import AuditEvent
from huigong.members.models import ImportStatus, RosterImport
from huigong.members.roster.services import roster_imports_fail_stale


def _import(cast, status, *, started_ago, heartbeat_ago=None):
    now = timezone.now()
    return RosterImport.objects.create(
        union=cast.tech, original_name="花名册.xlsx", status=status, created_by=cast.tech_staff,
        started_at=now - started_ago, heartbeat_at=None if heartbeat_ago is None else now - heartbeat_ago)


@pytest.mark.django_db
def test_a_silent_worker_fails_its_import_and_a_live_one_is_left_alone(cast):
    dead = _import(cast, ImportStatus.WRITING, started_ago=timedelta(hours=1), heartbeat_ago=timedelta(minutes=20))
    never_reported = _import(cast, ImportStatus.VALIDATING, started_ago=timedelta(minutes=30))
    alive = _import(cast, ImportStatus.WRITING, started_ago=timedelta(hours=1), heartbeat_ago=timedelta(seconds=5))
    young = _import(cast, ImportStatus.VALIDATING, started_ago=timedelta(minutes=1))
    finished = _import(cast, ImportStatus.DONE, started_ago=timedelta(days=1))

    assert roster_imports_fail_stale() == 2

    statuses = {i.pk: i.status for i in RosterImport.objects.all()}
    assert statuses[dead.pk] == statuses[never_reported.pk] == ImportStatus.FAILED
    assert statuses[alive.pk] == ImportStatus.WRITING and statuses[young.pk] == ImportStatus.VALIDATING
    assert statuses[finished.pk] == ImportStatus.DONE
    assert "请重新上传" in RosterImport.objects.get(pk=dead.pk).message
    assert AuditEvent.objects.filter(verb="roster_import.fail", object_id=str(dead.pk)).count() == 1
    # A second pass finds nothing more to do.
    assert roster_imports_fail_stale() == 0


@pytest.mark.django_db
def test_tick_command_runs_the_registered_job(cast):
    dead = _import(cast, ImportStatus.WRITING, started_ago=timedelta(hours=2), heartbeat_ago=timedelta(hours=1))
    call_command("tick", "--all")
    assert RosterImport.objects.get(pk=dead.pk).status == ImportStatus.FAILED
