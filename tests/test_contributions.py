"""Adding an app is a folder plus one INSTALLED_APPS line: a throwaway app (tests/contrib_app), installed
here with modify_settings and named by nothing central, gets its console and portal pages, a nav entry,
a portal tile, an API router and its area name, a capability for the roles it names, a KPI in the
catalogue, a periodic job, a demo builder, a record section and its matrix rows. Declaring routes
without rows fails both matrices."""

from __future__ import annotations

import types

import pytest
from django.test import RequestFactory, modify_settings, override_settings
from django.urls import clear_url_caches, reverse

from huigong import urls as product_urls
from huigong.core import contrib
from huigong.orgs.tests import test_views_matrix

APP = "tests.contrib_app"
# Imported before the app is installed: the product's URL conf and API, and the page matrix's rows,
# are the ones without it (what an installed app changes is read afresh inside each test).
assert product_urls and test_views_matrix


def _urlconf():
    """The product's URL conf with its apps' pages built again, the way huigong/urls.py builds them, now
    that the app is installed (the API, admin and language paths before them; the console's root is one of them, mounted last)."""
    module = types.ModuleType("contrib_test_urls")
    head = [p for p in product_urls.urlpatterns if str(p.pattern) in ("api/v1/", "admin/login/", "admin/", "i18n/")]
    module.urlpatterns = [*head, *product_urls.app_urlpatterns()]
    return module


@pytest.fixture
def installed():
    with modify_settings(INSTALLED_APPS={"append": APP}):
        clear_url_caches()
        with override_settings(ROOT_URLCONF=_urlconf()):
            yield
    clear_url_caches()


def test_the_app_is_collected_in_installed_apps_order(installed):
    labels = [config.label for config, _c in contrib.declared()]
    assert labels[-1] == "contribdemo"
    assert "contrib_demo_run" in contrib.capability_labels()


def test_its_console_and_portal_pages_are_mounted(installed, client, cast):
    assert reverse("contribdemo:home") == "/contrib-demo/"
    assert reverse("contribdemo_portal:home") == "/portal/contrib-demo/"
    # Every page of the apps already there keeps its path.
    assert reverse("members:list") == "/members/" and reverse("benefits_portal:programmes").startswith("/portal/benefits/")
    client.force_login(cast.leader)
    assert client.get("/contrib-demo/").content.decode() == "示例活动"
    client.force_login(cast.viewer)  # a role the app did not grant its capability
    assert client.get("/contrib-demo/").status_code == 403
    assert client.get("/portal/contrib-demo/").status_code == 200


def test_its_capability_goes_to_the_roles_it_names(installed, cast):
    from huigong.accounts.models import ROLE_CAPS

    assert cast.leader.staff.can("contrib_demo_run") and cast.city_admin.staff.can("contrib_demo_run")
    assert not cast.viewer.staff.can("contrib_demo_run")
    assert "contrib_demo_run" not in ROLE_CAPS["finance"]


def test_without_the_app_nothing_of_it_remains(cast):
    from huigong.accounts.models import ROLE_CAPS
    from huigong.insights import kpis

    assert "contrib_demo_run" not in ROLE_CAPS["leader"]
    assert "contribdemo.entries" not in kpis.CATALOGUE
    assert all(e.url_name != "contribdemo:home" for e in contrib.collect("nav"))


def test_its_nav_entry_sits_in_its_group_where_its_order_key_says(installed, cast):
    from huigong.accounts.templatetags.console import console_nav

    request = RequestFactory().get("/contrib-demo/")
    request.user = cast.leader
    request.resolver_match = None
    nav = console_nav({"request": request, "staff": cast.leader.staff})
    sections = {str(s["label"]): [str(i["label"]) for i in s["items"]] for s in nav["sections"]}
    assert sections["活动与教育"][:2] == ["示例活动", "职工活动"]  # joins the section named by its group
    assert [str(s["label"]) for s in nav["sections"]] == [  # and moves no section
        "", "组织与会员", "帮扶与福利", "活动与教育", "荣誉与创新", "体检与调研", "分析", "系统"]
    request.user = cast.viewer
    labels = [str(i["label"]) for i in console_nav({"request": request, "staff": cast.viewer.staff})["items"]]
    assert "示例活动" not in labels


