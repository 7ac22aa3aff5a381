from __future__ import annotations

import json
import re

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, DateField, ExpressionWrapper, F, Func, Lookup, Q, QuerySet, TextField
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from huigong.accounts.models import Cap
from huigong.core import crypto, idnumber, phone as phone_rules
from huigong.core.audit import log_access
from huigong.core.crypto import blind_index
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require, root_path, staff_of
from huigong.orgs.models import UnionNode

from .models import NEW_EMPLOYMENT_FORMS, Membership, MembershipStatus, Person

PII_FIELDS = ("id_number", "phone", "bank_account")
_LATIN = re.compile(r"^[a-zA-Z]+$")

# A search first collects the matching people (each mode by its own index); up to this many, the list
# is the memberships of exactly those people. More than this (a surname alone, one initial) and the list
# is walked by join date with the search as a filter, which finds a page quickly because matches are
# dense (at 4,000 matches in a million, 0.4%, that walk read 26,000 memberships: 1.2 s). Deciding it from the count keeps PostgreSQL from walking the join-date index backwards through
# every membership for a search that matches a handful.
SEARCH_CANDIDATES = 10000
# Counts are exact up to this many rows; above it a list says "about N" (PostgreSQL's estimate), since
# counting a million memberships exactly costs more than the whole rest of the page.
COUNT_EXACT_UP_TO = 5000


NUMBER_SEARCH_NEEDS_PII = _("按身份证号或手机号查找需要“查看完整敏感信息”权限，请按姓名查找")
LONG_TAIL_NEEDS_PII = _("按身份证号后5至6位查找需要“查看完整敏感信息”权限；列表中显示的后4位可直接查找")


def is_number_search(q: str) -> bool:
    """A full ID number or mobile number: what search_filter looks up by blind index."""
    q = (q or "").strip()
    norm_id = idnumber.normalize(q)
    return (len(norm_id) == 18 and norm_id[:17].isdigit()) or phone_rules.is_valid(phone_rules.normalize(q))


def check_search_allowed(actor, q: str) -> None:
    """Finding a member by a full number binds that number to a named person, which is what revealing it
    does: a role without the full-PII capability may not (it finds people by name instead). The last four
    characters of an ID number are on every list, so anyone who sees the list may search by them; five or
    six tell more than the list (the birth day), so they need the capability too."""
    if not q or staff_of(actor).can(Cap.PII_FULL):
        return
    if is_number_search(q):
        raise PermissionDenied(NUMBER_SEARCH_NEEDS_PII)
    tail = idnumber.parse_tail(q)
    if tail is not None and len(tail.tail) > crypto.ID_TAIL_MIN:
        raise PermissionDenied(LONG_TAIL_NEEDS_PII)


class NameGrams(Func):
    """hg_name_grams(name): the name's characters and pairs of characters (PostgreSQL function and GIN
    index from migration 0010), so that a substring of a name is found by index."""

    function = "hg_name_grams"
    output_field = ArrayField(TextField())


def name_grams(text: str) -> list[str]:
    """What hg_name_grams gives for `text`, as a query: its pairs (or the character alone)."""
    if len(text) == 1:
        return [text]
    return sorted({text[i:i + 2] for i in range(len(text) - 1)})


