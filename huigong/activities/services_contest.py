"""Knowledge contests (知识竞赛): banks and questions, contests with timed rounds, attempts on the phone
(limit per round held by UNIQUE (round, person, number)), ranking by score then time, the unit
participation leaderboard (最佳组织奖) and the before/after accuracy report."""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.audit import audit
from huigong.core.scope import ensure_path_in_scope, require
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import UnionNode

from .models_contest import Attempt, Contest, ContestRound, ContestStatus, Phase, Question, QuestionBank
from .services import CAP, _ensure_acts_for, active_membership

GRACE = dt.timedelta(seconds=10)  # a phone's submit in flight when the timer ends still counts


@transaction.atomic
def bank_create(*, actor, node: UnionNode, title: str) -> QuestionBank:
    require(actor, CAP)
    ensure_path_in_scope(actor, node.path)
    if not (title or "").strip():
        raise ValidationError({"title": [_("题库名称不能为空")]})
    bank = QuestionBank.objects.create(node=node, title=title.strip(), created_by=actor)
    audit(actor=actor, verb="contest.bank_create", obj=bank, node_path=node.path, new={"title": bank.title})
    return bank


@transaction.atomic
def question_add(*, actor, bank: QuestionBank, text: str, choices: list[str], answer: int, topic: str = "") -> Question:
    require(actor, CAP)
    ensure_path_in_scope(actor, bank.node.path)
    choices = [str(c).strip() for c in choices or []]
    if errors := _question_errors(text, choices, answer):
        raise ValidationError(errors)
    q = Question.objects.create(bank=bank, text=text.strip(), choices=choices, answer=answer, topic=(topic or "")[:40])
    audit(actor=actor, verb="contest.question_add", obj=bank, node_path=bank.node.path, new={"question": q.pk})
    return q


def _question_errors(text: str, choices: list[str], answer) -> dict:
    errors = {}
    if not (text or "").strip():
        errors["text"] = [_("题目不能为空")]
    elif len(text.strip()) > 500:
        errors["text"] = [_("题目最多500个字")]
    if len(choices) < 2 or any(not c for c in choices):
        errors["choices"] = [_("至少两个选项，且选项不能为空")]
    elif len(choices) > 8:
        errors["choices"] = [_("选项最多8个")]
    elif not isinstance(answer, int) or not 0 <= answer < len(choices):
        errors["answer"] = [_("正确答案应为选项之一")]
    return errors


@transaction.atomic
def question_update(*, actor, question: Question, text: str, choices: list[str], answer: int,
                    topic: str = "") -> Question:
    """Edits a question. Attempts already made keep their questions' ids; a changed answer changes how
    later attempts are scored, not earlier ones (their score is stored)."""
    question = Question.objects.select_for_update().select_related("bank__node").get(pk=question.pk)
    require(actor, CAP)
    ensure_path_in_scope(actor, question.bank.node.path)
    choices = [str(c).strip() for c in choices or []]
    if errors := _question_errors(text, choices, answer):
        raise ValidationError(errors)
    old = {"text": question.text, "choices": question.choices, "answer": question.answer, "topic": question.topic}
    question.text, question.choices, question.answer = text.strip(), choices, answer
    question.topic = (topic or "").strip()[:40]
    question.save(update_fields=["text", "choices", "answer", "topic"])
    audit(actor=actor, verb="contest.question_update", obj=question.bank, node_path=question.bank.node.path,
          old={"question": question.pk, **old}, new={"question": question.pk, "text": question.text,
                                                     "choices": choices, "answer": answer, "topic": question.topic})
    return question


# A bank sheet: 题目, 选项A…选项H (or A…H), 正确答案 (a letter), 知识点 (optional); English headers too.
BANK_TEXT = ("题目", "题干", "question")
BANK_ANSWER = ("正确答案", "答案", "answer")
BANK_TOPIC = ("知识点", "分类", "topic")
LETTERS = "ABCDEFGH"


