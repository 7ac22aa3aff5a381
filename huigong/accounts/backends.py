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

from huigong.core.rawread import Columns, fetch_one, relate

PATH = "huigong.accounts.backends.ModelBackend"


@cache
def user_joins() -> tuple:
    """The joins apps add to the session-user query: objects with `columns` (SQL expressions),
    `join` (SQL joined to the user, who is `u`) and `attach(user, values)` (those columns' values,
    all None when nothing joined)."""
    return tuple(import_string(path) for path in getattr(settings, "HUIGONG_SESSION_USER_JOINS", ()))


@cache
def _user_sql() -> tuple[str, Columns, Columns, Columns, list[int]]:
    from huigong.orgs.models import UnionNode

    from .models import StaffProfile

    User = get_user_model()
    user, staff, node = Columns.of(User, "u"), Columns.of(StaffProfile, "sp"), Columns.of(UnionNode, "sn")
    # The staff profile and its node, whole: a user without a profile is known to have none (the
    # staff-security middleware asks every unverified session, every worker's, `hasattr(user, "staff")`),
    # and a staff request's scope checks (core.scope: the profile's role, its node's path) read both,
    # which were two more queries on every staff request.
    columns, widths = [user.select, staff.select, node.select], []
    for join in user_joins():
        columns.extend(join.columns)
        widths.append(len(join.columns))
    q = connection.ops.quote_name
    sql = (f"SELECT {', '.join(columns)} FROM {q(User._meta.db_table)} u "
           f"LEFT JOIN {q(StaffProfile._meta.db_table)} sp ON sp.user_id = u.id "
           f"LEFT JOIN {q(UnionNode._meta.db_table)} sn ON sn.id = sp.node_id "
           + " ".join(join.join for join in user_joins()) + " WHERE u.id = %s")
    return sql, user, staff, node, widths


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
    sql, columns, staff_columns, node_columns, widths = _user_sql()
    row = fetch_one(sql, [pk])
    if row is None:
        return None
    user = columns.instance(row)
    at = len(columns.names)
    if row[at] is None:  # no staff profile: `user.staff` raises DoesNotExist without asking the database
        _staff_relation().set_cached_value(user, None)
    else:  # as select_related("staff__node") leaves them
        staff = staff_columns.instance(row[at:])
        relate(staff, "node", node_columns.instance(row[at + len(staff_columns.names):]))
        relate(staff, "user", user)
    at += len(staff_columns.names) + len(node_columns.names)
    for join, width in zip(user_joins(), widths, strict=True):
        join.attach(user, row[at:at + width])
        at += width
    return user


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
