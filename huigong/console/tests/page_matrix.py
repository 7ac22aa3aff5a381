"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the console's
own pages, declared in the app's contributions (apps.py)."""

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "console:home": (lambda c: [], None, "GET"),
    "console:audit": (lambda c: [], "audit_view", "GET"),
    "console:audit_access": (lambda c: [], "audit_view", "GET"),
}
