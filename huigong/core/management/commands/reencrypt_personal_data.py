"""python manage.py reencrypt_personal_data [--dry-run]: the last step of a key rotation.

One command moves everything that a key protects, in every app, found by walking the models (so a
future app is covered without editing this file):
- every encrypted column (django-fernet-encrypted-fields, JSON fields with encrypted leaves too) is
  read with all configured keys (SECRET_KEY and HUIGONG_SECRET_KEY_FALLBACKS) and written back under
  the current SECRET_KEY;
- every blind index (huigong.core.crypto.BlindIndexField with a source) is recomputed from the value
  under the current BLIND_INDEX_KEY, so people are found, and workers sign in, by ID number and phone;
- values derived from a blind index elsewhere (a worker's auth username) are recomputed by the hooks
  their apps register (huigong.core.crypto.register_rotation_hook);
- every stored file (huigong.core.files) under an older key is rewritten under the current one.

The database part runs in one transaction, so lookups never meet a half-rotated table, and a value
that no configured key decrypts stops it with nothing changed (the field would otherwise hand back the
ciphertext as if it were the value). Files follow once the database committed, one atomic rename
each; a run that stops half-way is simply run again (files already under the current key are left).
See docs/operations.md."""

from __future__ import annotations

import json
import time

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from encrypted_fields.fields import EncryptedFieldMixin, EncryptedJSONField

from huigong.core import crypto, files
from huigong.core.audit import audit

BATCH = 2000


def encrypted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]


def blind_index_fields(model) -> list:
    """Blind indexes that can be recomputed: those whose source is a field of the same row."""
    return [f for f in model._meta.concrete_fields if isinstance(f, crypto.BlindIndexField) and f.source]


def _fresh_keys() -> None:
    # The fields cache their derived keys for the life of the process; read the settings again.
    for model in apps.get_models():
        for f in encrypted_fields(model):
            f.__dict__.pop("keys", None)
            f.__dict__.pop("f", None)
    crypto._key.cache_clear()


def _leaves(value, fn):
    if isinstance(value, dict):
        return {k: _leaves(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_leaves(v, fn) for v in value]
    return fn(value) if isinstance(value, str) else value


class _Field:
    """How one encrypted column is read (to plaintext) and written (under the current key) raw."""

    def __init__(self, field):
        self.field = field
        self.json = isinstance(field, EncryptedJSONField)

    def decrypt(self, stored):
        if stored is None or stored == "":
            return None
        f = self.field.f
        if self.json:
            # jsonb comes back decoded on PostgreSQL, as text on SQLite.
            tree = json.loads(stored) if isinstance(stored, str | bytes) else stored
            return _leaves(tree, lambda token: f.decrypt(token.encode()).decode())
        return f.decrypt(stored.encode()).decode()

    def encrypt(self, plain):
        if plain is None:
            return None
        f = self.field.f
        if self.json:
            return json.dumps(_leaves(plain, lambda v: f.encrypt(v.encode()).decode()), cls=self.field.encoder)
        return f.encrypt(plain.encode()).decode()


class Command(BaseCommand):
    help = ("Re-encrypts every encrypted column and file with the current key and recomputes every blind "
            "index (key rotation).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="only check that every value and file decrypts; change nothing")

    def handle(self, *args, dry_run: bool, **options):
        start = time.monotonic()
        _fresh_keys()
        totals: dict[str, int] = {}
        with transaction.atomic():
            for model in apps.get_models():
                enc, blind = encrypted_fields(model), blind_index_fields(model)
                if enc or blind:
                    totals[model._meta.label_lower] = self._model(model, enc, blind, dry_run=dry_run)
            for name, hook in crypto.ROTATION_HOOKS.items():
                totals[name] = hook(dry_run=dry_run)
            if dry_run:
                file_counts = self._files(dry_run=True)
            else:
                audit(actor=None, verb="pii.reencrypt", object_type="core.keys",
                      object_repr=_("密钥轮换"), new={"rows": totals})
        if not dry_run:
            file_counts = self._files(dry_run=False)
        verb = "checked" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {sum(totals.values()):,} rows in {time.monotonic() - start:.1f}s: {totals}; files: {file_counts}"))

    def _files(self, *, dry_run: bool) -> dict[str, int]:
        try:
            return files.rotate_files(dry_run=dry_run)
        except files.FileDecryptError as e:
            raise CommandError(f"{e}; add the old SECRET_KEY to HUIGONG_SECRET_KEY_FALLBACKS and run again") from None

    def _model(self, model, enc, blind, *, dry_run: bool) -> int:
        qn = connection.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        readers = [_Field(f) for f in enc]
        by_name = {f.name: i for i, f in enumerate(enc)}
        # A blind index whose source is a plain column reads that column too.
        plain_sources = sorted({b.source for b in blind if b.source not in by_name})
        cols = [f.column for f in enc] + [model._meta.get_field(s).column for s in plain_sources]
        sets = [f"{qn(f.column)} = %s" for f in enc] + [f"{qn(b.column)} = %s" for b in blind]
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
                    for reader, stored in zip(readers, row[1:], strict=False):
                        try:
                            plain.append(reader.decrypt(stored))
                        except (InvalidToken, ValueError, TypeError, AttributeError):
                            raise CommandError(
                                f"{model._meta.label_lower} {row[0]}.{reader.field.name}: no configured key "
                                "decrypts it; add the old SECRET_KEY to HUIGONG_SECRET_KEY_FALLBACKS "
                                "(nothing was changed)"
                            ) from None
                    source = {f.name: v for f, v in zip(enc, plain, strict=True)}
                    source.update(zip(plain_sources, row[1 + len(enc):], strict=True))
                    params.append([r.encrypt(v) for r, v in zip(readers, plain, strict=True)]
                                  + [crypto.blind_index(str(source[b.source]), b.purpose) if source[b.source] else ""
                                     for b in blind]
                                  + [row[0]])
                if not dry_run:
                    cursor.executemany(update, params)
                count += len(rows)
                last = rows[-1][0]
