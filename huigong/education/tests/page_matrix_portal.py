"""Rows for 求学圆梦's worker pages, counted by the page matrix's coverage test and run by this app's own
test_portal.py against its own world (a worker's page sends the anonymous to the portal's sign-in, not
the console's; the draw's verification and the notice's public page are public by design)."""

WORLD = "own"

# name -> (args builder, who may see it: "worker" (own records), "public"; methods)
ROUTES = {
    "education_portal:home": (lambda c: [], "worker", "GET"),
    "education_portal:apply": (lambda c: [c.programme.pk], "worker", "GET POST"),
    "education_portal:application": (lambda c: [c.app.pk], "worker", "GET"),
    "education_portal:correct": (lambda c: [c.app.pk], "worker", "POST"),
    "education_portal:withdraw": (lambda c: [c.app.pk], "worker", "POST"),
    "education_portal:draw": (lambda c: [c.drawn.pk], "public", "GET"),
    "education_portal:draw_entrants": (lambda c: [c.drawn.pk], "public", "GET"),
    "education_portal:notice_public": (lambda c: [c.token], "public", "GET"),
}
