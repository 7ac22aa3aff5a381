"""The PostgreSQL write path: COPY into a staging table, upserts sent in pipeline mode while the
next chunk validates, registry conflicts found by the upsert itself, progress visible to other
connections while the import's transaction is still open."""

import random

import psycopg
import pytest
from django.db import connection

from huigong.members.models import ImportStatus, Membership, Person
from huigong.members.roster import roster_import_start, services
from huigong.members.roster.testing import person_row, roster_xlsx, upload
from huigong.members.roster.writers import PostgresWriter


def _rows(n, seed=1):
    rng = random.Random(seed)
    return [person_row(rng) for _ in range(n)]


def _start(cast, rows):
    return roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", roster_xlsx(rows)))


@pytest.fixture
def calls(monkeypatch):
    seen = {"stage": 0, "send_upsert": 0, "conflicts": 0}
    for name in seen:
        original = getattr(PostgresWriter, name)

        def spy(self, *a, _name=name, _orig=original, **kw):
            seen[_name] += 1
            return _orig(self, *a, **kw)

        monkeypatch.setattr(PostgresWriter, name, spy)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    return seen


def test_chunks_are_copied_and_upserted(on_postgres, cast, calls):
    imp = _start(cast, _rows(5))
    assert imp.status == ImportStatus.DONE and imp.created_count == 5
    assert calls == {"stage": 3, "send_upsert": 3, "conflicts": 0}
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [f"roster_stage_{imp.pk}"])
        assert cur.fetchone()[0] is None  # the staging table is gone
    p = Person.objects.get(id_number_hash=Person.objects.latest("id").id_number_hash)
    assert p.id_number and p.memberships.get().source == "import"


def test_a_late_error_rolls_back_chunks_already_upserted(on_postgres, cast, calls):
    before = Person.objects.count(), Membership.objects.count()
    rows = _rows(7)
    rows[6]["学历"] = "幼儿园"
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.REJECTED and calls["send_upsert"] == 3
    assert (Person.objects.count(), Membership.objects.count()) == before


def test_the_upsert_reports_registry_conflicts(on_postgres, cast, calls):
    rider = cast.rider.person
    rows = _rows(5)
    rows[2] = person_row(random.Random(9), 身份证号=rider.id_number, 性别="男" if rider.gender == "M" else "女",
                         出生日期=rider.birth_date.isoformat())
    name_before = rider.name
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.REJECTED
    assert [e[0] for e in imp.errors_preview] == [4] and "会员关系转接" in imp.errors_preview[0][3]
    # Found by the second chunk's upsert; the third chunk was only checked, not written.
    assert calls["send_upsert"] == 2 and calls["conflicts"] == 1
    rider.refresh_from_db()
    assert rider.name == name_before and rider.memberships.get().union_id == cast.riders.pk


def test_staged_rows_carry_no_plaintext_when_only_checked(on_postgres, cast, monkeypatch):
    staged = []
    original = PostgresWriter.stage

    def spy(self, rows):
        staged.extend(rows)
        return original(self, rows)

    monkeypatch.setattr(PostgresWriter, "stage", spy)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    rows = _rows(4)
    rows[0]["手机号"] = "1"
    _start(cast, rows)
    numbers = {r["身份证号"] for r in rows}
    assert staged and not any(v in numbers for row in staged for v in row)


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_outside_the_import_transaction(on_postgres, monkeypatch):
    from huigong.testing import Cast

    cast = Cast().build()
    seen = []
    original = services._Progress._write
    params = connection.get_connection_params()

    def spy(self, fields):
        original(self, fields)
        if "processed_rows" in fields:
            with psycopg.connect(**params) as other:
                seen.append(other.execute("SELECT processed_rows, status FROM members_rosterimport WHERE id = %s",
                                          [self.import_id]).fetchone())

    monkeypatch.setattr(services._Progress, "_write", spy)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    imp = _start(cast, _rows(5))
    assert imp.status == ImportStatus.DONE
    assert seen[:3] == [(2, "validating"), (4, "validating"), (5, "validating")]
