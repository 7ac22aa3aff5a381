ROUTES = {
    "contribdemo:home": (lambda c: [], "contrib_demo_run", "GET"),
    "contribdemo_portal:home": (lambda c: [], None, "GET", {"who": "worker"}),
}
