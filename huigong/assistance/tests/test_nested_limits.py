"""Limits nest (ISSUE14 #3): a lower node can only tighten a household cap or a budget set above it,
and the tightest limit along the path from the top down to the household's union binds."""

import pytest
from django.core.exceptions import ValidationError

from huigong.accounts.models import Role
from huigong.orgs.models import NodeLevel
from huigong.testing import make_node, make_staff

from ..models import HouseholdYearCap, ProgrammeBudget
from ..services import aid
from .flowkit import YEAR, Flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(cast):
    return Flow(cast, levels=("city",), budget_fen=300_000)


# --- household caps ------------------------------------------------------------------------------------


def test_grassroots_cannot_raise_the_city_household_cap(flow, cast):
    # Given the city caps a household at 5,000 yuan a year
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=500_000)
    # When the grassroots union (its own ASSIST staff) sets 9,000 yuan for itself
    with pytest.raises(ValidationError) as e:
        aid.household_cap_set(actor=flow.tech_admin, node=cast.tech, year=YEAR, cap_fen=900_000)
    # Then it is refused, naming the field, the union above and its cap, and nothing is stored
    msg = e.value.message_dict["cap_fen"][0]
    assert "杭州市总工会" in msg and "5,000.00" in msg
    assert not HouseholdYearCap.objects.filter(node=cast.tech).exists()
    # A tighter cap is fine
    aid.household_cap_set(actor=flow.tech_admin, node=cast.tech, year=YEAR, cap_fen=300_000)


def test_the_smallest_cap_on_the_path_binds(flow, cast):
    # Given a grassroots cap of 4,000 under a city cap of 5,000, then the city tightens to 1,000
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=500_000)
    aid.household_cap_set(actor=flow.tech_admin, node=cast.tech, year=YEAR, cap_fen=400_000)
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=100_000)
    # When 1,500 yuan is approved for a household of the grassroots union
    app = flow.apply(amount_fen=150_000)
    # Then the city's cap (the smaller) refuses it, although the nearer cap would allow it
    with pytest.raises(ValidationError, match="杭州市总工会"):
        flow.approve_all(app)
    assert flow.approve_all(flow.apply(amount_fen=90_000)).status == "approved"


def test_a_cap_set_in_another_year_does_not_limit(flow, cast):
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR - 1, cap_fen=100_000)
    assert aid.household_cap_set(actor=flow.tech_admin, node=cast.tech, year=YEAR, cap_fen=900_000).cap_fen == 900_000


# --- budgets -------------------------------------------------------------------------------------------


def test_district_cannot_give_itself_more_than_the_programme_budget_above(flow, cast):
    with pytest.raises(ValidationError) as e:
        aid.programme_budget_set(actor=flow.xihu_admin, programme=flow.prog, node=cast.xihu, total_fen=5_000_000)
    msg = e.value.message_dict["total_fen"][0]
    assert "杭州市总工会" in msg and "3,000.00" in msg
    assert not ProgrammeBudget.objects.filter(node=cast.xihu).exists()
    assert aid.programme_budget_set(actor=flow.xihu_admin, programme=flow.prog, node=cast.xihu,
                                    total_fen=300_000).total_fen == 300_000


def test_a_budget_above_counts_what_its_subtree_committed(flow, cast):
    # Given the city's 3,000 yuan and a district budget of 3,000 under it (allowed: not above it)
    aid.programme_budget_set(actor=flow.xihu_admin, programme=flow.prog, node=cast.xihu, total_fen=300_000)
    # When 2,000 is approved in the district (from its budget)
    assert flow.approve_all(flow.apply(amount_fen=200_000)).budget.node == cast.xihu
    # Then the city has 1,000 left for the rest of its subtree: 1,500 elsewhere is refused...
    other = make_node(cast.hangzhou, "拱墅区某公司工会", NodeLevel.GRASSROOTS, "330105")
    elsewhere = aid.aid_application_create(actor=cast.city_admin, programme=flow.prog, amount_fen=150_000,
                                           file=flow.new_file(node=other), reason="家庭困难")
    elsewhere = aid.aid_application_submit(actor=cast.city_admin, application=elsewhere)
    with pytest.raises(ValidationError, match="预算不足"):
        flow.approve_all(elsewhere)
    # ...and so is another 1,500 in the district, whose own budget would still have room
    with pytest.raises(ValidationError, match="杭州市总工会"):
        flow.approve_all(flow.apply(amount_fen=150_000))
    assert flow.approve_all(flow.apply(amount_fen=100_000)).status == "approved"
    assert ProgrammeBudget.objects.get(node=cast.hangzhou, programme=flow.prog).committed_fen == 0


def test_a_budget_is_never_set_below_what_its_subtree_committed(flow, cast):
    aid.programme_budget_set(actor=flow.xihu_admin, programme=flow.prog, node=cast.xihu, total_fen=300_000)
    flow.approve_all(flow.apply(amount_fen=200_000))
    with pytest.raises(ValidationError) as e:
        aid.programme_budget_set(actor=cast.city_admin, programme=flow.prog, node=cast.hangzhou, total_fen=100_000)
    assert "2,000.00" in e.value.message_dict["total_fen"][0]
    assert ProgrammeBudget.objects.get(node=cast.hangzhou, programme=flow.prog).total_fen == 300_000


def test_a_lower_budget_without_one_above_is_its_own_limit(cast):
    # A programme with no budget at its own node: a budget below it is bounded by nothing above.
    f = Flow(cast, levels=("city",), budget_fen=0)
    ProgrammeBudget.objects.filter(programme=f.prog).delete()
    grassroots_admin = make_staff(cast.tech, Role.ADMIN, "tech_budget_admin")
    b = aid.programme_budget_set(actor=grassroots_admin, programme=f.prog, node=cast.tech, total_fen=200_000)
    assert b.total_fen == 200_000
