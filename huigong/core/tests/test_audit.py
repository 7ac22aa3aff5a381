import pytest
from django.db import DatabaseError, connection, transaction

from huigong.core.audit import audit, log_access
from huigong.core.crypto import blind_index, mask_bank, mask_name, mask_phone
from huigong.core.models import AccessLog, AuditEvent


def test_audit_event_is_written_with_actor_and_values(cast):
    ev = audit(actor=cast.city_admin, verb="test.verb", obj=cast.hangzhou, node_path=cast.hangzhou.path,
               old={"a": 1}, new={"a": 2})
    ev.refresh_from_db()
    assert (ev.actor_label, ev.verb, ev.object_type, ev.old, ev.new) == (
        "city_admin", "test.verb", "orgs.unionnode", {"a": 1}, {"a": 2})


def test_audit_rolls_back_with_the_change(cast):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit(actor=cast.city_admin, verb="test.rollback", obj=cast.hangzhou)
        raise RuntimeError
    assert AuditEvent.objects.count() == before


def test_database_refuses_to_update_audit_rows(cast):
    ev = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).update(verb="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log_access(actor=cast.city_admin, object_type="x", object_id="1",
                                                fields=["phone"], purpose="t").pk).update(fields="forged")


def test_database_refuses_to_delete_audit_rows(cast, on_postgres):
    ev = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).delete()
    assert AuditEvent.objects.filter(pk=ev.pk).exists()


def test_blind_index_is_keyed_and_domain_separated(settings):
    a = blind_index("330102199001011234", "id")
    assert a == blind_index("330102199001011234", "id")
    assert a != blind_index("330102199001011234", "phone")
    assert "330102" not in a and len(a) == 64


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_bank("6222020200112233445") == "**** **** 3445"
    assert mask_name("张三丰") == "张*丰" and mask_name("张三") == "张*"


@pytest.mark.django_db
def test_encrypted_columns_hold_no_plaintext(cast):
    person = cast.member.person
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM members_person WHERE id = %s", [person.pk])
        raw_id, raw_phone = cur.fetchone()
    full = type(person).objects.get(pk=person.pk)
    assert full.id_number not in raw_id and full.phone not in raw_phone
    assert raw_id.startswith("gAAAA")  # Fernet token


def test_audit_scope_follows_a_moved_node_and_not_its_old_path(cast):
    from huigong.core.selectors import audit_list_for_actor
    from huigong.orgs.services import node_create, node_move
    from huigong.testing import make_staff

    binjiang = node_create(actor=cast.city_admin, parent=cast.hangzhou, code="BJ", name="滨江区总工会",
                           level="district", region_code="330108")
    old_tech_path = cast.tech.path
    node_move(actor=cast.city_admin, node=cast.tech, new_parent=binjiang)
    newcomer = node_create(actor=cast.city_admin, parent=cast.xihu, code="NEW", name="新工会", level="grassroots")
    assert newcomer.path == old_tech_path  # treebeard reuses the freed path
    newcomer_admin = make_staff(newcomer, "admin", "newcomer_admin")
    binjiang_admin = make_staff(binjiang, "admin", "binjiang_admin")
    tech_event = AuditEvent.objects.filter(verb="person.create", object_id=str(cast.member.person_id)).get()
    assert tech_event not in audit_list_for_actor(newcomer_admin)
    assert tech_event in audit_list_for_actor(binjiang_admin)
