"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the accounts
console pages, declared in the app's contributions (apps.py). Sign-in, sign-out and TOTP have no rows
yet (public or pre-sign-in pages: the app stays on PAGE_ROWS_PENDING until they do)."""

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "accounts:profile": (lambda c: [], None, "GET"),
    "accounts:password_change": (lambda c: [], None, "GET"),
    "accounts:staff_list": (lambda c: [], "staff_manage", "GET"),
    "accounts:tokens": (lambda c: [], None, "GET"),
    "accounts:staff_create": (lambda c: [], "staff_manage", "GET POST"),
    "accounts:staff_detail": (lambda c: [c.district_staff.staff.pk], "staff_manage", "GET POST"),
    "accounts:staff_deactivate": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
    "accounts:staff_activate": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
    "accounts:staff_reset_password": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
}
