"""retry_on_deadlock: a deadlock victim's transaction runs again; anything else, or inside a caller's
transaction, goes up."""

import pytest
from django.db import OperationalError, transaction

from huigong.core.db import retry_on_deadlock


def _flaky(failures: list):
    def fn(value):
        if failures:
            raise failures.pop(0)
        return value
    return fn


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_runs_again_and_other_errors_go_up():
    assert retry_on_deadlock(_flaky([OperationalError("deadlock detected")]), 7) == 7
    with pytest.raises(OperationalError, match="deadlock"):  # gives up after its attempts
        retry_on_deadlock(_flaky([OperationalError("deadlock detected")] * 3), 7)
    with pytest.raises(OperationalError, match="server closed"):
        retry_on_deadlock(_flaky([OperationalError("server closed the connection")]), 7)


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_nothing_is_retried():
    with transaction.atomic(), pytest.raises(OperationalError):
        retry_on_deadlock(_flaky([OperationalError("deadlock detected")]), 7)
