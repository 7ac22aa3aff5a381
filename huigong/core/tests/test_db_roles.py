"""The audit trail holds against the application's own database role: production connects as a role that
owns no table (`manage.py grant_app_role`), which may read and append audit rows and do the product's
work, but cannot TRUNCATE, UPDATE or DELETE audit rows, nor ALTER or disable their triggers. The owner's
TRUNCATE is refused by a trigger too; `manage.py flush` refuses outside a demo or test database; the
Django admin's writes leave audit events like the services'."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from huigong.core.audit import audit, log_access
from huigong.core.models import AccessLog, AuditEvent
from huigong.testing import make_member

User = get_user_model()


@pytest.fixture
def app_role(on_postgres, cast):
    """A fresh non-owner role with the grants `grant_app_role` gives. CREATE ROLE and GRANT are
    transactional: the test's rollback removes them."""
    role = f"hg_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("grant_app_role", role, verbosity=0)
    audit(actor=cast.city_admin, verb="test.before", object_type="x", object_id="1")
    log_access(actor=cast.city_admin, object_type="x", object_id="1", fields=["phone"], purpose="test")
    return role


def _as(role: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL ROLE {role}")  # until the test's transaction ends


def _refused(statement: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, params)
    except DatabaseError:
        return True
    return False


@pytest.mark.parametrize("table", ["core_auditevent", "core_accesslog"])
def test_app_role_cannot_alter_the_audit_trail(app_role, table):
    _as(app_role)
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] == app_role
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see test_even_the_owner_cannot_truncate_the_audit_trail
    assert _refused(f"TRUNCATE {table}")
    assert _refused(f"DELETE FROM {table}")
    assert _refused(f"UPDATE {table} SET ip = NULL")
    assert _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    assert _refused(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    assert _refused(f"DROP TRIGGER {table}_append_only ON {table}")
    assert _refused(f"DROP TABLE {table}")
    assert _refused("DROP FUNCTION huigong_append_only() CASCADE")
    assert _refused("SET session_replication_role = replica")  # would skip every trigger
    assert AuditEvent.objects.exists() and AccessLog.objects.exists()


def test_app_role_does_the_products_work(app_role, cast):
    """Reads, writes, audit rows, sessions and the staff cut-off, temp tables and the insights refresh all
    work as the non-owner role."""
    from huigong.insights.rollups import rollups_refresh

    admin = Client()
    admin.force_login(cast.city_admin)
    _as(app_role)
    before = AuditEvent.objects.count()
    make_member(cast.city_admin, cast.tech, "周新会员")
    assert admin.get(reverse("console:home")).status_code == 200
    resp = admin.post(reverse("accounts:staff_deactivate", args=[cast.tech_staff.staff.pk]))
    assert resp.status_code == 302
    assert AuditEvent.objects.count() > before
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE hg_probe (x int) ON COMMIT DROP")
    assert rollups_refresh() is not None
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] == app_role


def test_grant_app_role_refuses_the_owner_and_prints_the_statements(db, on_postgres, capsys):
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        owner = cur.fetchone()[0]
    with pytest.raises(CommandError):
        call_command("grant_app_role", owner)
    role = f"hg_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("grant_app_role", role, "--print")
    out = capsys.readouterr().out
    assert 'REVOKE UPDATE, DELETE ON "public"."core_auditevent"' in out
    assert "TRUNCATE" not in out.replace("REVOKE TRUNCATE", "")


def test_deploy_check_warns_when_the_app_connects_as_the_owner(app_role):
    from huigong.core.checks import app_role_owns_no_table

    assert [m.id for m in app_role_owns_no_table()] == ["huigong.W001"]  # the test runs as a superuser
    _as(app_role)
    assert app_role_owns_no_table() == []


