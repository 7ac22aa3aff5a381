"""The write path of a roster import, one implementation per database. Both are called chunk
by chunk inside the import's single transaction, check the registry for the chunk (a person
whose active membership is in another union is an error: that is 会员关系转接), and upsert
people by ID-number blind index: required columns are overwritten, optional ones only when the
roster has a value (a blank cell never wipes what the registry knows). That merge applies to
records kept inside the importing actor's subtree only: a former member whose record another
subtree's union kept gets the roster's values alone (blanks included), so one union never
receives what another collected, and the replacement is returned (`pulled`) to be audited on
both sides."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from huigong.members.models import Membership, MembershipStatus, Person
from huigong.members.services import PERSON_FIELDS
from huigong.orgs.models import UnionNode

from .bulkcrypt import BulkFernet
from .validate import RECORD_FIELDS, R

PERSON_COLUMNS = (
    "name", "name_pinyin", "name_initials", "id_number", "id_number_hash", "id_number_mask", "id_tail_hash", "gender",
    "birth_date",
    "phone", "phone_hash", "phone_mask", "ethnicity", "education", "political_status", "employment_form",
    "employer_id", "platform_id", "job_title", "employee_no", "contract_start", "contract_end", "address",
    "bank_name", "bank_account", "bank_account_hash", "bank_account_mask", "front_line",
)
_ALWAYS = ("name", "name_pinyin", "name_initials", "id_number_mask", "id_tail_hash", "gender", "birth_date",
           "employment_form")
_KEEP_IF_BLANK = ("ethnicity", "education", "political_status", "job_title", "employee_no", "address", "bank_name")
_KEEP_IF_NULL = ("employer_id", "platform_id", "contract_start", "contract_end", "front_line")
# Encrypted values travel with their blind index: replaced only when the roster has one.
_KEEP_WITH_HASH = {"phone": "phone_hash", "phone_mask": "phone_hash", "phone_hash": "phone_hash",
                   "bank_account": "bank_account_hash", "bank_account_mask": "bank_account_hash",
                   "bank_account_hash": "bank_account_hash"}
log = logging.getLogger(__name__)
_DATE_COLUMNS = {"birth_date", "contract_start", "contract_end", "joined_on"}
_INT_COLUMNS = {"employer_id", "platform_id", "row_no"}
_BOOL_COLUMNS = {"front_line"}

_ID, _PHONE, _BANK = R["id_number"], R["phone"], R["bank_account"]


@dataclass(frozen=True, slots=True)
class Conflict:
    row: int
    id_number: str
    union_id: int
    union_name: str
    union_path: str
    person_id: int


# The audited snapshot of a person (members.services.PERSON_FIELDS) as columns.
SNAPSHOT = {f: (f"{f}_id" if f in ("employer", "platform") else f) for f in PERSON_FIELDS}


@dataclass(frozen=True, slots=True)
class Pulled:
    """A person whose record another subtree's union kept, replaced by this import's row."""

    row: int
    person_id: int
    old_path: str
    old: dict
    new: dict


def _in_scope(record_path: str, scope: str) -> bool:
    # members.selectors.recorded_in_scope, for the actor's root path at hand.
    return bool(record_path) and record_path.startswith(scope)


class WriteCounts:
    def __init__(self) -> None:
        self.created = 0
        self.updated = 0
        self.memberships = 0


def card_no_prefix(union: UnionNode) -> str:
    # Same numbering as members.services._card_no: region code then the person's id.
    return union.region_code or "000000"


class PostgresWriter:
    """COPY into a temporary staging table, then one statement per chunk: INSERT … ON CONFLICT
    (id_number_hash) DO UPDATE for people and, in the same statement, one INSERT of the
    memberships they lack. Works on the raw psycopg connection inside the import's transaction;
    the upsert can be sent without waiting (send_upsert/collect) so that the database runs it
    while Python validates the next chunk."""

    def __init__(self, raw_connection, *, import_id: int, union: UnionNode, scope: str, now: dt.datetime):
        self.conn = raw_connection
        self.union = union
        self.scope = scope  # the importing actor's root path
        self.now = now
        self.table = f"roster_stage_{int(import_id)}"
        self.counts = WriteCounts()
        self.pulled: list[Pulled] = []
        self.crypt = BulkFernet.for_model_field(Person._meta.get_field("id_number"))
        self._pipeline = None
        self._cursor = None
        self._upsert_sql, self._upsert_params = self._build_upsert()

    def open(self) -> None:
        # The staging table's columns are the validated record's, in the same order.
        cols = ", ".join(f"{c} {self._type(c)}" for c in RECORD_FIELDS)
        with self.conn.cursor() as cur:
            # FK checks (Django makes them DEFERRABLE INITIALLY DEFERRED) run per statement, so they
            # overlap with the validation of the next chunk instead of piling up at COMMIT.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(f"DROP TABLE IF EXISTS {self.table}")
            cur.execute(f"CREATE TEMPORARY TABLE {self.table} ({cols}) ON COMMIT DROP")

    @staticmethod
    def _type(col: str) -> str:
        if col in _DATE_COLUMNS:
            return "date"
        if col in _INT_COLUMNS:
            return "bigint"
        if col in _BOOL_COLUMNS:
            return "boolean"
        return "text"

    def close(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.table}")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")

    def prepare(self, records: list[tuple], *, encrypt: bool = True) -> list[tuple]:
        """Staging rows with the personal numbers encrypted (or left out when the rows are only
        staged to be checked against the registry: plaintext never reaches the database)."""
        if not encrypt:
            out = []
            for r in records:
                row = list(r)
                row[_ID] = row[_PHONE] = row[_BANK] = None
                out.append(row)
            return out
        ids = self.crypt.encrypt_many([r[R["id_number"]] for r in records])
        phones = self.crypt.encrypt_many([r[R["phone"]] for r in records])
        banks = self.crypt.encrypt_many([r[R["bank_account"]] for r in records])
        out = []
        for i, r in enumerate(records):
            row = list(r)
            row[_ID], row[_PHONE], row[_BANK] = ids[i], phones[i], banks[i]
            out.append(row)
        return out

    def stage(self, rows: list[tuple]) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"TRUNCATE {self.table}")
            with cur.copy(f"COPY {self.table} ({', '.join(RECORD_FIELDS)}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)

    def conflicts(self) -> list[Conflict]:
        sql = (f"SELECT s.row_no, s.id_number_mask, u.id, u.name, u.path, p.id FROM {self.table} s "
               "JOIN members_person p ON p.id_number_hash = s.id_number_hash "
               "JOIN members_membership m ON m.person_id = p.id AND m.status = %s "
               "JOIN orgs_unionnode u ON u.id = m.union_id WHERE m.union_id <> %s")
        with self.conn.cursor() as cur:
            cur.execute(sql, [MembershipStatus.ACTIVE, self.union.pk])
            return [Conflict(*row) for row in cur.fetchall()]

    def send_upsert(self) -> None:
        """Sends the chunk's upsert and returns at once; collect() waits for it."""
        if self._pipeline is not None:
            raise RuntimeError("the previous upsert was not collected")
        self._pipeline = self.conn.pipeline()
        self._pipeline.__enter__()
        self._cursor = self.conn.cursor()
        self._cursor.execute(self._upsert_sql, self._upsert_params)

    def collect(self) -> list[Conflict]:
        """Waits for the upsert in flight (if any); returns the registry conflicts it found."""
        if self._pipeline is None:
            return []
        pipeline, cursor, self._pipeline = self._pipeline, self._cursor, None
        pipeline.__exit__(None, None, None)
        created, total, memberships, conflicts, pulled = cursor.fetchone()
        cursor.close()
        self.counts.created += created
        self.counts.updated += total - created
        self.counts.memberships += memberships
        n = len(SNAPSHOT)
        for row, person_id, old_path, *values in pulled:
            self.pulled.append(Pulled(row, person_id, old_path, dict(zip(SNAPSHOT, values[:n])),
                                      dict(zip(SNAPSHOT, values[n:]))))
        return [Conflict(*c) for c in conflicts]

    def abandon(self) -> None:
        """Leaves pipeline mode after an error so the transaction can be rolled back."""
        if self._pipeline is not None:
            pipeline, self._pipeline = self._pipeline, None
            try:
                pipeline.__exit__(None, None, None)
            except Exception:  # the caller is already handling the error that brought us here
                log.debug("pipeline exit after an error", exc_info=True)

    def upsert(self) -> list[Conflict]:
        self.send_upsert()
        return self.collect()

    def _build_upsert(self) -> tuple[str, dict]:
        cols = ", ".join(PERSON_COLUMNS)
        # SET expressions read the row as it was: whether its record was kept inside the actor's subtree.
        own = "starts_with(p.record_path, %(scope)s)"
        sets = [f"{c} = EXCLUDED.{c}" for c in _ALWAYS]
        sets += [f"{c} = CASE WHEN EXCLUDED.{h} <> '' OR NOT {own} THEN EXCLUDED.{c} ELSE p.{c} END"
                 for c, h in _KEEP_WITH_HASH.items()]
        sets += [f"{c} = CASE WHEN {own} THEN COALESCE(NULLIF(EXCLUDED.{c}, ''), p.{c}) ELSE EXCLUDED.{c} END"
                 for c in _KEEP_IF_BLANK]
        sets += [f"{c} = CASE WHEN {own} THEN COALESCE(EXCLUDED.{c}, p.{c}) ELSE EXCLUDED.{c} END"
                 for c in _KEEP_IF_NULL]
        sets.append("record_path = EXCLUDED.record_path")
        sets.append("updated_at = EXCLUDED.updated_at")
        snap_old = ", ".join(f"p.{c} AS o_{c}" for c in SNAPSHOT.values())
        snap_new = ", ".join(f"s.{c} AS n_{c}" for c in SNAPSHOT.values())
        snap_out = ", ".join([*(f"o_{c}" for c in SNAPSHOT.values()), *(f"n_{c}" for c in SNAPSHOT.values())])
        sql = f"""
            WITH prior AS (
                -- Records another subtree's union kept, as they were before this statement (every
                -- part of one statement reads the same snapshot): the replacements to audit.
                SELECT s.row_no, p.id AS person_id, p.record_path, {snap_old}, {snap_new}
                FROM {self.table} s JOIN members_person p ON p.id_number_hash = s.id_number_hash
                WHERE NOT {own}
            ), up AS (
                INSERT INTO members_person AS p ({cols}, record_path, created_at, updated_at)
                SELECT {cols}, %(union_path)s, %(now)s, %(now)s FROM {self.table}
                ON CONFLICT (id_number_hash) DO UPDATE SET {", ".join(sets)}
                RETURNING p.id, p.id_number_hash, (p.xmax = 0) AS inserted
            ), mem AS (
                INSERT INTO members_membership
                    (person_id, union_id, status, joined_on, ended_on, card_no, source, created_at)
                SELECT up.id, %(union)s, %(active)s, s.joined_on, NULL,
                       %(prefix)s || lpad(up.id::text, 10, '0'), 'import', %(now)s
                FROM up JOIN {self.table} s ON s.id_number_hash = up.id_number_hash
                WHERE up.inserted OR NOT EXISTS (SELECT 1 FROM members_membership m
                                                 WHERE m.person_id = up.id AND m.status = %(active)s)
                RETURNING 1
            ), conflict AS (
                -- People already active in another union: the import will be rolled back and
                -- these rows reported (会员关系转接 is the way to move them).
                SELECT s.row_no, s.id_number_mask, u.id AS union_id, u.name, u.path, up.id AS person_id
                FROM up JOIN {self.table} s ON s.id_number_hash = up.id_number_hash
                JOIN members_membership m ON m.person_id = up.id AND m.status = %(active)s
                                         AND m.union_id <> %(union)s
                JOIN orgs_unionnode u ON u.id = m.union_id
                WHERE NOT up.inserted
            )
            SELECT (SELECT count(*) FROM up WHERE inserted), (SELECT count(*) FROM up),
                   (SELECT count(*) FROM mem),
                   (SELECT coalesce(json_agg(json_build_array(row_no, id_number_mask, union_id, name, path,
                                                              person_id)), '[]'::json) FROM conflict),
                   (SELECT coalesce(json_agg(json_build_array(row_no, person_id, record_path, {snap_out})
                                             ORDER BY row_no), '[]'::json) FROM prior)
        """
        params = {"now": self.now, "union": self.union.pk, "active": MembershipStatus.ACTIVE,
                  "prefix": card_no_prefix(self.union), "scope": self.scope, "union_path": self.union.path}
        return sql, params


