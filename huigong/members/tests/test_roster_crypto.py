"""The bulk paths of the roster import must produce exactly what the model fields and the shared
rules produce: tokens the field decrypts, the same blind index, the same ID-number verdicts."""

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from huigong.core import idnumber
from huigong.core.crypto import blind_index
from huigong.members.models import Person
from huigong.members.roster.bulkcrypt import BlindIndexer, BulkFernet
from huigong.members.roster.validate import _IdParser


def _field():
    return Person._meta.get_field("id_number")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=70)), max_size=30))
def test_bulk_tokens_decrypt_with_the_model_field(values):
    field = _field()
    tokens = BulkFernet.for_model_field(field).encrypt_many(values)
    assert len(tokens) == len(values)
    for value, token in zip(values, tokens):
        if not value:
            assert token is None  # what the field stores for an empty value
        else:
            assert field.f.decrypt(token.encode()).decode() == value
            assert field.to_python(token) == value


def test_bulk_tokens_use_a_fresh_iv_each():
    tokens = BulkFernet.for_model_field(_field()).encrypt_many(["330106199001011234"] * 50)
    assert len(set(tokens)) == 50
    # Block-boundary lengths: 15, 16 (a whole padding block) and 17 bytes.
    f = _field().f
    for value in ("x" * 15, "x" * 16, "x" * 17, "张" * 6):
        (token,) = BulkFernet.for_model_field(_field()).encrypt_many([value])
        assert f.decrypt(token.encode()).decode() == value


@given(st.text(max_size=40), st.sampled_from(["id", "phone", "bank"]))
def test_blind_indexer_matches_core_blind_index(value, purpose):
    assert BlindIndexer(purpose)(value) == blind_index(value, purpose)


def _verdict(fn, raw):
    try:
        return ("ok", fn(raw))
    except idnumber.IdNumberError as e:
        return ("error", e.code, str(e))


def test_fast_id_parser_agrees_with_the_shared_rule():
    rng = random.Random(5)
    parse = _IdParser(dt.date.today())
    valid = [idnumber.random_number(rng, "330106") for _ in range(300)]
    cases = valid + [v[:17] + ("0" if v[17] != "0" else "1") for v in valid[:80]]
    cases += [v.lower() for v in valid[:20]] + [f" {v[:6]} {v[6:]} " for v in valid[:20]]
    cases += ["11010519491231002X", "11010519491231002x", "1101051949123100", "", "abc", "110105202912310020",
              "110105189912310025", "110105190002300020", "１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X0"]
    for raw in cases:
        assert _verdict(parse, raw) == _verdict(idnumber.parse, raw), raw


@given(st.text(alphabet="0123456789Xx -", min_size=0, max_size=22))
def test_fast_id_parser_agrees_on_arbitrary_text(raw):
    assert _verdict(_IdParser(dt.date.today()), raw) == _verdict(idnumber.parse, raw)
