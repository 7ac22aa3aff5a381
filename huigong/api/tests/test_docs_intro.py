"""The API docs' introduction lists every area (router tag) the API has, in the reader's language."""

import re

import pytest
from django.utils import translation
from ninja import Router

from huigong.api.api import HuigongAPI, api, area_names

CJK = re.compile(r"[\u3400-\u9fff]")


def _tags_of_operations(doc) -> list[str]:
    tags = []
    for item in doc["paths"].values():
        for op in item.values():
            for tag in op.get("tags", []):
                if tag not in tags:
                    tags.append(tag)
    return tags


def _first_line(description) -> str:
    return str(description).split("\n", 1)[0]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_introduction_names_every_area_of_the_openapi_document(client, cast, lang):
    client.force_login(cast.city_admin)
    doc = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE=lang).json()
    tags = _tags_of_operations(doc)
    assert len(tags) >= 20 and "unions" in tags and "join-applications" in tags
    intro = _first_line(doc["info"]["description"])
    with translation.override(lang):
        names = [str(area_names()[tag]) for tag in tags]  # a tag without a name would be a KeyError here
    for name in names:
        assert name in intro, (name, intro)
    if lang == "en":
        assert not CJK.search(doc["info"]["description"])
        assert intro.startswith("The Huigong API: unions, enterprises, service sites, members")
    else:
        assert intro.startswith("惠工的对外接口：工会组织、单位、服务阵地、会员")


def test_every_registered_router_is_an_area_in_order(db):
    assert api.areas[:3] == ["unions", "enterprises", "sites"]
    assert set(api.areas) == set(area_names())


def test_a_new_area_appears_without_editing_the_introduction(db):
    other = HuigongAPI(urls_namespace="intro-test", title="t", version="0")
    other.add_router("/unions", Router(), tags=["unions"])
    other.add_router("/widgets", Router(), tags=["widgets"])
    other.add_router("/gadgets", Router(tags=["gadgets"]))
    with translation.override("en"):
        assert _first_line(other.description) == "The Huigong API: unions, widgets, gadgets."
    with translation.override("zh-hans"):
        assert _first_line(other.description) == "惠工的对外接口：工会组织、widgets、gadgets。"
    # The description follows the language at the time it is read, not at import.
    with translation.override("en"):
        assert "Authentication" in str(other.description)
