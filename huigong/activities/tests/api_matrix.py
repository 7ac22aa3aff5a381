"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for the events routes.
Objects are built inside each role's rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from huigong.activities import services
from huigong.activities.models import EventSession
from huigong.activities.models_contest import Contest, ContestRound, Question, QuestionBank
from huigong.activities.testing import make_event, session_of


def _hz(w, **kw):
    kw.setdefault("title", "杭州工匠讲座")
    return make_event(w.city_admin, w.xihu, **kw)


def _qd(w):
    return make_event(w.outsider, w.gaoxin, title="高新区联谊会", address="高新区职工之家")


def _both_events(w):
    _hz(w)
    _qd(w)
    return {}


def _reg(w, **kw):
    return services.register(actor=w.city_admin, session=session_of(_hz(w, **kw)), person=w.member.person)


def _offered(w):
    s = session_of(_hz(w, total=1, offer_seconds=3600))
    first = services.register(actor=w.city_admin, session=s, person=w.rider.person)
    mine = services.register(actor=w.city_admin, session=s, person=w.member.person)
    services.registration_cancel(actor=w.city_admin, registration=first)
    return mine


def _contest(w, node=None, actor=None, title="杭州安全知识竞赛"):
    node = node or w.xihu
    bank = QuestionBank.objects.create(node=node, title="题库")
    for i in range(3):
        Question.objects.create(bank=bank, topic="消防", text=f"第{i}题", choices=["对", "错"], answer=0)
    c = Contest.objects.create(node=node, bank=bank, title=title, status="open")
    ContestRound.objects.create(contest=c, title="正式比赛", opens_at=timezone.now() - dt.timedelta(hours=1),
                                closes_at=timezone.now() + dt.timedelta(days=1), time_limit_seconds=60,
                                question_count=3)
    return c


def _ranking_params(w):
    c = _contest(w)
    return {"contest_id": c.pk, "round_id": c.rounds.get().pk}


def _both_contests(w):
    _contest(w)
    _contest(w, node=w.gaoxin, title="高新区安全知识竞赛")
    return {}


