"""A 先办后补 programme with a quota takes a place per receipt (capacity.place_take) and gives it back on
rejection (place_give); on PostgreSQL with real threads, each on its own connection, many submissions,
approvals and rejections at once never hand out more places than the quota, and every rejection gives
back exactly one place. (Reimbursements have no cancellation: a rejection is the only way a place
comes back.)"""

import random
from collections import Counter

import pytest

from huigong.benefits import services
from huigong.benefits.models import ProgrammeKind, Reimbursement, ReimbursementStatus
from huigong.benefits.testing import bulk_members, clerk, make_programme, receipt_png
from huigong.testing import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16


def _programme(cast, quota):
    return make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=quota,
                          reimbursement_cap_fen=6000)


def _live(programme) -> int:
    return Reimbursement.objects.filter(programme=programme).exclude(status=ReimbursementStatus.REJECTED).count()


def _submit(actor, programme):
    return lambda person: services.reimbursement_submit(actor=actor, programme=programme.pk, person=person,
                                                        amount_fen=5000, receipt=receipt_png())


def _warm(*users):
    for u in users:
        u.staff.node  # noqa: B018  (the cached profile, read before the threads share the user)


def test_many_receipts_at_once_take_no_more_places_than_the_quota(on_postgres, cast):
    programme = _programme(cast, 25)
    actor = clerk(cast)
    _warm(actor)
    results = run_in_threads(_submit(actor, programme), bulk_members(cast.tech, 100), THREADS)
    assert Counter(kind for kind, _ in results) == {"ok": 25, "refused": 75}
    assert {msg for kind, msg in results if kind == "refused"} == {"名额已满"}
    programme.refresh_from_db()
    assert programme.remaining == 0
    assert Reimbursement.objects.filter(programme=programme).count() == 25  # a refusal leaves no row


def test_rejections_and_approvals_racing_new_receipts_keep_the_count(on_postgres, cast):
    """20 places taken; then at once: 8 rejected (twice each, by two reviewers), 6 approved, and 40
    new receipts. Every place given back is taken at most once; the counter always equals the quota
    minus the live reimbursements."""
    from huigong.accounts.models import Role
    from huigong.testing import make_staff

    programme = _programme(cast, 20)
    actor = clerk(cast)
    first = [_submit(actor, programme)(p) for p in bulk_members(cast.tech, 20)]
    second_reviewer = make_staff(cast.hangzhou, Role.ADMIN, "city_admin2")
    _warm(actor, cast.city_admin, second_reviewer)
    to_reject, to_approve = first[:8], first[8:14]

    def work(job):
        kind, payload = job
        if kind == "reject":
            reviewer, item = payload
            return services.reimbursement_reject(actor=reviewer, reimbursement=item, reason="票据不清晰").pk
        if kind == "approve":
            return services.reimbursement_approve(actor=cast.city_admin, reimbursement=payload).pk
        return _submit(actor, programme)(payload).pk

    jobs = [("reject", (r, i)) for i in to_reject for r in (cast.city_admin, second_reviewer)]
    jobs += [("approve", i) for i in to_approve]
    jobs += [("submit", p) for p in bulk_members(cast.tech, 40)]
    random.Random(16).shuffle(jobs)  # the kinds interleaved on the threads
    results = run_in_threads(work, jobs, THREADS)
    outcome = Counter((job[0], kind) for job, (kind, _) in zip(jobs, results, strict=True))
    # Each item is rejected once: the second reviewer finds it decided already.
    assert outcome[("reject", "ok")] == 8 and outcome[("reject", "refused")] == 8
    assert outcome[("approve", "ok")] == 6
    # At most the 8 places given back were taken again, and never one more.
    new = outcome[("submit", "ok")]
    assert new <= 8 and outcome[("submit", "refused")] == 40 - new
    programme.refresh_from_db()
    assert _live(programme) == 20 - 8 + new <= 20
    assert programme.remaining == programme.quota_total - _live(programme) == 8 - new
    assert Reimbursement.objects.filter(programme=programme, status=ReimbursementStatus.REJECTED).count() == 8
    assert Reimbursement.objects.filter(programme=programme, status=ReimbursementStatus.APPROVED).count() == 6


def test_places_given_back_are_taken_again_exactly(on_postgres, cast):
    """All 10 places rejected at once, then 30 receipts at once: exactly 10 get a place."""
    programme = _programme(cast, 10)
    actor = clerk(cast)
    items = [_submit(actor, programme)(p) for p in bulk_members(cast.tech, 10)]
    _warm(actor, cast.city_admin)
    rejected = run_in_threads(lambda i: services.reimbursement_reject(actor=cast.city_admin, reimbursement=i,
                                                                      reason="重复提交").pk, items, THREADS)
    assert Counter(kind for kind, _ in rejected) == {"ok": 10}
    programme.refresh_from_db()
    assert programme.remaining == 10
    results = run_in_threads(_submit(actor, programme), bulk_members(cast.tech, 30), THREADS)
    assert Counter(kind for kind, _ in results) == {"ok": 10, "refused": 20}
    programme.refresh_from_db()
    assert programme.remaining == 0 and _live(programme) == 10
