"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the events
pages, declared in the app's contributions (apps.py). Objects are written straight to the tables (no
audit rows: the matrix counts them) in 西湖区, the cast's district; the worker pages are in
test_portal_pages.py (WORLD = "own")."""

import datetime as dt


def _event(c):
    from django.utils import timezone

    from huigong.activities.models import Event, EventSession

    e = Event.objects.create(node=c.xihu, kind="lecture", title="西湖区工匠讲座", address="西湖区职工之家",
                             status="published", requires_approval=True)
    start = timezone.now() + dt.timedelta(days=3)
    EventSession.objects.create(event=e, title="上午场", starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                total=10, remaining=9, is_open=True)
    return e


def _session(c):
    return _event(c).sessions.get()


def _registration(c):
    from huigong.activities.models import Registration

    s = _session(c)
    return Registration.objects.create(session=s, person=c.member.person, membership=c.member, union=c.tech,
                                       status="granted", approval="pending")


def _contest(c):
    from huigong.activities.models_contest import Contest, QuestionBank

    bank = QuestionBank.objects.create(node=c.xihu, title="西湖区题库")
    return Contest.objects.create(node=c.xihu, bank=bank, title="西湖区安全知识竞赛", status="open")


def _question(c):
    from huigong.activities.models_contest import Question

    return Question.objects.create(bank=_contest(c).bank, text="安全帽的作用是？", choices=["防护头部", "装饰"], answer=0)


V, W = "events_view", "events"

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "activities:home": (lambda c: [], V, "GET"),
    "activities:event_create": (lambda c: [], W, "GET POST"),
    "activities:event_detail": (lambda c: [_event(c).pk], V, "GET"),
    "activities:event_edit": (lambda c: [_event(c).pk], W, "GET POST"),
    "activities:session_add": (lambda c: [_event(c).pk], W, "POST"),
    "activities:event_invite": (lambda c: [_event(c).pk], W, "POST"),
    "activities:event_action": (lambda c: [_event(c).pk, "close"], W, "POST"),
    "activities:session_detail": (lambda c: [_session(c).pk], V, "GET"),
    "activities:share_set": (lambda c: [_session(c).pk], W, "POST"),
    "activities:session_register": (lambda c: [_session(c).pk], W, "POST"),
    "activities:session_import": (lambda c: [_session(c).pk], W, "POST"),
    "activities:attendance_sheet": (lambda c: [_session(c).pk, "xlsx"], V, "GET"),
    "activities:session_action": (lambda c: [_session(c).pk, "no_shows"], W, "POST"),
    "activities:registration_cancel": (lambda c: [_registration(c).pk], W, "POST"),
    "activities:approvals": (lambda c: [], W, "GET"),
    "activities:approval_decide": (lambda c: [_registration(c).pk], W, "POST"),
    "activities:contests": (lambda c: [], V, "GET"),
    "activities:contest_detail": (lambda c: [_contest(c).pk], V, "GET"),
    "activities:contest_create": (lambda c: [], W, "GET POST"),
    "activities:contest_bank": (lambda c: [_contest(c).pk], W, "GET POST"),
    "activities:contest_round_add": (lambda c: [_contest(c).pk], W, "GET POST"),
    "activities:contest_action": (lambda c: [_contest(c).pk, "close"], W, "POST"),
    "activities:question_edit": (lambda c: [_question(c).pk], W, "GET POST"),
}
