"""A role without the capability a write page needs is refused (403) before the page reads its form:
found by the page matrix, where a viewer's empty POST to an application's edit, a notice's objection or
its resolution, and a city admin's to a payout's 到账 came back as a redirect with a form error (as if
the form were all that stood in the way) instead of a refusal."""

import pytest
from django.urls import reverse

from huigong.assistance.models import AidApplication, NoticeObjection, Payout
from huigong.portal.testing import make_worker_account

from .page_matrix import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    cast.worker = make_worker_account(person=cast.member.person)
    cast.qd_worker = make_worker_account(person=cast.qd_member.person)
    build(cast)
    return cast


def test_roles_without_the_capability_are_refused_before_the_form(client, world):
    w = world
    cases = [
        (w.viewer, reverse("assistance:application_action", args=[w.as_app.pk, "edit"])),
        (w.finance, reverse("assistance:application_action", args=[w.as_app.pk, "submit"])),
        (w.district_staff, reverse("assistance:application_action", args=[w.as_app.pk, "decide"])),
        (w.leader, reverse("assistance:notice_objection", args=[w.as_notice.pk])),
        (w.viewer, reverse("assistance:notice_objection_resolve", args=[w.as_objection.pk])),
        (w.city_admin, reverse("assistance:payout_action", args=[w.as_payout.pk, "paid"])),
        (w.district_staff, reverse("assistance:payout_action", args=[w.as_payout.pk, "retry"])),
    ]
    for user, url in cases:
        client.force_login(user)
        r = client.post(url, {})
        assert r.status_code == 403, (user.username, url, r.status_code)
    # Nothing changed.
    assert AidApplication.objects.get(pk=w.as_app.pk).status == "submitted"
    assert NoticeObjection.objects.get(pk=w.as_objection.pk).resolved_at is None
    assert Payout.objects.get(pk=w.as_payout.pk).status == "pending"


def test_the_roles_that_hold_it_still_reach_the_form(client, world):
    w = world
    client.force_login(w.district_staff)
    r = client.post(reverse("assistance:application_action", args=[w.as_app.pk, "edit"]), {})
    assert r.status_code == 302  # back to the application, the form's errors flashed
    client.force_login(w.finance)
    r = client.post(reverse("assistance:payout_action", args=[w.as_payout.pk, "paid"]), {})
    assert r.status_code == 302
    assert Payout.objects.get(pk=w.as_payout.pk).status == "pending"  # no bank reference: nothing marked
