"""A hypothesis state machine over check-in: entries and exits at three gates with different rules, online
and offline (synced later, in any order, some batches sent twice), manual check-ins and seats cancelled
midway. After every step, for every seat: it has at most one attendance row; its admitted scans are numbered
1..entries without gap or repeat; a gate without re-entry never admitted it after its first entry; and its
`inside` flag is what its last admission or exit says. Each example runs in a savepoint rolled back after it."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from huigong.activities import checkin_services as svc
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Gate, Scan

from .checkin_world import make_event, seat


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast, make_member

        w = Cast().build()
        w.event = make_event(w.city_admin, w.xihu)
        session = w.event.sessions.get()
        people = [w.member, w.rider, make_member(w.city_admin, w.tech, "周到场", employer=w.enterprise)]
        w.seats = [seat(session, m) for m in people]
        w.codes = [svc.ticket_code(Registration.objects.select_related("session").get(pk=r.pk)) for r in w.seats]
        w.gates = [Gate.objects.create(event=w.event, name="只进一次"),
                   Gate.objects.create(event=w.event, name="可离场", scans_exits=True),
                   Gate.objects.create(event=w.event, name="可再入", scans_exits=True, allows_reentry=True)]
        return w

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def test_checkin_state_machine(w):
    actor = w.district_staff
    t0 = timezone.now() - dt.timedelta(minutes=20)

    class CheckInMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.sid = transaction.savepoint()
            self.clock = 0
            self.pending: dict[int, list[svc.ScanIn]] = {0: [], 1: [], 2: []}  # offline queues per gate
            self.sent: list[tuple[int, list[svc.ScanIn]]] = []

        def teardown(self):
            transaction.savepoint_rollback(self.sid)

        def _item(self, s: int, kind: str, **kw) -> svc.ScanIn:
            self.clock += 1
            return svc.ScanIn(uuid=uuid.uuid4(), code=w.codes[s], kind=kind,
                              scanned_at=t0 + dt.timedelta(seconds=self.clock), **kw)

        @rule(s=st.integers(0, 2), g=st.integers(0, 2), kind=st.sampled_from(["entry", "exit"]))
        def scan_online(self, s, g, kind):
            svc.scan_record(actor=actor, gate=w.gates[g], item=self._item(s, kind))

        @rule(s=st.integers(0, 2), g=st.integers(0, 2), kind=st.sampled_from(["entry", "exit"]),
              local=st.sampled_from(["admitted", "exited", "refused"]))
        def scan_offline(self, s, g, kind, local):
            if (kind == "entry") != (local != "exited"):
                local = "exited" if kind == "exit" else "admitted"
            self.pending[g].append(self._item(s, kind, offline=True, local_result=local,
                                              local_reason="" if local != "refused" else "already_inside"))

        @rule(g=st.integers(0, 2))
        def sync(self, g):
            if self.pending[g]:
                batch, self.pending[g] = self.pending[g], []
                svc.scans_sync(actor=actor, gate=w.gates[g], items=batch)
                self.sent.append((g, batch))

        @rule(data=st.data())
        def resend(self, data):
            if self.sent:
                g, batch = data.draw(st.sampled_from(self.sent))
                before = Scan.objects.count(), list(CheckIn.objects.order_by("pk").values_list("entries", "inside"))
                svc.scans_sync(actor=actor, gate=w.gates[g], items=batch)
                after = Scan.objects.count(), list(CheckIn.objects.order_by("pk").values_list("entries", "inside"))
                assert before == after  # a batch sent again changes nothing

        @rule(s=st.integers(0, 2), g=st.integers(0, 2))
        def manual(self, s, g):
            svc.checkin_manual(actor=actor, gate=w.gates[g], registration=w.seats[s])

        @rule(s=st.integers(0, 2))
        def cancel(self, s):
            Registration.objects.filter(pk=w.seats[s].pk).update(status="cancelled")

        @invariant()
        def each_seat_admitted_once_per_rule(self):
            for reg in w.seats:
                rows = list(CheckIn.objects.filter(registration=reg))
                admitted = list(Scan.objects.filter(registration=reg, result="admitted").order_by("entry_no"))
                if not rows:
                    assert not admitted
                    continue
                (ci,) = rows
                assert [a.entry_no for a in admitted] == list(range(1, ci.entries + 1))
                assert all(a.gate_id == w.gates[2].pk for a in admitted[1:])  # only the re-entry gate re-admits
                moves = sorted([(a.pk, "in") for a in admitted] +
                               [(x.pk, "out") for x in Scan.objects.filter(registration=reg, result="exited")])
                assert ci.inside == (moves[-1][1] == "in")

    run_state_machine_as_test(CheckInMachine, settings=settings(
        max_examples=12, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
