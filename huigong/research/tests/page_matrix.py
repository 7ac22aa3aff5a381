"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the research
pages, declared in the app's contributions (apps.py). Objects are Hangzhou's: a 新音台 programme at
杭州市总工会 and a 西湖区 team's project, so the Qingdao outsider must get a 404 or 403 and nothing of ours. The
objects are written with the ORM, not the services: the matrix counts audit events around each request,
and the builders run inside that count."""


def _programme(c):
    from django.utils import timezone

    from huigong.research.models import Programme, Topic

    if not hasattr(c, "_rs_programme"):
        p = Programme.objects.create(node=c.hangzhou, node_path=c.hangzhou.path, brand="新音台",
                                     year=timezone.localdate().year, title="新音台年轻干部调研", status="open",
                                     budget_fen=1_000_000, min_chars=200, approval_levels=["city"])
        Topic.objects.create(programme=p, seq=1, title="低空经济", area="新质生产力", max_fen=200_000)
        c._rs_programme = p
    return c._rs_programme


def _project(c, status="draft", **kw):
    from huigong.research.models import Project, TeamMember

    p = _programme(c)
    project = Project.objects.create(programme=p, topic=p.topics.get(), node=c.xihu, node_path=c.xihu.path,
                                     team_name="西湖区骑手调研先锋队", plan="跑单", requested_fen=100_000, status=status,
                                     payee_name="西湖区总工会", bank_name="杭州银行", bank_account="6222020000004321",
                                     bank_account_mask="**** **** 4321", applied_by=c.district_staff, **kw)
    TeamMember.objects.create(project=project, name="周队长", role="leader", birth_year=p.year - 29, front_line=True)
    return project


def _report(c):
    from django.core.files.base import ContentFile

    from huigong.research import similarity
    from huigong.research.models import Report
    from huigong.research.testing import fresh_text

    text = fresh_text(901)
    r = Report(project=_project(c, status="midterm", approved_fen=100_000), version=1, title="西湖区骑手调研报告",
               content_type="text/plain; charset=utf-8", extension="txt", char_count=len(text),
               sketch=similarity.pack(similarity.shingle_hashes(text)), submitted_by=c.district_staff)
    r.file.save("report.txt", ContentFile(text.encode()), save=True)
    return r


def _payment(c):
    from huigong.research.models import Tranche, TrancheBatch, TranchePayment

    if not hasattr(c, "_rs_payment"):
        project = _project(c, status="fieldwork", approved_fen=100_000)
        t = Tranche.objects.create(project=project, seq=1, trigger="approval", share=40, amount_fen=40_000,
                                   status="due")
        b = TrancheBatch.objects.create(programme=project.programme, node_path=project.programme.node_path,
                                        title="西湖区调研经费批次", created_by=c.finance)
        c._rs_payment = TranchePayment.objects.create(
            tranche=t, batch=b, idempotency_key=f"rs-{t.pk}", amount_fen=40_000, payee_name=project.payee_name,
            bank_name=project.bank_name, bank_account=project.bank_account, bank_account_mask=project.bank_account_mask)
    return c._rs_payment


def programme(c):
    return [_programme(c).pk]


def project(c):
    if not hasattr(c, "_rs_project"):
        c._rs_project = _project(c)
    return [c._rs_project.pk]


def report(c):
    if not hasattr(c, "_rs_report"):
        c._rs_report = _report(c)
    return [c._rs_report.pk]


def batch(c):
    return [_payment(c).batch_id]


def payment(c):
    return [_payment(c).pk]


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "research:home": (lambda c: [], None, "GET"),
    "research:showcase": (lambda c: [], None, "GET"),
    "research:project_pdf": (project, None, "GET"),
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
