"""The capacity engine: places in a pool (and its per-unit sub-pools), handed out first come first
served, by a seeded lottery or by ranked choice; a waitlist with a visible position; offers with a
claim window; cancellations, self-removal and no-shows.

Invariants (the database holds them, the code only asks):
- a place is taken by a conditional UPDATE (`remaining > 0`) of the sub-pool, then of the pool, in
  the transaction that writes the entry; CHECK (0 <= remaining <= total) is the backstop;
- at most one live entry per person and pool (a partial UNIQUE on the domain's entry table);
- lock order everywhere: the pool row, then entries and sub-pools (no deadlocks between claims,
  cancellations and promotions);
- a place given back (cancellation, decline, expired offer) goes to the waitlist in the same
  transaction, in order (a draw's order, else first come).

Every function takes a `Spec` (spec.py): which tables and columns are the pool, sub-pool and entry.
Domain rules (who may act, eligibility, wording, audit of the domain's own transitions, messages to
people) stay in the domain; what the engine decides on its own (promotions, expiries, draws) it tells
the domain through the hooks the domain registers (`register`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core.audit import audit
from huigong.core.db import retry_on_deadlock
from huigong.core.rawread import hot_cursor

from . import lottery
from .models import HOLDING, Allocation, Draw, EntryStatus, Pool, SubPool
from .spec import Spec, kernel_spec

FULL_MESSAGE = gettext_lazy("名额已满")
SUB_FULL_MESSAGE = gettext_lazy("所在单位的名额已满")
ALREADY_MESSAGE = gettext_lazy("已报名，不能重复报名")


class Full(ValidationError):
    """No place left: in the pool, or (sub=True) in the entrant's unit only."""

    def __init__(self, *, sub: bool = False):
        super().__init__({"pool": [SUB_FULL_MESSAGE if sub else FULL_MESSAGE]})
        self.sub = sub


class SubPoolsChanged(Full):
    """The pool was given sub-pools after the caller read it (a share kept for a unit while it is open):
    nothing was taken; read the pool again and pick the entrant's unit."""

    def __init__(self):
        super().__init__(sub=True)


class Already(ValidationError):
    def __init__(self):
        super().__init__({"pool": [ALREADY_MESSAGE]})


# --- hooks ------------------------------------------------------------------------------------------


@dataclass
class Hooks:
    spec: Spec
    # check(pool, entry) -> a reason the entry may no longer have a place, or None (at promotion).
    check: Callable | None = None
    # sub_key(pool, entry) -> the unit of an entry queued before the pool had sub-pools.
    sub_key: Callable | None = None
    # changed(pool, entry, old_status, reason): an entry the engine moved on its own.
    changed: Callable | None = None
    # sub_keys(pool, entry) -> the units whose places a waiting entry may take now, in order (its own
    # unit's share, then the open places…). Promotion tries them in turn and records the one it used.
    sub_keys: Callable | None = None


_HOOKS: dict[str, Hooks] = {}


def register(spec: Spec, *, check=None, sub_key=None, changed=None, sub_keys=None) -> None:
    """A domain's hooks for its spec (call in AppConfig.ready()). The periodic expiry of offers walks
    the registered specs."""
    _HOOKS[spec.label] = Hooks(spec, check, sub_key, changed, sub_keys)


def hooks(spec: Spec) -> Hooks:
    return _HOOKS.get(spec.label) or Hooks(spec)


# --- small helpers ----------------------------------------------------------------------------------


def _pool_qs(spec: Spec, pool_id: int):
    return spec.pool.objects.filter(pk=pool_id)


def _lock_pool(spec: Spec, pool_id: int):
    return spec.pool.objects.select_for_update().get(pk=pool_id)


def _entries(spec: Spec, pool_id: int):
    return spec.entry.objects.filter(**{f"{spec.entry_pool}_id": pool_id})


def _subs(spec: Spec, pool_id: int):
    return spec.sub.objects.filter(**{f"{spec.sub_pool}_id": pool_id})


def _limited(spec: Spec, pool) -> bool:
    return getattr(pool, spec.total) is not None


def _uses_sub(spec: Spec, pool) -> bool:
    return spec.sub is not None and bool(getattr(pool, spec.uses_sub))


def _take_sub(spec: Spec, pool_id: int, key, n: int = 1) -> bool:
    """`n` places of a unit's sub-pool, all or none (one conditional UPDATE)."""
    return bool(key is not None and _subs(spec, pool_id).filter(
        **{_sub_key_attr(spec): key, f"{spec.sub_remaining}__gte": n}).update(
        **{spec.sub_remaining: F(spec.sub_remaining) - n}))


def _give_sub(spec: Spec, pool_id: int, key, n: int = 1) -> None:
    if key is not None and spec.sub is not None and n:
        _subs(spec, pool_id).filter(**{_sub_key_attr(spec): key}).update(
            **{spec.sub_remaining: F(spec.sub_remaining) + n})


def _take_pool(spec: Spec, pool, *, require_open: bool = True, n: int = 1) -> bool:
    """`n` places of the pool, all or none (one conditional UPDATE)."""
    if not _limited(spec, pool):
        return not require_open or _pool_qs(spec, pool.pk).filter(**{spec.open_field: spec.open_value}).exists()
    qs = _pool_qs(spec, pool.pk).filter(**{f"{spec.remaining}__gte": n})
    if require_open:
        qs = qs.filter(**{spec.open_field: spec.open_value})
    return bool(qs.update(**{spec.remaining: F(spec.remaining) - n}))


def _give_pool(spec: Spec, pool, n: int = 1) -> None:
    if _limited(spec, pool) and n:
        _pool_qs(spec, pool.pk).update(**{spec.remaining: F(spec.remaining) + n})


def place_take(spec: Spec, pool, *, require_open: bool = True) -> bool:
    """Takes one place of the pool's counter without an entry row (for a domain whose own record holds the
    place): one conditional UPDATE, False when the pool is full or not open. Unlimited pools always succeed."""
    return _take_pool(spec, pool, require_open=require_open)


def place_give(spec: Spec, pool) -> None:
    """Gives back a place taken with place_take (no promotion: the caller's record held it)."""
    _give_pool(spec, pool)


def _sub_key_attr(spec: Spec) -> str:
    return spec.sub._meta.get_field(spec.sub_key).attname


def _entry_sub_attr(spec: Spec) -> str | None:
    return spec.entry._meta.get_field(spec.entry_sub_key).attname if spec.entry_sub_key else None


def entry_sub_key(spec: Spec, entry):
    attr = _entry_sub_attr(spec)
    return getattr(entry, attr) if attr else None


