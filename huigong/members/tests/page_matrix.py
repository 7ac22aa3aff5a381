"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the members'
people pages, declared in the app's contributions (apps.py). The roster pages' rows live in
test_roster_views.py, which runs them against its own world (WORLD = "own" there)."""

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "members:list": (lambda c: [], None, "GET"),
    "members:create": (lambda c: [], "member_write", "GET POST"),
    "members:detail": (lambda c: [c.member.person_id], None, "GET"),
    "members:edit": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:transfer": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:withdraw": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:reveal": (lambda c: [c.member.person_id, "id_number"], "pii_full", "POST"),
}
