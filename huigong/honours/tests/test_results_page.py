"""The result-sheet (回盘) upload on an allowance or prize batch's page, the shared form and messages of
core.disbursement.pages: the sheet the system wrote comes back from the bank with its 合计 row, blank rows,
notes under it and (some banks) its columns reordered and renamed, and imports; a bad sheet imports
nothing and names its rows; who may not pay gets a 403 before the upload is read."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.honours import services
from huigong.honours.models import EntitlementKind, EntitlementStatus, PayStatus
from huigong.honours.testing import make_honour, make_innovation, worker
from huigong.members.models import Gender
from huigong.testing import bank_fills, make_staff, result_sheet

pytestmark = pytest.mark.django_db

YEAR = dt.date.today().year


def _allowance_batch(w):
    for name in ("劳模甲", "劳模乙"):
        make_honour(w, worker(w, name))
    batch, skipped = services.allowance_batch_create(actor=w.finance, node=w.xihu, year=YEAR)
    assert skipped == [] and batch.payments.count() == 2
    return "allowance", batch


def _prize_batch(w):
    invs = []
    for title in ("闸板改造", "旁通溜槽"):
        inv = make_innovation(w, title=title, person=worker(w, f"{title}人", Gender.FEMALE))
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="accept", reason="材料齐全，进入评审")
        services.gain_add(actor=w.city_admin, innovation=inv, metric="效益", unit="万元", baseline="0", after="100",
                          annual_value_fen=100, method="财务核算")
        services.innovation_review(actor=w.city_admin, innovation=inv, decision="adopt", reason="效益经核实，予以采纳")
        invs.append(inv)
    judges = [make_staff(w.hangzhou, "viewer", f"pjudge{i}") for i in range(3)]
    r = services.round_create(actor=w.city_admin, node=w.hangzhou, title="创新成果评审", year=2026, panel=judges,
                              innovations=invs, tiers=[("first", 1, 500000), ("second", 1, 200000)])
    for j in judges:
        for k, inv in enumerate(invs):
            services.score_record(actor=j, round=r, innovation=inv, score=[90, 80][k])
    services.round_award(actor=w.city_admin, round=r)
    r.refresh_from_db()
    batch, skipped = services.prize_batch_create(actor=w.finance, round=r)
    assert skipped == [] and batch.payments.count() == 2
    return "prize", batch


def _said(r) -> list[str]:
    return [str(m) for m in get_messages(r.wsgi_request)]


@pytest.mark.parametrize("reorder", [False, True], ids=["as-written", "reordered"])
@pytest.mark.parametrize("make", [_allowance_batch, _prize_batch], ids=["allowance", "prize"])
def test_the_banks_copy_of_our_own_sheet_imports_from_the_page(client, w, make, reorder):
    kind, batch = make(w)
    page = f"/honours/batches/{kind}/{batch.pk}/"
    client.force_login(w.finance)
    html = client.get(page).content.decode()
    assert "data-result-import" in html and f'action="{page}results/"' in html  # the shared form
    sheet = client.post(f"{page}sheet/").content
    paid, failed = batch.payments.order_by("id")
    back = bank_fills(sheet, {paid.idempotency_key: ("成功", "BK-1", ""), failed.idempotency_key: ("失败", "", "户名不符")},
                      reorder=reorder)
    r = client.post(f"{page}results/", {"upload": SimpleUploadedFile("回盘.xlsx", back)})
    assert r.status_code == 302 and r["Location"] == page
    assert _said(r) == ["回盘已导入：到账 1 笔，失败 1 笔，未变 0 笔"]
    paid.refresh_from_db()
    failed.refresh_from_db()
    assert (paid.status, paid.bank_reference) == (PayStatus.PAID, "BK-1")
    assert (failed.status, failed.failure_reason) == (PayStatus.FAILED, "户名不符")
    if kind == "allowance":
        assert paid.entitlement.status == EntitlementStatus.DELIVERED
        assert failed.entitlement.status == EntitlementStatus.DUE
    # The same sheet again changes nothing.
    r = client.post(f"{page}results/", {"upload": SimpleUploadedFile("回盘.xlsx", back)})
    assert _said(r)[-1] == "回盘已导入：到账 0 笔，失败 0 笔，未变 2 笔"


def test_a_bad_sheet_imports_nothing_and_names_its_rows(client, w):
    kind, batch = _allowance_batch(w)
    page = f"/honours/batches/{kind}/{batch.pk}/"
    good = batch.payments.order_by("id").first()
    rows = [[1, good.payee_name, good.bank_account_mask, "工商银行", good.amount_fen / 100, "津贴",
             good.idempotency_key, "成功", "B1", ""],
            [2, "某人", "**** 0000", "工商银行", 30, "津贴", "NOPE-2", "成功", "B2", ""]]
    client.force_login(w.finance)
    r = client.post(f"{page}results/", {"upload": SimpleUploadedFile("回盘.xlsx", result_sheet(rows))})
    said = _said(r)
    assert said[0] == "回盘未导入：发现 1 处问题，整表未登记任何一笔，请改正后重新上传", said
    assert "第 3 行" in said[1].replace("第3行", "第 3 行") and "NOPE-2" in said[1], said
    assert not batch.payments.filter(status=PayStatus.PAID).exists()
    assert not good.entitlement.honour.entitlements.filter(kind=EntitlementKind.ALLOWANCE,
                                                           status=EntitlementStatus.DELIVERED).exists()


def test_who_may_not_pay_is_refused_before_the_upload_is_read(client, w):
    kind, batch = _allowance_batch(w)
    for user in (w.district_staff, w.outsider):
        client.force_login(user)
        r = client.post(f"/honours/batches/{kind}/{batch.pk}/results/", {})
        assert r.status_code in (403, 404), (user, r.status_code)
        assert _said(r) == []
