"""Person facets (huigong.core.facets): the facts apps declare, asked for by key without importing the app."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from huigong.assistance.tests.files_support import deep_file, rule
from huigong.assistance.services import files as file_services
from huigong.core import facets
from huigong.honours.models import HonourStatus
from huigong.honours.testing import make_honour, worker
from huigong.honours.models import TitleType
from huigong.members.models import Person

pytestmark = pytest.mark.django_db


def test_declared_facets_are_listed_with_labels():
    keys = [k for k, _label in facets.choices()]
    assert "model_worker" in keys and "hardship_file" in keys
    assert facets.known("model_worker") and not facets.known("nope")


def test_unknown_key_is_an_error_not_an_empty_set():
    with pytest.raises(facets.UnknownFacet):
        facets.person_ids("model_wroker")


def test_model_worker_facet_follows_the_register(cast):
    holder, craftsman, other = worker(cast, "劳模甲"), worker(cast, "工匠乙"), worker(cast, "职工丙")
    honour = make_honour(cast, holder)
    make_honour(cast, craftsman, title_type=TitleType.CRAFTSMAN)
    ids = set(Person.objects.filter(pk__in=facets.person_ids("model_worker")).values_list("pk", flat=True))
    assert holder.pk in ids and craftsman.pk not in ids and other.pk not in ids
    assert facets.has("model_worker", holder.pk)
    honour.status = HonourStatus.REVOKED  # a revoked title no longer counts
    honour.save(update_fields=["status"])
    assert not facets.has("model_worker", holder.pk)


def test_hardship_facet_counts_open_files_only_and_links_in_scope(cast):
    rule(cast)
    f = deep_file(cast)
    head = f.head_id
    assert not facets.has("hardship_file", head)  # a draft is not yet a file in the register
    file_services.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(),
                                     verification_note="入户核实，情况属实")
    assert facets.has("hardship_file", head)
    links = facets.links(cast.city_admin, [head])
    assert [url for _label, url in links[head]] == [f"/assistance/files/{f.pk}/"]
    assert f.file_no in str(links[head][0][0])
    # The outsider (another subtree) and a worker get no link to the file.
    assert facets.links(cast.outsider, [head]) == {}
    assert facets.links(AnonymousUser(), [head]) == {}
