"""Smoke run of bench/member_search.py on the test cast: every mode's page, API call and hand-written SQL
run, and the SQL the bench compares the app with finds the same page and count as the API (otherwise
its ratios would compare different work)."""

import json

import pytest
from django.db import connection

from huigong.api.tests.conftest import ApiClient


def test_member_search_bench_smoke(cast, client):
    if connection.vendor != "postgresql":
        pytest.skip("the bench's SQL is PostgreSQL's (hg_name_grams)")
    from bench.member_search import COOKIE, MODES, build_targets, run_sql

    targets = build_targets(2, 15, districts=1)["targets"]
    for mode in MODES:
        assert len(targets[mode]) == 2, mode
        for item in targets[mode]:
            url, cookie = item["page"]
            client.cookies[COOKIE] = cookie
            page = client.get(url)
            assert page.status_code == 200, (mode, url)
            body, token = item["api"]
            r = ApiClient(token).post("/api/v1/members/search", body)
            assert r.status_code == 200, (mode, r.json())
            api = r.json()
            with connection.cursor() as cur:
                rows, count = run_sql(cur, item["sql"])
            assert [m["membership_id"] for m in api["items"]] == [row[0] for row in rows], (mode, item["q"])
            assert api["count"] == count and api["count_exact"], (mode, item["q"])
            assert [m.pk for m in page.context["page_obj"]] == [row[0] for row in rows], (mode, item["q"])
            if mode != "list":
                assert rows, (mode, item["q"])  # every query names a member in the asker's scope
    json.dumps(targets)  # what the bench's child hands its parent
