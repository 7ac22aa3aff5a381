"""Knowledge contests (知识竞赛): question banks, timed rounds answered on the phone, attempts with a
limit, ranking by score then time, a unit participation leaderboard (最佳组织奖) and the before/after
accuracy report (a "before" round ahead of the training, an "after" round once it is done)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huigong.members.models import Person
from huigong.orgs.models import UnionNode


class QuestionBank(models.Model):
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属工会"))
    title = models.CharField(_("题库名称"), max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("题库")
        verbose_name_plural = _("题库")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A single-choice question: `choices` the options, `answer` the index of the right one."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    topic = models.CharField(_("知识点"), max_length=40, blank=True)
    text = models.CharField(_("题目"), max_length=500)
    choices = models.JSONField(_("选项"))
    answer = models.PositiveSmallIntegerField(_("正确答案"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("题目")
        verbose_name_plural = _("题目")


class ContestStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Phase(models.TextChoices):
    BEFORE = "before", _("培训前测")
    MAIN = "main", _("正式比赛")
    AFTER = "after", _("培训后测")


class Contest(models.Model):
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("主办工会"))
    event = models.ForeignKey("activities.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="contests")
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="contests", verbose_name=_("题库"))
    title = models.CharField(_("竞赛名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=8, choices=ContestStatus.choices, default=ContestStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("知识竞赛")
        verbose_name_plural = _("知识竞赛")

    def __str__(self) -> str:
        return self.title


class ContestRound(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="rounds")
    phase = models.CharField(_("轮次类型"), max_length=8, choices=Phase.choices, default=Phase.MAIN)
    title = models.CharField(_("轮次"), max_length=80)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    time_limit_seconds = models.PositiveIntegerField(_("答题时限（秒）"))
    attempts_limit = models.PositiveSmallIntegerField(_("可答题次数"), default=1)
    question_count = models.PositiveSmallIntegerField(_("题目数量"))

    class Meta:
        ordering = ["opens_at", "id"]
        verbose_name = _("竞赛轮次")
        verbose_name_plural = _("竞赛轮次")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="activities_round_window"),
            models.CheckConstraint(condition=Q(attempts_limit__gte=1), name="activities_round_attempts_positive"),
        ]


class Attempt(models.Model):
    """One go at a round: the questions drawn for it, the answers, the score and the time taken.
    UNIQUE (round, person, number) with number = attempts so far + 1 keeps the attempts limit under
    concurrent starts."""

    round = models.ForeignKey(ContestRound, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    questions = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "duration_ms", "id"]
        verbose_name = _("答题记录")
        verbose_name_plural = _("答题记录")
        constraints = [models.UniqueConstraint(fields=["round", "person", "number"], name="activities_attempt_number")]
        indexes = [models.Index(fields=["round", "score", "duration_ms"])]