def bank_sheet_read(data: bytes) -> list[dict]:
    """The questions of a bank sheet, each problem named by its row; any problem refuses the sheet."""
    from huigong.core import banksheet

    rows, head = banksheet.first_sheet_rows(data)

    def col(names):
        return next((head.index(n.lower()) for n in names if n.lower() in head), None)

    c_text, c_answer, c_topic = col(BANK_TEXT), col(BANK_ANSWER), col(BANK_TOPIC)
    c_choices = [col((f"选项{x}", x, f"option{x}")) for x in LETTERS]
    c_choices = [c for c in c_choices if c is not None]
    if c_text is None or c_answer is None or len(c_choices) < 2:
        raise ValidationError({"upload": _("表头须含“题目”“选项A”“选项B”…“正确答案”")})
    out, problems = [], []
    for n, row in enumerate(rows[1:], start=2):
        row = [banksheet.cell(c).strip() for c in row] + [""] * len(head)
        if not any(row):
            continue
        text = row[c_text]
        choices = [row[c] for c in c_choices]
        while choices and not choices[-1]:
            choices.pop()
        letter = row[c_answer].upper()
        answer = LETTERS.index(letter) if len(letter) == 1 and letter in LETTERS else None
        errors = _question_errors(text, choices, answer)
        if answer is None and "choices" not in errors:
            errors["answer"] = [_("正确答案应填选项字母，如 A")]
        for msgs in errors.values():
            problems += [_("第%(row)d行：%(msg)s") % {"row": n, "msg": m} for m in msgs]
        if not errors:
            out.append({"text": text, "choices": choices, "answer": answer,
                        "topic": row[c_topic] if c_topic is not None else ""})
    if problems:
        raise ValidationError({"upload": problems[:50]})
    if not out:
        raise ValidationError({"upload": _("表格中没有题目")})
    return out


@transaction.atomic
def bank_import(*, actor, bank: QuestionBank, data: bytes) -> int:
    """Adds a sheet's questions to a bank: all rows or none."""
    require(actor, CAP)
    ensure_path_in_scope(actor, bank.node.path)
    rows = bank_sheet_read(data)
    Question.objects.bulk_create([Question(bank=bank, text=r["text"].strip(), choices=r["choices"],
                                           answer=r["answer"], topic=(r["topic"] or "")[:40]) for r in rows])
    audit(actor=actor, verb="contest.bank_import", obj=bank, node_path=bank.node.path, new={"questions": len(rows)})
    return len(rows)


@transaction.atomic
def contest_create(*, actor, node: UnionNode, bank: QuestionBank, title: str, event=None) -> Contest:
    require(actor, CAP)
    ensure_path_in_scope(actor, node.path)
    if not bank.node.path.startswith(node.path) and not node.path.startswith(bank.node.path):
        raise ValidationError({"bank": [_("题库应属于主办工会或其上级")]})
    if not (title or "").strip():
        raise ValidationError({"title": [_("竞赛名称不能为空")]})
    contest = Contest.objects.create(node=node, bank=bank, title=title.strip(), event=event, created_by=actor)
    audit(actor=actor, verb="contest.create", obj=contest, node_path=node.path, new={"title": contest.title})
    return contest


@transaction.atomic
def round_add(*, actor, contest: Contest, title: str, opens_at, closes_at, time_limit_seconds: int,
              question_count: int, attempts_limit: int = 1, phase: str = Phase.MAIN) -> ContestRound:
    require(actor, CAP)
    ensure_path_in_scope(actor, contest.node.path)
    errors = {}
    if phase not in Phase.values:
        errors["phase"] = [_("轮次类型无效")]
    if not opens_at or not closes_at or closes_at <= opens_at:
        errors["closes_at"] = [_("结束时间应晚于开始时间")]
    if not isinstance(time_limit_seconds, int) or not 30 <= time_limit_seconds <= 7200:
        errors["time_limit_seconds"] = [_("答题时限应在 30 秒到 2 小时之间")]
    if not isinstance(attempts_limit, int) or not 1 <= attempts_limit <= 10:
        errors["attempts_limit"] = [_("可答题次数应在 1–10 之间")]
    available = contest.bank.questions.count()
    if not isinstance(question_count, int) or not 1 <= question_count <= available:
        errors["question_count"] = [_("题目数量应在 1 到题库题数 %(n)s 之间") % {"n": available}]
    if errors:
        raise ValidationError(errors)
    r = ContestRound.objects.create(contest=contest, title=title or str(Phase(phase).label), phase=phase, opens_at=opens_at,
                                    closes_at=closes_at, time_limit_seconds=time_limit_seconds,
                                    attempts_limit=attempts_limit, question_count=question_count)
    audit(actor=actor, verb="contest.round_add", obj=contest, node_path=contest.node.path,
          new={"round": r.pk, "phase": phase, "questions": question_count})
    return r


