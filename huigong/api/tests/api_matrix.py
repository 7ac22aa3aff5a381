"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the audit log's routes
(the API surface's own router, api/audit.py).
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations


def _items(w, which: str = "item_id") -> dict:
    """Tracked items of the kernel's test kind on both sides: one open (with evidence of effect), one waiting
    for a verdict (submitted by 杭州某科技公司's staff, so no matrix role is its submitter), one closed;
    `which` of them is the route's {item_id}."""
    import datetime as dt

    from huigong.core.outcomes import services as s
    from huigong.core.outcomes.testing import make_item

    make_item(w.outsider, w.qd_ent, title="青岛整改事项", due_date=dt.date(2020, 1, 1))
    item = make_item(w.city_admin, w.tech, title="杭州整改事项", owner_name="杭州某科技有限公司",
                     due_date=dt.date(2020, 1, 1))
    verifying = make_item(w.city_admin, w.tech, title="杭州待验证事项")
    closed = make_item(w.city_admin, w.tech, title="杭州已办结事项")
    for it in (item, verifying, closed):
        s.evidence_add(actor=w.tech_staff, item=it, kind="note", text="已整改并回访", of_effect=True)
    for it in (verifying, closed):
        s.item_submit(actor=w.tech_staff, item=it)
    s.item_verify(actor=w.district_staff, item=closed, effective=True)
    return {"item_id": {"item_id": item, "verifying_id": verifying, "closed_id": closed}[which].pk}


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    AUDIT = expect({"admin": 200, "leader": 200}, outsider=200)
    writers = {"admin": 200, "staff": 200}
    exporters = {"admin": 200, "staff": 200, "finance": 200, "leader": 200}
    item = "/api/v1/outcomes/items/{item_id}"
    return {
        # Outcome tracker (api/outcomes.py)
        ("GET", "/api/v1/outcomes/items"): Row(expect(everyone, outsider=200), params=_items,
                                               markers=("杭州整改事项", "青岛整改事项")),
        ("GET", "/api/v1/outcomes/items/export"): Row(expect(exporters, outsider=200), params=_items,
                                                      markers=("杭州整改事项", "青岛整改事项")),
        ("GET", item): Row(expect(everyone), params=_items),
        ("GET", item + "/timeline"): Row(expect(everyone), params=_items),
        ("GET", item + "/evidence"): Row(expect(everyone), params=_items),
        ("POST", item + "/notes"): Row(expect({"admin": 201, "staff": 201}), params=_items,
                                       body=lambda w: {"text": "已约谈企业负责人"}),
        ("POST", item + "/progress"): Row(expect(writers), params=_items,
                                          body=lambda w: {"progress": 40, "note": "已补签合同"}),
        ("POST", item + "/evidence"): Row(expect({"admin": 201, "staff": 201}), params=_items,
                                          body=lambda w: {"kind": "policy", "doc_number": "杭工发〔2026〕3号"}),
        ("POST", item + "/submit"): Row(expect(writers), params=_items, body=lambda w: {"note": "整改完成"}),
        ("POST", item + "/drop"): Row(expect(writers), params=_items, body=lambda w: {"reason": "重复登记"}),
        ("POST", item + "/due"): Row(expect(writers), params=_items,
                                     body=lambda w: {"due_date": "2030-06-30", "reason": "企业申请延期"}),
        ("POST", item + "/verdict"): Row(expect(writers), params=lambda w: _items(w, "verifying_id"),
                                         body=lambda w: {"effective": True, "comment": "回访确认"}),
        ("POST", item + "/reopen"): Row(expect(writers), params=lambda w: _items(w, "closed_id"),
                                        body=lambda w: {"comment": "回访发现问题复发"}),
    } | {
        # Audit
        ("GET", "/api/v1/audit"): Row(AUDIT, markers=("李小红", "赵青岛")),
        ("GET", "/api/v1/audit/access-log"): Row(AUDIT, markers=("杭州核对", "青岛核对")),
    }
