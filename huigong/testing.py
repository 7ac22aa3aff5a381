"""Shared test cast and builders (used by every app's tests and by the route x role matrix).

Tree:  全国总工会 → 浙江省总 → 杭州市总 → 西湖区总 → 西湖骑手联合工会 / 某科技公司工会
                          → 山东省总 → 青岛市总 → 青岛高新区总 → 高新某企业工会   (the outsider's subtree)
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.contrib.auth import get_user_model

from huigong.accounts.models import Role, StaffProfile
from huigong.core import idnumber, uscc
from huigong.members.models import EmploymentForm, Membership
from huigong.members.services import member_register
from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel, UnionNode

_seq = itertools.count(1)
_rng = random.Random(20261125)


def new_id_number(region: str = "330106", gender: str | None = None) -> str:
    return idnumber.random_number(_rng, region, gender=gender)


def new_phone() -> str:
    return "13" + f"{_rng.randint(0, 999_999_999):09d}"


def new_uscc() -> str:
    body = "91330106" + "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return uscc.make(body)


def make_node(parent: UnionNode | None, name: str, level: str, region: str = "330106") -> UnionNode:
    code = f"T{next(_seq):05d}"
    if parent is None:
        return UnionNode.objects.add_root({"code": code, "name": name, "level": level, "region_code": region})
    parent = UnionNode.objects.get(pk=parent.pk)
    return UnionNode.objects.add_child(parent, {"code": code, "name": name, "level": level, "region_code": region})


def make_staff(node: UnionNode, role: str = Role.ADMIN, username: str | None = None, password: str = "pw-Test-12345"):
    User = get_user_model()
    username = username or f"u{next(_seq)}"
    user = User.objects.create_user(username=username, password=password)
    StaffProfile.objects.create(user=user, node=node, role=role, display_name=username)
    return user


def make_enterprise(union: UnionNode, name: str = "测试科技有限公司", kind: str = EnterpriseKind.ENTERPRISE
                    ) -> Enterprise:
    return Enterprise.objects.create(name=f"{name}{next(_seq)}", uscc=new_uscc(), kind=kind, union=union,
                                     industry="信息技术", size="medium")


def make_member(actor, union: UnionNode, name: str = "张三", **kw) -> Membership:
    kw.setdefault("id_number", new_id_number())
    kw.setdefault("phone", new_phone())
    kw.setdefault("employment_form", EmploymentForm.CONTRACT)
    kw.setdefault("joined_on", dt.date(2024, 3, 1))
    return member_register(actor=actor, union=union, name=name, **kw)


class Cast:
    """The standard cast; attributes are created by `build()`."""

    def build(self) -> Cast:
        self.root = make_node(None, "中华全国总工会", NodeLevel.NATIONAL, "100000")
        self.zhejiang = make_node(self.root, "浙江省总工会", NodeLevel.PROVINCE, "330000")
        self.hangzhou = make_node(self.zhejiang, "杭州市总工会", NodeLevel.CITY, "330100")
        self.xihu = make_node(self.hangzhou, "西湖区总工会", NodeLevel.DISTRICT, "330106")
        self.riders = make_node(self.xihu, "西湖区骑手联合工会", NodeLevel.JOINT, "330106")
        self.tech = make_node(self.xihu, "杭州某科技公司工会", NodeLevel.GRASSROOTS, "330106")
        self.shandong = make_node(self.root, "山东省总工会", NodeLevel.PROVINCE, "370000")
        self.qingdao = make_node(self.shandong, "青岛市总工会", NodeLevel.CITY, "370200")
        self.gaoxin = make_node(self.qingdao, "青岛高新区总工会", NodeLevel.DISTRICT, "370213")
        self.qd_ent = make_node(self.gaoxin, "青岛某企业工会", NodeLevel.GRASSROOTS, "370213")
        # People
        self.city_admin = make_staff(self.hangzhou, Role.ADMIN, "city_admin")
        self.district_staff = make_staff(self.xihu, Role.STAFF, "district_staff")
        self.tech_staff = make_staff(self.tech, Role.STAFF, "tech_staff")
        self.viewer = make_staff(self.hangzhou, Role.VIEWER, "city_viewer")
        self.finance = make_staff(self.hangzhou, Role.FINANCE, "city_finance")
        self.leader = make_staff(self.hangzhou, Role.LEADER, "city_leader")
        self.outsider = make_staff(self.qingdao, Role.ADMIN, "qd_admin")
        # Organisations and members
        self.enterprise = make_enterprise(self.tech, "杭州某科技有限公司")
        self.platform = make_enterprise(self.riders, "某外卖平台", EnterpriseKind.PLATFORM)
        self.qd_enterprise = make_enterprise(self.qd_ent, "青岛某制造有限公司")
        self.member = make_member(self.city_admin, self.tech, "李小红", employer=self.enterprise)
        self.rider = make_member(self.city_admin, self.riders, "王骑手", employment_form=EmploymentForm.RIDER,
                                 platform=self.platform)
        self.qd_member = make_member(self.outsider, self.qd_ent, "赵青岛", employer=self.qd_enterprise,
                                     id_number=new_id_number("370213"))
        return self


def run_in_threads(fn, items, threads: int = 16) -> list[tuple[str, object]]:
    """fn(item) for every item on `threads` real threads, each with its own database connection
    (for PostgreSQL race tests). Returns, in item order, ("ok", result) or ("refused", the
    ValidationError's text); any other exception propagates, so a crash fails the test.

    Each thread keeps its connection for all the items it takes, as a server process does with
    persistent connections (CONN_MAX_AGE): a new PostgreSQL backend per item cost more CPU than the
    claims themselves (20,000 connections in the quota race). The race is the same: `threads`
    connections run their transactions at once. A connection left inside a transaction or unusable is
    closed and opened afresh for the next item."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    items = list(items)
    results: list = [None] * len(items)
    errors: list[BaseException] = []
    todo = iter(range(len(items)))
    lock = threading.Lock()

    def work():
        try:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                try:
                    results[i] = ("ok", fn(items[i]))
                except ValidationError as e:
                    results[i] = ("refused", " ".join(e.messages))
                except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread below
                    errors.append(e)
                    return
                finally:
                    for conn in connections.all(initialized_only=True):
                        if conn.connection is None:
                            continue
                        if conn.in_atomic_block or not conn.get_autocommit():
                            conn.close()
                        elif conn.errors_occurred:  # as Django between two requests
                            if conn.is_usable():
                                conn.errors_occurred = False
                            else:
                                conn.close()
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, name=f"race-{n}") for n in range(min(threads, len(items)) or 1)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return results


