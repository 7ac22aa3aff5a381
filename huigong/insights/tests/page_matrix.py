"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the leader's dashboard
and reports, declared in the app's contributions (apps.py). The world gets one finished report of 西湖区."""


def build(world) -> None:
    from django.core.files.base import ContentFile

    from huigong.insights.models import Report, ReportStatus

    report = Report.objects.create(node=world.xihu, period_key="2026-01", period_label="2026年1月",
                                   created_by=world.city_admin, status=ReportStatus.DONE)
    report.file.save("report-xihu-2026-01.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    world.report = report


# name -> (args builder, capability the page needs beyond VIEW, methods[, how])
ROUTES = {
    "insights:dashboard": (lambda c: [], None, "GET"),
    "insights:export": (lambda c: [], "export", "GET"),
    "insights:refresh": (lambda c: [], "org_write", "POST", {"outsider": 302}),
    "insights:report_list": (lambda c: [], None, "GET"),
    # An allowed role's report request is a write (not sent); the outsider's is for its own subtree.
    "insights:report_create": (lambda c: [], None, "POST", {"outsider": 302}),
    "insights:report_detail": (lambda c: [c.report.pk], None, "GET"),
    "insights:report_download": (lambda c: [c.report.pk], None, "GET"),
}
