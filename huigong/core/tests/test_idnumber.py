import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huigong.core import idnumber

KNOWN_VALID = "11010519491231002X"  # the GB 11643 standard's own example


def test_known_example_is_valid_and_female():
    info = idnumber.parse(KNOWN_VALID)
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.gender == "F"
    assert info.region_code == "110105"


def test_lowercase_x_and_spaces_are_normalised():
    assert idnumber.parse(" 11010519491231002x ").number == KNOWN_VALID


@pytest.mark.parametrize("raw, code", [
    ("110105194912310021", "check"),
    ("1101051949123100", "length"),
    ("11010519491331002X", "birth"),
    ("11010521491231002X", "birth"),
    ("1101051949123100AX", "chars"),
])
def test_invalid_numbers_name_the_reason(raw, code):
    with pytest.raises(idnumber.IdNumberError) as e:
        idnumber.parse(raw)
    assert e.value.code == code
    assert "身份证号" in str(e.value) and "ID number" not in str(e.value)


@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 12, 31)),
       st.integers(min_value=0, max_value=999), st.sampled_from(["M", "F"]))
def test_made_numbers_round_trip(birth, seq, gender):
    number = idnumber.make("330106", birth, seq, gender)
    info = idnumber.parse(number)
    assert info.birth_date == birth and info.gender == gender


@given(st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(pos, delta):
    number = idnumber.make("330106", dt.date(1990, 5, 17), 123)
    digit = (int(number[pos]) + delta) % 10
    changed = number[:pos] + str(digit) + number[pos + 1:]
    assert not idnumber.is_valid(changed)


def test_mask_hides_birth_date():
    assert idnumber.mask("330102199001011234") == "330102********1234"


def test_full_width_input_is_folded_to_ascii():
    from huigong.core import phone, uscc

    number = idnumber.make("330106", dt.date(1990, 5, 6), 123, "M")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert idnumber.normalize("\u3000" + wide + "\u3000") == number
    assert idnumber.parse(wide).number == number
    assert phone.normalize("＋８６\u3000１３８－００１３－８０００") == "13800138000"
    code = uscc.make("91330106MA2GXXXX0")
    assert uscc.validate("".join(chr(ord(c) + 0xFEE0) for c in code.lower())) == code
