"""Key rotation: reencrypt_personal_data moves every value (every table, JSON leaves too), every blind
index and every stored file to the new keys, all or nothing for the database."""

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
    from django.apps import apps
    from encrypted_fields.fields import EncryptedFieldMixin

    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedFieldMixin):
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
        assert "'members.person': 3" in out
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
    out = run(dry_run=True)
    assert out.startswith("checked") and "'members.person': 3" in out
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


def test_rotating_both_keys_of_a_populated_database_keeps_workers_members_and_files_working(
        client, cast, settings, tmp_path):
    """Given people, a worker account, a hardship file's household, a visit's itemised household (a JSON
    field with encrypted leaves) and stored files, when both the Fernet key and the blind-index key are
    rotated and the old key removed, workers still sign in, members are found by ID number and phone and
    files open."""
    import random

    from huigong.assistance.models import FileMember, SweepVisit
    from huigong.assistance.services import screening
    from huigong.assistance.tests.files_support import deep_file, rule, sweep
    from huigong.core import files
    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_xlsx, upload
    from huigong.members.selectors import member_list_for_actor
    from huigong.portal import services as portal
    from huigong.portal.models import SmsPurpose
    from huigong.portal.sms import MemorySmsSender
    from huigong.testing import new_id_number

    settings.MEDIA_ROOT = str(tmp_path / "media")
    person = Person.objects.get(pk=cast.member.person.pk)
    number, phone = person.id_number, person.phone
    portal.sms_code_send(phone=phone, purpose=SmsPurpose.SIGNUP)
    account = portal.account_signup(phone=phone, password="Hg-worker-2026", code=MemorySmsSender.last_code(phone))
    account.person = person
    account.save(update_fields=["person"])
    rule(cast)
    spouse = new_id_number()
    deep_file(cast, members=[{"name": "李大山", "relation": "配偶", "id_number": spouse}])
    details = {"members": [{"name": "李大山", "income": "1200", "illness": "尿毒症"}]}
    visit = screening.sweep_visit_record(actor=cast.city_admin, sweep=sweep(cast), person=person, household_size=2,
                                         monthly_income_fen=100_000, details=details)
    rng = random.Random(3)
    roster = roster_xlsx([person_row(rng) for _ in range(2)])
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", roster))
    assert imp.status == "done", imp.errors_preview
    old_secret = settings.SECRET_KEY

    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[old_secret], BLIND_INDEX_KEY=NEW_BLIND):
        _forget_keys()
        out = run()
        assert "'portal.workeraccount': 1" in out and "'assistance.sweepvisit': 1" in out
    # The old key is gone for good: everything must work under the new keys alone.
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[], BLIND_INDEX_KEY=NEW_BLIND):
        _forget_keys()
        r = client.post("/portal/login/", {"mode": "password", "phone": phone, "password": "Hg-worker-2026"})
        assert r.status_code == 302, r.content.decode()[:500]
        assert person_find_by_id_number(number).pk == person.pk
        assert [m.person_id for m in member_list_for_actor(cast.city_admin, q=number)] == [person.pk]
        assert [m.person_id for m in member_list_for_actor(cast.city_admin, q=phone)] == [person.pk]
        assert FileMember.objects.get(id_number_hash=crypto.blind_index(spouse, "id")).id_number == spouse
        assert SweepVisit.objects.get(pk=visit.pk).details == details
        imp.refresh_from_db()
        with imp.file.open("rb") as fh:
            assert fh.read() == roster
        with open(imp.file.path, "rb") as raw:
            assert files.read_header(raw)[4:12] == files.current_key_id()
        assert run(dry_run=True).startswith("checked")  # nothing is left under the old key


def test_a_file_no_key_opens_stops_the_rotation_and_names_the_file(cast, settings, tmp_path):
    import random

    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_xlsx, upload

    settings.MEDIA_ROOT = str(tmp_path / "media")
    rng = random.Random(5)
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech,
                              upload=upload("r.xlsx", roster_xlsx([person_row(rng)])))
    # Written under a key that is not configured any more.
    with override_settings(SECRET_KEY="a-key-nobody-kept" + "y" * 40):
        imp.file.storage.delete(imp.file.name)
        imp.file.storage.save(imp.file.name, io.BytesIO(b"PK old roster"))
    with pytest.raises(CommandError, match="no configured key"):
        run(dry_run=True)
    with pytest.raises(CommandError, match="no configured key"):
        run()
