"""python manage.py reencrypt_personal_data [--dry-run]: the last step of a key rotation.

Reads every encrypted value with all configured keys (SECRET_KEY and HUIGONG_SECRET_KEY_FALLBACKS),
writes it back encrypted with the current SECRET_KEY, and recomputes Person's blind indexes with the
current BLIND_INDEX_KEY. It runs in one transaction, so lookups never meet a half-rotated table, and a
value that no configured key decrypts stops it with nothing changed (the field would otherwise hand
back the ciphertext as if it were the value). See docs/operations.md."""

from __future__ import annotations

import time

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from encrypted_fields.fields import EncryptedFieldMixin

from huigong.core import crypto
from huigong.core.audit import audit

BATCH = 2000
# Person's blind-index columns: encrypted field -> (hash column, purpose).
BLIND = {"id_number": ("id_number_hash", "id"), "phone": ("phone_hash", "phone"),
         "bank_account": ("bank_account_hash", "bank")}


def _fresh_keys(fields) -> None:
    # The fields cache their derived keys for the life of the process; read the settings again.
    for f in fields:
        f.__dict__.pop("keys", None)
        f.__dict__.pop("f", None)
    crypto._key.cache_clear()


class Command(BaseCommand):
    help = "Re-encrypts personal data with the current key and recomputes blind indexes (key rotation)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only check that every value decrypts")

    def handle(self, *args, dry_run: bool, **options):
        start = time.monotonic()
        totals: dict[str, int] = {}
        with transaction.atomic():
            for model in apps.get_models():
                fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
                if fields:
                    _fresh_keys(fields)
                    totals[model._meta.label_lower] = self._model(model, fields, dry_run=dry_run)
            if not dry_run:
                audit(actor=None, verb="pii.reencrypt", object_type="core.keys", object_repr="密钥轮换 / key rotation",
                      new={"rows": totals})
        verb = "checked" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {sum(totals.values()):,} rows in {time.monotonic() - start:.1f}s: {totals}"))

    def _model(self, model, fields, *, dry_run: bool) -> int:
        qn = connection.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        blind = [(f, *BLIND[f.name]) for f in fields if model._meta.label_lower == "members.person" and f.name in BLIND]
        cols = [f.column for f in fields]
        sets = [f"{qn(f.column)} = %s" for f in fields] + [f"{qn(h)} = %s" for _, h, _ in blind]
        update = f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} = %s"
        select = (f"SELECT {pk}, {', '.join(qn(c) for c in cols)} FROM {table} WHERE {pk} > %s "
                  f"ORDER BY {pk} LIMIT {BATCH}")
        last, count = None, 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(select, [last if last is not None else -1])
                rows = cursor.fetchall()
                if not rows:
                    return count
                params = []
                for row in rows:
                    plain = []
                    for f, token in zip(fields, row[1:]):
                        try:
                            plain.append(f.f.decrypt(token.encode()).decode() if token else None)
                        except InvalidToken:
                            raise CommandError(
                                f"{model._meta.label_lower} {row[0]}.{f.name}: no configured key decrypts it; "
                                "add the old SECRET_KEY to HUIGONG_SECRET_KEY_FALLBACKS (nothing was changed)"
                            ) from None
                    by_name = {f.name: v for f, v in zip(fields, plain)}
                    params.append([f.f.encrypt(v.encode()).decode() if v else None for f, v in zip(fields, plain)]
                                  + [crypto.blind_index(by_name[f.name], purpose) if by_name[f.name] else ""
                                     for f, _, purpose in blind]
                                  + [row[0]])
                if not dry_run:
                    cursor.executemany(update, params)
                count += len(rows)
                last = rows[-1][0]
