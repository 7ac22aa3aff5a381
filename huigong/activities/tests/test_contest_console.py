"""Contests run from the console: a new contest with a new bank, questions added and edited, a bank sheet
imported (all rows or none, each problem named by its row), timed rounds (before, main, after), opened and
closed; an outsider of another subtree and a viewer cannot."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from huigong.activities.models_contest import Contest, ContestRound, Question, QuestionBank
from huigong.core.audit import AuditEvent

pytestmark = pytest.mark.django_db


def _sheet(rows, head=("题目", "选项A", "选项B", "选项C", "正确答案", "知识点")) -> SimpleUploadedFile:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate([head, *rows]):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    return SimpleUploadedFile("bank.xlsx", out.getvalue())


def _dt(hours):
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_a_contest_is_created_filled_timed_opened_and_closed_from_the_console(client, cast):
    client.force_login(cast.district_staff)
    r = client.post(reverse("activities:contest_create"), {"title": "西湖区安全知识竞赛", "node": cast.xihu.pk,
                                                          "bank": "", "bank_title": ""})
    assert r.status_code == 200 and "请选择题库或填写新题库名称" in r.content.decode()
    r = client.post(reverse("activities:contest_create"), {"title": "西湖区安全知识竞赛", "node": cast.xihu.pk,
                                                          "bank": "", "bank_title": "安全生产题库"})
    contest = Contest.objects.get(title="西湖区安全知识竞赛")
    assert r.status_code == 302 and r["Location"] == reverse("activities:contest_bank", args=[contest.pk])
    assert contest.bank.title == "安全生产题库" and contest.node == cast.xihu and contest.status == "draft"
    bank_url = reverse("activities:contest_bank", args=[contest.pk])

    # One question by hand, a bad one refused with the field named.
    r = client.post(bank_url, {"form": "question", "text": "安全帽的作用？", "choices": "防护头部\n装饰", "answer": "3"})
    assert r.status_code == 200 and "正确答案应为选项之一" in r.content.decode()
    r = client.post(bank_url, {"form": "question", "text": "安全帽的作用？", "choices": "防护头部\n装饰\n", "answer": "1",
                               "topic": "个人防护"})
    assert r.status_code == 302
    q = Question.objects.get(bank=contest.bank)
    assert (q.choices, q.answer, q.topic) == (["防护头部", "装饰"], 0, "个人防护")

    # A sheet with two bad rows: nothing is added, both rows are named.
    bad = _sheet([("灭火器压力表指针在绿区表示？", "正常", "需充装", "", "A", "消防"),
                  ("", "甲", "乙", "", "A", ""),
                  ("遇到火灾应拨打？", "119", "110", "120", "D", "消防")])
    r = client.post(bank_url, {"form": "upload", "upload": bad}, follow=True)
    html = r.content.decode()
    assert "第3行：题目不能为空" in html and "第4行：正确答案应为选项之一" in html
    assert contest.bank.questions.count() == 1
    good = _sheet([("灭火器压力表指针在绿区表示？", "正常", "需充装", "", "a", "消防"),
                   ("遇到火灾应拨打？", "119", "110", "120", "A", "消防")])
    r = client.post(bank_url, {"form": "upload", "upload": good}, follow=True)
    assert "已导入题目 2 道" in r.content.decode()
    assert [x.choices for x in contest.bank.questions.order_by("pk")][1:] == [["正常", "需充装"], ["119", "110", "120"]]

    # Edit a question.
    edit = reverse("activities:question_edit", args=[q.pk])
    assert "防护头部\n装饰" in client.get(edit).content.decode()
    r = client.post(edit, {"text": "安全帽的主要作用？", "choices": "装饰\n防护头部", "answer": "2", "topic": "防护"})
    assert r.status_code == 302
    q.refresh_from_db()
    assert (q.text, q.choices, q.answer) == ("安全帽的主要作用？", ["装饰", "防护头部"], 1)
    assert AuditEvent.objects.filter(verb="contest.question_update").count() == 1

    # Opening without rounds is refused; rounds before/main/after, timed; then open and close.
    action = lambda a: reverse("activities:contest_action", args=[contest.pk, a])  # noqa: E731
    r = client.post(action("open"), follow=True)
    assert "请先添加至少一个轮次" in r.content.decode()
    rounds = reverse("activities:contest_round_add", args=[contest.pk])
    r = client.post(rounds, {"phase": "main", "opens_at": _dt(2), "closes_at": _dt(1), "time_limit_seconds": "300",
                             "question_count": "9", "attempts_limit": "1"})
    html = r.content.decode()
    assert r.status_code == 200 and "结束时间应晚于开始时间" in html and "题目数量应在 1 到题库题数 3 之间" in html
    for phase, start in (("before", 1), ("main", 24), ("after", 48)):
        r = client.post(rounds, {"phase": phase, "title": "", "opens_at": _dt(start), "closes_at": _dt(start + 2),
                                 "time_limit_seconds": "120", "question_count": "3", "attempts_limit": "2"})
        assert r.status_code == 302, r.content.decode()[:2000]
    assert list(ContestRound.objects.filter(contest=contest).values_list("phase", "time_limit_seconds")) == \
        [("before", 120), ("main", 120), ("after", 120)]
    client.post(action("open"))
    contest.refresh_from_db()
    assert contest.status == "open"
    assert "结束竞赛" in client.get(reverse("activities:contest_detail", args=[contest.pk])).content.decode()
    client.post(action("close"))
    contest.refresh_from_db()
    assert contest.status == "closed"


def test_others_cannot_run_our_contest(client, cast):
    bank = QuestionBank.objects.create(node=cast.xihu, title="西湖区题库")
    contest = Contest.objects.create(node=cast.xihu, bank=bank, title="西湖区竞赛")
    q = Question.objects.create(bank=bank, text="题", choices=["甲", "乙"], answer=0)
    client.force_login(cast.outsider)
    for url in (reverse("activities:contest_bank", args=[contest.pk]), reverse("activities:question_edit", args=[q.pk]),
                reverse("activities:contest_round_add", args=[contest.pk])):
        assert client.get(url).status_code in (403, 404)
    assert client.post(reverse("activities:contest_action", args=[contest.pk, "open"])).status_code in (403, 404)
    client.force_login(cast.viewer)
    assert client.get(reverse("activities:contest_bank", args=[contest.pk])).status_code == 403
    contest.refresh_from_db()
    assert contest.status == "draft"