def _lead_attr(spec: Spec) -> str | None:
    return spec.entry._meta.get_field(spec.entry_lead).attname if spec.entry_lead else None


def unit_of(spec: Spec, entry) -> int:
    """The id naming an entry's group (its first entry's), or the entry's own id when it stands alone."""
    attr = _lead_attr(spec)
    return (getattr(entry, attr) if attr else None) or entry.pk


def _unit_entries(spec: Spec, entry, *statuses, lock: bool = True) -> list:
    """The entry and, when it is the first of a group, the group's other entries in these statuses,
    locked (the caller holds the pool row), in id order. A later entry of a group acts alone."""
    attr = _lead_attr(spec)
    if not attr or getattr(entry, attr) is not None:
        return [entry]
    qs = spec.entry.objects.filter(**{attr: entry.pk, f"{spec.status}__in": spec.values(*statuses)}).order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return [entry, *qs]


def _unique_violation(exc: IntegrityError, spec: Spec) -> bool:
    text = str(exc)
    names = [c.name for c in spec.entry._meta.constraints if getattr(c, "condition", None) is not None]
    return any(n in text for n in names) or f"UNIQUE constraint failed: {spec.entry._meta.db_table}" in text


# --- pools (the kernel's own) -------------------------------------------------------------------------


@transaction.atomic
def pool_create(*, actor, purpose: str, total: int | None, title: str = "", node_path: str = "",
                allocation: str = Allocation.FIRST_COME, waitlist: bool = False,
                offer_seconds: int | None = None, is_open: bool = False) -> Pool:
    errors = {}
    if total is not None and (not isinstance(total, int) or total < 1):
        errors["total"] = [_("总名额应为正整数")]
    if allocation not in Allocation.values:
        errors["allocation"] = [_("分配方式无效")]
    if offer_seconds is not None and (not isinstance(offer_seconds, int) or offer_seconds < 60):
        errors["offer_seconds"] = [_("确认时限至少 1 分钟")]
    if errors:
        raise ValidationError(errors)
    pool = Pool.objects.create(purpose=purpose[:80], title=title[:120], node_path=node_path, total=total,
                               remaining=total, allocation=allocation, waitlist=waitlist,
                               offer_seconds=offer_seconds, is_open=is_open)
    audit(actor=actor, verb="capacity.pool_create", obj=pool, node_path=node_path,
          new={"purpose": purpose, "total": total, "allocation": allocation, "waitlist": waitlist,
               "offer_seconds": offer_seconds})
    return pool


@transaction.atomic
def pool_set_open(*, actor, pool: Pool, is_open: bool) -> Pool:
    pool = _lock_pool(kernel_spec(), pool.pk)
    if pool.is_open != is_open:
        pool.is_open = is_open
        pool.save(update_fields=["is_open"])
        audit(actor=actor, verb="capacity.pool_open" if is_open else "capacity.pool_close", obj=pool,
              node_path=pool.node_path, new={"is_open": is_open})
    return pool


@transaction.atomic
def pool_resize(*, actor, pool: Pool, total: int) -> Pool:
    """A new total for a kernel pool; new places go to the waitlist first."""
    spec = kernel_spec()
    pool = _lock_pool(spec, pool.pk)
    old = pool.total
    pool_set_total(spec, pool=pool, total=total)
    pool.save(update_fields=["total", "remaining"])
    audit(actor=actor, verb="capacity.pool_resize", obj=pool, node_path=pool.node_path, old={"total": old},
          new={"total": total})
    promote_all(spec, pool=pool)
    return pool


@transaction.atomic
def pool_set_sub(*, actor, pool: Pool, key: int, slots: int, label: str = "") -> SubPool:
    """A unit's places in a kernel pool (see sub_pool_set)."""
    spec = kernel_spec()
    pool = _lock_pool(spec, pool.pk)
    row, old = sub_pool_set(spec, pool=pool, key=key, slots=slots, label=label)
    audit(actor=actor, verb="capacity.sub_pool", obj=pool, node_path=pool.node_path,
          old={"key": key, "slots": old} if old is not None else None, new={"key": key, "slots": slots})
    if old is not None and slots > old:
        promote_all(spec, pool=pool)
    return row


def pool_taken(spec: Spec, pool) -> int:
    """Places held (granted or offered) in a limited pool."""
    if not _limited(spec, pool):
        return _entries(spec, pool.pk).filter(**{f"{spec.status}__in": spec.values(*HOLDING)}).count()
    return getattr(pool, spec.total) - getattr(pool, spec.remaining)


def pool_set_total(spec: Spec, *, pool, total: int | None, taken: int | None = None) -> None:
    """A new total for a pool locked by the caller: remaining moves by the same difference. Refused
    below the places held (`taken`, counted by the caller when the pool had no limit) and below what
    its sub-pools allot. Saves nothing: the caller saves the pool with its other changes."""
    taken = pool_taken(spec, pool) if taken is None else taken
    if total is None or total < taken:
        raise ValidationError({spec.total: [_("已有 %(taken)s 个名额被领取，总名额不能少于此数") % {"taken": taken}]})
    if _uses_sub(spec, pool):
        allotted = sum(_subs(spec, pool.pk).values_list(spec.sub_slots, flat=True))
        if total < allotted:
            raise ValidationError({spec.total: [
                _("各单位名额合计 %(allotted)s，总名额不能少于此数") % {"allotted": allotted}]})
    setattr(pool, spec.total, total)
    setattr(pool, spec.remaining, total - taken)


def sub_pool_set(spec: Spec, *, pool, key, slots: int, used_before: int = 0, label: str = ""):
    """Sets a unit's places in a pool the caller has locked. `used_before`: places the unit's people took
    before it had a sub-pool (they count against it). Returns (row, old slots or None)."""
    sub_key = _sub_key_attr(spec)
    row = spec.sub.objects.select_for_update().filter(**{f"{spec.sub_pool}_id": pool.pk, sub_key: key}).first()
    used = (getattr(row, spec.sub_slots) - getattr(row, spec.sub_remaining)) if row else used_before
    who = label or str(key)
    if not isinstance(slots, int) or slots < 0:
        raise ValidationError({"slots": [_("%(unit)s：名额应为非负整数") % {"unit": who}]})
    if slots < used:
        raise ValidationError({"slots": [
            _("%(unit)s 已领取 %(used)s 个名额，不能少于此数") % {"unit": who, "used": used}]})
    others = sum(_subs(spec, pool.pk).exclude(**{sub_key: key}).values_list(spec.sub_slots, flat=True))
    total = getattr(pool, spec.total) or 0
    if others + slots > total:
        raise ValidationError({"slots": [
            _("%(unit)s：各单位名额合计不能超过总名额 %(total)s") % {"unit": who, "total": total}]})
    old = getattr(row, spec.sub_slots) if row else None
    if row is None:
        row = spec.sub.objects.create(**{f"{spec.sub_pool}_id": pool.pk, sub_key: key, spec.sub_slots: slots,
                                         spec.sub_remaining: slots - used})
    else:
        setattr(row, spec.sub_slots, slots)
        setattr(row, spec.sub_remaining, slots - used)
        row.save(update_fields=[spec.sub_slots, spec.sub_remaining])
    if not getattr(pool, spec.uses_sub):
        setattr(pool, spec.uses_sub, True)
        _pool_qs(spec, pool.pk).update(**{spec.uses_sub: True})
    return row, old