def person_filter(q: str, *, record_prefix: str = "") -> Q:
    """For a Person queryset that has the name_search_grams alias on PostgreSQL (see _people).
    Name, pinyin ("zhangsan"), initials ("zs"), full ID number, the tail of one as lists show it
    ("…041X", "1101**********041X") or phone, over Person: exact ones by blind index.
    A phone finds only records collected under `record_prefix` (the searcher's subtree), so that
    one union cannot learn whose number a phone is from what another union recorded."""
    q = q.strip()
    if not q:
        return Q()
    norm_id = idnumber.normalize(q)
    if len(norm_id) == 18 and norm_id[:17].isdigit():
        return Q(id_number_hash=blind_index(norm_id, "id"))
    norm_phone = phone_rules.normalize(q)
    if phone_rules.is_valid(norm_phone):
        return Q(phone_hash=blind_index(norm_phone, "phone"), record_path__startswith=record_prefix)
    tail = idnumber.parse_tail(q)
    if tail is not None:
        found = Q(id_tail_hash__in=crypto.id_tail_lookups(tail.tail))
        if tail.head:  # the mask keeps the region code: a copied "1101**…" must match it
            found &= Q(id_number_mask__startswith=tail.head[:6])
        return found
    if _LATIN.match(q):
        low = q.lower()
        return Q(name_initials__startswith=low) | Q(name_pinyin__startswith=low)
    if connection.vendor == "postgresql":
        # The pairs find the candidates by index; LIKE checks the order of the pairs.
        return Q(name_search_grams__contains=name_grams(q), name__contains=q)
    return Q(name__contains=q)


def _people(q: str, record_prefix: str) -> QuerySet[Person]:
    qs = Person.objects.all()
    if connection.vendor == "postgresql":
        qs = qs.alias(name_search_grams=NameGrams("name"))
    return qs.filter(person_filter(q, record_prefix=record_prefix))


def search_filter(q: str, *, record_prefix: str = "") -> Q:
    """person_filter for a queryset of memberships (or anything with a `person`)."""
    if not q.strip():
        return Q()
    return Q(person__in=_people(q, record_prefix))


def subtree_union_ids(prefix: str) -> list[int]:
    return list(UnionNode.objects.filter(path__startswith=prefix).order_by().values_list("pk", flat=True))


def scope_union_ids(prefix: str) -> tuple[list[int] | None, float]:
    """The ids of the unions under `prefix` and their share of all unions; the ids are None when that is
    every union there is (a national admin's scope), so that the list needs no union condition at all:
    as a filter, a 3,300-id array was compared with every membership a search visited (~100 ms for
    4,000 matches), for nothing."""
    if connection.vendor != "postgresql":
        return subtree_union_ids(prefix), 1.0
    with connection.cursor() as cur:
        cur.execute(f"SELECT array_agg(id) FILTER (WHERE path LIKE %s), count(*) FILTER (WHERE path NOT LIKE %s) "
                    f"FROM {UnionNode._meta.db_table}", [prefix + "%", prefix + "%"])
        ids, outside = cur.fetchone()
    ids = ids or []
    return (None, 1.0) if outside == 0 else (ids, len(ids) / (len(ids) + outside))


# A scope with at most this share of the unions is "small": a dense search there sorts the scope's
# matches instead of walking the federation's join-date index (see member_list_for_actor).
SMALL_SCOPE_SHARE = 0.05


def _dense_filter(q: str, record_prefix: str) -> Q:
    """A search with more than SEARCH_CANDIDATES matches, as a condition on each membership's person
    (joined), not as `person_id IN (all the matching people)`: PostgreSQL then checks the person of each
    membership it reads — the scope's (small scope) or the newest first (large scope) — instead of first
    collecting tens of thousands of matching people into a hash (60-70 ms for "ly" or "l")."""
    text = q.strip()
    if _LATIN.match(text):
        low = text.lower()
        return Q(person__name_initials__startswith=low) | Q(person__name_pinyin__startswith=low)
    if not (is_number_search(text) or idnumber.parse_tail(text) is not None):
        return Q(person__name__contains=text)
    return Q(person__in=_people(q, record_prefix))


def candidate_ids(q: str, record_prefix: str) -> list[int]:
    """Up to SEARCH_CANDIDATES + 1 ids of the people a search text matches, each mode by its own index.
    Initials and pinyin are two bounded prefix searches, each an index-only scan (the indexes carry the
    id) instead of one bitmap scan visiting every matching person's row; the pinyin one only when the
    initials alone did not pass the bound."""
    text = q.strip()
    if not (_LATIN.match(text) and connection.vendor == "postgresql"):
        return list(_people(q, record_prefix).order_by().values_list("pk", flat=True)[:SEARCH_CANDIDATES + 1])
    low = text.lower()
    ids = list(Person.objects.filter(name_initials__startswith=low).order_by()
               .values_list("pk", flat=True)[:SEARCH_CANDIDATES + 1])
    if len(ids) <= SEARCH_CANDIDATES:
        pinyin = Person.objects.filter(name_pinyin__startswith=low).order_by().values_list("pk", flat=True)
        ids = list(dict.fromkeys([*ids, *pinyin[:SEARCH_CANDIDATES + 1]]))[:SEARCH_CANDIDATES + 1]
    return ids


