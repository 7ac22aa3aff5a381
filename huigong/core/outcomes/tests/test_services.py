"""Every transition of the tracker and every refusal (given / when / then)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.core.audit import AuditEvent
from huigong.core.duties import DutyConflict
from huigong.core.outcomes import services
from huigong.core.outcomes.models import EvidenceKind, Status, TrackedItem
from huigong.core.outcomes.testing import make_item
from huigong.core.scope import OutOfScope

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def _statuses(item):
    return [(e.from_status, e.to_status) for e in item.timeline.exclude(to_status="")]


def _to_verifying(w, item):
    services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.PHOTO, upload=_png(), of_effect=True,
                          title="整改后现场")
    return services.item_submit(actor=w.city_admin, item=item)


def test_create_progress_submit_verify_close(w):
    item = make_item(w.city_admin, w.tech, due_date=dt.date(2026, 12, 31))
    assert item.status == Status.OPEN and item.owner_name == w.tech.name
    services.item_progress(actor=w.city_admin, item=item, progress=40, note="已签订 40%")
    item.refresh_from_db()
    assert (item.status, item.progress) == (Status.IN_PROGRESS, 40)
    _to_verifying(w, item)
    item.refresh_from_db()
    assert item.status == Status.VERIFYING and item.submitted_by_id == w.city_admin.pk
    services.item_verify(actor=w.city_staff2, item=item, effective=True, comment="复查合格")
    item.refresh_from_db()
    assert (item.status, item.progress) == (Status.CLOSED, 100) and item.ended_at is not None
    assert _statuses(item) == [("", "open"), ("open", "in_progress"), ("in_progress", "verifying"),
                               ("verifying", "closed")]
    verbs = set(AuditEvent.objects.filter(object_type="outcomes.trackeditem", object_id=str(item.pk))
                .values_list("verb", flat=True))
    assert {"outcomes.create", "outcomes.progress", "outcomes.start", "outcomes.evidence_add", "outcomes.submit",
            "outcomes.verdict"} <= verbs


def test_submit_refused_without_evidence_of_effect(w):
    item = make_item(w.city_admin, w.tech)
    services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.NOTE, text="正在整改")  # not of effect
    with pytest.raises(ValidationError, match="成效证据"):
        services.item_submit(actor=w.city_admin, item=item)
    item.refresh_from_db()
    assert item.status == Status.OPEN


def test_effective_verdict_only_from_verifying(w):
    item = make_item(w.city_admin, w.tech)
    with pytest.raises(ValidationError):
        services.item_verify(actor=w.city_staff2, item=item, effective=True)
    item.refresh_from_db()
    assert item.status == Status.OPEN and item.ended_at is None


def test_submitter_cannot_verify_own_submission(w):
    item = make_item(w.city_admin, w.tech)
    _to_verifying(w, item)
    with pytest.raises(DutyConflict):
        services.item_verify(actor=w.city_admin, item=item, effective=True)
    item.refresh_from_db()
    assert item.status == Status.VERIFYING


def test_not_effective_reopens_new_cycle_and_old_evidence_no_longer_counts(w):
    item = make_item(w.city_admin, w.tech)
    _to_verifying(w, item)
    with pytest.raises(ValidationError, match="理由"):
        services.item_verify(actor=w.city_staff2, item=item, effective=False)
    services.item_verify(actor=w.city_staff2, item=item, effective=False, comment="回访发现仍未签订")
    item.refresh_from_db()
    assert (item.status, item.cycle) == (Status.REOPENED, 1) and item.submitted_by_id is None
    with pytest.raises(ValidationError, match="成效证据"):
        services.item_submit(actor=w.city_admin, item=item)  # the first cycle's photo proves nothing now


def test_not_effective_reopens_a_closed_item(w):
    item = make_item(w.city_admin, w.tech)
    _to_verifying(w, item)
    services.item_verify(actor=w.city_staff2, item=item, effective=True)
    services.item_verify(actor=w.city_staff2, item=item, effective=False, comment="回访时问题复发")
    item.refresh_from_db()
    assert item.status == Status.REOPENED and item.ended_at is None and item.cycle == 1


def test_drop_needs_reason_and_ends(w):
    item = make_item(w.city_admin, w.tech)
    with pytest.raises(ValidationError):
        services.item_drop(actor=w.city_admin, item=item, reason=" ")
    services.item_drop(actor=w.city_admin, item=item, reason="误报：企业已提供合同")
    item.refresh_from_db()
    assert item.status == Status.DROPPED and item.ended_at is not None
    with pytest.raises(ValidationError):
        services.item_progress(actor=w.city_admin, item=item, progress=50)


def test_progress_bounds_and_not_while_verifying(w):
    item = make_item(w.city_admin, w.tech)
    for bad in (-1, 101, "x"):
        with pytest.raises(ValidationError, match="进度"):
            services.item_progress(actor=w.city_admin, item=item, progress=bad)
    _to_verifying(w, item)
    with pytest.raises(ValidationError):
        services.item_progress(actor=w.city_admin, item=item, progress=90)


def test_evidence_kinds_need_their_fields(w):
    item = make_item(w.city_admin, w.tech)
    with pytest.raises(ValidationError, match="文号"):
        services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.POLICY)
    with pytest.raises(ValidationError, match="批示"):
        services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.INSTRUCTION, issuer="市领导")
    with pytest.raises(ValidationError, match="文件"):
        services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.PHOTO)
    bad = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError):
        services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.PHOTO, upload=bad)
    ev = services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.POLICY, doc_number="杭政办〔2025〕12号",
                               issuer="杭州市人民政府办公厅", of_effect=True)
    assert ev.cycle == 0 and item.evidence.count() == 1


def test_photo_is_encrypted_at_rest(w):
    item = make_item(w.city_admin, w.tech)
    png = _png()
    raw = png.read()
    ev = services.evidence_add(actor=w.city_admin, item=item, kind=EvidenceKind.PHOTO, upload=png)
    with open(ev.file.path, "rb") as fh:
        stored = fh.read()
    assert raw not in stored and b"PNG" not in stored[:64]
    with ev.file.open("rb") as fh:
        assert fh.read() == raw


def test_scope_and_capability(w):
    item = make_item(w.city_admin, w.tech)
    with pytest.raises(OutOfScope):
        services.item_progress(actor=w.outsider, item=item, progress=10)
    with pytest.raises(PermissionDenied):
        services.item_progress(actor=w.viewer, item=item, progress=10)
    with pytest.raises(OutOfScope):
        make_item(w.outsider, w.tech)
    assert TrackedItem.objects.get(pk=item.pk).progress == 0


def test_link_never_changes_the_other_item(w):
    a = make_item(w.city_admin, w.tech, title="体检发现：加班费计算不规范")
    b = make_item(w.city_admin, w.xihu, title="调研课题：新就业形态工时")
    _to_verifying(w, b)
    before = TrackedItem.objects.filter(pk=b.pk).values("status", "progress", "due_date", "cycle", "ended_at").get()
    services.link_create(actor=w.city_admin, src=a, dst=b, relation="led_to")
    services.item_drop(actor=w.city_admin, item=a, reason="并入调研课题")
    after = TrackedItem.objects.filter(pk=b.pk).values("status", "progress", "due_date", "cycle", "ended_at").get()
    assert before == after
    with pytest.raises(ValidationError):
        services.link_create(actor=w.city_admin, src=a, dst=b, relation="led_to")
    with pytest.raises(ValidationError):
        services.link_create(actor=w.city_admin, src=a, dst=a, relation="related")
    qd = make_item(w.outsider, w.qd_ent)
    with pytest.raises(OutOfScope):
        services.link_create(actor=w.city_admin, src=a, dst=qd, relation="related")


def test_due_change_needs_reason_and_restarts_reminders(w):
    item = make_item(w.city_admin, w.tech, due_date=dt.date(2026, 1, 10))
    services.remind_and_escalate(today=dt.date(2026, 1, 20))
    item.refresh_from_db()
    assert item.escalation_level == 1
    with pytest.raises(ValidationError, match="理由"):
        services.item_set_due(actor=w.city_admin, item=item, due_date=dt.date(2026, 3, 1))
    services.item_set_due(actor=w.city_admin, item=item, due_date=dt.date(2026, 3, 1), reason="企业申请延期")
    item.refresh_from_db()
    assert (item.escalation_level, item.reminded_days) == (0, None)
