"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for the honours routes."""

from __future__ import annotations


def _t():
    from huigong.honours import testing

    return testing


def _honours(w):
    from huigong.honours import services
    from huigong.honours.services.register import person_union

    h = _t().make_honour(w, w.member.person)
    qd = w.qd_member.person
    services.honour_create(actor=w.outsider, union=person_union(qd), title_type="model_worker", level="city",
                           year=2024, granting_body="青岛市人民政府", person=qd)
    return h


def _campaigns(w):
    from huigong.honours import services

    _t().make_campaign(w, title="杭州市劳模评选")
    services.campaign_create(actor=w.outsider, node=w.qingdao, title="青岛市劳模评选", title_type="model_worker",
                             level="city", year=2026, granting_body="青岛市人民政府", levels=["district", "city"],
                             departments=["组织部"])
    return {}


def _list(w, *, submitted=False, at_city=False):
    from huigong.honours import services

    nl = _t().fill_list(w, _t().make_campaign(w))
    if submitted or at_city:
        services.list_submit(actor=w.district_staff, nomination_list=nl)
    if at_city:
        services.list_decide(actor=_t().xihu_admin(w), nomination_list=nl, decision="approved")
    return nl


def _innovations(w):
    from huigong.honours import services

    inv = services.innovation_submit(actor=None, via_portal=True, person=w.member.person, title="杭州闸板改造",
                                     kind="tech", summary="在分级筛下加装可调节闸板，配套旁通溜槽")
    services.innovation_submit(actor=None, via_portal=True, person=w.qd_member.person, title="青岛夜班照明",
                               kind="suggestion", summary="夜班巷道照明不足，建议加装感应灯")
    return inv


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    read = expect(everyone)
    lst = expect(everyone, outsider=200)
    base = "/api/v1"
    return {
        ("GET", f"{base}/honours"): Row(lst, params=lambda w: _honours(w) and {}, markers=("李小红", "赵青岛")),
        ("GET", f"{base}/honours/{{honour_id}}"): Row(read, params=lambda w: {"honour_id": _t().make_honour(w).pk}),
        ("POST", f"{base}/honours"): Row(expect({"admin": 201, "staff": 201}), body=lambda w: {
            "person_id": w.member.person_id, "title_type": "craftsman", "level": "city", "year": 2025,
            "granting_body": "杭州市总工会", "certificate_no": "HZ-2025-1"}),
        ("GET", f"{base}/honour-campaigns"): Row(lst, params=_campaigns, markers=("杭州市劳模评选", "青岛市劳模评选")),
        ("GET", f"{base}/honour-campaigns/lists/{{list_id}}"): Row(read, params=lambda w: {"list_id": _list(w).pk}),
        # The city admin may not send up a list whose city step only she could decide (segregation of duties:
        # a 422 naming the rule).
        ("POST", f"{base}/honour-campaigns/lists/{{list_id}}/submit"): Row(
            expect({"staff": 200, "admin": 422}), params=lambda w: {"list_id": _list(w).pk}),
        ("POST", f"{base}/honour-campaigns/lists/{{list_id}}/decide"): Row(
            expect({"admin": 200}), params=lambda w: {"list_id": _list(w, at_city=True).pk},
            body=lambda w: {"decision": "approved"}),
        ("GET", f"{base}/innovations"): Row(lst, params=lambda w: _innovations(w) and {},
                                            markers=("杭州闸板改造", "青岛夜班照明")),
        ("GET", f"{base}/innovations/{{innovation_id}}"): Row(
            read, params=lambda w: {"innovation_id": _innovations(w).pk}),
        ("POST", f"{base}/innovations"): Row(expect({"admin": 201, "staff": 201}), body=lambda w: {
            "union_id": w.tech.pk, "title": "合理化建议", "kind": "suggestion", "summary": "建议在班前会通报设备隐患",
            "lead_name": "班组"}),
        ("POST", f"{base}/innovations/{{innovation_id}}/review"): Row(
            expect({"admin": 200, "staff": 200}), params=lambda w: {"innovation_id": _innovations(w).pk},
            body=lambda w: {"decision": "accept", "reason": "材料齐全，进入评审"}),
    }
