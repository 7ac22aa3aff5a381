"""The tracker's pages: a whole item's life through the forms, refusals shown on the page, the sheet."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from huigong.core.models import AccessLog
from huigong.core.outcomes.models import Status, TrackedItem
from huigong.core.outcomes.testing import make_item

pytestmark = pytest.mark.django_db


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (6, 6), (0, 120, 0)).save(buf, "PNG")
    buf.name = "after.png"
    buf.seek(0)
    return buf


def test_item_life_through_the_pages(client, w):
    item = make_item(w.city_admin, w.tech, title="工资支付台账不全")
    act = reverse("outcomes:act", args=[item.pk])
    client.force_login(w.city_admin)
    r = client.post(act, {"action": "submit"}, follow=True)
    assert "成效证据" in r.content.decode()  # refused, said on the page
    assert TrackedItem.objects.get(pk=item.pk).status == Status.OPEN
    client.post(act, {"action": "progress", "progress": "50", "note": "已补齐半年台账"})
    client.post(act, {"action": "evidence", "kind": "photo", "upload": _png(), "of_effect": "on", "title": "台账照片"})
    client.post(act, {"action": "submit", "note": "整改完毕"})
    r = client.post(act, {"action": "effective"}, follow=True)
    assert "职责分离" in r.content.decode()
    client.force_login(w.city_staff2)
    client.post(act, {"action": "effective", "comment": "现场核验合格"})
    item.refresh_from_db()
    assert (item.status, item.progress) == (Status.CLOSED, 100)
    page = client.get(reverse("outcomes:detail", args=[item.pk])).content.decode()
    assert "台账照片" in page and "现场核验合格" in page and "已办结" in page
    ev = item.evidence.get()
    r = client.get(reverse("outcomes:evidence_file", args=[ev.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\x89PNG")
    assert AccessLog.objects.filter(object_type="outcomes.evidence", object_id=str(ev.pk)).exists()


def test_list_filters_and_export_import(client, w):
    make_item(w.city_admin, w.tech, title="女职工专项合同缺失")
    make_item(w.outsider, w.qd_ent, title="青岛的事项")
    client.force_login(w.city_admin)
    page = client.get(reverse("outcomes:list"), {"q": "女职工"}).content.decode()
    assert "女职工专项合同缺失" in page and "青岛的事项" not in page
    csv_bytes = client.get(reverse("outcomes:export")).content
    assert "女职工专项合同缺失" in csv_bytes.decode("utf-8-sig") and "青岛" not in csv_bytes.decode("utf-8-sig")
    up = io.BytesIO(csv_bytes)
    up.name = "outcomes.csv"
    r = client.post(reverse("outcomes:import"), {"upload": up})
    assert r.status_code == 302
    bad = io.BytesIO("编号,类型\n1,2\n".encode())
    bad.name = "bad.csv"
    r = client.post(reverse("outcomes:import"), {"upload": bad})
    assert r.status_code == 200 and "表头" in r.content.decode()


def test_viewer_sees_but_cannot_act(client, w):
    item = make_item(w.city_admin, w.tech)
    client.force_login(w.viewer)
    assert client.get(reverse("outcomes:detail", args=[item.pk])).status_code == 200
    r = client.post(reverse("outcomes:act", args=[item.pk]), {"action": "progress", "progress": "10"})
    assert r.status_code == 403
    assert TrackedItem.objects.get(pk=item.pk).progress == 0
