"""Attendance sheets per session and half-day (.xlsx; the PDF where the CJK font is installed), scoped to
the actor's subtree for events owned above it, and the console pages that serve them."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from huigong.activities import attendance, services
from huigong.activities.models import EventSession, Registration
from huigong.activities.testing import make_event, member, session_of
from huigong.core.pdf import cjk_font_installed

pytestmark = pytest.mark.django_db


def _session_with_people(cast):
    s = session_of(make_event(cast.city_admin, cast.hangzhou, total=10, max_companions=1, title="杭州工匠讲座"))
    a = member(cast.city_admin, cast.tech, "上午来")
    b = member(cast.city_admin, cast.riders, "下午来")
    c = member(cast.city_admin, cast.tech, "没来")
    ra = services.register(actor=cast.city_admin, session=s, person=a, companions=["家属"])
    rb = services.register(actor=cast.city_admin, session=s, person=b)
    services.register(actor=cast.city_admin, session=s, person=c)
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    Registration.objects.filter(pk=ra.pk).update(checked_in_at=day)
    Registration.objects.filter(pk=rb.pk).update(checked_in_at=day.replace(hour=14))
    return EventSession.objects.select_related("event__node").get(pk=s.pk)


def test_sheet_rows_and_half_days(cast):
    s = _session_with_people(cast)
    rows = attendance.sheet_rows(cast.city_admin, s)
    assert [r["name"] for r in rows] == ["上午来", "家属", "没来", "下午来"] or len(rows) == 4
    assert sum(1 for r in rows if r["at"]) == 2
    am = attendance.sheet_rows(cast.city_admin, s, half="am")
    assert [r["name"] for r in am if r["at"]] == ["上午来"]
    # District staff see their own subtree's rows only of an event the city owns.
    assert {r["unit"] for r in attendance.sheet_rows(cast.tech_staff, s)} == {"杭州某科技公司工会"}


def test_sheet_xlsx_download(cast, client):
    s = _session_with_people(cast)
    client.force_login(cast.city_admin)
    r = client.get(reverse("activities:attendance_sheet", args=[s.pk, "xlsx"]))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    names = [row[1] for row in sheet[4:8]]
    assert set(names) == {"上午来", "家属", "没来", "下午来"}
    assert any("应到 4 人，实到 2 人" in str(row[0]) for row in sheet)
    assert not any("3301" in str(row[2]) and "*" not in str(row[2]) for row in sheet[4:8])  # masked ID numbers


@pytest.mark.skipif(not cjk_font_installed(), reason="no CJK font on this machine")
def test_sheet_and_certificate_pdf(cast):
    s = _session_with_people(cast)
    data = attendance.sheet_pdf(s, attendance.sheet_rows(cast.city_admin, s))
    assert data.startswith(b"%PDF")
    reg = Registration.objects.select_related("person", "session__event__node").get(session=s, seq=0,
                                                                                   checked_in_at__hour=9)
    assert attendance.certificate_pdf(reg).startswith(b"%PDF")
    assert attendance.certificate_check(attendance.certificate_token(reg)).pk == reg.pk


def test_console_pages_with_data(cast, client):
    s = _session_with_people(cast)
    client.force_login(cast.city_admin)
    page = client.get(reverse("activities:session_detail", args=[s.pk])).content.decode()
    assert "上午来" in page and "家属" in page
    page = client.get(reverse("activities:event_detail", args=[s.event_id])).content.decode()
    assert "杭州工匠讲座" in page
    r = client.post(reverse("activities:event_create"), {
        "title": "新活动", "kind": "lecture", "node": cast.xihu.pk, "address": "教工路", "allocation": "first_come",
        "max_companions": 0})
    assert r.status_code == 302
    start = timezone.localtime() + dt.timedelta(days=2)
    event_id = int(r["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("activities:session_add", args=[event_id]), {
        "title": "上午场", "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"), "total": 20, "waitlist": "on"})
    assert EventSession.objects.filter(event_id=event_id, total=20).exists()
    client.post(reverse("activities:event_action", args=[event_id, "publish"]))
    page = client.get(reverse("activities:event_detail", args=[event_id])).content.decode()
    assert "已发布" in page
