"""Model instances from precomposed SELECTs, for hot paths where the ORM's per-query compilation costs
more than the query (a worker's claim reads its user and its programme this way)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Columns:
    """A model's concrete fields as a SELECT list under a table alias, with what turns a row back into
    an instance as the ORM would (its converters: JSON text, SQLite's dates and booleans, …)."""

    model: type
    select: str
    names: tuple[str, ...]
    converters: tuple

    @classmethod
    def of(cls, model, alias: str) -> Columns:
        fields = model._meta.concrete_fields
        converters = []
        for f in fields:
            col = f.get_col(model._meta.db_table)
            converters.append((col, tuple(connection.ops.get_db_converters(col) + f.get_db_converters(connection))))
        return cls(model, ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields),
                   tuple(f.attname for f in fields), tuple(converters))

    def instance(self, row):
        """The instance from the first len(names) values of `row`."""
        values = list(row[:len(self.names)])
        for i, (col, funcs) in enumerate(self.converters):
            for func in funcs:
                values[i] = func(values[i], col, connection)
        return self.model.from_db("default", self.names, values)


def fetch_one(sql: str, params: list):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()
