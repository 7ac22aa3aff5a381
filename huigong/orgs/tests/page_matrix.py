"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the orgs
pages, declared in the app's contributions (apps.py). The world is the standard cast plus a 西湖 site."""

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "orgs:tree": (lambda c: [], None, "GET"),
    "orgs:tree_children": (lambda c: [c.xihu.pk], None, "GET"),
    "orgs:node_detail": (lambda c: [c.xihu.pk], None, "GET"),
    "orgs:node_create": (lambda c: [c.xihu.pk], "org_write", "GET POST"),
    "orgs:node_edit": (lambda c: [c.xihu.pk], "org_write", "GET POST"),
    "orgs:node_move": (lambda c: [c.tech.pk], "org_write", "GET POST"),
    "orgs:node_picker": (lambda c: [], None, "GET"),
    "orgs:enterprise_picker": (lambda c: [], None, "GET"),
    "orgs:enterprise_list": (lambda c: [], None, "GET"),
    "orgs:enterprise_create": (lambda c: [], "org_write", "GET POST"),
    "orgs:enterprise_detail": (lambda c: [c.enterprise.pk], None, "GET"),
    "orgs:enterprise_edit": (lambda c: [c.enterprise.pk], "org_write", "GET POST"),
    "orgs:site_list": (lambda c: [], None, "GET"),
    "orgs:site_create": (lambda c: [], "org_write", "GET POST"),
    "orgs:site_edit": (lambda c: [c.site.pk], "org_write", "GET POST"),
}
