from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huigong.orgs.forms import EnterpriseField, NodeField


class ImportForm(forms.Form):
    file = forms.FileField(label=_("名册文件"), help_text=_("Excel（.xlsx、.xls）、WPS 表格（.et）或 CSV（UTF-8 / GB18030），表头与导入模板一致"),
                           error_messages={"required": _("请选择要上传的文件"),
                                           "empty": _("文件为空")})

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"] = NodeField(actor=actor, members_only=True, label=_("导入到工会"),
                                         help_text=_("新职工在这个工会入会；只能选择基层工会、联合工会等能直接发展会员的工会"),
                                         error_messages={"required": gettext("请选择工会"),
                                                         "invalid_choice": gettext("工会不在您的管辖范围内")})
        self.fields["enterprise"] = EnterpriseField(actor=actor, label=_("单位（选填）"), required=False,
                                                    help_text=_("名册未填用人单位或平台时，默认填为此单位"))
        self.order_fields(["union", "enterprise", "file"])
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,.et,.csv"
        self.max_mb = settings.ROSTER_MAX_UPLOAD_BYTES // (1024 * 1024)
