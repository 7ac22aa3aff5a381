"""Builders for the flow side's tests (programmes, applications, approval, notices, payouts).

Files are written directly (an open file with a member, causes and a bank account) so that these tests
depend only on the models, not on the files side's services."""

from __future__ import annotations

import datetime as dt
import itertools

from huigong.accounts.models import Role
from huigong.core.crypto import blind_index, mask_bank
from huigong.orgs.models import NodeLevel
from huigong.testing import make_member, make_node, make_staff, new_id_number

from .. import clock
from ..models import FileCause, FileMember, FileStatus, HardshipFile
from ..services import aid as aid_services
from ..services import approval, notices, payouts

_seq = itertools.count(1)
YEAR = 2026


def make_file(member_or_person, node, *, level="deep", causes=("illness",), bank_account="6222020200112233445",
              status=FileStatus.OPEN):
    person = getattr(member_or_person, "person", member_or_person)
    n = next(_seq)
    f = HardshipFile.objects.create(
        file_no=f"TF{n:06d}", node=node, node_path=node.path, head=person, status=status, level=level,
        household_size=3, monthly_income_fen=150_000, payee_name=person.name, bank_name="中国工商银行",
        bank_account=bank_account, bank_account_mask=mask_bank(bank_account),
        opened_on=dt.date(YEAR, 1, 5), situation="家庭成员重病")
    idn = new_id_number()
    FileMember.objects.create(file=f, person=person, name=person.name, relation="本人", id_number=idn,
                              id_number_hash=blind_index(idn, "id"), id_number_mask=idn[:6] + "********" + idn[-4:], health_note="良好",
                              monthly_income_fen=150_000)
    for c in causes:
        FileCause.objects.create(file=f, cause=c)
    return f


def end_notice(actor, notice, on: dt.date):
    """notice_end as run on day `on` (the clock moves; nothing is backdated)."""
    with clock.travel(on):
        return notices.notice_end(actor=actor, notice=notice)


class Flow:
    """The cast plus an approver at each level of the Hangzhou branch and an open programme."""

    def __init__(self, cast, *, levels=("grassroots", "district", "city"), amount_fen=200_000, mode="up_to",
                 budget_fen=10_000_000, cap_fen=None, eligible=(), causes=()):
        self.cast = cast
        c = cast
        self.tech_admin = make_staff(c.tech, Role.ADMIN, f"tech_admin{next(_seq)}")
        self.xihu_admin = make_staff(c.xihu, Role.ADMIN, f"xihu_admin{next(_seq)}")
        self.xihu_leader = make_staff(c.xihu, Role.LEADER, f"xihu_leader{next(_seq)}")
        self.city_leader = c.leader
        self.finance = c.finance
        self.prog = aid_services.programme_create(
            actor=c.city_admin, node=c.hangzhou, kind="living", name=f"生活救助{next(_seq)}", year=YEAR,
            amount_fen=amount_fen, amount_mode=mode, approval_levels=list(levels), eligible_levels=list(eligible),
            required_causes=list(causes))
        aid_services.programme_open(actor=c.city_admin, programme=self.prog)
        self.budget = aid_services.programme_budget_set(actor=c.city_admin, programme=self.prog, node=c.hangzhou,
                                                        total_fen=budget_fen)
        if cap_fen:
            aid_services.household_cap_set(actor=c.city_admin, node=c.hangzhou, year=YEAR, cap_fen=cap_fen)
        self.approvers = {"grassroots": self.tech_admin, "district": self.xihu_leader, "city": self.city_leader}

    def new_file(self, name="困难户", node=None, **kw):
        node = node or self.cast.tech
        m = make_member(self.cast.city_admin, node, name, **({"employer": self.cast.enterprise}
                                                            if node == self.cast.tech else {}))
        return make_file(m, node, **kw)

    def apply(self, file=None, amount_fen=100_000, submit=True, programme=None):
        file = file or self.new_file()
        app = aid_services.aid_application_create(actor=self.cast.tech_staff, programme=programme or self.prog,
                                                  file=file, amount_fen=amount_fen, reason="家庭成员重病，收入微薄")
        if submit:
            app = aid_services.aid_application_submit(actor=self.cast.tech_staff, application=app)
        return app

    def approve_all(self, app, amount_fen=None):
        while app.status == "submitted":
            step = approval.current_step(app)
            who = {self.cast.tech.pk: self.tech_admin, self.cast.xihu.pk: self.xihu_leader,
                   self.cast.hangzhou.pk: self.city_leader, self.cast.riders.pk: self.riders_admin()}[step.node_id]
            app = approval.approval_decide(actor=who, application=app, decision="approved", comment="同意",
                                           amount_fen=amount_fen)
        return app

    def riders_admin(self):
        if not hasattr(self, "_riders_admin"):
            self._riders_admin = make_staff(self.cast.riders, Role.ADMIN, f"riders_admin{next(_seq)}")
        return self._riders_admin

    def publish_and_end(self, apps):
        with clock.travel(dt.date(YEAR, 3, 1)):
            n = notices.notice_publish(actor=self.cast.city_admin, node=self.cast.hangzhou, applications=apps,
                                       title="2026年生活救助公示", contact="0571-12345678", days=5)
        end_notice(self.cast.city_admin, n, dt.date(YEAR, 3, 6))
        return n

    def batch(self, title="发放批次", applications=None):
        return payouts.payout_batch_create(actor=self.finance, node=self.cast.hangzhou, title=title,
                                           applications=applications)

    def ready_to_pay(self, n=1, amount_fen=100_000):
        apps = [self.approve_all(self.apply(amount_fen=amount_fen)) for _ in range(n)]
        self.publish_and_end(apps)
        return apps


def district_node(cast):
    return make_node(cast.hangzhou, "上城区总工会", NodeLevel.DISTRICT, "330102")
