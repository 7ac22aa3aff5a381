"""The masked ID number keeps region and last four; the eight hidden digits are the birth date.
No masked surface may put the full birth date beside it, or the full number is rebuilt without an
access-log row."""

import io
import threading

import pytest
from django.db import close_old_connections
from django.test import Client
from python_calamine import CalamineWorkbook

from huigong.core.models import AuditEvent
from huigong.members.roster import members_export_xlsx
from huigong.members.services import person_update
from huigong.orgs.models import UnionNode
from huigong.orgs.services import node_create, node_move


def test_masked_export_has_no_birth_date(cast):
    export = members_export_xlsx(actor=cast.leader)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.file.read())).get_sheet_by_index(0).to_python()
    col = rows[0].index("出生日期")
    assert len(rows) > 1 and all(r[col] in ("", None) for r in rows[1:])
    full = members_export_xlsx(actor=cast.district_staff, full_pii=True)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(full.file.read())).get_sheet_by_index(0).to_python()
    assert all(r[col] not in ("", None) for r in rows[1:])


def test_audit_rows_never_carry_birth_date_or_full_search(cast):
    person_update(actor=cast.city_admin, person=cast.member.person, job_title="组长")
    members_export_xlsx(actor=cast.city_admin, q=cast.member.person.id_number)
    for ev in AuditEvent.objects.all():
        text = f"{ev.old} {ev.new}"
        assert "birth_date" not in text
        assert cast.member.person.id_number not in text


def test_uploaded_files_are_not_served_from_media(cast, settings):
    settings.DEBUG = True
    assert Client().get("/media/imports/2026/11/roster.csv").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_crossed_concurrent_moves_keep_the_tree_sound(on_postgres):
    from huigong.testing import Cast

    cast = Cast().build()
    a = node_create(actor=cast.city_admin, parent=cast.xihu, code="RACE-A", name="甲", level="grassroots")
    b = node_create(actor=cast.city_admin, parent=cast.xihu, code="RACE-B", name="乙", level="grassroots")
    results = []

    def move(node, target):
        try:
            node_move(actor=cast.city_admin, node=node, new_parent=target)
            results.append("ok")
        except Exception as e:  # the loser is refused (moving under its own descendant)
            results.append(type(e).__name__)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move, args=(a, b)), threading.Thread(target=move, args=(b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ValidationError", "ok"]
    assert UnionNode.objects.find_problems() == ([], [], [], [], [])


def test_rejoin_from_another_subtree_records_the_new_unions_values_and_tells_the_old_one(cast):
    # The old union's record is neither handed over nor silently rewritten: the new union's values
    # replace it and the old union's node gets an event with its former values (issue 14, item 5;
    # more in test_former_members.py).
    from huigong.core.models import AuditEvent
    from huigong.members.models import Person
    from huigong.members.services import member_register, membership_withdraw

    person = cast.qd_member.person
    membership_withdraw(actor=cast.outsider, person=person, reason="本人申请")
    m = member_register(actor=cast.city_admin, union=cast.tech, name="冒名", id_number=person.id_number,
                        phone="13900002222", bank_account="6222020200112233445")
    kept = Person.objects.get(pk=person.pk)
    assert m.person_id == person.pk
    assert (kept.name, kept.phone, kept.bank_account) == ("冒名", "13900002222", "6222020200112233445")
    event = AuditEvent.objects.get(verb="person.reregister_elsewhere", node_path=cast.qd_ent.path)
    assert event.old["name"] == "赵青岛" and event.old["phone_mask"] == person.phone_mask


def test_lockout_counts_failures_per_username_across_addresses(cast, settings):
    """Spread over many addresses, guesses meet the account-wide limit (accounts/lockout.py), which is
    much higher than the per-address one so that a stranger cannot lock the real user out cheaply."""
    from django.test import Client

    settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT = 2 * settings.AXES_FAILURE_LIMIT
    for i in range(settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"10.0.0.{i + 1}").post("/accounts/login/", {"username": "city_admin",
                                                                        "password": "wrong-password"})
    resp = Client(REMOTE_ADDR="10.0.0.99").post("/accounts/login/", {"username": "city_admin",
                                                                     "password": "pw-Test-12345"})
    assert resp.status_code in (403, 429) or "锁定" in resp.content.decode()
