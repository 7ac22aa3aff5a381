"""What every payment page does with a bank result sheet (回盘) uploaded for a batch, so that aid payouts
and reimbursement payments answer alike: the form's own errors, or the sheet's row errors (every row
named; the sheet checked whole and nothing applied), each a message of its own under one that says
nothing was imported, the first MAX_SHOWN of them; or the counts the domain's page words itself. The
form is the shared partial disbursement/_result_import.html. No page here: the domains' views call it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from huigong.core.banksheet import ResultImportForm

MAX_SHOWN = 20


def result_import(request, run: Callable[[bytes], dict]) -> dict | None:
    """Validates the upload and calls run(data) (the domain's import service). Returns its counts, or
    None after flashing why nothing was imported."""
    form = ResultImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return None
    try:
        return run(form.cleaned_data["upload"].read())
    except ValidationError as e:
        problems = e.messages
        messages.error(request, _("回盘未导入：发现 %(n)d 处问题，整表未登记任何一笔，请改正后重新上传")
                       % {"n": len(problems)})
        for m in problems[:MAX_SHOWN]:
            messages.error(request, m)
        if len(problems) > MAX_SHOWN:
            messages.error(request, _("另有 %(n)d 处问题未列出") % {"n": len(problems) - MAX_SHOWN})
        return None