# --- first come ------------------------------------------------------------------------------------------


def _entry_values(spec: Spec, pool, person_id: int, sub_key, status: str, now, values: dict | None) -> dict:
    data = {f"{spec.entry_pool}_id": pool.pk, f"{spec.entry_person}_id": person_id, spec.status: spec.value(status)}
    if spec.entry_sub_key:
        data[_entry_sub_attr(spec)] = sub_key
    if spec.granted_at and status in HOLDING:
        data[spec.granted_at] = now
    if spec.end_reason:
        data[spec.end_reason] = ""
    data.update(values or {})
    return data


def take(spec: Spec, *, pool, person_id: int, sub_key=None, values: dict | None = None,
         after: Callable | None = None, also: tuple = (), also_params: dict | None = None, now=None):
    """First come, first served: a granted entry for `person_id`, or Full / Already.

    `values`: the entry's other columns (attnames). On PostgreSQL the place and the entry are ONE
    statement (data-modifying CTEs, its own transaction outside the caller's), which `also` extends
    with the domain's own CTEs reading the new entry from `ins` (its audit row, a message), params in
    `also_params`. Elsewhere the ORM does the same steps in one transaction and calls `after(entry)`
    right after the INSERT for what `also` does on PostgreSQL. Returns the entry's id."""
    use_sub = _uses_sub(spec, pool)
    if use_sub and sub_key is None:
        raise Full(sub=True)
    now = now or timezone.now()
    data = _entry_values(spec, pool, person_id, sub_key if use_sub else None, EntryStatus.GRANTED, now, values)
    if connection.vendor == "postgresql":
        return _take_pg(spec, pool, use_sub, sub_key, data, now, also, also_params or {})
    try:
        with transaction.atomic():
            entry = spec.entry.objects.create(**data)
            if after is not None:
                after(entry)
            if use_sub and not _take_sub(spec, pool.pk, sub_key):
                raise Full(sub=True)
            # Last statement before COMMIT: the pool row stays locked as briefly as possible.
            if _limited(spec, pool) and not _take_pool(spec, pool):
                raise Full()
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise
    return entry.pk


def _take_sql(spec: Spec, use_sub: bool, columns: list[str], also: tuple) -> str:
    P, E = spec.table(spec.pool), spec.table(spec.entry)
    pc = lambda name: spec.column(spec.pool, name)
    open_col, remaining, total = pc(spec.open_field), pc(spec.remaining), pc(spec.total)
    parts = []
    if use_sub:
        S, sc = spec.table(spec.sub), (lambda name: spec.column(spec.sub, name))
        parts.append(f"cap_sub AS (UPDATE {S} SET {sc(spec.sub_remaining)} = {sc(spec.sub_remaining)} - 1 "
                     f"WHERE {sc(spec.sub_pool)} = %(cap_pool)s AND {sc(spec.sub_key)} = %(cap_key)s "
                     f"AND {sc(spec.sub_remaining)} > 0 RETURNING 1)")
    # Without sub-pools: only while the pool still has none (a pool given sub-pools since the caller
    # read it must take the place from a unit's sub-pool too, or its counters would part).
    shared = spec.sub is not None and not use_sub
    parts.append(f"cap_upd AS (UPDATE {P} SET {remaining} = {remaining} - 1 WHERE id = %(cap_pool)s "
                 f"AND {open_col} = %(cap_open)s AND ({total} IS NULL OR {remaining} > 0)"
                 + (" AND EXISTS (SELECT 1 FROM cap_sub)" if use_sub else "")
                 + (f" AND NOT {pc(spec.uses_sub)}" if shared else "") + " RETURNING 1)")
    cols = ", ".join(connection.ops.quote_name(spec.entry._meta.get_field(c).column) for c in columns)
    vals = ", ".join(f"%(cap_v{i})s" for i in range(len(columns)))
    parts.append(f"ins AS (INSERT INTO {E} ({cols}) SELECT {vals} FROM cap_upd RETURNING id)")
    parts.extend(also)
    took = "(SELECT count(*) FROM cap_sub)" if use_sub else "0"
    changed = f"(SELECT {pc(spec.uses_sub)} FROM {P} WHERE id = %(cap_pool)s)" if shared else "false"
    return "WITH " + ",\n".join(parts) + f"\nSELECT (SELECT id FROM ins), {took}, {changed}"


_SQL_CACHE: dict = {}


def _take_pg(spec, pool, use_sub, sub_key, data, now, also, also_params):
    data = {**data, spec.created_at: now}
    columns = [spec.entry._meta.get_field(a).name for a in data]
    key = (spec.label, use_sub, tuple(columns), also)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        sql = _SQL_CACHE[key] = _take_sql(spec, use_sub, columns, also)
    params = {"cap_pool": pool.pk, "cap_key": sub_key, "cap_open": spec.open_value, **also_params}
    for i, v in enumerate(data.values()):
        params[f"cap_v{i}"] = v
    try:
        # A savepoint when the caller holds a transaction; alone, the statement is its own transaction.
        with transaction.atomic() if use_sub or connection.in_atomic_block else nullcontext():
            with hot_cursor() as cur:
                if use_sub:  # the pool row first, as everywhere (the statement takes the sub-pool first)
                    cur.execute(f"SELECT 1 FROM {spec.table(spec.pool)} WHERE id = %s FOR UPDATE", [pool.pk])
                cur.execute(sql, params)
                entry_id, took_sub, changed = cur.fetchone()
            if entry_id is None and took_sub:
                raise Full()  # the sub-pool moved but the pool did not (closed meanwhile): undone
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise
    if entry_id is None:
        if changed:
            raise SubPoolsChanged()
        if use_sub and not took_sub and _pool_qs(spec, pool.pk).filter(**{f"{spec.remaining}__gt": 0}).exists():
            raise Full(sub=True)
        raise Full()
    return entry_id


# --- waitlist, offers ------------------------------------------------------------------------------------


