"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the assistance console
pages and the worker's pages under /portal/assistance/, declared in the app's contributions (apps.py).

The world, all in 西湖区: a screening rule and an open sweep; 李小红's open hardship file (evidence, a
member) with an application under 西湖区生活救助 waiting for the city's approval, and her help request;
钱多多's approved application on a notice with an objection; 孙多多's approved, noticed and ended
application paid in a batch."""

from __future__ import annotations

import datetime as dt


def _png():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (250, 250, 250)).save(buf, format="PNG")
    return SimpleUploadedFile("病历.png", buf.getvalue(), content_type="image/png")


def build(world) -> None:
    from huigong.assistance import clock
    from huigong.assistance.models import SweepAssignment
    from huigong.assistance.services import aid, approval, notices, payouts
    from huigong.assistance.services import files as file_services
    from huigong.assistance.services.notices import share_token
    from huigong.portal.services import consent_give

    from .files_support import member, rule, sweep
    from .flowkit import make_file

    w = world
    today = clock.today()
    w.as_rule = rule(w, node=w.xihu)
    w.as_sweep = sweep(w, node=w.xihu)
    w.as_assignment = SweepAssignment.objects.filter(sweep=w.as_sweep, node=w.tech).first()
    w.as_file = make_file(w.member, w.tech)
    w.as_file_member = w.as_file.members.first()
    w.as_evidence = file_services.evidence_add(actor=w.city_admin, file=w.as_file, kind="medical", upload=_png())
    for account in (w.worker, w.qd_worker):
        for purpose in ("income", "health"):
            consent_give(account=account, purpose=purpose)
    w.as_help = file_services.help_request_create(person=w.rider.person, user=w.city_admin, situation="西湖区骑手送餐途中受伤，收入中断，家中两人",
                                                  causes=["work_injury"], household_size=2, monthly_income_fen=100_000)
    w.as_prog = aid.programme_create(actor=w.city_admin, node=w.xihu, kind="living", name="西湖区生活救助",
                                     year=today.year, amount_fen=500_000, approval_levels=["city"])
    aid.programme_open(actor=w.city_admin, programme=w.as_prog)
    aid.programme_budget_set(actor=w.city_admin, programme=w.as_prog, node=w.xihu, total_fen=10_000_000)

    def approved(file, reason):
        a = aid.aid_application_create(actor=w.district_staff, programme=w.as_prog, file=file, amount_fen=100_000,
                                       reason=reason)
        a = aid.aid_application_submit(actor=w.district_staff, application=a)
        return approval.approval_decide(actor=w.leader, application=a, decision="approved")

    w.as_app = aid.aid_application_submit(actor=w.district_staff, application=aid.aid_application_create(
        actor=w.district_staff, programme=w.as_prog, file=w.as_file, amount_fen=100_000, reason="西湖区申请理由"))
    on_notice = approved(make_file(member(w, name="钱多多"), w.tech), "西湖区申请理由二")
    with clock.travel(today - dt.timedelta(days=1)):
        w.as_notice = notices.notice_publish(actor=w.city_admin, node=w.xihu, applications=[on_notice],
                                             title="西湖区公示", days=5)
    w.as_objection = notices.notice_objection_record(actor=w.city_admin, notice=w.as_notice, content="西湖区来电反映")
    w.as_token = share_token(w.as_notice)
    paid = approved(make_file(member(w, name="孙多多"), w.tech), "西湖区申请理由三")
    with clock.travel(today - dt.timedelta(days=5)):
        ended = notices.notice_publish(actor=w.city_admin, node=w.xihu, applications=[paid], title="西湖区公示二",
                                       days=1)
    notices.notice_end(actor=w.city_admin, notice=ended)
    w.as_batch = payouts.payout_batch_create(actor=w.finance, node=w.xihu, title="西湖区发放批次")
    w.as_payout = w.as_batch.payouts.get()


WORKER = {"who": "worker"}

# name -> (args builder, capability the page needs beyond VIEW, methods[, how])
ROUTES = {
    "assistance:home": (lambda c: [], None, "GET"),
    # Screening
    "assistance:rule_list": (lambda c: [], None, "GET"),
    "assistance:rule_edit": (lambda c: [c.as_rule.pk], "assist", "GET POST"),
    "assistance:rule_delete": (lambda c: [c.as_rule.pk], "assist", "POST"),
    "assistance:sweep_list": (lambda c: [], None, "GET"),
    "assistance:sweep_create": (lambda c: [], "assist", "GET POST"),
    "assistance:sweep_detail": (lambda c: [c.as_sweep.pk], None, "GET"),
    "assistance:sweep_apply": (lambda c: [c.as_sweep.pk], "assist", "POST"),
    "assistance:sweep_close": (lambda c: [c.as_sweep.pk], "assist", "POST"),
    "assistance:sweep_visit": (lambda c: [c.as_assignment.pk], "assist", "GET POST"),
    "assistance:sweep_visit_people": (lambda c: [c.as_assignment.pk], "assist", "GET"),
    # Files
    "assistance:file_list": (lambda c: [], None, "GET"),
    "assistance:file_create": (lambda c: [], "assist", "GET POST"),
    "assistance:file_detail": (lambda c: [c.as_file.pk], None, "GET"),
    "assistance:file_edit": (lambda c: [c.as_file.pk], "assist", "GET POST"),
    "assistance:file_open": (lambda c: [c.as_file.pk], "assist", "GET POST"),
    "assistance:file_review": (lambda c: [c.as_file.pk], "assist", "GET POST"),
    "assistance:file_close": (lambda c: [c.as_file.pk], "assist", "GET POST"),
    "assistance:file_member_add": (lambda c: [c.as_file.pk], "assist", "POST"),
    "assistance:file_member_remove": (lambda c: [c.as_file.pk, c.as_file_member.pk], "assist", "POST"),
    "assistance:evidence_upload": (lambda c: [c.as_file.pk], "assist", "POST"),
    # Evidence (medical records) is for who may see a file's detail: full personal data.
    "assistance:evidence_download": (lambda c: [c.as_file.pk, c.as_evidence.pk], "pii_full", "GET"),
    "assistance:file_reveal": (lambda c: [c.as_file.pk, "bank_account"], "pii_full", "POST"),
    "assistance:help_requests": (lambda c: [], None, "GET"),
    "assistance:help_request_decline": (lambda c: [c.as_help.pk], "assist", "POST"),
    # Programmes, applications, approval
    "assistance:programme_list": (lambda c: [], None, "GET"),
    "assistance:programme_create": (lambda c: [], "assist", "GET POST"),
    "assistance:programme_detail": (lambda c: [c.as_prog.pk], None, "GET"),
    "assistance:programme_status": (lambda c: [c.as_prog.pk], "assist", "POST"),
    "assistance:programme_budget": (lambda c: [c.as_prog.pk], "assist", "POST"),
    "assistance:household_cap": (lambda c: [], "assist", "POST", {"outsider": 302}),
    "assistance:application_list": (lambda c: [], None, "GET"),
    "assistance:application_create": (lambda c: [], "assist", "GET POST"),
    "assistance:application_detail": (lambda c: [c.as_app.pk], None, "GET"),
    "assistance:application_action": (lambda c: [c.as_app.pk, "edit"], "assist", "POST"),
    "assistance:approval_queue": (lambda c: [], "approve", "GET"),
    # Notices (公示)
    "assistance:notice_list": (lambda c: [], None, "GET"),
    "assistance:notice_create": (lambda c: [], "assist", "GET POST"),
    "assistance:notice_detail": (lambda c: [c.as_notice.pk], None, "GET"),
    "assistance:notice_pdf": (lambda c: [c.as_notice.pk], None, "GET"),
    "assistance:notice_objection": (lambda c: [c.as_notice.pk], "assist", "POST"),
    "assistance:notice_end": (lambda c: [c.as_notice.pk], "assist", "POST"),
    "assistance:notice_objection_resolve": (lambda c: [c.as_objection.pk], "assist", "POST"),
    # The posted notice: public through its signed token, masked names only.
    "assistance:notice_public": (lambda c: [c.as_token], None, "GET",
                                 {"who": "public", "shows": ("西湖区", "杭州某科技")}),
    # Payout batches and the ledger
    "assistance:batch_list": (lambda c: [], None, "GET"),
    "assistance:batch_create": (lambda c: [], "money", "GET POST"),
    "assistance:batch_detail": (lambda c: [c.as_batch.pk], None, "GET"),
    # GET ?preview=1: the sheet as it will be sent, masked; POST without confirm=1: on to the confirmation.
    "assistance:batch_export": (lambda c: [c.as_batch.pk], "money", "GET POST",
                                {"query": lambda c: {"preview": "1"}}),
    "assistance:batch_submit": (lambda c: [c.as_batch.pk], "money", "GET"),
    "assistance:batch_import": (lambda c: [c.as_batch.pk], "money", "POST"),
    "assistance:batch_sent": (lambda c: [c.as_batch.pk], "money", "POST"),
    "assistance:payout_action": (lambda c: [c.as_payout.pk, "paid"], "money", "POST"),
    "assistance:ledger": (lambda c: [], None, "GET"),
    "assistance:ledger_export_xlsx": (lambda c: [], "export", "GET"),
    "assistance:ledger_export_pdf": (lambda c: [], "export", "GET"),
    # The worker's pages: 李小红 (her file, her application) and a worker of another union.
    "assistance_portal:home": (lambda c: [], None, "GET", WORKER),
    "assistance_portal:help": (lambda c: [], None, "GET POST", WORKER),
    "assistance_portal:apply": (lambda c: [c.as_prog.pk], None, "GET POST", WORKER),
    "assistance_portal:application": (lambda c: [c.as_app.pk], None, "GET POST", WORKER),
}
