"""Key rotation: reencrypt_personal_data moves every value to the new key and the blind indexes to the
new index key, all or nothing."""

import base64
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from huigong.core import crypto
from huigong.core.models import AuditEvent
from huigong.members.models import Person
from huigong.members.selectors import person_find_by_id_number

ENCRYPTED = ("id_number", "phone", "bank_account")
NEW_SECRET = "rotated-secret-key-" + "x" * 40
NEW_BLIND = "ab" * 32


def _forget_keys():
    for name in ENCRYPTED:
        f = Person._meta.get_field(name)
        f.__dict__.pop("keys", None)
        f.__dict__.pop("f", None)
    crypto._key.cache_clear()


@pytest.fixture(autouse=True)
def fresh_keys():
    _forget_keys()
    yield
    _forget_keys()  # later tests must see the configured keys again


def fernet_for(secret: str) -> Fernet:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=settings.SALT_KEY.encode(), iterations=100_000)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(secret.encode())))


def raw(person_id: int) -> tuple[str, str, str]:
    with connection.cursor() as c:
        c.execute("SELECT id_number, phone, id_number_hash FROM members_person WHERE id = %s", [person_id])
        return c.fetchone()


def run(**kw) -> str:
    out = io.StringIO()
    call_command("reencrypt_personal_data", stdout=out, **kw)
    return out.getvalue()


def test_rotation_moves_values_and_indexes_to_the_new_keys(cast):
    person = cast.member.person
    number, phone = Person.objects.get(pk=person.pk).id_number, Person.objects.get(pk=person.pk).phone
    old_token, _, old_hash = raw(person.pk)
    old_secret = settings.SECRET_KEY
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[old_secret], BLIND_INDEX_KEY=NEW_BLIND):
        _forget_keys()
        out = run()
        token, phone_token, new_hash = raw(person.pk)
        assert "re-encrypted 3 rows" in out
        assert fernet_for(NEW_SECRET).decrypt(token.encode()).decode() == number
        assert fernet_for(NEW_SECRET).decrypt(phone_token.encode()).decode() == phone
        with pytest.raises(InvalidToken):
            fernet_for(old_secret).decrypt(token.encode())
        assert new_hash != old_hash and new_hash == crypto.blind_index(number, "id")
        assert person_find_by_id_number(number).pk == person.pk  # lookups work under the new index key
        assert AuditEvent.objects.filter(verb="pii.reencrypt").count() == 1
    assert old_token != token


def test_dry_run_changes_nothing(cast):
    before = raw(cast.member.person.pk)
    assert "checked 3 rows" in run(dry_run=True)
    assert raw(cast.member.person.pk) == before
    assert not AuditEvent.objects.filter(verb="pii.reencrypt").exists()


def test_a_value_no_key_decrypts_stops_everything(cast):
    before = [raw(m.person.pk) for m in (cast.member, cast.rider)]
    # The rider's number was written under a key that is not configured any more.
    stray = fernet_for("a-key-nobody-kept" + "y" * 40).encrypt(b"330106199001011234").decode()
    with connection.cursor() as c:
        c.execute("UPDATE members_person SET id_number = %s WHERE id = %s", [stray, cast.rider.person.pk])
    with pytest.raises(CommandError, match="no configured key"):
        run()
    assert raw(cast.member.person.pk) == before[0]
    assert not AuditEvent.objects.filter(verb="pii.reencrypt").exists()
