"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the accounts pages,
declared in the app's contributions (apps.py). The world gets an API token of the city admin's."""


def build(world) -> None:
    from huigong.accounts.models import ApiToken
    from huigong.api.tests.conftest import make_token

    make_token(world.city_admin, "西湖区对接")
    world.token = ApiToken.objects.get(user=world.city_admin, name="西湖区对接")


# name -> (args builder, capability the page needs beyond VIEW, methods[, how])
ROUTES = {
    # Before sign-in: the form (an empty POST is the form again), or the console for the signed-in.
    "accounts:login": (lambda c: [], None, "GET POST", {"who": "public"}),
    "accounts:logout": (lambda c: [], None, "POST", {"who": "public", "ok": 302}),
    # Every signed-in staff member's own second factor (enrolment when none yet).
    # Any signed-in account's own pages: a worker's too (they show and change only the account itself).
    "accounts:totp": (lambda c: [], None, "GET POST", {"worker": 200}),
    "accounts:profile": (lambda c: [], None, "GET", {"worker": 200}),
    "accounts:password_change": (lambda c: [], None, "GET", {"worker": 200}),
    "accounts:staff_list": (lambda c: [], "staff_manage", "GET"),
    "accounts:tokens": (lambda c: [], None, "GET"),
    "accounts:token_revoke": (lambda c: [c.token.pk], None, "POST"),
    "accounts:staff_create": (lambda c: [], "staff_manage", "GET POST"),
    "accounts:staff_detail": (lambda c: [c.district_staff.staff.pk], "staff_manage", "GET POST"),
    "accounts:staff_deactivate": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
    "accounts:staff_activate": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
    "accounts:staff_reset_password": (lambda c: [c.district_staff.staff.pk], "staff_manage", "POST"),
}
