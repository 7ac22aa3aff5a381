import datetime as dt
import itertools

import pytest

_seq = itertools.count(1)


def people(n: int) -> list[int]:
    """`n` synthetic people (the entries' holders), their ids."""
    from huigong.members.models import Gender, Person

    tag = next(_seq)
    rows = [Person(name=f"报名者{tag}-{i}", id_number="000000000000000000", id_number_hash=f"cap-{tag}-{i}",
                   id_number_mask="000000********0000", gender=Gender.MALE, birth_date=dt.date(1990, 1, 1))
            for i in range(n)]
    return [p.pk for p in __import__("huigong.members.models", fromlist=["Person"]).Person.objects.bulk_create(rows)]


@pytest.fixture
def make_people():
    return people
