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

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
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


_HOOKS: dict[str, Hooks] = {}


def register(spec: Spec, *, check=None, sub_key=None, changed=None) -> None:
    """A domain's hooks for its spec (call in AppConfig.ready()). The periodic expiry of offers walks
    the registered specs."""
    _HOOKS[spec.label] = Hooks(spec, check, sub_key, changed)


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


def _take_sub(spec: Spec, pool_id: int, key) -> bool:
    return bool(key is not None and _subs(spec, pool_id).filter(
        **{_sub_key_attr(spec): key, f"{spec.sub_remaining}__gt": 0}).update(
        **{spec.sub_remaining: F(spec.sub_remaining) - 1}))


def _give_sub(spec: Spec, pool_id: int, key) -> None:
    if key is not None and spec.sub is not None:
        _subs(spec, pool_id).filter(**{_sub_key_attr(spec): key}).update(
            **{spec.sub_remaining: F(spec.sub_remaining) + 1})


def _take_pool(spec: Spec, pool, *, require_open: bool = True) -> bool:
    if not _limited(spec, pool):
        return not require_open or _pool_qs(spec, pool.pk).filter(**{spec.open_field: spec.open_value}).exists()
    qs = _pool_qs(spec, pool.pk).filter(**{f"{spec.remaining}__gt": 0})
    if require_open:
        qs = qs.filter(**{spec.open_field: spec.open_value})
    return bool(qs.update(**{spec.remaining: F(spec.remaining) - 1}))


def _give_pool(spec: Spec, pool) -> None:
    if _limited(spec, pool):
        _pool_qs(spec, pool.pk).update(**{spec.remaining: F(spec.remaining) + 1})


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
    parts.append(f"cap_upd AS (UPDATE {P} SET {remaining} = {remaining} - 1 WHERE id = %(cap_pool)s "
                 f"AND {open_col} = %(cap_open)s AND ({total} IS NULL OR {remaining} > 0)"
                 + (" AND EXISTS (SELECT 1 FROM cap_sub)" if use_sub else "") + " RETURNING 1)")
    cols = ", ".join(connection.ops.quote_name(spec.entry._meta.get_field(c).column) for c in columns)
    vals = ", ".join(f"%(cap_v{i})s" for i in range(len(columns)))
    parts.append(f"ins AS (INSERT INTO {E} ({cols}) SELECT {vals} FROM cap_upd RETURNING id)")
    parts.extend(also)
    took = "(SELECT count(*) FROM cap_sub)" if use_sub else "0"
    return "WITH " + ",\n".join(parts) + f"\nSELECT (SELECT id FROM ins), {took}"


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
                entry_id, took_sub = cur.fetchone()
            if entry_id is None and took_sub:
                raise Full()  # the sub-pool moved but the pool did not (closed meanwhile): undone
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise
    if entry_id is None:
        if use_sub and not took_sub and _pool_qs(spec, pool.pk).filter(**{f"{spec.remaining}__gt": 0}).exists():
            raise Full(sub=True)
        raise Full()
    return entry_id


# --- waitlist, offers ------------------------------------------------------------------------------------


def enqueue(spec: Spec, *, pool, person_id: int, sub_key=None, values: dict | None = None,
            after: Callable | None = None):
    """A waiting entry at the end of the pool's waitlist (the pool must keep one). Then, after this
    transaction, a place freed meanwhile is looked for again. Returns the entry, refreshed."""
    data = _entry_values(spec, pool, person_id, sub_key if _uses_sub(spec, pool) else None, EntryStatus.WAITING,
                         timezone.now(), values)
    try:
        with transaction.atomic():
            entry = spec.entry.objects.create(**data)
            if after is not None:
                after(entry)
    except IntegrityError as exc:
        if _unique_violation(exc, spec):
            raise Already() from None
        raise
    # A place freed by a cancellation that committed while this entry was being queued would find no
    # one to promote: look again, after the canceller's COMMIT (the row lock waits for it).
    retry_on_deadlock(_promote_if_free, spec=spec, pool_id=pool.pk)
    entry.refresh_from_db()
    return entry


@transaction.atomic
def _promote_if_free(*, spec: Spec, pool_id: int) -> None:
    pool = _lock_pool(spec, pool_id)
    if not _limited(spec, pool) or getattr(pool, spec.remaining):
        promote(spec, pool=pool)


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


