"""The outcome tracker's API (api/outcomes.py): filters, the item with its evidence and links, the timeline,
the transitions through the tracker's services (and their refusals), and the export — all scoped to the
caller's subtree. The world is built once for the module; each test's writes are rolled back."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io

import pytest

from .conftest import ApiClient, make_token

URL = "/api/v1/outcomes/items"


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.core.outcomes import services as s
        from huigong.core.outcomes.testing import make_item
        from huigong.testing import Cast

        c = Cast().build()
        today = dt.date.today()
        c.late = make_item(c.city_admin, c.tech, title="补签劳动合同", owner_name="杭州某科技有限公司",
                           due_date=today - dt.timedelta(days=3))
        c.soon = make_item(c.city_admin, c.riders, title="骑手休息点建设", owner_name="某外卖平台",
                           due_date=today + dt.timedelta(days=20))
        c.nodue = make_item(c.city_admin, c.xihu, title="职工书屋", owner_name="西湖区总工会")
        c.qd = make_item(c.outsider, c.qd_ent, title="青岛加班费整改", due_date=today - dt.timedelta(days=3))
        s.item_progress(actor=c.district_staff, item=c.soon, progress=30, note="选址完成")
        s.link_create(actor=c.city_admin, src=c.late, dst=c.soon, relation="led_to", note="同一企业")
        c.tokens = {name: make_token(getattr(c, name)) for name in
                    ("city_admin", "district_staff", "tech_staff", "viewer", "finance", "outsider")}
        return c

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def api(w, who: str) -> ApiClient:
    return ApiClient(w.tokens[who])


def titles(r) -> list[str]:
    assert r.status_code == 200, r.content
    return sorted(i["title"] for i in r.json()["items"])


def test_filters_by_status_owner_due_and_overdue(w):
    a = api(w, "city_admin")
    assert titles(a.get(URL)) == ["职工书屋", "补签劳动合同", "骑手休息点建设"]  # Qingdao's left out
    assert titles(a.get(URL, {"status": "in_progress"})) == ["骑手休息点建设"]
    assert titles(a.get(URL, {"owner": "外卖"})) == ["骑手休息点建设"]
    assert titles(a.get(URL, {"overdue": "true"})) == ["补签劳动合同"]
    assert titles(a.get(URL, {"overdue": "false"})) == ["职工书屋", "骑手休息点建设"]
    today = dt.date.today()
    assert titles(a.get(URL, {"due_from": today.isoformat()})) == ["骑手休息点建设"]
    assert titles(a.get(URL, {"due_to": today.isoformat()})) == ["补签劳动合同"]
    assert titles(a.get(URL, {"union_id": w.riders.pk})) == ["骑手休息点建设"]
    assert titles(api(w, "tech_staff").get(URL)) == ["补签劳动合同"]  # a grassroots union sees its own
    row = a.get(URL, {"overdue": "true"}).json()["items"][0]
    assert row["overdue"] is True and row["status_label"] == "待办理" and row["node"]["name"] == "杭州某科技公司工会"


def test_filter_refusals_name_the_field(w):
    a = api(w, "city_admin")
    r = a.get(URL, {"due_from": "2026-05-01", "due_to": "2026-04-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "due_to"
    r = a.get(URL, {"union_id": w.qd_ent.pk})  # another subtree's union: as if it did not exist
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "union_id"
    assert a.get(URL, {"status": "finished"}).status_code == 422


def test_detail_evidence_timeline_and_links_scoped(w):
    a = api(w, "city_admin")
    r = a.post(f"{URL}/{w.late.pk}/evidence", {"kind": "policy", "doc_number": "杭工发〔2026〕3号",
                                               "title": "劳动合同专项通知", "of_effect": True})
    assert r.status_code == 201, r.content
    assert r.json()["doc_number"] == "杭工发〔2026〕3号" and r.json()["has_file"] is False
    d = a.get(f"{URL}/{w.late.pk}").json()
    assert [e["kind"] for e in d["evidence"]] == ["policy"] and d["evidence"][0]["of_effect"] is True
    assert [(x["other_title"], x["outgoing"], x["relation"]) for x in d["links"]] == [("骑手休息点建设", True, "led_to")]
    # The tech union's staff cannot see 骑手联合工会's item: the link is left out of its view, not leaked.
    assert api(w, "tech_staff").get(f"{URL}/{w.late.pk}").json()["links"] == []
    tl = a.get(f"{URL}/{w.late.pk}/timeline").json()
    assert [e["kind"] for e in tl["items"]] == ["created", "link", "evidence"]
    r = a.post(f"{URL}/{w.late.pk}/notes", {"text": "约谈企业负责人"})
    assert r.status_code == 201 and r.json()["kind"] == "note"
    assert a.get(f"{URL}/{w.late.pk}/timeline").json()["items"][-1]["text"] == "约谈企业负责人"
    assert [e["title"] for e in a.get(f"{URL}/{w.late.pk}/evidence").json()] == ["劳动合同专项通知"]


def test_outsider_and_reader_are_refused(w):
    out = api(w, "outsider")
    assert out.get(f"{URL}/{w.late.pk}").status_code == 404
    assert out.post(f"{URL}/{w.late.pk}/progress", {"progress": 50}).status_code == 404
    assert api(w, "viewer").post(f"{URL}/{w.late.pk}/progress", {"progress": 50}).status_code == 403
    assert api(w, "viewer").get(f"{URL}/export").status_code == 403
    w.late.refresh_from_db()
    assert w.late.progress == 0


def test_close_needs_evidence_of_effect_and_another_verifier(w):
    from huigong.core.outcomes.models import TrackedItem

    staff, admin = api(w, "district_staff"), api(w, "city_admin")
    r = staff.post(f"{URL}/{w.late.pk}/submit", {})
    assert r.status_code == 422 and "成效证据" in r.json()["detail"][0]["message"]
    r = staff.post(f"{URL}/{w.late.pk}/evidence", {"kind": "note", "text": "已全部补签", "of_effect": True})
    assert r.status_code == 201
    assert staff.post(f"{URL}/{w.late.pk}/submit", {"note": "完成"}).json()["status"] == "verifying"
    # Whoever submitted may not give the verdict on it.
    assert staff.post(f"{URL}/{w.late.pk}/verdict", {"effective": True}).status_code == 403
    assert TrackedItem.objects.get(pk=w.late.pk).status == "verifying"
    # Reopen is for a closed item only.
    assert admin.post(f"{URL}/{w.late.pk}/reopen", {"comment": "复发"}).status_code == 422
    d = admin.post(f"{URL}/{w.late.pk}/verdict", {"effective": True, "comment": "回访确认"}).json()
    assert (d["status"], d["progress"]) == ("closed", 100) and d["ended_at"]
    # A "not effective" verdict later reopens it in a new cycle: the old evidence no longer counts.
    d = admin.post(f"{URL}/{w.late.pk}/reopen", {"comment": "回访发现问题复发"}).json()
    assert (d["status"], d["cycle"], d["ended_at"]) == ("reopened", 1, None)
    assert staff.post(f"{URL}/{w.late.pk}/submit", {}).status_code == 422
    # The linked item is never moved by any of this.
    soon = TrackedItem.objects.get(pk=w.soon.pk)
    assert (soon.status, soon.progress) == ("in_progress", 30)


def test_not_effective_verdict_needs_a_reason(w):
    from huigong.core.outcomes import services as s

    s.evidence_add(actor=w.tech_staff, item=w.late, kind="note", text="已补签", of_effect=True)
    s.item_submit(actor=w.tech_staff, item=w.late)
    r = api(w, "city_admin").post(f"{URL}/{w.late.pk}/verdict", {"effective": False})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "comment"
    r = api(w, "city_admin").post(f"{URL}/{w.late.pk}/verdict", {"effective": False, "comment": "抽查仍未签"})
    assert r.json()["status"] == "reopened"


def test_progress_due_and_drop(w):
    a = api(w, "city_admin")
    assert a.post(f"{URL}/{w.late.pk}/progress", {"progress": 101}).status_code == 422
    d = a.post(f"{URL}/{w.late.pk}/progress", {"progress": 60, "note": "已签 60%"}).json()
    assert (d["status"], d["progress"]) == ("in_progress", 60)
    r = a.post(f"{URL}/{w.late.pk}/due", {"due_date": "2030-01-31"})  # moving a due date needs a reason
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"
    d = a.post(f"{URL}/{w.late.pk}/due", {"due_date": "2030-01-31", "reason": "企业申请延期"}).json()
    assert d["due_date"] == "2030-01-31" and d["overdue"] is False
    assert a.post(f"{URL}/{w.late.pk}/drop", {"reason": ""}).status_code == 422
    assert a.post(f"{URL}/{w.late.pk}/drop", {"reason": "重复登记"}).json()["status"] == "dropped"
    assert a.post(f"{URL}/{w.late.pk}/progress", {"progress": 70}).status_code == 422


def test_export_is_the_pages_sheet_scoped(w):
    from huigong.core.outcomes import selectors, transfer

    r = api(w, "finance").get(f"{URL}/export", {"overdue": "false"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r.content == transfer.export_csv(selectors.items_for_actor(w.finance, overdue=False))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row[3] for row in rows[1:]) == ["职工书屋", "骑手休息点建设"]
    r = api(w, "city_admin").get(f"{URL}/export", {"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK" and "青岛" not in str(transfer.read_sheet(r.content, "x.xlsx"))
    assert len(transfer.read_sheet(r.content, "x.xlsx")) == 4
