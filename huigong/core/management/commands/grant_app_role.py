"""python manage.py grant_app_role ROLE [--print]: give the application's database role what it needs, and
no more. Run it as the owner role (the one `migrate` runs as) after every migrate.

Production runs the web and worker processes as a role that owns no table: an owner may ALTER a table,
disable its triggers or TRUNCATE it, so an owner can rewrite the audit trail whatever the triggers say.
The application's role gets:
- CONNECT and TEMPORARY on the database (roster imports COPY into a temporary table; the insights
  refresh builds its new rollup rows in one), USAGE on the schema;
- SELECT, INSERT, UPDATE, DELETE on every table, and USAGE, SELECT on every sequence;
- on the append-only tables (every table with the append-only trigger: the audit events and access log)
  SELECT and INSERT only, and on django_migrations SELECT only;
- the same by default on tables and sequences the owner creates later (ALTER DEFAULT PRIVILEGES), so a
  new table works at once; running this command again after a migrate narrows the new append-only ones;
- on PostgreSQL 17 and later, MAINTAIN on the rollup tables so the refresh's ANALYZE runs (before 17
  the refresh's ANALYZE is skipped with a warning for a non-owner, and autovacuum analyzes instead).
Never TRUNCATE, REFERENCES or TRIGGER, never ownership. docs/operations.md shows the statements."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

APPEND_ONLY_FUNCTION = "huigong_append_only"
# Tables the application's role may read but never change (besides the append-only ones).
READ_ONLY_TABLES = ("django_migrations",)
# Tables whose refresh runs ANALYZE (huigong.insights.rollups).
ANALYZED_TABLES = ("insights_kpirollup", "insights_kpicutrollup")


def append_only_tables(cur) -> list[str]:
    """Every table carrying the append-only trigger (core migration 0002; other apps may add theirs)."""
    cur.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE p.proname = %s AND n.nspname = current_schema() ORDER BY 1",
        [APPEND_ONLY_FUNCTION],
    )
    return [r[0] for r in cur.fetchall()]


def grant_statements(cur, role: str) -> list[sql.Composable]:
    cur.execute("SELECT current_database(), current_schema(), current_user, current_setting('server_version_num')")
    database, schema, owner, version = cur.fetchone()
    r, s, o = sql.Identifier(role), sql.Identifier(schema), sql.Identifier(owner)
    stmts = [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(database), r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(s, r),
        sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {} FROM {}").format(s, r),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE "
                "ON TABLES TO {}").format(o, s, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT, UPDATE ON SEQUENCES "
                "TO {}").format(o, s, r),
    ]
    for table in append_only_tables(cur):
        stmts.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(schema, table), r))
    for table in READ_ONLY_TABLES:
        stmts.append(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
            sql.Identifier(schema, table), r))
    if int(version) >= 170000:
        for table in ANALYZED_TABLES:
            stmts.append(sql.SQL("GRANT MAINTAIN ON {} TO {}").format(sql.Identifier(schema, table), r))
    return stmts


class Command(BaseCommand):
    help = "Grants the application's (non-owner) database role what it needs; run as the owner after migrate."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the web and worker processes connect as")
        parser.add_argument("--print", action="store_true", dest="print_only",
                            help="print the statements instead of running them")

    def handle(self, *args, role: str, print_only: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("仅适用于 PostgreSQL（嵌入式 SQLite 没有数据库角色）")
        with connection.cursor() as cur:
            cur.execute("SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s), "
                        "EXISTS (SELECT 1 FROM pg_tables WHERE tableowner = %s AND schemaname = current_schema())",
                        [role, role])
            me, exists, owns = cur.fetchone()
            if role == me or owns:
                raise CommandError(f"角色 {role} 拥有数据表：应用须以不拥有数据表的角色运行")
            if not exists:
                raise CommandError(f"角色 {role} 不存在：请先 CREATE ROLE {role} LOGIN PASSWORD '…'")
            stmts = [stmt.as_string(cur.connection) for stmt in grant_statements(cur, role)]
            if print_only:
                for stmt in stmts:
                    self.stdout.write(stmt + ";")
                return
            with transaction.atomic():
                for stmt in stmts:
                    cur.execute(stmt)
        self.stdout.write(self.style.SUCCESS(f"已授予角色 {role} 应用所需的权限（{len(stmts)} 条语句）"))