@pytest.mark.parametrize("table", ["core_auditevent", "core_accesslog"])
def test_even_the_owner_cannot_truncate_the_audit_trail(on_postgres, cast, table):
    audit(actor=cast.city_admin, verb="test.before", object_type="x", object_id="1")
    log_access(actor=cast.city_admin, object_type="x", object_id="1", fields=["phone"], purpose="test")
    with connection.cursor() as cur:
        # Fire the deferred foreign-key checks now: with them pending PostgreSQL refuses any TRUNCATE in
        # this (the test's) transaction, which would prove nothing.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert _refused(f"TRUNCATE {table}")
    assert _refused(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.exists() and AccessLog.objects.exists()


def test_flush_refuses_a_database_that_is_not_the_demo(cast, settings):
    settings.HUIGONG_ALLOW_FLUSH = False  # as outside the tests
    audit(actor=cast.city_admin, verb="test.before", object_type="x", object_id="1")
    with pytest.raises(CommandError, match="非演示数据"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(verb="test.before").exists()


def test_seed_demo_reset_refuses_a_database_that_is_not_the_demo(cast):
    with pytest.raises(CommandError, match="非演示数据"):
        call_command("seed_demo", reset=True, members=0)
    assert AuditEvent.objects.exists()


# --- the Django admin -----------------------------------------------------------------------------

def _superuser():
    return (User.objects.filter(username="root_admin").first()
            or User.objects.create_superuser("root_admin", password="pw-Root-12345", email=""))


def _make_superuser_through_admin(client, target):
    client.force_login(_superuser())
    url = reverse("admin:auth_user_change", args=[target.pk])
    assert client.get(url).status_code == 200
    resp = client.post(url, {
        "username": target.username, "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
    })
    assert resp.status_code == 302, resp.content.decode()[:2000]
    target.refresh_from_db()
    assert target.is_superuser


def test_admin_change_is_audited_with_old_and_new_values(client, cast):
    target = cast.tech_staff
    _make_superuser_through_admin(client, target)
    ev = AuditEvent.objects.filter(verb="admin.change", object_type="auth.user", object_id=str(target.pk)).get()
    assert ev.actor.username == "root_admin"
    assert ev.old["is_superuser"] is False and ev.new["is_superuser"] is True
    assert ev.old["is_staff"] is False and ev.new["is_staff"] is True
    assert ev.node_path == cast.tech.path  # visible in the staff member's subtree too


def test_admin_password_change_add_and_delete_are_audited_without_secrets(client, cast):
    client.force_login(_superuser())
    resp = client.post(reverse("admin:auth_user_password_change", args=[cast.viewer.pk]),
                       {"password1": "New-Secret-98765", "password2": "New-Secret-98765"})
    assert resp.status_code == 302
    ev = AuditEvent.objects.get(verb="admin.change", object_id=str(cast.viewer.pk))
    assert ev.new["password"] == "***" and "New-Secret" not in str(ev.new) + str(ev.old)
    resp = client.post(reverse("admin:auth_group_add"), {"name": "审计组"})
    assert resp.status_code == 302
    added = AuditEvent.objects.get(verb="admin.add", object_type="auth.group")
    assert added.new["name"] == "审计组"
    resp = client.post(reverse("admin:auth_group_delete", args=[added.object_id]), {"post": "yes"})
    assert resp.status_code == 302
    assert AuditEvent.objects.get(verb="admin.delete", object_type="auth.group").old["name"] == "审计组"


def test_every_registered_admin_is_audited(db):
    from django.contrib import admin

    from huigong.core.admin_site import AuditedAdminMixin

    assert admin.site._registry
    assert all(isinstance(a, AuditedAdminMixin) for a in admin.site._registry.values())


def test_admin_write_is_audited_as_the_app_role(app_role, cast):
    admin_client = Client()
    _superuser()
    _as(app_role)
    _make_superuser_through_admin(admin_client, cast.district_staff)
    assert AuditEvent.objects.filter(verb="admin.change", object_id=str(cast.district_staff.pk)).exists()

