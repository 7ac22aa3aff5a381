"""The password backend, with the session's user read in one query.

Every authenticated request loads its user (the OTP and staff-security middlewares look at it before
any view runs). Django's ModelBackend does that with `User.objects.get(pk=…)`, an ORM query compiled
anew on every request; here it is one precomposed SELECT, and apps may join what their hot paths need
about the same user into it (HUIGONG_SESSION_USER_JOINS: the workers' portal joins the worker's
account, member and active membership, which every claim reads). Everything else (authenticate,
permissions, is_active) is Django's ModelBackend unchanged."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.module_loading import import_string

from huigong.core.rawread import Columns, fetch_one

PATH = "huigong.accounts.backends.ModelBackend"


@cache
def user_joins() -> tuple:
    """The joins apps add to the session-user query: objects with `columns` (SQL expressions),
    `join` (SQL joined to the user, who is `u`) and `attach(user, values)` (those columns' values,
    all None when nothing joined)."""
    return tuple(import_string(path) for path in getattr(settings, "HUIGONG_SESSION_USER_JOINS", ()))


@cache
def _user_sql() -> tuple[str, Columns, list[int]]:
    from .models import StaffProfile

    User = get_user_model()
    user = Columns.of(User, "u")
    # The staff profile's id, so that a user without one is known to have none: the staff-security
    # middleware asks every unverified session (every worker's) `hasattr(user, "staff")`, which was a
    # query of its own on every request a worker made.
    columns, widths = [user.select, "sp.id"], []
    for join in user_joins():
        columns.extend(join.columns)
        widths.append(len(join.columns))
    sql = (f"SELECT {', '.join(columns)} FROM {connection.ops.quote_name(User._meta.db_table)} u "
           f"LEFT JOIN {connection.ops.quote_name(StaffProfile._meta.db_table)} sp ON sp.user_id = u.id "
           + " ".join(join.join for join in user_joins()) + " WHERE u.id = %s")
    return sql, user, widths


@cache
def _staff_relation():
    from .models import StaffProfile

    return StaffProfile._meta.get_field("user").remote_field


def load_user(user_id):
    """The user with this primary key, with every join's values attached; None when there is none."""
    try:
        pk = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    sql, columns, widths = _user_sql()
    row = fetch_one(sql, [pk])
    if row is None:
        return None
    user = columns.instance(row)
    at = len(columns.names)
    if row[at] is None:  # no staff profile: `user.staff` raises DoesNotExist without asking the database
        _staff_relation().set_cached_value(user, None)
    at += 1  # a profile that exists loads, whole, when first used (as before)
    for join, width in zip(user_joins(), widths, strict=True):
        join.attach(user, row[at:at + width])
        at += width
    return user


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
