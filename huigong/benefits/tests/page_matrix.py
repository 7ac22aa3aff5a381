"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the benefits console
pages and the worker's pages under /portal/benefits/, declared in the app's contributions (apps.py).

The world: 西湖区 runs a check-up programme (李小红 holds a place in it) and a 先办后补 programme in which
李小红's receipt was approved and put in a payment batch, and 王骑手's waits for review."""


def build(world) -> None:
    from huigong.benefits import services
    from huigong.benefits.models import ProgrammeKind
    from huigong.benefits.testing import clerk, make_programme, receipt_png
    from huigong.members.models import Person
    from huigong.portal.services import consent_give

    for account in (world.worker, world.qd_worker):
        for purpose in ("health", "bank_account"):
            consent_give(account=account, purpose=purpose)
    person = Person.objects.get(pk=world.member.person_id)
    person.bank_account, person.bank_account_mask, person.bank_name = "6222020000001234", "**** **** 1234", "工商银行"
    person.save()
    world.bn_quota = make_programme(world.city_admin, world.xihu, quota=5, title="西湖区职工体检")
    world.bn_claim = services.claim_create(actor=world.worker.user, programme=world.bn_quota, person=person)
    world.bn_reimb = make_programme(world.city_admin, world.xihu, kind=ProgrammeKind.REIMBURSEMENT, quota=10,
                                    title="西湖区骑手健康证补贴")
    paid = services.reimbursement_submit(actor=clerk(world), programme=world.bn_reimb, person=person,
                                         amount_fen=5000, receipt=receipt_png())
    services.reimbursement_approve(actor=world.city_admin, reimbursement=paid, approved_fen=5000)
    world.bn_batch, _skipped = services.payment_batch_create(actor=world.finance, programme=world.bn_reimb)
    world.bn_payment = world.bn_batch.payments.get()
    world.bn_item = services.reimbursement_submit(actor=clerk(world), programme=world.bn_reimb,
                                                  person=world.rider.person, amount_fen=3000, receipt=receipt_png())
    world.bn_mine = paid  # 李小红's own receipt, for her portal page


WORKER = {"who": "worker"}

# name -> (args builder, capability the page needs beyond VIEW, methods[, how])
ROUTES = {
    "benefits:home": (lambda c: [], None, "GET"),
    "benefits:programme_create": (lambda c: [], "benefit", "GET POST"),
    "benefits:programme_detail": (lambda c: [c.bn_quota.pk], None, "GET"),
    "benefits:programme_edit": (lambda c: [c.bn_quota.pk], "benefit", "GET POST"),
    "benefits:programme_open": (lambda c: [c.bn_quota.pk], "benefit", "POST"),
    "benefits:programme_close": (lambda c: [c.bn_quota.pk], "benefit", "POST"),
    "benefits:sub_quota_set": (lambda c: [c.bn_quota.pk], "benefit", "POST"),
    "benefits:payment_batch_create": (lambda c: [c.bn_reimb.pk], "money", "POST"),
    "benefits:claim_cancel": (lambda c: [c.bn_claim.pk], "benefit", "POST"),
    "benefits:reimbursements": (lambda c: [], None, "GET"),
    "benefits:reimbursement_detail": (lambda c: [c.bn_item.pk], None, "GET"),
    "benefits:receipt": (lambda c: [c.bn_item.pk], None, "GET"),
    "benefits:batch_detail": (lambda c: [c.bn_batch.pk], None, "GET"),
    "benefits:batch_bank_sheet": (lambda c: [c.bn_batch.pk], "money", "POST"),
    "benefits:batch_import_results": (lambda c: [c.bn_batch.pk], "money", "POST"),
    "benefits:payment_action": (lambda c: [c.bn_payment.pk, "paid"], "money", "POST"),
    "benefits:visits": (lambda c: [], None, "GET"),
    "benefits:sites": (lambda c: [], None, "GET"),
    "benefits:site_detail": (lambda c: [c.site.pk], None, "GET"),
    # The worker's pages: our worker (李小红) and a worker of another union (赵青岛).
    "benefits_portal:programmes": (lambda c: [], None, "GET", WORKER),
    "benefits_portal:claim": (lambda c: [c.bn_quota.pk], None, "POST", WORKER),
    "benefits_portal:claims": (lambda c: [], None, "GET", WORKER),
    "benefits_portal:claim_detail": (lambda c: [c.bn_claim.pk], None, "GET", WORKER),
    "benefits_portal:claim_cancel": (lambda c: [c.bn_claim.pk], None, "POST", WORKER),
    "benefits_portal:reimbursements": (lambda c: [], None, "GET", WORKER),
    "benefits_portal:reimbursement_new": (lambda c: [], None, "GET POST", WORKER),
    "benefits_portal:receipt": (lambda c: [c.bn_mine.pk], None, "GET", WORKER),
    "benefits_portal:sites": (lambda c: [], None, "GET", WORKER),
}
