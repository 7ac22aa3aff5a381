"""Priorities and merit in the draw, the eligibility editor's service, and the verification command over
a published list that carries precedences."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from huigong.core.models import AuditEvent
from huigong.core.capacity import lottery
from huigong.core.capacity import services as cap
from huigong.education import services
from huigong.education.models import Application, ApplicationStatus, Ranking
from huigong.education.testing import World, applicant, make_programme
from huigong.honours.testing import make_honour


@pytest.fixture
def w(cast):
    return World(cast)


def test_a_model_worker_is_drawn_first_and_the_tier_is_published(w, tmp_path):
    """Two places, five approved: the model worker (the kernel's facet from the honours register) is in
    the top tier whatever the seed; the draw publishes her precedence, the hash covers it, and the
    command re-runs the draw from the published list (with the bare list it refuses)."""
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=1, priorities=["model_worker", "hardship_file"])
    people = [applicant(w.c.city_admin, w.c.tech) for _ in range(5)]
    make_honour(w.c, people[3])
    apps, record = w.drawn(p, people, seed="any seed")
    star = apps[3]
    assert star.status == ApplicationStatus.WON and star.priority == "model_worker" and star.draw_rank == 1
    assert [a.status for a in apps].count(ApplicationStatus.WON) == 1
    assert cap.draw_precedence(record) == {star.pk: 2}
    assert record.entrants_hash == lottery.entrants_hash(record.entrants, {star.pk: 2})
    assert services.draw_verify(p)[1] == []
    listing = tmp_path / "entrants.txt"
    listing.write_text("\n".join(lottery.entrant_lines(record.entrants, {star.pk: 2})), encoding="utf-8")
    out = io.StringIO()
    call_command("education_verify_draw", str(p.pk), "--entrants", str(listing), stdout=out)
    assert "draw verified" in out.getvalue() and "1 with a precedence" in out.getvalue()
    bare = tmp_path / "bare.txt"
    bare.write_text("\n".join(str(i) for i in record.entrants), encoding="utf-8")
    with pytest.raises(CommandError, match="NOT verified"):
        call_command("education_verify_draw", str(p.pk), "--entrants", str(bare), stdout=io.StringIO())


def test_priorities_are_facet_keys(w):
    with pytest.raises(ValidationError, match="不存在"):
        make_programme(w.c.city_admin, w.c.hangzhou, priorities=["model_wroker"])
    with pytest.raises(ValidationError, match="重复"):
        make_programme(w.c.city_admin, w.c.hangzhou, priorities=["model_worker", "model_worker"])


def test_merit_ranks_by_points_ties_by_priority_then_seed(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=2, ranking=Ranking.MERIT, priorities=["model_worker"])
    people = [applicant(w.c.city_admin, w.c.tech) for _ in range(4)]
    make_honour(w.c, people[2])
    apps = w.to_draw(p, people)
    with pytest.raises(ValidationError, match="没有登记成绩"):
        services.programme_draw(actor=w.c.city_admin, programme=p, seed="s")
    for a, pts in zip(apps, (80, 95, 80, 60), strict=True):
        services.application_points_set(actor=w.c.city_admin, application=a, points=pts, note="入学考试成绩")
    ev = AuditEvent.objects.filter(verb="edu_application.points", object_id=str(apps[0].pk)).get()
    assert ev.new["merit_points"] == 80 and ev.old["merit_points"] is None
    with pytest.raises(ValidationError, match="整数"):
        services.application_points_set(actor=w.c.city_admin, application=apps[0], points=-1)
    record = services.programme_draw(actor=w.c.city_admin, programme=p, seed="s")
    got = {a.pk: Application.objects.get(pk=a.pk) for a in apps}
    # 95 first; of the two 80s the model worker (tier 1) wins the tie; 60 last.
    assert [r[0] for r in record.result] == [apps[1].pk, apps[2].pk, apps[0].pk, apps[3].pk]
    assert [got[a.pk].status for a in apps] == ["lost", "won", "won", "lost"]
    assert cap.draw_precedence(record) == {apps[0].pk: 160, apps[1].pk: 190, apps[2].pk: 161, apps[3].pk: 120}
    assert services.draw_verify(p)[1] == []
    with pytest.raises(ValidationError, match="已经排序"):
        services.application_points_set(actor=w.c.city_admin, application=apps[0], points=99)


def test_points_refused_in_a_lottery_round_and_outside_the_subtree(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    a = services.application_submit(actor=w.c.city_admin, programme=p, person=applicant(w.c.city_admin, w.c.tech),
                                    major=p.majors.first(), xuexin_code="ABCD1234")
    with pytest.raises(ValidationError, match="抽签分配"):
        services.application_points_set(actor=w.c.city_admin, application=a, points=10)
    with pytest.raises(Exception):
        services.application_points_set(actor=w.c.outsider, application=a, points=10)


def test_rules_editor_service_locks_once_open_and_names_the_bad_rule(w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, open_now=False)
    services.programme_rules_set(actor=w.c.city_admin, programme=p, rules={"member_months": 12, "max_age": 45},
                                 priorities=["hardship_file"])
    p.refresh_from_db()
    assert p.rules == {"member_months": 12, "max_age": 45} and p.priorities == ["hardship_file"]
    assert AuditEvent.objects.filter(verb="edu_programme.rules", object_id=str(p.pk)).count() == 1
    with pytest.raises(ValidationError, match="年龄超过"):
        services.programme_rules_set(actor=w.c.city_admin, programme=p, rules={"max_age": -3})
    p.refresh_from_db()
    assert p.rules == {"member_months": 12, "max_age": 45}  # nothing half-written
    services.programme_open(actor=w.c.city_admin, programme=p)
    with pytest.raises(ValidationError, match="不能再修改"):
        services.programme_rules_set(actor=w.c.city_admin, programme=p, rules={})
    with pytest.raises(Exception):
        services.programme_rules_set(actor=w.c.outsider, programme=p, rules={})
