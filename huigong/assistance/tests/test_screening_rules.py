"""The screening rules at their boundaries: Python's `classify` and the SQL rule pass agree."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huigong.assistance.models import HardshipLevel, SweepVisit
from huigong.assistance.services import screening
from huigong.assistance.services.screening import Facts, classify

from .files_support import DIBAO, rule, sweep

LINE = DIBAO


@pytest.mark.parametrize("size,income,rigid,sudden,expected", [
    (1, LINE - 1, 0, False, "deep"),
    (1, LINE, 0, False, "relative"),                 # exactly on the line: not deep
    (3, 3 * LINE - 1, 0, False, "deep"),
    (3, 3 * LINE, 0, False, "relative"),
    (2, 2 * LINE + 100, 300, True, "sudden"),        # expenses push a sudden-cause household under
    (2, 2 * LINE + 100, 300, False, "relative"),     # the same without a sudden cause
    (2, 2 * LINE, 0, True, "relative"),              # disposable exactly on the line: not sudden
    (1, LINE * 3 // 2 - 1, 0, False, "relative"),
    (1, LINE * 3 // 2, 0, False, ""),                # exactly 1.5x: not a candidate
    (1, LINE * 3 // 2 + 500, 501, False, "relative"),  # disposable just under 1.5x
    (4, 10 * LINE, 0, True, ""),
])
def test_classify_boundaries(size, income, rigid, sudden, expected):
    assert classify(Facts(size, income, rigid, sudden), dibao_fen=LINE, multiple=Decimal("1.5")) == expected


def test_odd_multiples_have_no_float_rounding_edge():
    # 1.15 × 80000 = 92000 exactly; a float would give 91999.99…
    assert classify(Facts(1, 92000, 0), dibao_fen=80000, multiple=Decimal("1.15")) == ""
    assert classify(Facts(1, 91999, 0), dibao_fen=80000, multiple=Decimal("1.15")) == "relative"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 1_000_000), st.integers(0, 400_000),
                               st.booleans()), min_size=1, max_size=12),
       multiple=st.sampled_from(["1.00", "1.15", "1.30", "1.50", "2.00"]))
def test_sql_rule_pass_matches_python(cast, rows, multiple):
    from huigong.testing import make_member

    # Examples share the test's transaction: start each from no visits, sweeps or rules.
    SweepVisit.objects.all().delete()
    screening.Sweep.objects.all().delete()
    screening.ScreeningRule.objects.all().delete()
    r = rule(cast, multiple=multiple)
    sw = sweep(cast)
    visits = []
    for i, (size, income, rigid, sudden) in enumerate(rows):
        person = make_member(cast.city_admin, cast.tech, f"测{i}").person
        visits.append(screening.sweep_visit_record(
            actor=cast.city_admin, sweep=sw, person=person, household_size=size, monthly_income_fen=income,
            rigid_expense_fen=rigid, has_job_loss=sudden))
    screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)
    for v, (size, income, rigid, sudden) in zip(visits, rows):
        v.refresh_from_db()
        facts = Facts(size, income, rigid, sudden)
        assert v.flagged_level == classify(facts, dibao_fen=r.dibao_fen, multiple=r.relative_multiple)
        assert v.per_capita_fen == screening.per_capita_disposable(facts)
        assert v.flagged_rule_id == r.pk and v.evaluated_at is not None


def test_nearest_ancestor_rule_in_force_applies(cast):
    today = dt.date.today()
    from huigong.testing import make_staff

    province = screening.screening_rule_create(actor=make_staff(cast.zhejiang), node=cast.zhejiang, dibao_fen=50000,
                                               effective_from=dt.date(2020, 1, 1))
    district = rule(cast, node=cast.xihu, dibao=90000, on=today - dt.timedelta(days=10))
    rule(cast, node=cast.xihu, dibao=120000, on=today + dt.timedelta(days=10))  # not yet in force
    assert screening.rule_for_path(cast.tech.path) == district
    assert screening.rule_for_path(cast.hangzhou.path) == province
    assert screening.rule_for_path(cast.qd_ent.path) is None
    sw = sweep(cast)
    from huigong.testing import make_member

    p = make_member(cast.city_admin, cast.tech, "甲").person
    v = screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=p, household_size=1,
                                     monthly_income_fen=85000)
    screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)
    v.refresh_from_db()
    assert (v.flagged_rule_id, v.flagged_level) == (district.pk, HardshipLevel.DEEP)  # under 900, over 500


def test_rule_crud_validates_audits_and_is_scoped(cast):
    from django.core.exceptions import PermissionDenied, ValidationError

    from huigong.core.models import AuditEvent

    with pytest.raises(ValidationError) as e:
        screening.screening_rule_create(actor=cast.city_admin, node=cast.xihu, dibao_fen=0,
                                        relative_multiple="0.5", effective_from=dt.date(2025, 1, 1))
    assert set(e.value.message_dict) == {"dibao_fen", "relative_multiple"}
    r = rule(cast, node=cast.xihu)
    with pytest.raises(ValidationError) as e:
        rule(cast, node=cast.xihu)
    assert "effective_from" in e.value.message_dict
    screening.screening_rule_update(actor=cast.district_staff, rule=r, dibao_fen=90000, relative_multiple="1.3")
    r.refresh_from_db()
    assert (r.dibao_fen, r.relative_multiple) == (90000, Decimal("1.30"))
    with pytest.raises(PermissionDenied):
        screening.screening_rule_create(actor=cast.outsider, node=cast.xihu, dibao_fen=1, effective_from=dt.date.today())
    with pytest.raises(PermissionDenied):
        screening.screening_rule_create(actor=cast.viewer, node=cast.xihu, dibao_fen=1, effective_from=dt.date.today())
    screening.screening_rule_delete(actor=cast.city_admin, rule=r)
    assert list(AuditEvent.objects.filter(object_type="assistance.screeningrule").values_list("verb", flat=True)
                .order_by("id")) == ["screening_rule.create", "screening_rule.update", "screening_rule.delete"]