def promote(spec: Spec, *, pool, limit: int = 50):
    """Gives a free place to the first waiting entry that can use it (its unit still has a place), as an
    offer when the pool has a claim window, else granted. Runs inside the caller's transaction, the pool
    row locked; skips entries another promotion holds. Returns the entry, or None."""
    if not getattr(pool, spec.waitlist, False):
        return None
    h = hooks(spec)
    now = timezone.now()
    waiting = (spec.entry.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(**{f"{spec.entry_pool}_id": pool.pk, spec.status: spec.value(EntryStatus.WAITING)})
               .order_by(*_queue_order(spec))[:limit])
    sub_attr = _entry_sub_attr(spec)
    for entry in waiting:
        reason = h.check(pool, entry) if h.check else None
        if reason:
            # No longer eligible since queuing: the place goes to the next in line, this entry ends.
            _end(spec, entry, EntryStatus.CANCELLED, reason, now)
            if h.changed:
                h.changed(pool, entry, EntryStatus.WAITING, reason)
            continue
        uses_sub = _uses_sub(spec, pool)
        if uses_sub and sub_attr and getattr(entry, sub_attr) is None and h.sub_key:
            # Queued before the pool had sub-pools: the place must come from its unit's.
            setattr(entry, sub_attr, h.sub_key(pool, entry))
            if getattr(entry, sub_attr) is not None:
                entry.save(update_fields=[sub_attr])
        key = getattr(entry, sub_attr) if sub_attr else None
        with transaction.atomic():
            if (uses_sub or key is not None) and not _take_sub(spec, pool.pk, key):
                continue  # its unit has no place (or no sub-pool): it waits
            if _limited(spec, pool) and not _take_pool(spec, pool, require_open=False):
                transaction.set_rollback(True)
                return None
            window = getattr(pool, spec.offer_seconds) if spec.offer_seconds else None
            if window and spec.offer_expires_at:
                status = EntryStatus.OFFERED
                setattr(entry, spec.offer_expires_at, now + dt.timedelta(seconds=window))
            else:
                status = EntryStatus.GRANTED
            setattr(entry, spec.status, spec.value(status))
            fields = [spec.status]
            if spec.granted_at:
                setattr(entry, spec.granted_at, now)
                fields.append(spec.granted_at)
            if status == EntryStatus.OFFERED:
                fields.append(spec.offer_expires_at)
            entry.save(update_fields=fields)
            if h.changed:
                h.changed(pool, entry, EntryStatus.WAITING, "")
            return entry
    return None


def promote_all(spec: Spec, *, pool) -> int:
    """As many promotions as there are free places (new places added to a pool)."""
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
    was = spec.engine_status(getattr(entry, spec.status))
    if was not in (EntryStatus.ENTERED, EntryStatus.WAITING, EntryStatus.OFFERED, EntryStatus.GRANTED):
        raise ValidationError({"entry": [_("该记录已结束")]})
    _end(spec, entry, status, reason, timezone.now())
    if was in HOLDING:
        _give_sub(spec, pool.pk, entry_sub_key(spec, entry))
        _give_pool(spec, pool)
        promote(spec, pool=pool)
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
    """Claims an offered place within its window. Too late, the offer expires (committed, so the place
    goes to the next in line) and the call is refused."""
    with transaction.atomic():
        pool, entry = lock_entry(spec, entry_id)
        if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
            raise ValidationError({"entry": [_("没有待确认的名额")]})
        late = getattr(entry, spec.offer_expires_at) <= timezone.now()
        if late:
            release(spec, pool=pool, entry=entry, status=EntryStatus.EXPIRED, reason=_("逾期未确认"))
            h = hooks(spec)
            if h.changed:
                h.changed(pool, entry, EntryStatus.OFFERED, _("逾期未确认"))
        else:
            setattr(entry, spec.status, spec.value(EntryStatus.GRANTED))
            entry.save(update_fields=[spec.status])
    if late:
        raise ValidationError({"entry": [_("确认时限已过，名额已让给下一位")]})
    return entry


@transaction.atomic
def offer_decline(spec: Spec, *, entry_id: int, reason: str = ""):
    pool, entry = lock_entry(spec, entry_id)
    if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
        raise ValidationError({"entry": [_("没有待确认的名额")]})
    release(spec, pool=pool, entry=entry, status=EntryStatus.DECLINED, reason=reason or _("本人放弃"))
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
        for entry_id in due:
            with transaction.atomic():
                pool, entry = lock_entry(spec, entry_id)
                if spec.engine_status(getattr(entry, spec.status)) != EntryStatus.OFFERED:
                    continue
                release(spec, pool=pool, entry=entry, status=EntryStatus.EXPIRED, reason=_("逾期未确认"))
                if h.changed:
                    h.changed(pool, entry, EntryStatus.OFFERED, _("逾期未确认"))
                n += 1
    return n


# --- lottery ---------------------------------------------------------------------------------------------