def enqueue(spec: Spec, *, pool, person_id: int, sub_key=None, values: dict | None = None,
            after: Callable | None = None, members=()):
    """A waiting entry at the end of the pool's waitlist (the pool must keep one), with `members`: the
    columns of its group's other entries (a worker's companions), each written with the first entry's
    id in `spec.entry_lead`. One transaction, the pool row locked first (the engine's lock order): a
    promotion, which holds that lock, sees the whole group or none of it, and a place freed before the
    lock was taken is found by the promotion run here after the inserts. Returns the first entry."""
    if members and not spec.entry_lead:
        raise ValueError(f"{spec.label}: a group needs spec.entry_lead")
    try:
        entry = retry_on_deadlock(_enqueue, spec=spec, pool_id=pool.pk, person_id=person_id, sub_key=sub_key,
                                  values=values, after=after, members=members)
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise
    entry.refresh_from_db()
    return entry


@transaction.atomic
def _enqueue(*, spec: Spec, pool_id: int, person_id: int, sub_key, values, after, members):
    pool = _lock_pool(spec, pool_id)
    now = timezone.now()
    key = sub_key if _uses_sub(spec, pool) else None
    entry = spec.entry.objects.create(**_entry_values(spec, pool, person_id, key, EntryStatus.WAITING, now, values))
    if after is not None:
        after(entry)
    for member in members:
        m = spec.entry.objects.create(**_entry_values(spec, pool, person_id, key, EntryStatus.WAITING, now,
                                                      {**member, _lead_attr(spec): entry.pk}))
        if after is not None:
            after(m)
    if not _limited(spec, pool) or getattr(pool, spec.remaining):
        promote_all(spec, pool=pool)
    return entry


def _queue_order(spec: Spec) -> list:
    order = []
    if spec.draw_rank:
        order.append(F(spec.draw_rank).asc(nulls_last=True))
    return [*order, spec.created_at, "id"]


def waitlist_position(spec: Spec, entry) -> int | None:
    """1 for the next in line; None when the entry is not waiting."""
    if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.WAITING:
        return None
    waiting = _entries(spec, getattr(entry, f"{spec.entry_pool}_id")).filter(
        **{spec.status: spec.value(EntryStatus.WAITING)})
    created = getattr(entry, spec.created_at)
    ahead = waiting.filter(**{f"{spec.created_at}__lt": created}) | waiting.filter(
        **{spec.created_at: created, "id__lt": entry.pk})
    if spec.draw_rank:
        rank = getattr(entry, spec.draw_rank)
        if rank is None:
            ahead = waiting.filter(**{f"{spec.draw_rank}__isnull": False}) | ahead.filter(
                **{f"{spec.draw_rank}__isnull": True})
        else:
            ahead = waiting.filter(**{f"{spec.draw_rank}__lt": rank})
    return ahead.count() + 1


def waitlist_positions(spec: Spec, entries) -> dict[int, int]:
    """Positions of many waiting entries (a list page): one query per pool."""
    out: dict[int, int] = {}
    by_pool: dict[int, set[int]] = {}
    for e in entries:
        if spec.engine_status(getattr(e, spec.status)) == EntryStatus.WAITING:
            by_pool.setdefault(getattr(e, f"{spec.entry_pool}_id"), set()).add(e.pk)
    for pool_id, ids in by_pool.items():
        queue = _entries(spec, pool_id).filter(**{spec.status: spec.value(EntryStatus.WAITING)}).order_by(
            *_queue_order(spec)).values_list("id", flat=True)
        for n, pk in enumerate(queue, 1):
            if pk in ids:
                out[pk] = n
    return out


def _free(spec: Spec, pool) -> int | None:
    """The pool's free places now (read again: the caller's statements moved the counter), None: no limit."""
    if not _limited(spec, pool):
        return None
    return _pool_qs(spec, pool.pk).values_list(spec.remaining, flat=True).get()


def promote(spec: Spec, *, pool, limit: int = 50):
    """Gives free places to the first waiting unit (an entry, or a group: all its waiting entries) that
    can use them, as an offer when the pool has a claim window, else granted. Runs inside the caller's
    transaction, the pool row locked; skips entries another promotion holds. Returns the unit's first
    entry, or None.

    A group takes places for all its entries or none. When the head of the queue is a group too big for
    the places free, the places go to the first unit behind it that fits (first fit), and the group keeps
    its place at the head: it is served first as soon as enough places are free together (a group
    cancelling, new places). A place is never left free while someone who fits waits for it, and
    nobody who fits is passed over by someone behind them; as pretix serves its waiting list, an entry
    that cannot be served now is skipped, not removed."""
    if not getattr(pool, spec.waitlist, False):
        return None
    free = _free(spec, pool)
    if free == 0:
        return None
    h = hooks(spec)
    now = timezone.now()
    waiting = list(spec.entry.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(**{f"{spec.entry_pool}_id": pool.pk, spec.status: spec.value(EntryStatus.WAITING)})
                   .order_by(*_queue_order(spec))[:limit])
    units: dict[int, list] = {}
    for entry in waiting:
        units.setdefault(unit_of(spec, entry), []).append(entry)
    lead_attr = _lead_attr(spec)
    too_big = None  # the smallest unit the pool had no room for: bigger ones need not be tried
    for unit, members in units.items():
        if lead_attr and len(waiting) == limit:  # the page may have cut the group: read it whole
            members = list(spec.entry.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                Q(pk=unit) | Q(**{lead_attr: unit}), **{spec.status: spec.value(EntryStatus.WAITING)}
            ).order_by(*_queue_order(spec)))
        n = len(members)
        if (free is not None and n > free) or (too_big is not None and n >= too_big):
            continue
        reason = h.check(pool, members[0]) if h.check else None
        if reason:
            # No longer eligible since queuing: the unit ends, the places go to the next in line.
            for entry in members:
                _end(spec, entry, EntryStatus.CANCELLED, reason, now)
                if h.changed:
                    h.changed(pool, entry, EntryStatus.WAITING, reason)
            continue
        took = _take_unit(spec, pool, members, h)
        if took is None:  # the pool has no room for n
            too_big = n
            continue
        if not took:  # its unit's share has no room: it waits
            continue
        window = getattr(pool, spec.offer_seconds) if spec.offer_seconds else None
        status = EntryStatus.OFFERED if window and spec.offer_expires_at else EntryStatus.GRANTED
        for entry in members:
            setattr(entry, spec.status, spec.value(status))
            fields = [spec.status]
            if status == EntryStatus.OFFERED:
                setattr(entry, spec.offer_expires_at, now + dt.timedelta(seconds=window))
                fields.append(spec.offer_expires_at)
            if spec.granted_at:
                setattr(entry, spec.granted_at, now)
                fields.append(spec.granted_at)
            entry.save(update_fields=fields)
        for entry in members:
            if h.changed:
                h.changed(pool, entry, EntryStatus.WAITING, "")
        return members[0]
    return None


