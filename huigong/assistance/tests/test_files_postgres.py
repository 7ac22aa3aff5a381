"""On PostgreSQL with real threads: two staff filing the same household at once get one file and one clear
refusal naming it; concurrent files draw distinct numbers."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from huigong.assistance.models import HardshipFile
from huigong.assistance.services import files as svc
from huigong.testing import Cast, new_id_number

from .files_support import member, rule

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n, target):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as e:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_same_household_filed_concurrently_gives_one_file(on_postgres):
    cast = Cast().build()
    rule(cast)
    shared = new_id_number()
    heads = [member(cast, cast.tech, f"户主{i}") for i in range(6)]

    def file_it(i):
        return svc.hardship_file_create(
            actor=cast.city_admin, head=heads[i], causes=["illness"], household_size=2, monthly_income_fen=1000,
            level="deep", members=[{"name": "共同成员", "relation": "配偶", "id_number": shared}])

    results = _race(6, file_it)
    made = [r for r in results if isinstance(r, HardshipFile)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1 and len(refused) == 5, results
    for e in refused:
        msg = e.message_dict["members"][0]
        assert made[0].file_no in msg or "刚刚" in msg
    assert HardshipFile.objects.count() == 1


def test_concurrent_files_get_distinct_numbers(on_postgres):
    cast = Cast().build()
    rule(cast)
    heads = [member(cast, cast.tech, f"户主{i}") for i in range(8)]
    results = _race(8, lambda i: svc.hardship_file_create(
        actor=cast.city_admin, head=heads[i], causes=["illness"], household_size=1, monthly_income_fen=1000,
        level="deep"))
    assert all(isinstance(r, HardshipFile) for r in results), results
    assert len({r.file_no for r in results}) == 8
