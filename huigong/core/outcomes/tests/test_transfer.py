"""The sheet: an export imported unchanged changes nothing and exports identically (CSV and xlsx); edits go
through the services; a forbidden change refuses the whole file naming its row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from huigong.core.outcomes import services, transfer
from huigong.core.outcomes.models import Status, TimelineEntry, TrackedItem
from huigong.core.outcomes.selectors import items_for_actor
from huigong.core.outcomes.testing import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(w):
    a = make_item(w.city_admin, w.tech, title="=HYPERLINK(\"x\")加班费", due_date=dt.date(2026, 6, 30),
                  category="wage")
    b = make_item(w.city_admin, w.xihu, title="劳动合同续签", due_date=dt.date(2026, 1, 5))
    services.item_progress(actor=w.city_admin, item=b, progress=30)
    make_item(w.city_admin, w.riders, title="骑手休息点建设")
    make_item(w.outsider, w.qd_ent, title="青岛的事项")
    return a, b


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_unchanged(w, items, fmt):
    qs = items_for_actor(w.city_admin)
    export = transfer.export_csv if fmt == "csv" else transfer.export_xlsx
    first = export(qs, today=dt.date(2026, 3, 1))
    before = list(TrackedItem.objects.order_by("pk").values())
    entries = TimelineEntry.objects.count()
    result = transfer.import_sheet(actor=w.city_admin, data=first, filename=f"x.{fmt}")
    assert (result.errors, result.changed, result.rows) == ([], 0, 3)
    assert list(TrackedItem.objects.order_by("pk").values()) == before
    assert TimelineEntry.objects.count() == entries
    second = export(items_for_actor(w.city_admin), today=dt.date(2026, 3, 1))
    if fmt == "csv":
        assert second == first
    else:
        assert transfer.read_sheet(second, "x.xlsx") == transfer.read_sheet(first, "x.xlsx")


def test_csv_quotes_formula_cells(w, items):
    rows = _rows(transfer.export_csv(items_for_actor(w.city_admin)))
    assert any(r[3].startswith("'=HYPERLINK") for r in rows[1:])


def test_edits_apply_through_services(w, items):
    a, b = items
    rows = _rows(transfer.export_csv(items_for_actor(w.city_admin)))
    col = {k: i for i, (k, _h) in enumerate(transfer.COLUMNS)}
    for r in rows[1:]:
        if r[0] == str(a.pk):
            r[col["progress"]], r[col["status"]] = "60", "推进中"
            r[col["due_date"]], r[col["reason"]] = "2026/7/15", "企业申请延期"
            r[col["owner_name"]] = "杭州某科技有限公司人事部"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    result = transfer.import_sheet(actor=w.city_admin, data=buf.getvalue().encode(), filename="x.csv")
    assert result.errors == [] and result.changed == 1
    a.refresh_from_db()
    assert (a.progress, a.status, a.due_date, a.owner_name) == (60, Status.IN_PROGRESS, dt.date(2026, 7, 15),
                                                                 "杭州某科技有限公司人事部")


@pytest.mark.parametrize("edit,message", [
    ({"status": "已办结"}, "不能由"),
    ({"progress": "120"}, "进度"),
    ({"due_date": "2026-13-01"}, "不是日期"),
    ({"due_date": "2026-09-01"}, "调整说明"),
    ({"status": "已撤销"}, "理由"),
    ({"id": "999999"}, "不在您的管辖范围内"),
])
def test_forbidden_edit_refuses_whole_file(w, items, edit, message):
    a, b = items
    rows = _rows(transfer.export_csv(items_for_actor(w.city_admin)))
    col = {k: i for i, (k, _h) in enumerate(transfer.COLUMNS)}
    for r in rows[1:]:
        if r[0] == str(b.pk):
            r[col["progress"]] = "80"  # a valid change on another row: must not be applied either
        if r[0] == str(a.pk):
            for k, v in edit.items():
                r[col[k]] = v
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    before = list(TrackedItem.objects.order_by("pk").values())
    result = transfer.import_sheet(actor=w.city_admin, data=buf.getvalue().encode(), filename="x.csv")
    assert result.changed == 0 and any(message in e and "第" in e for e in result.errors), result.errors
    assert list(TrackedItem.objects.order_by("pk").values()) == before


def test_outsider_cannot_touch_our_rows(w, items):
    data = transfer.export_csv(items_for_actor(w.city_admin))
    result = transfer.import_sheet(actor=w.outsider, data=data, filename="x.csv")
    assert result.changed == 0 and len(result.errors) == 3


def test_wrong_header_is_refused(w):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="表头"):
        transfer.import_sheet(actor=w.city_admin, data="a,b,c\n1,2,3\n".encode(), filename="x.csv")