def _take_unit(spec: Spec, pool, members: list, h: Hooks) -> bool | None:
    """Places for all of a unit's entries: from its sub-pool (the first of its candidate units with
    room, when the domain names several) and the pool, in a savepoint. True: taken (the entries carry
    the sub-pool used, unsaved); False: no sub-pool had room; None: the pool had none."""
    n = len(members)
    uses_sub = _uses_sub(spec, pool)
    sub_attr = _entry_sub_attr(spec)
    head = members[0]
    key = getattr(head, sub_attr) if sub_attr else None
    if uses_sub and h.sub_keys:
        candidates = list(h.sub_keys(pool, head))
    elif uses_sub and key is None and h.sub_key:
        candidates = [h.sub_key(pool, head)]  # queued before the pool had sub-pools
    else:
        candidates = [key]
    for cand in candidates:
        with transaction.atomic():
            if (uses_sub or cand is not None) and not _take_sub(spec, pool.pk, cand, n):
                continue
            if _limited(spec, pool) and not _take_pool(spec, pool, require_open=False, n=n):
                transaction.set_rollback(True)
                return None
        if sub_attr:
            for entry in members:
                if getattr(entry, sub_attr) != cand:
                    setattr(entry, sub_attr, cand)
                    entry.save(update_fields=[sub_attr])
        return True
    return False


def promote_all(spec: Spec, *, pool) -> int:
    """As many promotions as the free places allow (places given back, new places)."""
    n = 0
    while promote(spec, pool=pool) is not None:
        n += 1
    return n


def _end(spec: Spec, entry, status: str, reason: str, now) -> None:
    setattr(entry, spec.status, spec.value(status))
    fields = [spec.status]
    if spec.ended_at:
        setattr(entry, spec.ended_at, now)
        fields.append(spec.ended_at)
    if spec.end_reason:
        setattr(entry, spec.end_reason, (reason or "")[:255])
        fields.append(spec.end_reason)
    entry.save(update_fields=fields)


def release(spec: Spec, *, pool, entry, status: str = EntryStatus.CANCELLED, reason: str = "") -> str:
    """Ends a live entry (cancelled by the person or staff, declined, expired): a place it held goes
    back to its unit and the pool, and to the next in line. Inside the caller's transaction, the pool
    row locked first (`lock_entry` locks the entry). Returns the entry's former (engine) status."""
    return release_many(spec, pool=pool, entries=[entry], status=status, reason=reason)[0]


def release_many(spec: Spec, *, pool, entries: list, status: str = EntryStatus.CANCELLED, reason: str = "") -> list:
    """Ends several live entries at once (a group): every place they held goes back, then the waitlist
    is served once, so the places a group gives back together can seat a group behind it. The caller
    holds the pool row and the entries' locks. Returns their former (engine) statuses."""
    now = timezone.now()
    was = []
    for entry in entries:
        w = spec.engine_status(getattr(entry, spec.status))
        if w not in (EntryStatus.ENTERED, EntryStatus.WAITING, EntryStatus.OFFERED, EntryStatus.GRANTED):
            raise ValidationError({"entry": [_("该记录已结束")]})
        was.append(w)
    given: dict = {}
    for entry, w in zip(entries, was, strict=True):
        _end(spec, entry, status, reason, now)
        if w in HOLDING:
            key = entry_sub_key(spec, entry)
            given[key] = given.get(key, 0) + 1
    for key, n in given.items():
        _give_sub(spec, pool.pk, key, n)
    if given:
        _give_pool(spec, pool, sum(given.values()))
    if given or (spec.entry_lead and EntryStatus.WAITING in was):
        # Places given back; or a waiting group lost a seat and may fit the places free now.
        promote_all(spec, pool=pool)
    return was


def lock_entry(spec: Spec, entry_id: int):
    """The pool row locked, then the entry (the engine's lock order). Returns (pool, entry)."""
    pool_id = spec.entry.objects.filter(pk=entry_id).values_list(f"{spec.entry_pool}_id", flat=True).get()
    pool = _lock_pool(spec, pool_id)
    entry = spec.entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
    return pool, entry


@transaction.atomic
def entry_cancel(spec: Spec, *, entry_id: int, reason: str = ""):
    """Self-removal or cancellation of a live entry (from the waitlist too). Returns the entry."""
    pool, entry = lock_entry(spec, entry_id)
    release(spec, pool=pool, entry=entry, status=EntryStatus.CANCELLED, reason=reason)
    return entry


def offer_accept(spec: Spec, *, entry_id: int):
    """Claims an offered place within its window; the first entry of a group claims the group's offered
    places with it. Too late, the offers expire (committed, so the places go to the next in line) and
    the call is refused."""
    with transaction.atomic():
        pool, entry = lock_entry(spec, entry_id)
        if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
            raise ValidationError({"entry": [_("没有待确认的名额")]})
        unit = _unit_entries(spec, entry, EntryStatus.OFFERED)
        late = getattr(entry, spec.offer_expires_at) <= timezone.now()
        if late:
            release_many(spec, pool=pool, entries=unit, status=EntryStatus.EXPIRED, reason=_("逾期未确认"))
            h = hooks(spec)
            if h.changed:
                for e in unit:
                    h.changed(pool, e, EntryStatus.OFFERED, _("逾期未确认"))
        else:
            for e in unit:
                setattr(e, spec.status, spec.value(EntryStatus.GRANTED))
                e.save(update_fields=[spec.status])
    if late:
        raise ValidationError({"entry": [_("确认时限已过，名额已让给下一位")]})
    return entry


@transaction.atomic
def offer_decline(spec: Spec, *, entry_id: int, reason: str = ""):
    """Declines an offered place (the first entry of a group declines the group's offered places)."""
    pool, entry = lock_entry(spec, entry_id)
    if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
        raise ValidationError({"entry": [_("没有待确认的名额")]})
    release_many(spec, pool=pool, entries=_unit_entries(spec, entry, EntryStatus.OFFERED),
                 status=EntryStatus.DECLINED, reason=reason or _("本人放弃"))
    return entry


@transaction.atomic
def entry_no_show(spec: Spec, *, entry_id: int, reason: str = ""):
    """A granted place not used: recorded, the place is not given back (the occasion has passed)."""
    _pool, entry = lock_entry(spec, entry_id)
    if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.GRANTED:
        raise ValidationError({"entry": [_("只有已获得名额的记录可以标记未到场")]})
    _end(spec, entry, EntryStatus.NO_SHOW, reason, timezone.now())
    return entry