@transaction.atomic
def contest_set_status(*, actor, contest: Contest, status: str) -> Contest:
    contest = Contest.objects.select_for_update().select_related("node").get(pk=contest.pk)
    require(actor, CAP)
    ensure_path_in_scope(actor, contest.node.path)
    allowed = {ContestStatus.OPEN: (ContestStatus.DRAFT,), ContestStatus.CLOSED: (ContestStatus.OPEN,)}
    if contest.status not in allowed.get(status, ()):
        raise ValidationError({"status": [_("当前状态不能执行此操作")]})
    if status == ContestStatus.OPEN and not contest.rounds.exists():
        raise ValidationError({"rounds": [_("请先添加至少一个轮次")]})
    old, contest.status = contest.status, status
    contest.save(update_fields=["status"])
    audit(actor=actor, verb="contest.status", obj=contest, node_path=contest.node.path, old={"status": old},
          new={"status": status})
    return contest


def refuse_reason(rnd: ContestRound, person: Person, membership: Membership | None, *, now=None) -> str | None:
    now = now or timezone.now()
    contest = rnd.contest
    if contest.status != ContestStatus.OPEN:
        return _("竞赛未开放")
    if membership is None or membership.status != MembershipStatus.ACTIVE \
            or not membership.union.path.startswith(contest.node.path):
        return _("仅限%(node_name)s所属会员") % {"node_name": contest.node.name}
    if now < rnd.opens_at:
        return _("本轮将于 %(at)s 开始") % {"at": format(timezone.localtime(rnd.opens_at), "%Y-%m-%d %H:%M")}
    if now >= rnd.closes_at:
        return _("本轮已结束")
    return None


def attempt_start(*, actor, round: ContestRound, person: Person, now=None, rng: random.Random | None = None) -> Attempt:
    """A new attempt with `question_count` questions drawn from the bank; refused past the attempts limit
    (the UNIQUE number makes two parallel starts share one number: the second is refused)."""
    now = now or timezone.now()
    rnd = ContestRound.objects.select_related("contest__node", "contest__bank").get(pk=round.pk)
    membership = active_membership(person)
    _ensure_acts_for(actor, person.pk, membership.union.path if membership else rnd.contest.node.path)
    reason = refuse_reason(rnd, person, membership, now=now)
    if reason:
        raise ValidationError({"round": [reason]})
    open_one = Attempt.objects.filter(round=rnd, person=person, finished_at__isnull=True, deadline__gt=now).first()
    if open_one is not None:
        return open_one  # resume: a reload does not burn an attempt
    done = Attempt.objects.filter(round=rnd, person=person).count()
    if done >= rnd.attempts_limit:
        raise ValidationError({"round": [_("本轮最多可答 %(n)s 次，您已用完") % {"n": rnd.attempts_limit}]})
    ids = list(rnd.contest.bank.questions.values_list("pk", flat=True))
    picked = (rng or random.SystemRandom()).sample(ids, rnd.question_count)
    try:
        with transaction.atomic():
            a = Attempt.objects.create(round=rnd, person=person, union=membership.union, number=done + 1,
                                       questions=picked, started_at=now,
                                       deadline=now + dt.timedelta(seconds=rnd.time_limit_seconds))
            audit(actor=actor, verb="contest.attempt_start", obj=a, object_repr=f"{rnd.contest.title} · {person.name}",
                  node_path=membership.union.path, new={"round": rnd.pk, "number": a.number})
    except IntegrityError:
        raise ValidationError({"round": [_("已开始答题，请勿重复提交")]}) from None
    return a


