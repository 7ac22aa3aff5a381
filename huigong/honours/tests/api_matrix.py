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


def _year():
    import datetime as dt

    return dt.date.today().year


def _case(w, *, at_city=False):
    """A revocation of 李小红's city title proposed by 西湖区; at_city: the district step decided."""
    from huigong.honours import services

    case = services.revocation_propose(actor=w.district_staff, node=w.xihu, honours=[_honours(w)], ground="fraud",
                                       grounds_text="弄虚作假骗取荣誉，经查属实", evidence=_t().pdf_file())
    if at_city:
        services.revocation_decide(actor=_t().xihu_admin(w), case=case, decision="approved")
    return case


def _entitlement(w):
    return _honours(w).entitlements.exclude(kind="allowance").first()


def _allowance_batch(w):
    import datetime as dt

    from huigong.honours import services

    _honours(w)
    p = w.member.person
    p.bank_name, p.bank_account, p.bank_account_mask = "中国工商银行", "6222020000001234", "**** **** 1234"
    p.save()
    batch, _s = services.allowance_batch_create(actor=w.finance, node=w.xihu, year=dt.date.today().year)
    w._upload_payment = batch.payments.get()
    return {"kind": "allowance", "batch_id": batch.pk}


def _result_upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from huigong.testing import result_sheet

    p = w._upload_payment
    row = [1, p.payee_name, p.bank_account_mask, p.bank_name, p.amount_fen / 100, "津贴", p.idempotency_key, "成功",
           "B-1", ""]
    return {"file": SimpleUploadedFile("result.xlsx", result_sheet([row]))}


def _awarded_round(w):
    from huigong.honours import services
    from huigong.testing import make_staff

    inv = _t().make_innovation(w, person=_t().worker(w, "获奖人"))
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="材料齐全进入评审")
    services.gain_add(actor=w.city_admin, innovation=inv, metric="入洗量", unit="吨", baseline="800", after="2400",
                      annual_value_fen=0, method="班报")
    services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="效益核实予以采纳")
    judges = [make_staff(w.xihu, "viewer", f"mjudge{i}") for i in range(3)]
    r = services.round_create(actor=w.city_admin, node=w.xihu, title="西湖区创新成果评审", year=2026, panel=judges,
                              innovations=[inv], tiers=[("first", 1, 100000)])
    for j in judges:
        services.score_record(actor=j, round=r, innovation=inv, score=90)
    services.round_award(actor=w.city_admin, round=r)
    return r


def _evidence_upload(w):
    return {"honour_ids": [_honours(w).pk], "ground": "fraud", "grounds_text": "弄虚作假骗取荣誉，经查属实",
            "evidence": _t().pdf_file()}


# Routes that name a Hangzhou object (a union, titles, a judging round) in the body: the outsider's 422.
NAMED_IN_BODY = [("POST", "/api/v1/honour-revocations"), ("POST", "/api/v1/honour-entitlements/schedule"),
                 ("POST", "/api/v1/honour-payments/allowance-batches"),
                 ("POST", "/api/v1/honour-payments/prize-batches")]


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
        ("GET", f"{base}/honour-revocations"): Row(lst, params=lambda w: _case(w) and {}),
        ("GET", f"{base}/honour-revocations/{{case_id}}"): Row(read, params=lambda w: {"case_id": _case(w).pk}),
        # The city admin alone at the city step: her own proposal could only be decided by herself (422).
        ("POST", f"{base}/honour-revocations"): Row(expect({"staff": 201, "admin": 422}), upload=_evidence_upload),
        ("POST", f"{base}/honour-revocations/{{case_id}}/decide"): Row(
            expect({"admin": 200}), params=lambda w: {"case_id": _case(w, at_city=True).pk},
            body=lambda w: {"decision": "approved"}),
        ("GET", f"{base}/honour-entitlements"): Row(lst, params=lambda w: _honours(w) and {},
                                                    markers=("李小红", "赵青岛")),
        ("GET", f"{base}/honour-entitlements/due"): Row(lst, params=lambda w: _honours(w) and {},
                                                        markers=("李小红", "赵青岛")),
        ("POST", f"{base}/honour-entitlements/schedule"): Row(
            expect({"admin": 200, "staff": 200}), body=lambda w: _honours(w) and {"union_id": w.xihu.pk, "year": _year()}),
        ("POST", f"{base}/honour-entitlements/{{entitlement_id}}/deliver"): Row(
            expect({"admin": 200, "staff": 200}), params=lambda w: {"entitlement_id": _entitlement(w).pk},
            body=lambda w: {"delivered_on": "2026-01-05", "note": "市总工会组织体检"}),
        ("POST", f"{base}/honour-payments/allowance-batches"): Row(
            expect({"finance": 201}), body=lambda w: _honours(w) and {"union_id": w.xihu.pk, "year": _year()}),
        ("POST", f"{base}/honour-payments/prize-batches"): Row(
            expect({"finance": 201}), body=lambda w: {"round_id": _awarded_round(w).pk}),
        ("POST", f"{base}/honour-payments/batches/{{kind}}/{{batch_id}}/bank-sheet"): Row(
            expect({"finance": 200}), params=_allowance_batch),
        ("POST", f"{base}/honour-payments/batches/{{kind}}/{{batch_id}}/bank-results"): Row(
            expect({"finance": 200}), params=_allowance_batch, upload=_result_upload),
        ("POST", f"{base}/innovations/{{innovation_id}}/review"): Row(
            expect({"admin": 200, "staff": 200}), params=lambda w: {"innovation_id": _innovations(w).pk},
            body=lambda w: {"decision": "accept", "reason": "材料齐全，进入评审"}),
    }
