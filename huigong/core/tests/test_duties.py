"""The shared segregation-of-duties rule (core/duties.py) every approval and payment service uses."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core import duties
from huigong.core.audit import audit
from huigong.orgs.models import UnionNode

pytestmark = pytest.mark.django_db


def test_a_party_is_refused_others_are_not(cast):
    with pytest.raises(PermissionDenied, match="职责分离"):
        duties.ensure_not_party(cast.city_admin, [None, cast.city_admin.pk])
    duties.ensure_not_party(cast.leader, [None, cast.city_admin])
    with pytest.raises(duties.DutyConflict, match="不能发放"):
        duties.ensure_not_approver(cast.finance, [cast.finance.pk])


def test_authors_are_read_from_the_audit_trail(cast):
    node = UnionNode.objects.get(pk=cast.tech.pk)
    audit(actor=cast.tech_staff, verb="thing.create", obj=node)
    audit(actor=cast.city_admin, verb="thing.view", obj=node)
    audit(actor=None, verb="thing.create", obj=node)
    assert duties.authors(node, ["thing.create"]) == {cast.tech_staff.pk}


@pytest.mark.parametrize(("steps", "refused"), [
    ([{1}], True),             # only the applicant could approve
    ([{1, 2}], False),         # someone else can
    ([{2}], False),            # one other approver: applicant and approver are two people
    ([{2}, {2}], True),        # one person at every step of a chain
    ([{2}, {3}], False),
    ([set(), {2}], False),     # a step nobody holds yet: an approver may still be appointed
    ([{2}, {1}], True),        # a step only the applicant could decide
])
def test_chain_with_one_person(steps, refused):
    if refused:
        with pytest.raises(ValidationError, match="职责分离"):
            duties.ensure_chain_has_second_person(parties=[1], steps=steps)
    else:
        duties.ensure_chain_has_second_person(parties=[1], steps=steps)