def attempt_submit(*, actor, attempt: Attempt, answers: dict, now=None) -> Attempt:
    """Scores an attempt: one point per right answer; the time is from start to submission (capped at the
    limit). A submission later than the deadline (plus a short grace) scores 0. Submitting twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        a = Attempt.objects.select_for_update().select_related("round__contest", "union").get(pk=attempt.pk)
        _ensure_acts_for(actor, a.person_id, a.union.path)
        if a.finished_at is not None:
            return a
        qs = {q.pk: q for q in Question.objects.filter(pk__in=a.questions)}
        clean = {}
        for qid in a.questions:
            v = answers.get(str(qid), answers.get(qid))
            try:
                v = int(v)
            except (TypeError, ValueError):
                continue
            if 0 <= v < len(qs[qid].choices):
                clean[str(qid)] = v
        late = now > a.deadline + GRACE
        a.answers = clean
        a.score = 0 if late else sum(1 for qid in a.questions if clean.get(str(qid)) == qs[qid].answer)
        a.finished_at = now
        limit_ms = a.round.time_limit_seconds * 1000
        a.duration_ms = min(int((now - a.started_at).total_seconds() * 1000), limit_ms)
        a.save(update_fields=["answers", "score", "finished_at", "duration_ms"])
        audit(actor=actor, verb="contest.attempt_submit", obj=a, object_repr=a.round.contest.title,
              node_path=a.union.path, new={"score": a.score, "duration_ms": a.duration_ms, "late": late})
    return a


# --- reports ---------------------------------------------------------------------------------------------


def ranking(rnd: ContestRound, *, root: str = "", limit: int | None = 100) -> list[dict]:
    """Each person's best finished attempt of the round, by score (high first) then time (short first),
    then who finished first. Ties on score and time share a rank."""
    qs = Attempt.objects.filter(round=rnd, finished_at__isnull=False).select_related("person", "union")
    if root:
        qs = qs.filter(union__path__startswith=root)
    best: dict[int, Attempt] = {}
    for a in qs.order_by("person_id", "-score", "duration_ms", "finished_at"):
        best.setdefault(a.person_id, a)
    rows = sorted(best.values(), key=lambda a: (-a.score, a.duration_ms, a.finished_at))
    out, rank, prev = [], 0, None
    for i, a in enumerate(rows, 1):
        if (a.score, a.duration_ms) != prev:
            rank, prev = i, (a.score, a.duration_ms)
        out.append({"rank": rank, "attempt": a, "name": a.person.name, "unit": a.union.name, "score": a.score,
                    "seconds": a.duration_ms / 1000})
    return out[:limit] if limit else out


def unit_board(contest: Contest) -> list[dict]:
    """最佳组织奖: the organiser's direct sub-unions by the number of their members who took part (any
    round), with the share of their active members."""
    node = contest.node
    children = list(UnionNode.objects.filter(path__startswith=node.path, depth=node.depth + 1))
    people = (Attempt.objects.filter(round__contest=contest, finished_at__isnull=False)
              .values_list("person_id", "union__path").distinct())
    counts: dict[int, set] = {c.pk: set() for c in children}
    for person_id, path in people:
        for c in children:
            if path.startswith(c.path):
                counts[c.pk].add(person_id)
                break
    members = {c.pk: Membership.objects.filter(status=MembershipStatus.ACTIVE, union__path__startswith=c.path).count()
               for c in children}
    rows = [{"unit": c, "participants": len(counts[c.pk]), "members": members[c.pk],
             "rate": (len(counts[c.pk]) / members[c.pk]) if members[c.pk] else 0.0} for c in children]
    rows.sort(key=lambda r: (-r["participants"], -r["rate"], r["unit"].path))
    return rows


def accuracy_report(contest: Contest) -> list[dict]:
    """Per topic: the share of right answers in the "before" rounds and in the "after" rounds."""
    tally: dict[str, dict[str, list[int]]] = {}
    qs = {q.pk: q for q in contest.bank.questions.all()}
    for phase, answers, questions in (Attempt.objects.filter(round__contest=contest, finished_at__isnull=False,
                                                             round__phase__in=[Phase.BEFORE, Phase.AFTER])
                                      .values_list("round__phase", "answers", "questions")):
        for qid in questions:
            q = qs.get(qid)
            if q is None:
                continue
            t = tally.setdefault(q.topic or _("其他"), {Phase.BEFORE: [0, 0], Phase.AFTER: [0, 0]})[phase]
            t[1] += 1
            t[0] += 1 if answers.get(str(qid)) == q.answer else 0
    out = []
    for topic, d in sorted(tally.items()):
        b, a = d[Phase.BEFORE], d[Phase.AFTER]
        rb = b[0] / b[1] if b[1] else None
        ra = a[0] / a[1] if a[1] else None
        out.append({"topic": topic, "before": rb, "after": ra, "before_n": b[1], "after_n": a[1],
                    "change": (ra - rb) if rb is not None and ra is not None else None})
    return out


def participation(contest: Contest) -> dict:
    agg = Attempt.objects.filter(round__contest=contest, finished_at__isnull=False).aggregate(
        people=Count("person", distinct=True), attempts=Count("id"), first=Min("finished_at"))
    return agg