class OrmWriter:
    """SQLite (the embedded shape): batched bulk_create(update_conflicts=True) through the ORM,
    which encrypts with the model fields. Blank optional cells are merged with the stored person
    first, because bulk_create overwrites every listed column."""

    batch_size = 500

    def __init__(self, *, union: UnionNode, scope: str, now: dt.datetime):
        self.union = union
        self.scope = scope  # the importing actor's root path
        self.now = now
        self.counts = WriteCounts()
        self.pulled: list[Pulled] = []
        self._staged: list[tuple] = []

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def prepare(self, records: list[tuple]) -> list[tuple]:
        return records  # the ORM encrypts on save

    def stage(self, records: list[tuple]) -> None:
        self._staged = records

    def conflicts(self) -> list[Conflict]:
        by_hash = {r[R["id_number_hash"]]: r for r in self._staged}
        out = []
        for i in range(0, len(by_hash), self.batch_size):
            hashes = list(by_hash)[i:i + self.batch_size]
            rows = (Membership.objects.filter(status=MembershipStatus.ACTIVE, person__id_number_hash__in=hashes)
                    .exclude(union_id=self.union.pk)
                    .values_list("person__id_number_hash", "union_id", "union__name", "union__path", "person_id"))
            for h, union_id, name, path, person_id in rows:
                r = by_hash[h]
                out.append(Conflict(r[0], r[R["id_number_mask"]], union_id, name, path, person_id))
        return out

    def upsert(self) -> None:
        records = self._staged
        hashes = [r[R["id_number_hash"]] for r in records]
        existing: dict[str, Person] = {}
        for i in range(0, len(hashes), self.batch_size):
            for p in Person.objects.filter(id_number_hash__in=hashes[i:i + self.batch_size]):
                existing[p.id_number_hash] = p
        people = []
        for r in records:
            values = {c: r[R[c]] for c in PERSON_COLUMNS}
            old = existing.get(values["id_number_hash"])
            if old is not None and not _in_scope(old.record_path, self.scope):
                self.pulled.append(Pulled(r[0], old.pk, old.record_path,
                                          {f: getattr(old, c) for f, c in SNAPSHOT.items()},
                                          {f: values[c] for f, c in SNAPSHOT.items()}))
            elif old is not None:
                for c in _KEEP_IF_BLANK:
                    if not values[c]:
                        values[c] = getattr(old, c)
                for c in _KEEP_IF_NULL:
                    if values[c] is None:
                        values[c] = getattr(old, c)
                for c, h in _KEEP_WITH_HASH.items():
                    if not values[h]:
                        values[c] = getattr(old, c)
            values["phone"] = values["phone"] or None
            values["bank_account"] = values["bank_account"] or None
            people.append(Person(**values, record_path=self.union.path, created_at=self.now, updated_at=self.now))
        update_fields = [c for c in PERSON_COLUMNS if c not in ("id_number", "id_number_hash")] + \
            ["record_path", "updated_at"]
        Person.objects.bulk_create(people, batch_size=self.batch_size, update_conflicts=True,
                                   unique_fields=["id_number_hash"], update_fields=update_fields)
        self.counts.updated += len(existing)
        self.counts.created += len(records) - len(existing)
        ids: dict[str, int] = {}
        for i in range(0, len(hashes), self.batch_size):
            ids.update(Person.objects.filter(id_number_hash__in=hashes[i:i + self.batch_size])
                       .values_list("id_number_hash", "id"))
        active: set[int] = set()
        person_ids = list(ids.values())
        for i in range(0, len(person_ids), self.batch_size):
            active.update(Membership.objects.filter(person_id__in=person_ids[i:i + self.batch_size],
                                                    status=MembershipStatus.ACTIVE)
                          .values_list("person_id", flat=True))
        prefix = card_no_prefix(self.union)
        memberships = [
            Membership(person_id=ids[r[R["id_number_hash"]]], union=self.union, status=MembershipStatus.ACTIVE,
                       joined_on=r[R["joined_on"]], card_no=f"{prefix}{ids[r[R['id_number_hash']]]:010d}",
                       source="import", created_at=self.now)
            for r in records if ids[r[R["id_number_hash"]]] not in active
        ]
        Membership.objects.bulk_create(memberships, batch_size=self.batch_size)
        self.counts.memberships += len(memberships)
