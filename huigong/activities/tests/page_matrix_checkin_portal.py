"""The worker's ticket page: a portal page, so it runs against its own world in test_checkin_views.py
(staff and the anonymous are sent to the portal's sign-in, another worker gets a 404)."""

WORLD = "own"
ROUTES = {"activities_gate_portal:ticket": (lambda c: [1], None, "GET")}
