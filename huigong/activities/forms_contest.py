"""Forms of the contest console pages: a contest (with its bank, new or existing), a question, a bank
sheet, a round."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateTimeInput
from huigong.orgs.forms import NodeField, field_errors

from .models_contest import Phase, QuestionBank


class ContestForm(forms.Form):
    title = forms.CharField(label=_("竞赛名称"), max_length=120, error_messages=field_errors(_("竞赛名称")))
    bank = forms.ModelChoiceField(label=_("题库"), queryset=QuestionBank.objects.none(), required=False,
                                  empty_label=_("— 新建题库 —"))
    bank_title = forms.CharField(label=_("新题库名称"), max_length=120, required=False,
                                 help_text=_("不选已有题库时填写；题目在竞赛页添加或导入"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from huigong.core.scope import root_path

        self.fields["node"] = NodeField(actor=actor, label=_("主办工会"), error_messages=field_errors(_("主办工会")))
        self.fields["bank"].queryset = QuestionBank.objects.filter(node__path__startswith=root_path(actor))
        self.order_fields(["title", "node", "bank", "bank_title"])

    def clean(self):
        data = super().clean()
        if not data.get("bank") and not (data.get("bank_title") or "").strip():
            self.add_error("bank_title", _("请选择题库或填写新题库名称"))
        return data


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("题目"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages=field_errors(_("题目")))
    choices = forms.CharField(label=_("选项"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("每行一个选项，2 到 8 个"), error_messages=field_errors(_("选项")))
    answer = forms.IntegerField(label=_("正确答案（第几个选项）"), min_value=1, max_value=8,
                                error_messages=field_errors(_("正确答案")))
    topic = forms.CharField(label=_("知识点"), max_length=40, required=False)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"text": d["text"], "choices": [c for c in d["choices"].splitlines() if c.strip()],
                "answer": d["answer"] - 1, "topic": d.get("topic", "")}


class BankUploadForm(forms.Form):
    upload = forms.FileField(label=_("题库表格（.xlsx）"),
                             help_text=_("表头：题目、选项A、选项B…选项H、正确答案（填字母）、知识点（选填）；有任何一行出错则整表不导入"))


class RoundForm(forms.Form):
    phase = forms.ChoiceField(label=_("轮次类型"), choices=Phase.choices, initial=Phase.MAIN)
    title = forms.CharField(label=_("轮次"), max_length=80, required=False, help_text=_("不填则用轮次类型"))
    opens_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput(), error_messages=field_errors(_("开始时间")))
    closes_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput(), error_messages=field_errors(_("结束时间")))
    time_limit_seconds = forms.IntegerField(label=_("答题时限（秒）"), min_value=30, max_value=7200, initial=300,
                                            error_messages=field_errors(_("答题时限")))
    question_count = forms.IntegerField(label=_("题目数量"), min_value=1, initial=10,
                                        error_messages=field_errors(_("题目数量")))
    attempts_limit = forms.IntegerField(label=_("可答题次数"), min_value=1, max_value=10, initial=1,
                                        error_messages=field_errors(_("可答题次数")))
