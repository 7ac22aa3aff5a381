"""Deploy checks (`manage.py check --deploy`) about the database the processes connect to."""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError, connection


def app_role_owns_no_table(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The web and worker processes must not connect as the tables' owner: an owner can disable the audit
    trail's triggers or TRUNCATE it (docs/operations.md, "Two database roles")."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user "
                        "AND schemaname = current_schema()")
            owned = cur.fetchone()[0]
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cur.fetchone()[0]
    except DatabaseError:
        return []  # no database to ask: other checks and the first request will say so
    if owned or superuser:
        return [checks.Warning(
            "应用连接数据库所用的角色拥有数据表或是超级用户，可绕过审计记录的保护",
            hint="以不拥有数据表的角色运行应用，迁移后运行 manage.py grant_app_role（见 docs/operations.md）",
            id="huigong.W001",
        )]
    return []
