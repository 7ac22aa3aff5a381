"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for 求学圆梦's
staff pages. The worker pages' rows are in page_matrix_portal.py (their own world and tests)."""

from . import objects as o


def _p(c):
    return [o.memo(c, "programme", o.programme).pk]


def _a(c):
    return [o.memo(c, "application", o.application).pk]


def _e(c):
    return [o.memo(c, "enrolment", o.enrolment).pk]


def _n(c):
    return [o.memo(c, "notice", o.notice).pk]


def _pay(c):
    return o.memo(c, "payment", o.payment)


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "education:home": (lambda c: [], None, "GET"),
    "education:institution_create": (lambda c: [], "education", "GET POST"),
    "education:programme_create": (lambda c: [], "education", "GET POST"),
    "education:programme_detail": (_p, None, "GET"),
    "education:major_add": (_p, "education", "POST"),
    "education:programme_rules": (_p, "education", "GET POST"),
    "education:programme_action": (lambda c: [*_p(c), "close"], "education", "POST"),
    "education:applications": (_p, None, "GET"),
    "education:enrolments": (_p, None, "GET"),
    "education:report": (_p, None, "GET"),
    "education:batch_create": (_p, "money", "POST"),
    "education:queue": (lambda c: [], "approve", "GET"),
    "education:application_detail": (_a, None, "GET"),
    "education:application_decide": (_a, "approve", "POST"),
    "education:application_points": (_a, "education", "POST"),
    "education:application_document": (lambda c: [*_a(c), "admission_letter"], None, "GET"),
    "education:enrolment_confirm": (_a, "education", "POST"),
    "education:enrolment_detail": (_e, None, "GET"),
    "education:enrolment_action": (lambda c: [*_e(c), "term"], "education", "POST"),
    "education:notice_detail": (_n, None, "GET"),
    "education:notice_action": (lambda c: [*_n(c), "end"], "education", "POST"),
    "education:batch_detail": (lambda c: [_pay(c).batch_id], "money", "GET"),
    "education:batch_bank_sheet": (lambda c: [_pay(c).batch_id], "money", "POST"),
    "education:batch_import_results": (lambda c: [_pay(c).batch_id], "money", "POST"),
    "education:payment_action": (lambda c: [_pay(c).pk, "paid"], "money", "POST"),
}
