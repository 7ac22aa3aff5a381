"""Segregation of duties for online joining (ISSUE14 #10): nobody decides their own join application."""

import pytest

from huigong.accounts.models import Role, StaffProfile
from huigong.core.duties import DutyConflict
from huigong.members.models import EmploymentForm
from huigong.portal import join
from huigong.portal.models import JoinApplication, JoinStatus
from huigong.testing import new_id_number

pytestmark = pytest.mark.django_db


def test_a_staff_member_cannot_accept_or_reject_their_own_join_application(cast, make_worker):
    account, _ = make_worker()
    app = join.join_submit(account=account, draft=join.Draft(name="陈骑手", id_number=new_id_number(),
                                                              employment_form=EmploymentForm.RIDER,
                                                              platform=cast.platform))
    # The applicant's login also acts for the union the application went to
    StaffProfile.objects.create(user=account.user, node=cast.riders, role=Role.ADMIN)
    with pytest.raises(DutyConflict, match="职责分离"):
        join.join_accept(actor=account.user, application=app)
    with pytest.raises(DutyConflict):
        join.join_reject(actor=account.user, application=app, reason="不符合")
    assert JoinApplication.objects.get(pk=app.pk).status == JoinStatus.SUBMITTED
    join.join_accept(actor=cast.district_staff, application=app)
    assert JoinApplication.objects.get(pk=app.pk).status == JoinStatus.ACCEPTED