def enter(spec: Spec, *, pool, person_id: int, sub_key=None, values: dict | None = None):
    """An entrant for a draw (the pool allocates by lottery and has not drawn yet)."""
    if getattr(pool, "allocation", Allocation.LOTTERY) == Allocation.FIRST_COME:
        raise ValidationError({"pool": [_("该名额先到先得，无需报名抽签")]})
    if Draw.objects.filter(purpose=f"{spec.label}:{pool.pk}").exists():
        raise ValidationError({"pool": [_("已经抽签，报名已截止")]})
    data = _entry_values(spec, pool, person_id, sub_key, EntryStatus.ENTERED, timezone.now(), values)
    try:
        with transaction.atomic():
            return spec.entry.objects.create(**data)
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
    columns = [c for c in ("pk", spec.status, _entry_sub_attr(spec), spec.draw_rank, spec.granted_at, spec.ended_at,
                           *(a for a, _v in spec.draw_sets)) if c]
    locked = spec.entry.objects.select_for_update(of=("self",)).filter(
        **{f"{spec.entry_pool}_id": pool.pk, spec.status: spec.value(EntryStatus.ENTERED)})
    set_based = SET_BASED_DRAW and connection.vendor == "postgresql"
    if set_based:
        # The set-based path needs each entrant's unit only: {id: sub key}, no model instances.
        sub_attr = _entry_sub_attr(spec)
        entries = (dict(locked.values_list("pk", sub_attr)) if sub_attr
                   else dict.fromkeys(locked.values_list("pk", flat=True)))
    else:
        entries = {e.pk: e for e in locked.only(*columns)}
    ids = lottery.canonical(entries)
    prec = {int(k): int(v) for k, v in (precedence(ids) if precedence else {}).items() if int(v) and int(k) in entries}
    ordered = lottery.order(seed, ids, prec)
    now = timezone.now()
    waitlist = getattr(pool, spec.waitlist, False)
    use_sub = _uses_sub(spec, pool)
    if set_based:
        result = _draw_set_based(spec, pool, entries, ordered, use_sub, waitlist, now)
    else:
        result = _draw_each(spec, pool, entries, ordered, use_sub, waitlist, now)
    places = {"total": getattr(pool, spec.total)}
    if prec:
        places["precedence"] = {str(k): v for k, v in sorted(prec.items())}
    if use_sub:
        places["sub"] = {str(k): s for k, s in _subs(spec, pool.pk).values_list(_sub_key_attr(spec), spec.sub_slots)}
    record = Draw.objects.create(purpose=purpose, kind=Allocation.LOTTERY, seed=seed,
                                 entrants_hash=lottery.entrants_hash(ids, prec), entrants=ids, places=places,
                                 result=result, drawn_by=actor if getattr(actor, "pk", None) else None)
    audit(actor=actor, verb="capacity.draw", obj=record, object_repr=purpose, node_path=node_path,
          new={"seed": seed, "entrants_hash": record.entrants_hash, "entrants": len(ids),
               "granted": sum(1 for _, s in result if s == EntryStatus.GRANTED)})
    return record


def _draw_each(spec: Spec, pool, entries: dict, ordered: list[int], use_sub: bool, waitlist: bool, now) -> list:
    """The draw's allocation entry by entry: each takes its unit's place, then the pool's, by the same
    conditional UPDATEs as a first-come take (a savepoint gives the unit's place back when the pool
    has none). The reference the set-based path is tested against."""
    result = []
    for rank, entry_id in enumerate(ordered, 1):
        entry = entries[entry_id]
        key = entry_sub_key(spec, entry)
        got = False
        with transaction.atomic():
            if (not use_sub or _take_sub(spec, pool.pk, key)):
                if not _limited(spec, pool) or _take_pool(spec, pool, require_open=False):
                    got = True
                else:
                    transaction.set_rollback(True)
        status = EntryStatus.GRANTED if got else (EntryStatus.WAITING if waitlist else EntryStatus.LOST)
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
        result.append([entry_id, status])
    return result


# The set-based draw on PostgreSQL (a switch for the tests that compare it with the per-entry path).
SET_BASED_DRAW = True


