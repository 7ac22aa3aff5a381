"""The worker pages and the public certificate check: rows for coverage only (WORLD = "own"); they are
exercised with a worker's session, another worker's and an anonymous visitor in test_portal.py."""

WORLD = "own"

ROUTES = {
    "honours_portal:mine": (lambda c: [], None, "GET"),
    "honours_portal:innovations": (lambda c: [], None, "GET"),
    "honours_portal:innovation_new": (lambda c: [], None, "GET POST"),
    "honours_portal:innovation": (lambda c: [1], None, "GET"),
    "honours_portal:innovation_gain": (lambda c: [1], None, "POST"),
    "honours_portal:innovation_resubmit": (lambda c: [1], None, "POST"),
    "honours_portal:verify": (lambda c: ["token"], None, "GET"),
}