def offers_expire_due(*, now=None) -> int:
    """Expires offers whose window passed, for every registered spec; each expiry promotes the next in
    line. Idempotent, safe to run in two ticks at once (rows another tick holds are skipped)."""
    now = now or timezone.now()
    n = 0
    specs = {h.spec.label: h for h in _HOOKS.values()}
    specs.setdefault(kernel_spec().label, Hooks(kernel_spec()))
    for h in specs.values():
        spec = h.spec
        if not spec.offer_expires_at:
            continue
        due = list(spec.entry.objects.filter(**{spec.status: spec.value(EntryStatus.OFFERED),
                                                f"{spec.offer_expires_at}__lte": now}).values_list("pk", flat=True)[:500])
        lead_attr = _lead_attr(spec)
        for entry_id in due:
            with transaction.atomic():
                pool, entry = lock_entry(spec, entry_id)
                if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
                    continue
                if lead_attr and getattr(entry, lead_attr) is not None:
                    # A group's later entry: its first entry's expiry takes it along (unless that one was
                    # claimed or ended: then it expires alone).
                    first = spec.entry.objects.select_for_update(of=("self",)).get(pk=getattr(entry, lead_attr))
                    if spec.engine_status(getattr(first, spec.status)) == EntryStatus.OFFERED and \
                            getattr(first, spec.offer_expires_at) <= now:
                        entry = first
                unit = [e for e in _unit_entries(spec, entry, EntryStatus.OFFERED)
                        if getattr(e, spec.offer_expires_at) <= now]
                release_many(spec, pool=pool, entries=unit, status=EntryStatus.EXPIRED, reason=_("逾期未确认"))
                if h.changed:
                    for e in unit:
                        h.changed(pool, e, EntryStatus.OFFERED, _("逾期未确认"))
                n += len(unit)
    return n


# --- lottery ---------------------------------------------------------------------------------------------


def enter(spec: Spec, *, pool, person_id: int, sub_key=None, values: dict | None = None, members=()):
    """An entrant for a draw (the pool allocates by lottery and has not drawn yet), with `members`: the
    columns of its group's other entries (see `enqueue`). A group is one entrant: it wins or loses whole."""
    if getattr(pool, "allocation", Allocation.LOTTERY) == Allocation.FIRST_COME:
        raise ValidationError({"pool": [_("该名额先到先得，无需报名抽签")]})
    if Draw.objects.filter(purpose=f"{spec.label}:{pool.pk}").exists():
        raise ValidationError({"pool": [_("已经抽签，报名已截止")]})
    if members and not spec.entry_lead:
        raise ValueError(f"{spec.label}: a group needs spec.entry_lead")
    now = timezone.now()
    data = _entry_values(spec, pool, person_id, sub_key, EntryStatus.ENTERED, now, values)
    try:
        with transaction.atomic():
            entry = spec.entry.objects.create(**data)
            for member in members:
                spec.entry.objects.create(**_entry_values(spec, pool, person_id, sub_key, EntryStatus.ENTERED, now,
                                                          {**member, _lead_attr(spec): entry.pk}))
            return entry
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise


@transaction.atomic
def draw(spec: Spec, *, actor, pool, seed: str | None = None, node_path: str = "",
         precedence=None) -> Draw:
    """Draws a lottery pool once: entrants in the order of `lottery.order(seed, entry ids)` take places
    (their unit's, then the pool's) while there are any; the rest wait in drawn order (waitlist) or
    lose. The seed and the entrant list's hash are published on the Draw and in the audit event.

    `precedence`: a callable given the entrant ids (canonical order) returning {id: integer}, higher
    drawn first (priority tiers, merit points), read under the draw's locks; the non-zero ones are
    published in `places["precedence"]` and covered by the hash."""
    pool = _lock_pool(spec, pool.pk)
    purpose = f"{spec.label}:{pool.pk}"
    if Draw.objects.filter(purpose=purpose).exists():
        raise ValidationError({"pool": [_("该名额池已经抽过签")]})
    seed = (seed or lottery.new_seed()).strip()
    if not seed or len(seed) > 128:
        raise ValidationError({"seed": [_("随机种子应为 1 到 128 个字符")]})
    # Only the columns the draw reads and writes: a round may have tens of thousands of entrants.
    lead_attr = _lead_attr(spec)
    columns = [c for c in ("pk", spec.status, _entry_sub_attr(spec), spec.draw_rank, spec.granted_at, spec.ended_at,
                           lead_attr, *(a for a, _v in spec.draw_sets)) if c]
    locked = spec.entry.objects.select_for_update(of=("self",)).filter(
        **{f"{spec.entry_pool}_id": pool.pk, spec.status: spec.value(EntryStatus.ENTERED)})
    set_based = SET_BASED_DRAW and connection.vendor == "postgresql"
    if set_based:
        # The set-based path needs each entrant's sub-pool key and group only: rows of values, no model
        # instances (a round may have tens of thousands of entrants).
        attrs = [a for a in (_entry_sub_attr(spec), lead_attr) if a]
        entries = {row[0]: SimpleNamespace(pk=row[0], **dict(zip(attrs, row[1:])))
                   for row in locked.values_list("pk", *attrs)}
    else:
        entries = {e.pk: e for e in locked.only(*columns)}
    # An entrant is a unit: an entry, or a group (its first entry's id names it; the others follow it).
    groups: dict[int, list[int]] = {}
    for pk in sorted(entries):
        groups.setdefault(unit_of(spec, entries[pk]), []).append(pk)
    ids = lottery.canonical(groups)
    prec = {int(k): int(v) for k, v in (precedence(ids) if precedence else {}).items() if int(v) and int(k) in groups}
    ordered = lottery.order(seed, ids, prec)
    now = timezone.now()
    waitlist = getattr(pool, spec.waitlist, False)
    use_sub = _uses_sub(spec, pool)
    if set_based:
        result = _draw_set_based(spec, pool, entries, ordered, use_sub, waitlist, now, groups)
    else:
        result = _draw_each(spec, pool, entries, ordered, use_sub, waitlist, now, groups)
    places = {"total": getattr(pool, spec.total)}
    if prec:
        places["precedence"] = {str(k): v for k, v in sorted(prec.items())}
    if use_sub:
        places["sub"] = {str(k): s for k, s in _subs(spec, pool.pk).values_list(_sub_key_attr(spec), spec.sub_slots)}
    sizes = {str(u): len(g) for u, g in groups.items() if len(g) > 1}
    if sizes:
        places["sizes"] = sizes  # the groups (entrant: its places), for whoever re-runs the allocation
    record = Draw.objects.create(purpose=purpose, kind=Allocation.LOTTERY, seed=seed,
                                 entrants_hash=lottery.entrants_hash(ids, prec), entrants=ids, places=places,
                                 result=result, drawn_by=actor if getattr(actor, "pk", None) else None)
    audit(actor=actor, verb="capacity.draw", obj=record, object_repr=purpose, node_path=node_path,
          new={"seed": seed, "entrants_hash": record.entrants_hash, "entrants": len(ids),
               "granted": sum(1 for _, s in result if s == EntryStatus.GRANTED)})
    return record


