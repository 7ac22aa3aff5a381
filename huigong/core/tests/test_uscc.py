import pytest
from hypothesis import given
from hypothesis import strategies as st

from huigong.core import uscc


def test_published_example_is_valid():
    assert uscc.validate("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("raw", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100YI3", ""])
def test_bad_codes_are_refused_in_both_languages(raw):
    with pytest.raises(uscc.UsccError) as e:
        uscc.validate(raw)
    assert "统一社会信用代码" in str(e.value) and "credit code" not in str(e.value)


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_made_codes_validate(body):
    assert uscc.validate(uscc.make(body)) == body + uscc.check_char(body)


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17), st.integers(0, 16),
       st.sampled_from(uscc.ALPHABET))
def test_single_character_substitution_is_caught(body, pos, ch):
    code = uscc.make(body)
    changed = code[:pos] + ch + code[pos + 1:]
    if changed != code:
        with pytest.raises(uscc.UsccError):
            uscc.validate(changed)
