"""The suite's guard against personal data in logs (huigong/testing_logs.py): what it flags, what it
leaves alone (so it cannot fail by accident), and that it sees the loggers that do not propagate."""

import logging

import pytest

from huigong.core import idnumber
from huigong.testing_logs import LeakCollector, capture, findings

VALID_ID = idnumber.make("330102", __import__("datetime").date(1990, 1, 1), 123)


def test_flags_a_valid_id_number_a_mobile_and_a_code():
    assert findings(f"person {VALID_ID} joined") == [f"ID number 330102********{VALID_ID[-4:]}"]
    assert findings(f"person {VALID_ID.lower()}")  # an x check digit too
    assert findings("SMS to 13812345678: hi") == ["mobile 138****5678"]
    assert findings("【惠工e家】您的验证码是 654321，5分钟内有效") == ["SMS code 6*****"]
    assert findings("payload 654321", {"654321"}) == ["SMS code 6***** (sent in this test)"]


@pytest.mark.parametrize("text", [
    "GET /members/123/ 200 4711",                         # ids, sizes
    f"number {VALID_ID[:-1]}{'0' if VALID_ID[-1] != '0' else '1'}",  # wrong check digit
    "token a13812345678b and 2138123456789",             # not whole numbers
    "region 330102 took 138123 ms",                      # 6 digits nobody sent as a code
    "masked 330102********1234 and 138****5678",
    "exit code 123456",
])
def test_leaves_other_numbers_alone(text):
    assert findings(text) == []


@pytest.mark.parametrize("logger", ["huigong.members", "django.server", "django.request"])
def test_capture_sees_records_of_propagating_and_non_propagating_loggers(logger, log_guard):
    with capture() as leaks:
        logging.getLogger(logger).warning("lookup of %s", "13812345678")
    assert leaks.leaks and "mobile 138****5678" in leaks.leaks[0]
    with pytest.raises(pytest.fail.Exception) as e:
        leaks.assert_clean()
    assert "13812345678" not in str(e.value)  # the report itself masks
    log_guard.leaks.clear()  # planted on purpose: the suite's own guard saw it too


def test_a_clean_log_passes_and_the_handler_is_removed():
    with capture() as leaks:
        logging.getLogger("huigong").warning("nothing personal here")
    leaks.assert_clean()
    assert not any(isinstance(h, LeakCollector) and h is leaks for h in logging.getLogger().handlers)


def test_an_exception_traceback_is_checked_too(log_guard):
    with capture() as leaks:
        try:
            raise ValueError(f"bad {VALID_ID}")
        except ValueError:
            logging.getLogger("huigong").exception("failed")
    assert leaks.leaks and log_guard.leaks
    log_guard.leaks.clear()


def test_every_test_runs_under_the_guard(request):
    assert "log_guard" in request.fixturenames  # autouse, from the root conftest.py


@pytest.mark.random_numbers_in_logs
def test_a_test_with_generated_input_is_not_checked(log_guard):
    logging.getLogger("django.request").warning("Not Found: /api/v1/unions/15212344835")
    assert log_guard.leaks  # seen, but the guard does not fail this test