def _draw_each(spec: Spec, pool, entries: dict, ordered: list[int], use_sub: bool, waitlist: bool, now,
               groups: dict) -> list:
    """The draw's allocation entrant by entrant: each takes its places (a group's all at once: its unit's,
    then the pool's) by the same conditional UPDATEs as a first-come take (a savepoint gives the unit's
    places back when the pool has too few). A group that does not fit what is left waits or loses, and
    the places go on to the entrants drawn after it. The reference the set-based path is tested against."""
    result = []
    for rank, unit in enumerate(ordered, 1):
        members = [entries[pk] for pk in groups[unit]]
        n = len(members)
        key = entry_sub_key(spec, members[0])
        got = False
        with transaction.atomic():
            if (not use_sub or _take_sub(spec, pool.pk, key, n)):
                if not _limited(spec, pool) or _take_pool(spec, pool, require_open=False, n=n):
                    got = True
                else:
                    transaction.set_rollback(True)
        status = EntryStatus.GRANTED if got else (EntryStatus.WAITING if waitlist else EntryStatus.LOST)
        for entry in members:
            setattr(entry, spec.status, spec.value(status))
            fields = [spec.status]
            for attname, values in spec.draw_sets:
                if status in values:
                    setattr(entry, attname, values[status])
                    fields.append(attname)
            if spec.draw_rank:
                setattr(entry, spec.draw_rank, rank)
                fields.append(spec.draw_rank)
            if got and spec.granted_at:
                setattr(entry, spec.granted_at, now)
                fields.append(spec.granted_at)
            if status == EntryStatus.LOST and spec.ended_at:
                setattr(entry, spec.ended_at, now)
                fields.append(spec.ended_at)
            entry.save(update_fields=fields)
        result.append([unit, status])
    return result


# The set-based draw on PostgreSQL (a switch for the tests that compare it with the per-entry path).
SET_BASED_DRAW = True


def _draw_set_based(spec: Spec, pool, entries: dict, ordered: list[int], use_sub: bool, waitlist: bool, now,
                    groups: dict) -> list:
    """The same allocation as `_draw_each`, computed in Python from the counters read under lock (the
    pool row is locked by the caller, the sub-pools here, the entries by the caller), then written with
    three statements: the entries from arrays, the sub-pools' counters, the pool's counter. The CHECK
    constraints still hold the counters (0 <= remaining <= total). `entries`:
    {entry id: its sub-pool key}."""
    limited = _limited(spec, pool)
    pool_left = getattr(pool, spec.remaining) if limited else None
    unit_left: dict = {}
    if use_sub:
        key_attr = _sub_key_attr(spec)
        for row in _subs(spec, pool.pk).select_for_update():
            unit_left[getattr(row, key_attr)] = getattr(row, spec.sub_remaining)
    taken: dict = {}
    ids, statuses, ranks, result = [], [], [], []
    granted = 0
    for rank, unit in enumerate(ordered, 1):
        members = groups[unit]
        n = len(members)
        key = entry_sub_key(spec, entries[members[0]])
        got = (not use_sub or unit_left.get(key, 0) >= n) and (not limited or pool_left >= n)
        if got:
            granted += n
            if use_sub:
                unit_left[key] -= n
                taken[key] = taken.get(key, 0) + n
            if limited:
                pool_left -= n
        status = EntryStatus.GRANTED if got else (EntryStatus.WAITING if waitlist else EntryStatus.LOST)
        for entry_id in members:
            ids.append(entry_id)
            statuses.append(spec.value(status))
            ranks.append(rank)
        result.append([unit, status])
    if ids:
        E, ec = spec.table(spec.entry), (lambda name: spec.column(spec.entry, name))
        sets = [f"{ec(spec.status)} = v.status"]
        params: list = [ids, statuses, ranks]
        if spec.draw_rank:
            sets.append(f"{ec(spec.draw_rank)} = v.rank")
        if spec.granted_at:
            sets.append(f"{ec(spec.granted_at)} = CASE WHEN v.status = %s THEN %s ELSE {E}.{ec(spec.granted_at)} END")
            params = [spec.value(EntryStatus.GRANTED), now, *params]
        if spec.ended_at:
            sets.append(f"{ec(spec.ended_at)} = CASE WHEN v.status = %s THEN %s ELSE {E}.{ec(spec.ended_at)} END")
            params = params[:-3] + [spec.value(EntryStatus.LOST), now] + params[-3:]
        for attname, values in spec.draw_sets:
            whens = " ".join("WHEN %s THEN %s" for _ in values)
            sets.append(f"{ec(attname)} = CASE v.status {whens} ELSE {E}.{ec(attname)} END")
            params = params[:-3] + [x for st, val in values.items() for x in (spec.value(st), val)] + params[-3:]
        pk = connection.ops.quote_name(spec.entry._meta.pk.column)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {E} SET {', '.join(sets)} "
                        "FROM unnest(%s::bigint[], %s::text[], %s::integer[]) AS v(id, status, rank) "
                        f"WHERE {E}.{pk} = v.id", params)
    if taken:
        S, sc = spec.table(spec.sub), (lambda name: spec.column(spec.sub, name))
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {S} SET {sc(spec.sub_remaining)} = {sc(spec.sub_remaining)} - v.n "
                        "FROM unnest(%s::bigint[], %s::integer[]) AS v(key, n) "
                        f"WHERE {S}.{sc(spec.sub_pool)} = %s AND {S}.{sc(spec.sub_key)} = v.key",
                        [list(taken), list(taken.values()), pool.pk])
    if limited and granted:
        _pool_qs(spec, pool.pk).update(**{spec.remaining: F(spec.remaining) - granted})
    return result


def draw_precedence(draw_record: Draw) -> dict[int, int]:
    """The precedences a draw published ({} for a plain lottery)."""
    return {int(k): int(v) for k, v in ((draw_record.places or {}).get("precedence") or {}).items()}