def _session_body(w):
    start = timezone.now() + dt.timedelta(days=5)
    return {"title": "下午场", "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "total": 30}


def matrix_rows(Row, expect) -> dict:
    view = dict.fromkeys(("admin", "staff", "viewer", "leader"), 200)
    read = expect(view)
    lst = expect(view, outsider=200)
    write = expect({"admin": 200, "staff": 200})
    create = expect({"admin": 201, "staff": 201})
    base = "/api/v1"
    return {
        ("GET", f"{base}/events"): Row(lst, params=_both_events, markers=("杭州工匠讲座", "高新区联谊会")),
        ("POST", f"{base}/events"): Row(create, body=lambda w: {
            "node_id": w.xihu.pk, "kind": "lecture", "title": "杭州劳模讲座", "address": "西湖区职工之家"}),
        ("GET", f"{base}/events/{{event_id}}"): Row(read, params=lambda w: {"event_id": _hz(w).pk}),
        ("POST", f"{base}/events/{{event_id}}/publish"): Row(write, params=lambda w: {"event_id": _hz(w, publish=False).pk}),
        ("POST", f"{base}/events/{{event_id}}/close"): Row(write, params=lambda w: {"event_id": _hz(w).pk}),
        ("POST", f"{base}/events/{{event_id}}/cancel"): Row(write, params=lambda w: {"event_id": _hz(w).pk},
                                                             body=lambda w: {"reason": "场地检修"}),
        ("POST", f"{base}/events/{{event_id}}/sessions"): Row(create, params=lambda w: {"event_id": _hz(w).pk},
                                                               body=_session_body),
        ("POST", f"{base}/events/{{event_id}}/invitations"): Row(
            write, params=lambda w: {"event_id": _hz(w).pk}, body=lambda w: {"person_ids": [w.member.person_id]}),
        ("POST", f"{base}/events/{{event_id}}/ranked-draw"): Row(
            write, params=lambda w: {"event_id": _hz(w, allocation="ranked").pk}, body=lambda w: {"seed": "s"}),
        ("POST", f"{base}/events/sessions/{{session_id}}/shares"): Row(
            write, params=lambda w: {"session_id": session_of(_hz(w, publish=False)).pk},
            body=lambda w: {"union_id": w.tech.pk, "slots": 3}),
        ("POST", f"{base}/events/sessions/{{session_id}}/draw"): Row(
            write, params=lambda w: {"session_id": session_of(_hz(w, allocation="lottery")).pk}, body=lambda w: {}),
        ("POST", f"{base}/events/sessions/{{session_id}}/no-shows"): Row(
            write, params=lambda w: {"session_id": _past_session(w).pk}),
        ("POST", f"{base}/event-registrations"): Row(
            create, body=lambda w: {"session_id": session_of(_hz(w)).pk, "person_id": w.member.person_id}),
        ("GET", f"{base}/event-registrations"): Row(read, body=lambda w: {"session_id": _reg(w).session_id}),
        ("GET", f"{base}/event-registrations/{{registration_id}}"): Row(
            read, params=lambda w: {"registration_id": _reg(w).pk}),
        ("POST", f"{base}/event-registrations/{{registration_id}}/cancel"): Row(
            write, params=lambda w: {"registration_id": _reg(w).pk}, body=lambda w: {}),
        ("POST", f"{base}/event-registrations/{{registration_id}}/accept"): Row(
            write, params=lambda w: {"registration_id": _offered(w).pk}),
        ("POST", f"{base}/event-registrations/{{registration_id}}/decline"): Row(
            write, params=lambda w: {"registration_id": _offered(w).pk}),
        # The rider's union has no approver: 西湖区 decides for it (with a reason); the city may not.
        ("POST", f"{base}/event-registrations/{{registration_id}}/decision"): Row(
            expect({"staff": 200}), params=lambda w: {"registration_id": services.register(
                actor=w.city_admin, session=session_of(_hz(w, requires_approval=True)), person=w.rider.person).pk},
            body=lambda w: {"decision": "approved", "acting_reason": "骑手工会尚无审核人员"}),
        ("GET", f"{base}/contests"): Row(lst, params=_both_contests, markers=("杭州安全知识竞赛", "高新区安全知识竞赛")),
        ("GET", f"{base}/contests/{{contest_id}}"): Row(read, params=lambda w: {"contest_id": _contest(w).pk}),
        ("GET", f"{base}/contests/{{contest_id}}/rounds/{{round_id}}/ranking"): Row(
            read, params=_ranking_params),
        ("GET", f"{base}/contests/{{contest_id}}/units"): Row(read, params=lambda w: {"contest_id": _contest(w).pk}),
        ("GET", f"{base}/contests/{{contest_id}}/accuracy"): Row(read, params=lambda w: {"contest_id": _contest(w).pk}),
        # Only a worker answers: staff are refused whatever their role (the worker's own test is in test_api.py).
        ("POST", f"{base}/contests/rounds/{{round_id}}/attempts"): Row(
            expect({}, outsider=403), params=lambda w: {"round_id": _contest(w).rounds.get().pk}),
        ("POST", f"{base}/contests/attempts/{{attempt_id}}/submit"): Row(
            expect({}, outsider=404) | {r: 404 for r in ("admin", "staff", "viewer", "finance", "leader")},
            params=lambda w: {"attempt_id": 1}, body=lambda w: {"answers": {}}),
    }


def _past_session(w):
    e = _hz(w)
    s = session_of(e)
    EventSession.objects.filter(pk=s.pk).update(starts_at=timezone.now() - dt.timedelta(hours=3),
                                                ends_at=timezone.now() - dt.timedelta(hours=1))
    return EventSession.objects.get(pk=s.pk)
