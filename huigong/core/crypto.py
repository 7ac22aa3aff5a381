"""Blind index and masking for personal data. Values are encrypted at rest by
django-fernet-encrypted-fields; this module gives them an exact-match index with its own key."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _key() -> bytes:
    return bytes.fromhex(settings.BLIND_INDEX_KEY) if len(settings.BLIND_INDEX_KEY) == 64 else \
        settings.BLIND_INDEX_KEY.encode()


def blind_index(value: str, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value, domain-separated by purpose ("id", "phone", "bank")."""
    msg = f"{purpose}:{value}".encode()
    return hmac.new(_key(), msg, hashlib.sha256).hexdigest()


# ID tail index: the last ID_TAIL characters of an ID number under their own purpose, so that the tail shown
# in lists ("…041X") finds the member without decrypting a column. Shorter tails (4 or 5 characters) are
# looked up as the 100 or 10 six-character tails that end with them (the characters before the last one
# are digits). 32 hex characters (128 bits) are plenty for a lookup that is never unique.
ID_TAIL = 6
ID_TAIL_MIN = 4
ID_TAIL_WIDTH = 32


def id_tail_index(number: str) -> str:
    """The tail index of a normalised ID number ("" for anything shorter than a tail)."""
    if not number or len(number) < ID_TAIL:
        return ""
    return blind_index(number[-ID_TAIL:], "id_tail")[:ID_TAIL_WIDTH]


def id_tail_lookups(tail: str) -> list[str]:
    """Every tail index a 4- to 6-character tail (digits, the last one maybe X) matches."""
    if not ID_TAIL_MIN <= len(tail) <= ID_TAIL:
        raise ValueError("an ID tail has 4 to 6 characters")
    pad = ID_TAIL - len(tail)
    heads = [f"{i:0{pad}d}" for i in range(10**pad)] if pad else [""]
    return [blind_index(h + tail, "id_tail")[:ID_TAIL_WIDTH] for h in heads]


@lru_cache(maxsize=1)
def _encrypted_field():
    from django.apps import apps
    from encrypted_fields.fields import EncryptedFieldMixin

    return next(f for model in apps.get_models() for f in model._meta.concrete_fields
                if isinstance(f, EncryptedFieldMixin))


def fernet():
    """The Fernet used by the encrypted model fields, for bulk paths that bypass the ORM. Every such
    field derives the same one from the settings; the first installed model's is used (found without
    importing an app), and its cached keys are the ones a key rotation drops (reencrypt_personal_data)."""
    return _encrypted_field().f


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "*" * len(phone)


def mask_bank(account: str) -> str:
    if not account:
        return ""
    return "**** **** " + account[-4:]


def mask_name(name: str) -> str:
    """张*三 style: first and last character kept."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_query(q: str) -> str:
    """A search string as it may be kept in an audit row: full ID numbers and phones masked."""
    from huigong.core import idnumber
    from huigong.core import phone as phone_rules

    q = (q or "").strip()
    norm = idnumber.normalize(q)
    if len(norm) == 18 and norm[:17].isdigit():
        return idnumber.mask(norm)
    if phone_rules.is_valid(phone_rules.normalize(q)):
        return mask_phone(phone_rules.normalize(q))
    return q


class BlindIndexField(models.CharField):
    """A blind index column: blind_index(value of `source`, `purpose`), for exact lookup and UNIQUE
    without plaintext. Declaring it (rather than a bare CharField) is what lets a key rotation find and
    recompute it (reencrypt_personal_data walks every model for these). `source=None` marks an
    ephemeral index with nothing to recompute from (a one-time code's phone, a day's rate-limit
    row): it goes stale at a rotation and expires by itself.

    In migrations it is a plain CharField (deconstruct): declaring an index changes no schema."""

    def __init__(self, *args, source: str | None = None, purpose: str = "", **kwargs):
        kwargs.setdefault("max_length", 64)
        self.source, self.purpose = source, purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


# Values derived from a blind index that live outside a BlindIndexField (a worker's auth username is
# "w-" + the phone's index): the app that derives one registers how to recompute it, and a key
# rotation runs every hook inside its transaction. name -> func(*, dry_run) -> rows.
ROTATION_HOOKS: dict = {}


def register_rotation_hook(name: str, func) -> None:
    ROTATION_HOOKS[name] = func
