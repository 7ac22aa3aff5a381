"""`manage.py flush`, refused outside a test or demo database.

Django's flush empties every table, the audit trail with it. Here it runs only when the database holds
nothing but the demo (or nothing at all: the same rule as `seed_demo --reset`), or when the settings say
explicitly that this is a throw-away database (HUIGONG_ALLOW_FLUSH, on in the test settings, where
Django's TransactionTestCase flushes after every test). On PostgreSQL it then lifts the audit tables'
TRUNCATE trigger for its own statements only."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

AUDIT_TRUNCATE_SETTING = "huigong.allow_audit_truncate"


def flush_refusal(database: str = "default") -> str | None:
    """Why this database must not be wiped, or None when it may be."""
    if getattr(settings, "HUIGONG_ALLOW_FLUSH", False):
        return None
    from huigong.demo.build import demo_present
    from huigong.orgs.models import UnionNode

    nodes = UnionNode.objects.using(database)
    if nodes.exists() and not demo_present():
        # The audit trail must outlive the data it records: only a demo (or empty) database is wiped.
        return "数据库中有非演示数据，拒绝清空（审计记录不可清除）"
    return None


class Command(flush.Command):
    help = flush.Command.help + " Refused unless the database holds only the demo (or HUIGONG_ALLOW_FLUSH)."

    def handle(self, **options):
        database = options["database"]
        refusal = flush_refusal(database)
        if refusal:
            raise CommandError(refusal)
        connection = connections[database]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with connection.cursor() as cur:
            cur.execute("SELECT set_config(%s, 'on', false)", [AUDIT_TRUNCATE_SETTING])
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT set_config(%s, '', false)", [AUDIT_TRUNCATE_SETTING])