def draw_verify(draw_record: Draw, spec: Spec | None = None) -> list[str]:
    """Re-runs a published draw. Returns the problems found (empty: the draw is what the seed and the
    list give): the stored list against its hash, the order against the seed, and, given the spec,
    the entries in the database (who took part, and in which rank) against the published result."""
    problems = []
    ids = lottery.canonical(draw_record.entrants)
    prec = draw_precedence(draw_record)
    if lottery.entrants_hash(ids, prec) != draw_record.entrants_hash:
        problems.append("entrants_hash")
    if draw_record.kind == Allocation.LOTTERY:
        if lottery.order(draw_record.seed, ids, prec) != [r[0] for r in draw_record.result]:
            problems.append("order")
        if spec is not None:
            pool_id = int(draw_record.purpose.rsplit(":", 1)[1])
            drawn = _entries(spec, pool_id).filter(**{f"{spec.draw_rank}__isnull": False})
            if spec.entry_lead:  # a group took part once, as its first entry
                drawn = drawn.filter(**{f"{spec.entry_lead}__isnull": True})
            ranks = dict(drawn.values_list("id", spec.draw_rank))
            if sorted(ranks) != ids:
                problems.append("entrants")
            if ranks != {r[0]: n for n, r in enumerate(draw_record.result, 1)}:
                problems.append("ranks")
    else:
        ballots = {int(p): c for p, c in draw_record.places.get("ballots", {}).items()}
        ranked = lottery.order(draw_record.seed, ids)
        sizes = {int(p): n for p, n in draw_record.places.get("sizes", {}).items()}
        got = lottery.serial_dictatorship(ranked, ballots, {int(k): v for k, v in draw_record.places["places"].items()},
                                          sizes)
        if [[p, got[p]] for p in ranked] != draw_record.result:
            problems.append("order")
    return problems


# --- ranked choice across alternatives -----------------------------------------------------------------


def ballot_cast(*, group: str, person_id: int, pool_ids: list[int], size: int = 1, extra: dict | None = None):
    """One person's ranked choices among the pools of `group` (replaces an earlier ballot before the draw).
    `size`: places asked for together (the person and their companions), all in one pool or none;
    `extra`: the domain's data for the entries the draw will write (e.g. the companions' names)."""
    from .models import Ballot

    choices = list(dict.fromkeys(int(p) for p in pool_ids))
    if not choices:
        raise ValidationError({"choices": [_("请至少选择一项")]})
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise ValidationError({"size": [_("人数应为 1 到 100 之间的整数")]})
    if Draw.objects.filter(purpose=f"ranked:{group}").exists():
        raise ValidationError({"choices": [_("已经分配，志愿已截止")]})
    ballot, _created = Ballot.objects.update_or_create(group=group, person_id=person_id,
                                                       defaults={"choices": choices, "size": size,
                                                                 "extra": extra or {}})
    return ballot


@transaction.atomic
def ranked_draw(spec: Spec, *, actor, group: str, pools: list, seed: str | None = None,
                values: Callable | None = None, members: Callable | None = None, node_path: str = "") -> Draw:
    """Allocates the ballots of `group` over `pools` (alternatives, each with its own places; sub-pools
    are not used here): people in the seeded lottery order each get their most wanted pool that still
    has a place — for a ballot of several places (a group), a pool with room for all of them — (serial
    dictatorship: nobody is displaced by someone drawn later). The winners' entries are written granted;
    `values(person_id, pool)` gives an entry's other columns, `members(person_id, pool, ballot)` the
    columns of a group's other entries (ballot.size - 1 of them). Published like a draw."""
    from .models import Ballot

    purpose = f"ranked:{group}"
    if Draw.objects.filter(purpose=purpose).exists():
        raise ValidationError({"group": [_("已经分配过")]})
    locked = {p.pk: _lock_pool(spec, p.pk) for p in sorted(pools, key=lambda p: p.pk)}
    seed = (seed or lottery.new_seed()).strip()
    rows = {b.person_id: b for b in Ballot.objects.filter(group=group)}
    ballots = {p: [c for c in b.choices if c in locked] for p, b in rows.items()}
    sizes = {p: b.size for p, b in rows.items() if b.size > 1}
    if sizes and not (spec.entry_lead and members):
        raise ValueError(f"{spec.label}: group ballots need spec.entry_lead and members()")
    ids = lottery.canonical(ballots)
    ranked = lottery.order(seed, ids)
    seats = sum(b.size for b in rows.values())
    places = {pk: (getattr(p, spec.remaining) if _limited(spec, p) else seats) for pk, p in locked.items()}
    outcome = lottery.serial_dictatorship(ranked, ballots, places, sizes)
    now = timezone.now()
    for rank, person_id in enumerate(ranked, 1):
        pool_id = outcome[person_id]
        if pool_id is None:
            continue
        pool = locked[pool_id]
        n = rows[person_id].size
        if _limited(spec, pool) and not _take_pool(spec, pool, require_open=False, n=n):
            raise AssertionError("a place counted free was not")  # the pools are locked: cannot happen
        data = _entry_values(spec, pool, person_id, None, EntryStatus.GRANTED, now,
                             values(person_id, pool) if values else None)
        if spec.draw_rank:
            data[spec.draw_rank] = rank
        others = list(members(person_id, pool, rows[person_id])) if n > 1 else []
        if len(others) != n - 1:
            raise ValueError(f"members() gave {len(others)} entries for a ballot of {n}")
        try:
            with transaction.atomic():
                first = spec.entry.objects.create(**data)
                for member in others:
                    m = _entry_values(spec, pool, person_id, None, EntryStatus.GRANTED, now,
                                      {**member, _lead_attr(spec): first.pk})
                    if spec.draw_rank:
                        m[spec.draw_rank] = rank
                    spec.entry.objects.create(**m)
        except IntegrityError as exc:
            if _unique_violation(exc, spec):
                raise Already() from None
            raise
    record = Draw.objects.create(
        purpose=purpose, kind=Allocation.RANKED, seed=seed, entrants_hash=lottery.entrants_hash(ids), entrants=ids,
        places={"places": {str(k): v for k, v in places.items()},
                "ballots": {str(p): c for p, c in ballots.items()},
                **({"sizes": {str(p): n for p, n in sizes.items()}} if sizes else {})},
        result=[[p, outcome[p]] for p in ranked], drawn_by=actor if getattr(actor, "pk", None) else None)
    audit(actor=actor, verb="capacity.ranked_draw", obj=record, object_repr=purpose, node_path=node_path,
          new={"seed": seed, "entrants_hash": record.entrants_hash, "entrants": len(ids),
               "placed": sum(1 for p in ranked if outcome[p] is not None)})
    return record


def sub_pool_of(spec: Spec, pool_id: int, key) -> SubPool | None:
    return _subs(spec, pool_id).filter(**{_sub_key_attr(spec): key}).first() if spec.sub else None
