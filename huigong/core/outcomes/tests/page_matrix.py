"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py) for the tracker's pages. The
rows' objects are written with the ORM, not the services: the matrix counts audit events around each
request, and the builders run inside that count."""


def _item(c) -> int:
    from django.utils import timezone

    from huigong.core.outcomes.models import TrackedItem
    from huigong.core.outcomes.testing import TEST_KIND

    return TrackedItem.objects.create(kind=TEST_KIND.code, title="杭州某科技公司加班费整改", node=c.tech,
                                      owner_name="杭州某科技有限公司", created_at=timezone.now()).pk


def _evidence(c) -> int:
    import io

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from PIL import Image

    from huigong.core.outcomes.models import Evidence

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    ev = Evidence(item_id=_item(c), kind="photo", content_type="image/png", added_at=timezone.now())
    ev.file.save("e.png", ContentFile(buf.getvalue()), save=True)
    return ev.pk


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "outcomes:list": (lambda c: [], None, "GET"),
    "outcomes:export": (lambda c: [], "export", "GET"),
    "outcomes:import": (lambda c: [], None, "POST"),
    "outcomes:detail": (lambda c: [_item(c)], None, "GET"),
    "outcomes:act": (lambda c: [_item(c)], "member_write", "POST"),
    "outcomes:evidence_file": (lambda c: [_evidence(c)], None, "GET"),
}