class AnyOf(Lookup):
    """`column = ANY(%s)` with the ids as ONE array parameter on PostgreSQL (`IN (…)` elsewhere).
    A national scope is ~3,300 union ids and a search up to SEARCH_CANDIDATES people: as `IN (%s, …)`
    every statement carried thousands of placeholders, and psycopg's client-side parsing of such a
    statement cost ~40 ms of CPU per query (three per page: count, estimate, rows) — more than the
    queries themselves. The planner treats both forms alike (a constant array of known length)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]


for _field in ("union", "person"):
    Membership._meta.get_field(_field).register_lookup(AnyOf)

# The list's order (join date, newest first) as an expression no index serves ("joined_on + 0"), so
# that PostgreSQL sorts the rows it found rather than walking the join-date index for them.
_NOT_BY_INDEX = (ExpressionWrapper(F("joined_on") + 0, output_field=DateField()).desc(), "-id")

# Set on the queryset member_list_for_actor returns: the same filters without the row query's joins and
# annotation, which is what count_members counts (the person join is needed only when a filter reads
# the person).
_COUNT_BASE = "_hg_count_base"


def member_list_for_actor(actor, *, q: str = "", node: UnionNode | None = None, employment_form: str = "",
                          enterprise_id: int | None = None, status: str = MembershipStatus.ACTIVE
                          ) -> QuerySet[Membership]:
    """Memberships (one row per member) in the actor's subtree, or in `node`'s if it is inside it."""
    prefix = root_path(actor)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        prefix = node.path
    own = root_path(actor)
    # The subtree's unions by id rather than a join on their path: PostgreSQL then knows how many
    # memberships the scope holds, and picks the union index for a small one.
    union_ids, share = scope_union_ids(prefix)
    base = Membership.objects.all() if union_ids is None else Membership.objects.filter(union__any_of=union_ids)
    if status:
        base = base.filter(status=status)
    if employment_form == "new":  # every 新就业形态 kind at once
        base = base.filter(person__employment_form__in=list(NEW_EMPLOYMENT_FORMS))
    elif employment_form:
        base = base.filter(person__employment_form=employment_form)
    if enterprise_id:
        base = base.filter(Q(person__employer_id=enterprise_id) | Q(person__platform_id=enterprise_id))
    scope_first = False
    if q:
        check_search_allowed(actor, q)
        ids = candidate_ids(q, own)
        if len(ids) <= SEARCH_CANDIDATES:
            base = base.filter(person__any_of=ids)
        else:
            base = base.filter(_dense_filter(q, own))
            # A dense search (more than SEARCH_CANDIDATES people nationwide) in a small scope: the scope's
            # memberships first, then the page sorted from them. PostgreSQL would otherwise walk the
            # join-date index backwards through the whole federation looking for the scope's few
            # matches (a district and "l": 43,000 rows read, 104 ms). In a large scope the walk finds a
            # page quickly (matches are dense there) and sorting the scope would not.
            scope_first = union_ids is not None and share <= SMALL_SCOPE_SHARE and connection.vendor == "postgresql"
    qs = (
        base.select_related("person", "union", "person__employer", "person__platform")
        .defer("person__id_number", "person__phone", "person__bank_account")
        # A former member's row may carry a record another subtree's union has since recorded:
        # lists show its contact, bank and job values only when it was recorded in the actor's subtree.
        .annotate(record_visible=ExpressionWrapper(Q(person__record_path__startswith=own),
                                                   output_field=BooleanField()))
        .order_by(*(_NOT_BY_INDEX if scope_first else ("-joined_on", "-id")))
    )
    setattr(qs, _COUNT_BASE, base)
    return qs


def count_members(qs: QuerySet) -> tuple[int, bool]:
    """(count, exact): exact up to COUNT_EXACT_UP_TO rows; above it PostgreSQL's estimate (never below
    what was counted), which pages show as "about N". SQLite (the embedded set-up) always counts.
    For a queryset from member_list_for_actor it counts that list's filters alone (no joins the filters
    do not need)."""
    qs = getattr(qs, _COUNT_BASE, qs)
    if connection.vendor != "postgresql":
        return qs.count(), True
    lean = qs.order_by().values("pk")
    counted = lean[:COUNT_EXACT_UP_TO + 1].count()
    if counted <= COUNT_EXACT_UP_TO:
        return counted, True
    try:
        plan = json.loads(lean.explain(format="json"))
        estimate = int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        estimate = 0
    return max(estimate, counted), False


class MemberPaginator(Paginator):
    """Django's Paginator with the count from count_members, and pages always asked for with LIMIT
    per_page: Django's own asks for exactly the remaining rows on a short last page, and PostgreSQL
    planned LIMIT 5 as a backwards walk of the join-date index through every membership (4.9 s, against
    110 ms for LIMIT 50)."""

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count, self.count_exact = count_members(object_list)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(list(self.object_list[bottom:bottom + self.per_page]), number, self)


def recorded_in_scope(actor, record_path: str) -> bool:
    """Whether the values of a person's record (contact, bank, job) were collected inside the
    actor's subtree; values another subtree's union recorded are not shown to this one."""
    return bool(record_path) and path_in_scope(actor, record_path)


def current_membership(person: Person) -> Membership | None:
    """The active membership, or the most recent one for a person who left."""
    ms = sorted(person.memberships.select_related("union").all(),
                key=lambda m: (m.status == MembershipStatus.ACTIVE, m.joined_on, m.id))
    return ms[-1] if ms else None


def person_get_for_actor(actor, person_id: int) -> tuple[Person, Membership | None]:
    staff_of(actor)
    try:
        person = (Person.objects.select_related("employer", "platform")
                  .defer("id_number", "phone", "bank_account").get(pk=person_id))
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    membership = current_membership(person)
    if membership is None:
        raise Http404
    ensure_path_in_scope(actor, membership.union.path)
    if not recorded_in_scope(actor, person.record_path):
        # Values another subtree's union recorded (a registration path that did not replace them):
        # this union sees the person without them.
        for f in HIDDEN_OUTSIDE_RECORD:
            setattr(person, f, "")
    return person, membership


# Person columns a union records about a member (besides name, ID number and what it implies).
UNION_RECORDED_COLUMNS = frozenset({
    "phone", "phone_mask", "bank_account", "bank_account_mask", "bank_name", "ethnicity", "education",
    "political_status", "employer", "platform", "job_title", "employee_no", "address", "contract_start",
    "contract_end"})
# Display columns of what a union records; the encrypted values behind the masks go through person_reveal.
HIDDEN_OUTSIDE_RECORD = ("phone_mask", "bank_account_mask", "bank_name", "ethnicity", "education", "job_title",
                         "political_status", "employee_no", "address")


def person_find_by_id_number(number: str) -> Person | None:
    return Person.objects.filter(id_number_hash=blind_index(idnumber.normalize(number), "id")).first()


def person_reveal(actor, person: Person, fields: list[str], *, purpose: str) -> dict[str, str]:
    """Full values of personal data; needs the PII capability and leaves an access row."""
    require(actor, Cap.PII_FULL)
    bad = [f for f in fields if f not in PII_FIELDS]
    if bad or not fields:
        raise ValueError(f"unknown personal fields: {bad}")
    membership = current_membership(person)
    if membership is None:
        raise Http404
    ensure_path_in_scope(actor, membership.union.path)
    full = Person.objects.only("record_path", *fields).get(pk=person.pk)
    log_access(actor=actor, object_type="members.person", object_id=str(person.pk), fields=fields,
               purpose=purpose, node_path=membership.union.path)
    # The ID number is what every union registering the person supplies; contact and bank values
    # are shown only to the subtree that recorded them.
    own = recorded_in_scope(actor, full.record_path)
    return {f: (getattr(full, f) or "") if own or f == "id_number" else "" for f in fields}


def membership_history(person: Person) -> list[Membership]:
    return list(person.memberships.select_related("union").order_by("joined_on", "id"))


def person_transfers(person: Person) -> list:
    """会员关系转接 records of a person, with both unions, oldest first (for the history table)."""
    from .models import MembershipTransfer

    return list(MembershipTransfer.objects.filter(person=person)
                .select_related("from_membership__union", "to_membership__union", "actor")
                .order_by("at", "id"))


def withdraw_reasons(memberships: list[Membership]) -> dict[int, str]:
    """Reasons given when memberships ended by withdrawal. Membership has no column for it, so they are
    read from the withdrawal's audit event (written in the same transaction, never edited)."""
    from huigong.core.models import AuditEvent

    ids = [str(m.pk) for m in memberships if m.status == MembershipStatus.WITHDRAWN]
    if not ids:
        return {}
    events = AuditEvent.objects.filter(verb="membership.withdraw", object_type="members.membership",
                                       object_id__in=ids).order_by("at", "id")
    return {int(e.object_id): (e.new or {}).get("reason", "") for e in events}


