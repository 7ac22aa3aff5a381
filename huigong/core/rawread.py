"""Model instances from precomposed SELECTs, for hot paths where the ORM's per-query compilation costs
more than the query (a worker's claim reads its user and its programme this way), and the cursor those
statements run on.

On PostgreSQL a hot statement is bound on the server and prepared once per connection: Django's cursors
bind parameters on the client, so the server parses and plans every statement again, and planning the
session user's five-table join cost the server more than running it (~0.6 ms against ~0.1 ms a claim)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DEFERRED


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


@cache
def _layout(model, names: tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
    position = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)}
    unknown = [n for n in names if n not in position]
    if unknown:
        raise ValueError(f"{model.__name__} has no concrete fields {unknown}")
    return len(position), tuple(position[n] for n in names)


def partial(model, values: dict):
    """An instance holding only `values` (attnames); other fields load on first access, as after
    `.only()`. What `Model.from_db` does, without scanning every field of the model per instance: a
    worker's session user arrives with four of these on every request."""
    size, positions = _layout(model, tuple(values))
    args = [DEFERRED] * size
    for i, value in zip(positions, values.values(), strict=True):
        args[i] = value
    instance = model(*args)
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS  # the connection hot_cursor reads from
    return instance


def relate(instance, name: str, value) -> None:
    """`instance.<name> = value` for a relation read in the same query, as the ORM's select_related
    leaves it: the value cached on the instance (and a one-to-one's reverse on the value), with none of
    the checks a descriptor's assignment makes for a change about to be saved."""
    field = instance._meta.get_field(name)
    field.set_cached_value(instance, value)
    if value is not None and field.one_to_one and not field.auto_created:
        field.remote_field.set_cached_value(value, instance)


def hot_cursor():
    """A cursor for precomposed statements a hot path runs over and over. On PostgreSQL its parameters
    are bound on the server and psycopg prepares a statement once the connection has run it
    `prepare_threshold` times (DATABASES OPTIONS, see settings); Django's own cursors keep client-side
    binding and are never prepared. Elsewhere it is the usual cursor. Wrapped as Django wraps its cursors
    (errors as django.db errors, queries logged under DEBUG and in tests' query counts)."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each read through django.db.connection looks it up again
    if db.vendor != "postgresql":
        return db.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    db.ensure_connection()
    with db.wrap_database_errors:
        return db._prepare_cursor(ServerBindingCursor(db.connection))


def fetch_one(sql: str, params: list):
    with hot_cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()
