"""The API's URL patterns: the claim's patterns are tried first (huigong/urls.py `_hot_first`), which is
only safe while every route starts with a literal segment."""

from django.urls import get_resolver, resolve


def test_claim_routes_come_first_and_no_route_starts_with_a_converter():
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = [str(p.pattern) for p in api.url_patterns]
    assert routes[0].startswith("benefit-claims") and len(routes) > 50
    assert not [r for r in routes if r.startswith("<")]
    assert resolve("/api/v1/benefit-claims").route == "api/v1/benefit-claims"
    assert resolve("/api/v1/members/7").kwargs == {"person_id": 7}