# --- 会员关系转接请求 -------------------------------------------------------------------------------------

def transfer_requests_for_actor(actor, *, direction: str = "out", status: str = "") -> QuerySet:
    """Requests addressed to the actor's subtree for release ("out") or sent by it ("in")."""
    from .models import TransferRequest

    require(actor, Cap.VIEW)
    prefix = root_path(actor)
    field = "from_union__path__startswith" if direction == "out" else "to_union__path__startswith"
    qs = (TransferRequest.objects.filter(**{field: prefix})
          .select_related("person", "from_union", "to_union", "decided_by")
          .defer("person__id_number", "person__phone", "person__bank_account"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def transfer_request_get_for_actor(actor, request_id):
    """A request either side may read; anyone else gets a 404 (existence is not told)."""
    from .models import TransferRequest

    require(actor, Cap.VIEW)
    try:
        req = (TransferRequest.objects.select_related("person", "from_union", "to_union")
               .defer("person__id_number", "person__phone", "person__bank_account").get(pk=int(request_id)))
    except (TransferRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    prefix = root_path(actor)
    if not (req.from_union.path.startswith(prefix) or req.to_union.path.startswith(prefix)):
        raise Http404
    return req


# --- Pickers ------------------------------------------------------------------------------------------

_ID_TAIL = re.compile(r"^[.…*·\s]*(\d{3}[\dXx])$")


def picker_filter(q: str, *, record_prefix: str = "") -> Q:
    """What a member picker's search box matches: the masked ID tail shown in its labels ("…041X", "041x"),
    else everything the member search matches (name, pinyin, initials, full ID number, phone)."""
    m = _ID_TAIL.match(q.strip())
    if m:
        return Q(person__id_tail_hash__in=crypto.id_tail_lookups(m.group(1).upper()))
    return search_filter(q, record_prefix=record_prefix)


def member_picker_label(membership: Membership, *, actor) -> str:
    """"name · …041X · unit": enough to tell same-name members apart, and nothing but masked data. The unit
    is the employer (or platform) when its record was collected in the actor's subtree, else the union."""
    person = membership.person
    unit = None
    if recorded_in_scope(actor, person.record_path):
        unit = person.employer or person.platform
    unit_name = unit.name if unit is not None else membership.union.name
    tail = (person.id_number_mask or "")[-4:]
    return f"{person.name} · …{tail} · {unit_name}"