def result_sheet(rows: list[list]) -> bytes:
    """A bank result sheet (回盘) as the bank sends it back: the export's columns and the three it fills."""
    import io

    import xlsxwriter

    from huigong.core.banksheet import RESULT_HEADERS

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, RESULT_HEADERS)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, r)
    wb.close()
    return out.getvalue()


def bank_fills(sheet: bytes, results: dict[str, tuple[str, str, str]], *, reorder: bool = False) -> bytes:
    """The system's own 批量代发 sheet as a bank sends it back after Excel has touched it: 状态, 银行流水号 and
    失败原因 filled per 备注 key (key -> (status, reference, reason)), the sheet's 合计 row kept, blank
    rows, a note and a signature line added under it, and with `reorder` the columns shuffled and the
    headers renamed as some banks do (附言 for 备注, 金额(元) with half-width brackets)."""
    import io

    from openpyxl import Workbook, load_workbook

    ws = load_workbook(io.BytesIO(sheet)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = rows[0]
    for extra in ("状态", "银行流水号", "失败原因"):
        if extra not in head:
            head.append(extra)
    width = len(head)
    body = [r + [None] * (width - len(r)) for r in rows[1:]]
    at = {h: i for i, h in enumerate(head)}
    for r in body:
        key = r[at["备注"]]
        if key in results:
            r[at["状态"]], r[at["银行流水号"]], r[at["失败原因"]] = results[key]
    body += [[None] * width, ["备注：以上代发已核对"] + [None] * (width - 1),
             [None, "制表：张会计", None, "复核：李主任"] + [None] * (width - 4)]
    if reorder:
        order = [at["备注"], at["状态"], *[i for i in range(width) if i not in (at["备注"], at["状态"])]]
        rename = {"备注": "附言", "金额（元）": "金额(元)", "状态": "处理结果"}
        head = [rename.get(head[i], head[i]) for i in order]
        body = [[r[i] for i in order] for r in body]
    out_wb = Workbook()
    out = out_wb.active
    out.append(["XX银行批量代发结果"])  # a title row above the header, as banks add
    out.append(head)
    for r in body:
        out.append(r)
    buf = io.BytesIO()
    out_wb.save(buf)
    return buf.getvalue()
