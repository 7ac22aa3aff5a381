"""Races on PostgreSQL with real threads: one pending application per ID number, one decision per
application, one membership per person."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from huigong.members.models import Membership, MembershipStatus
from huigong.portal import join
from huigong.portal.models import JoinApplication, JoinStatus
from huigong.portal.testing import make_worker_account, submit_join
from huigong.testing import new_id_number


def _race(n, fn):
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            out = fn(i)
        except Exception as e:  # noqa: BLE001 -- every failure is recorded: a crash must fail the test, not vanish
            out = e
        finally:
            connection.close()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == n
    return results


def _only_expected(results, model) -> None:
    """Each thread either produced `model` or was refused with a clear error."""
    odd = [r for r in results if not isinstance(r, (model, ValidationError, PermissionDenied))]
    assert not odd, odd


@pytest.mark.django_db(transaction=True)
def test_parallel_submits_with_one_id_number_leave_one_pending(on_postgres, cast):
    accounts = [make_worker_account(f"1370000{i:04d}") for i in range(8)]
    number = new_id_number()
    results = _race(8, lambda i: submit_join(accounts[i], name="并发者", id_number=number, platform=cast.platform))
    _only_expected(results, JoinApplication)
    assert sum(isinstance(r, JoinApplication) for r in results) == 1
    assert all(str(join.CANNOT_SUBMIT) in str(r) for r in results if isinstance(r, ValidationError))
    assert JoinApplication.objects.filter(status=JoinStatus.SUBMITTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_accepts_make_one_membership(on_postgres, cast):
    app = submit_join(platform=cast.platform)
    actors = [cast.district_staff, cast.city_admin] * 3
    results = _race(6, lambda i: join.join_accept(actor=actors[i], application=app))
    _only_expected(results, JoinApplication)
    assert sum(isinstance(r, JoinApplication) for r in results) == 1
    assert Membership.objects.filter(person__name=app.name, status=MembershipStatus.ACTIVE).count() == 1
    assert JoinApplication.objects.get(pk=app.pk).status == JoinStatus.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_parallel_consents_leave_one_live_row_and_no_error(on_postgres):
    from huigong.portal import services
    from huigong.portal.models import Consent

    account = make_worker_account("13700009999")
    results = _race(6, lambda i: services.consent_give(account=account, purpose="health"))
    _only_expected(results, Consent)
    assert all(isinstance(r, Consent) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Consent.objects.filter(account=account, purpose="health", withdrawn_at__isnull=True).count() == 1
