"""Bulk insert for the demo: COPY on PostgreSQL, executemany on SQLite, with ids chosen by the
caller so that rows can point at each other before they are written.

Values go through each field's get_db_prep_save, so encrypted fields are encrypted exactly as the
ORM would and dates are adapted per backend; fields a row leaves out get the field's default.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

CHUNK = 5000


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _field_values(model: type[models.Model], rows: Iterable[dict]):
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        else:
            defaults[f.attname] = "" if isinstance(f, models.CharField | models.TextField) else None
    for row in rows:
        yield tuple(f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection) for f in fields)


def insert(model: type[models.Model], rows: list[dict]) -> int:
    """Writes rows (dicts keyed by field attname, "id" included) and returns how many."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(f.column) for f in fields)
    values = _field_values(model, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for v in values:
                    copy.write_row(v)
        else:
            sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
            batch: list[tuple] = []
            for v in values:
                batch.append(v)
                if len(batch) >= CHUNK:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
    return len(rows)


def reset_sequences(*models_: type[models.Model]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; SQLite's AUTOINCREMENT follows by itself."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
