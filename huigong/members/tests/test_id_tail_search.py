"""Issue 15, item 8: the ID tail shown in lists ("…041X") finds the member, in the console and the API,
within the searcher's scope; it is kept in step with the ID number by every writer, the data migration and
a key rotation."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from huigong.core import crypto, idnumber
from huigong.members.models import ImportStatus, Person
from huigong.members.roster import roster_import_start
from huigong.members.roster.testing import person_row, roster_xlsx, upload
from huigong.members.selectors import LONG_TAIL_NEEDS_PII, member_list_for_actor
from huigong.members.tailindex import recompute_id_tails
from huigong.testing import make_member


@pytest.fixture
def api_as(db):
    from huigong.api.tests.conftest import ApiClient, make_token

    return lambda user: ApiClient(make_token(user))


def _number(membership) -> str:
    return Person.objects.get(pk=membership.person_id).id_number


def _search(client, user, q):
    client.force_login(user)
    return client.get(client.post(reverse("members:list"), {"q": q})["Location"])


def _found(r, tail):
    people = [m.person for m in r.context["page_obj"]]
    # Another fixture member may share the last four characters (1 in 11,000): all must end with them.
    assert all(p.id_number_mask.endswith(tail[-4:]) for p in people), [p.id_number_mask for p in people]
    return {p.name for p in people}


def _masked_forms(number: str) -> list[str]:
    tail = number[-4:]
    return [tail, tail.lower(), f"…{tail}", f"...{tail}", f"****{tail}", f"{number[:4]}{'*' * 10}{tail}",
            idnumber.mask(number), " ＊＊" + tail.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))]


def test_tail_parsing():
    assert idnumber.parse_tail("…041x") == idnumber.IdTail("041X")
    assert idnumber.parse_tail("1101**********041X") == idnumber.IdTail("041X", head="1101")
    assert idnumber.parse_tail("12041X") == idnumber.IdTail("12041X")
    for not_a_tail in ("041", "1234567", "张三", "a041X", "04X1", "1101041X", "110101199001010412", "13800138000"):
        assert idnumber.parse_tail(not_a_tail) is None, not_a_tail


def test_every_masked_form_of_the_listed_tail_finds_the_member_on_the_page(client, cast):
    number = _number(cast.rider)
    for q in _masked_forms(number):
        # The viewer has no full-PII capability: the last four are on every list, so it may search them.
        assert "王骑手" in _found(_search(client, cast.viewer, q), number), q


def test_a_tail_with_another_region_head_finds_nothing(client, cast):
    number = _number(cast.rider)
    other_head = "9" + number[1:4] if number[0] != "9" else "8" + number[1:4]
    assert _found(_search(client, cast.city_admin, f"{other_head}{'*' * 10}{number[-4:]}"), number) == set()


def test_five_and_six_characters_need_full_pii(client, cast):
    number = _number(cast.rider)
    for q in (number[-5:], number[-6:], f"****{number[-6:]}"):
        assert "王骑手" in _found(_search(client, cast.finance, q), number), q
        r = _search(client, cast.viewer, q)
        assert _found(r, number) == set()
        assert str(LONG_TAIL_NEEDS_PII) in r.content.decode()


def test_a_tail_does_not_reach_outside_the_scope(client, cast):
    qd = _number(cast.qd_member)
    assert "赵青岛" not in _found(_search(client, cast.city_admin, f"…{qd[-4:]}"), qd)
    assert "赵青岛" in _found(_search(client, cast.outsider, f"…{qd[-4:]}"), qd)
    mine = _number(cast.rider)
    assert "王骑手" not in _found(_search(client, cast.outsider, f"…{mine[-4:]}"), mine)
    # A unit's staff below the rider's union does not see it either.
    assert "王骑手" not in _found(_search(client, cast.tech_staff, mine[-4:]), mine)


def test_api_finds_by_tail_in_body_and_query_within_scope(cast, api_as):
    number = _number(cast.rider)
    r = api_as(cast.viewer).post("/api/v1/members/search", {"q": f"…{number[-4:]}"})
    assert r.status_code == 200, r.json()
    assert "王骑手" in {m["name"] for m in r.json()["items"]}
    assert r.json()["count_exact"] is True
    r = api_as(cast.viewer).get("/api/v1/members", {"q": number[-4:]})
    assert r.status_code == 200 and "王骑手" in {m["name"] for m in r.json()["items"]}
    r = api_as(cast.outsider).post("/api/v1/members/search", {"q": f"…{number[-4:]}"})
    assert r.status_code == 200 and "王骑手" not in {m["name"] for m in r.json()["items"]}
    r = api_as(cast.viewer).post("/api/v1/members/search", {"q": number[-6:]})
    assert r.status_code == 403
    r = api_as(cast.finance).post("/api/v1/members/search", {"q": number[-6:]})
    assert r.status_code == 200 and "王骑手" in {m["name"] for m in r.json()["items"]}


def test_every_writer_sets_the_tail_index(cast):
    # The form/API path (derived_person_fields).
    m = make_member(cast.city_admin, cast.tech, "钱表单")
    p = Person.objects.get(pk=m.person_id)
    assert p.id_tail_hash == crypto.id_tail_index(p.id_number) != ""
    # The roster import (its own bulk writer).
    row = person_row(random.Random(15), 姓名="孙名册", 用人单位=cast.enterprise.name)
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech, upload=upload("r.xlsx", roster_xlsx([row])))
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    number = idnumber.normalize(row["身份证号"])
    names = {x.person.name for x in member_list_for_actor(cast.city_admin, q=f"…{number[-4:]}")}
    assert "孙名册" in names


def test_the_data_migration_fills_rows_written_before_it(cast):
    Person.objects.update(id_tail_hash="")
    assert recompute_id_tails(connection, crypto.fernet()) == Person.objects.count()
    assert recompute_id_tails(connection, crypto.fernet()) == 0  # idempotent: nothing left to change
    number = _number(cast.rider)
    assert "王骑手" in {x.person.name for x in member_list_for_actor(cast.city_admin, q=number[-4:])}


def _forget_keys():
    from django.apps import apps
    from encrypted_fields.fields import EncryptedFieldMixin

    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedFieldMixin):
                f.__dict__.pop("keys", None)
                f.__dict__.pop("f", None)
    crypto._key.cache_clear()


def test_a_key_rotation_recomputes_the_tail_index(cast, settings):
    number = _number(cast.rider)
    old = Person.objects.get(pk=cast.rider.person_id).id_tail_hash
    try:
        with override_settings(SECRET_KEY="rotated-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY],
                               BLIND_INDEX_KEY="cd" * 32):
            _forget_keys()
            out = io.StringIO()
            call_command("reencrypt_personal_data", stdout=out)
            assert "'members.id_tails'" in out.getvalue()
            new = Person.objects.get(pk=cast.rider.person_id).id_tail_hash
            assert new != old and new == crypto.id_tail_index(number)
            assert "王骑手" in {x.person.name for x in member_list_for_actor(cast.city_admin, q=f"…{number[-4:]}")}
    finally:
        _forget_keys()