def test_its_tile_is_on_the_portal(installed, db):
    from huigong.portal.tiles import home_tiles, service_groups

    tiles = home_tiles(None)
    assert {"label": "示例活动报名", "url": "/portal/contrib-demo/"}.items() <= tiles[
        [t["label"] for t in tiles].index("示例活动报名")].items()
    benefits = next(g for g in service_groups(None) if g["label"] == "惠工福利")
    assert [str(t["label"]) for t in benefits["tiles"]][-1] == "示例活动报名"  # order 55: after 服务阵地 (50)


def test_its_kpi_is_in_the_catalogue(installed, db):
    from huigong.insights import kpis

    k = kpis.CATALOGUE["contribdemo.entries"]
    assert k.group == "contribdemo" and kpis.GROUP_LABELS["contribdemo"] == "示例活动"
    assert list(kpis.CATALOGUE)[-1] == "contribdemo.entries"


def test_its_job_and_demo_builder_are_collected(installed, db):
    from huigong.core import periodic

    from .contrib_app import jobs

    periodic.register_contributed()
    try:
        assert periodic.tick(force=True)["contribdemo.tick"] == "ok" and jobs.RUNS
    finally:
        periodic.JOBS.pop("contribdemo.tick", None)
    # run_extensions (demo/build.py) calls the builders in this order: 35 puts it after assistance's 30.
    # (Other installed apps' builders may sit in between: only the relative order of these is checked.)
    expected = ["huigong.portal.demo.build", "huigong.benefits.demo.build", "huigong.assistance.demo.build",
                f"{APP}.demo.build", "huigong.insights.demo.build"]
    assert [b.func for b in contrib.ordered("demo_builder") if b.func in expected] == expected


def test_its_records_are_on_the_workers_card_page(installed, cast):
    from huigong.members.models import Person
    from huigong.portal.cards import foreign_items

    items = foreign_items(Person.objects.get(pk=cast.member.person_id))
    mine = [i for i in items if i["kind"] == "示例活动"]
    assert [(i["title"], i["url"]) for i in mine] == [("西湖读书会", "/portal/contrib-demo/")]


def _api_doc():
    """The product's OpenAPI document plus the new app's routers, mounted the way api.py mounts them
    (a router attaches to one API only, so the new app's goes on a fresh one)."""
    from huigong.api.api import HuigongAPI, api, mount_routers

    fresh = HuigongAPI(urls_namespace="contrib-test", title="t", version="0")
    for r in contrib.collect("api_routers"):
        if r.router.startswith(APP):
            fresh.add_router(r.prefix, contrib.resolve(r.router), tags=list(r.tags))
    doc = api.get_openapi_schema()
    new = fresh.get_openapi_schema(path_prefix="/api/v1")
    assert mount_routers  # api.py mounts every declared router with the same loop
    return {**doc, "paths": {**doc["paths"], **new["paths"]}}, fresh


def test_its_router_area_and_matrix_rows(installed, db):
    from huigong.api.api import area_names
    from huigong.api.tests.matrix import app_rows, coverage_problems

    doc, fresh = _api_doc()
    assert {"/api/v1/contrib-demo/ping", "/api/v1/contrib-demo/pong"} <= set(doc["paths"])
    assert fresh.areas == ["contrib-demo"] and area_names()["contrib-demo"] == "示例活动"
    assert set(app_rows()["contribdemo"]) == {("GET", "/api/v1/contrib-demo/ping"), ("GET", "/api/v1/contrib-demo/pong")}
    assert coverage_problems(doc) == []


def test_the_page_matrix_takes_its_rows(installed):
    from huigong.orgs.tests.test_views_matrix import page_coverage_problems

    assert page_coverage_problems() == []


@modify_settings(INSTALLED_APPS={"append": f"{APP}.apps.NoRowsConfig"})
def test_routes_without_rows_fail_both_matrices(db):
    from huigong.api.tests.matrix import coverage_problems
    from huigong.orgs.tests.test_views_matrix import page_coverage_problems

    doc, _fresh = _api_doc()
    assert coverage_problems(doc) == [
        "contribdemo: routes without a row in the role matrix: "
        "[('GET', '/api/v1/contrib-demo/ping'), ('GET', '/api/v1/contrib-demo/pong')]"]
    assert page_coverage_problems() == [
        "contribdemo: pages without a row in the page matrix: ['contribdemo:home']"]


def test_a_row_for_a_route_that_does_not_exist_fails(installed, db):
    from huigong.api.tests.matrix import coverage_problems

    doc, _fresh = _api_doc()
    del doc["paths"]["/api/v1/contrib-demo/pong"]
    assert coverage_problems(doc) == [
        "matrix rows for routes the API does not have: [('GET', '/api/v1/contrib-demo/pong')]"]
