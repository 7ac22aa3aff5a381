"""Keeping Person.id_tail_hash in step with the ID number where no save() does it: the data migration that
fills it for existing rows, and a key rotation (BLIND_INDEX_KEY changes every tail index; the hook runs
inside reencrypt_personal_data's transaction, after the ID numbers were re-encrypted).

Rows are read and written by raw SQL in primary-key batches: a million people are decrypted once each,
and only rows whose index differs are written."""

from __future__ import annotations

from cryptography.fernet import InvalidToken

from huigong.core import crypto, idnumber

BATCH = 5000


def recompute_id_tails(connection, fernet, *, dry_run: bool = False) -> int:
    """Sets id_tail_hash from the decrypted ID number on every row where it differs; returns how many."""
    qn = connection.ops.quote_name
    select = (f"SELECT id, {qn('id_number')}, {qn('id_tail_hash')} FROM {qn('members_person')} "
              "WHERE id > %s ORDER BY id LIMIT %s")
    changed, last = 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                return changed
            last = rows[-1][0]
            todo = []
            for pk, stored, current in rows:
                number = ""
                if stored:
                    try:
                        number = fernet.decrypt(stored.encode()).decode()
                    except (InvalidToken, ValueError, TypeError):
                        # Not ours to judge here: reencrypt_personal_data stops on such a value first.
                        number = ""
                wanted = crypto.id_tail_index(idnumber.normalize(number)) if number else ""
                if wanted != (current or ""):
                    todo.append((pk, wanted))
            changed += len(todo)
            if dry_run or not todo:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {qn('members_person')} AS p SET id_tail_hash = v.h "
                    "FROM unnest(%s::bigint[], %s::text[]) AS v(id, h) WHERE p.id = v.id",
                    [[t[0] for t in todo], [t[1] for t in todo]])
            else:
                cursor.executemany(f"UPDATE {qn('members_person')} SET id_tail_hash = %s WHERE id = %s",
                                   [(h, pk) for pk, h in todo])


def id_tails_rotation_hook(*, dry_run: bool = False) -> int:
    from django.db import connection

    return recompute_id_tails(connection, crypto.fernet(), dry_run=dry_run)
