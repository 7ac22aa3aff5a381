"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the research
pages, declared in the app's contributions (apps.py). Objects are Hangzhou's: a 新音台 programme at
杭州市总工会 and a 西湖区 team's project, so the Qingdao outsider must get a 404 or 403 and nothing of ours."""


def _programme(c):
    from huigong.research.testing import make_programme

    if not hasattr(c, "_rs_programme"):
        c._rs_programme = make_programme(c)
    return c._rs_programme


def _project(c):
    from huigong.research.testing import make_project

    if not hasattr(c, "_rs_project"):
        c._rs_project = make_project(c, _programme(c))
    return c._rs_project


def _report(c):
    from huigong.research.testing import reported_project

    if not hasattr(c, "_rs_report"):
        c._rs_report = reported_project(c, _programme(c), seed=901)[1]
    return c._rs_report


def _payment(c):
    from huigong.research import payments
    from huigong.research.testing import approved_project

    if not hasattr(c, "_rs_payment"):
        approved_project(c, _programme(c))
        batch, _ = payments.batch_create(actor=c.finance, programme=_programme(c))
        c._rs_payment = batch.payments.get()
    return c._rs_payment


def programme(c):
    return [_programme(c).pk]


def project(c):
    return [_project(c).pk]


def report(c):
    return [_report(c).pk]


def batch(c):
    return [_payment(c).batch_id]


def payment(c):
    return [_payment(c).pk]


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "research:home": (lambda c: [], None, "GET"),
    "research:programme_create": (lambda c: [], "research", "GET POST"),
    "research:programme_detail": (programme, None, "GET"),
    "research:programme_open": (programme, "research", "POST"),
    "research:programme_close": (programme, "research", "POST"),
    "research:topic_add": (programme, "research", "POST"),
    "research:rule_set": (programme, "research", "POST"),
    "research:project_create": (programme, "research", "GET POST"),
    "research:batch_create": (programme, "money", "POST"),
    "research:project_detail": (project, None, "GET"),
    "research:project_team": (project, "research", "POST"),
    "research:project_submit": (project, "research", "POST"),
    "research:project_decide": (project, "approve", "POST"),
    "research:fieldwork_add": (project, "research", "POST"),
    "research:midterm": (project, "research", "POST"),
    "research:report_upload": (project, "research", "POST"),
    "research:award": (project, "research", "POST"),
    "research:report_file": (report, None, "GET"),
    "research:report_decide": (report, "research", "POST"),
    "research:batch_detail": (batch, "money", "GET"),
    "research:batch_sheet": (batch, "money", "POST"),
    "research:batch_results": (batch, "money", "POST"),
    "research:payment_paid": (payment, "money", "POST"),
    "research:payment_failed": (payment, "money", "POST"),
    "research:payment_retry": (payment, "money", "POST"),
}