def _draw_set_based(spec: Spec, pool, entries: dict, ordered: list[int], use_sub: bool, waitlist: bool, now) -> list:
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
    for rank, entry_id in enumerate(ordered, 1):
        key = entries[entry_id]
        got = (not use_sub or unit_left.get(key, 0) > 0) and (not limited or pool_left > 0)
        if got:
            if use_sub:
                unit_left[key] -= 1
                taken[key] = taken.get(key, 0) + 1
            if limited:
                pool_left -= 1
        status = EntryStatus.GRANTED if got else (EntryStatus.WAITING if waitlist else EntryStatus.LOST)
        ids.append(entry_id)
        statuses.append(spec.value(status))
        ranks.append(rank)
        result.append([entry_id, status])
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
    granted = sum(taken.values()) if use_sub else sum(1 for r in result if r[1] == EntryStatus.GRANTED)
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
            ranks = dict(_entries(spec, pool_id).filter(**{f"{spec.draw_rank}__isnull": False})
                         .values_list("id", spec.draw_rank))
            if sorted(ranks) != ids:
                problems.append("entrants")
            if ranks != {r[0]: n for n, r in enumerate(draw_record.result, 1)}:
                problems.append("ranks")
    else:
        ballots = {int(p): c for p, c in draw_record.places.get("ballots", {}).items()}
        ranked = lottery.order(draw_record.seed, ids)
        got = lottery.serial_dictatorship(ranked, ballots, {int(k): v for k, v in draw_record.places["places"].items()})
        if [[p, got[p]] for p in ranked] != draw_record.result:
            problems.append("order")
    return problems


# --- ranked choice across alternatives -----------------------------------------------------------------


def ballot_cast(*, group: str, person_id: int, pool_ids: list[int]):
    """One person's ranked choices among the pools of `group` (replaces an earlier ballot before the draw)."""
    from .models import Ballot

    choices = list(dict.fromkeys(int(p) for p in pool_ids))
    if not choices:
        raise ValidationError({"choices": [_("请至少选择一项")]})
    if Draw.objects.filter(purpose=f"ranked:{group}").exists():
        raise ValidationError({"choices": [_("已经分配，志愿已截止")]})
    ballot, _created = Ballot.objects.update_or_create(group=group, person_id=person_id,
                                                       defaults={"choices": choices})
    return ballot


@transaction.atomic
def ranked_draw(spec: Spec, *, actor, group: str, pools: list, seed: str | None = None,
                values: Callable | None = None, node_path: str = "") -> Draw:
    """Allocates the ballots of `group` over `pools` (alternatives, each with its own places; sub-pools
    are not used here): people in the seeded lottery order each get their most wanted pool that still
    has a place (serial dictatorship: nobody is displaced by someone drawn later). The winners' entries
    are written granted; `values(person_id, pool)` gives an entry's other columns. Published like a draw."""
    from .models import Ballot

    purpose = f"ranked:{group}"
    if Draw.objects.filter(purpose=purpose).exists():
        raise ValidationError({"group": [_("已经分配过")]})
    locked = {p.pk: _lock_pool(spec, p.pk) for p in sorted(pools, key=lambda p: p.pk)}
    seed = (seed or lottery.new_seed()).strip()
    ballots = {b.person_id: [c for c in b.choices if c in locked] for b in Ballot.objects.filter(group=group)}
    ids = lottery.canonical(ballots)
    ranked = lottery.order(seed, ids)
    places = {pk: (getattr(p, spec.remaining) if _limited(spec, p) else len(ids)) for pk, p in locked.items()}
    outcome = lottery.serial_dictatorship(ranked, ballots, places)
    now = timezone.now()
    for rank, person_id in enumerate(ranked, 1):
        pool_id = outcome[person_id]
        if pool_id is None:
            continue
        pool = locked[pool_id]
        if _limited(spec, pool) and not _take_pool(spec, pool, require_open=False):
            raise AssertionError("a place counted free was not")  # the pools are locked: cannot happen
        data = _entry_values(spec, pool, person_id, None, EntryStatus.GRANTED, now,
                             values(person_id, pool) if values else None)
        if spec.draw_rank:
            data[spec.draw_rank] = rank
        try:
            with transaction.atomic():
                spec.entry.objects.create(**data)
        except IntegrityError as exc:
            if _unique_violation(exc, spec):
                raise Already() from None
            raise
    record = Draw.objects.create(
        purpose=purpose, kind=Allocation.RANKED, seed=seed, entrants_hash=lottery.entrants_hash(ids), entrants=ids,
        places={"places": {str(k): v for k, v in places.items()},
                "ballots": {str(p): c for p, c in ballots.items()}},
        result=[[p, outcome[p]] for p in ranked], drawn_by=actor if getattr(actor, "pk", None) else None)
    audit(actor=actor, verb="capacity.ranked_draw", obj=record, object_repr=purpose, node_path=node_path,
          new={"seed": seed, "entrants_hash": record.entrants_hash, "entrants": len(ids),
               "placed": sum(1 for p in ranked if outcome[p] is not None)})
    return record


def sub_pool_of(spec: Spec, pool_id: int, key) -> SubPool | None:
    return _subs(spec, pool_id).filter(**{_sub_key_attr(spec): key}).first() if spec.sub else None
