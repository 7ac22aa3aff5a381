"""The consent texts the portal ships (version 1 of each purpose). A site may publish newer versions
(ConsentText rows with a higher version); workers are then asked again."""

from __future__ import annotations

TEXTS = [
    ("id_number", "身份证号使用授权",
     ("为办理网上入会、核实会员身份，惠工e家需要收集您的身份证号。\n"
     "用途：核验身份（校验号码真实性）、确认是否已是其他工会的会员、建立会员档案和发放会员卡。\n"
     "身份证号加密保存，只有受理您申请的工会工作人员在办理业务时可以查看完整号码，每次查看都会留下记录；"
     "不会用于上述用途以外的任何目的，也不会提供给第三方。"),
     ("撤回后，我们不再为新的业务使用您的身份证号，您将无法继续网上入会或办理需要实名核验的服务；"
     "已经办结的会员档案按工会会员管理规定保留。")),
    ("health", "健康信息使用授权",
     ("为办理健康体检、健康证补贴等福利，惠工e家需要收集与您健康有关的信息（如体检预约、健康证票据）。\n"
     "用途：审核福利申请、安排体检名额、发放补贴。健康信息加密保存，仅经办工作人员可见。"),
     "撤回后，您将无法提交新的体检或健康证补贴申请；已提交的申请继续按原流程办结。"),
    ("income", "收入信息使用授权",
     ("为办理困难帮扶，惠工e家需要收集您和家庭成员的收入情况。\n"
     "用途：对照当地最低生活保障标准核定困难等级、审核救助申请。收入信息加密保存，仅经办工作人员可见；"
     "公示时只显示遮挡后的姓名，不公开收入。"),
     "撤回后，您将无法提交新的帮扶申请；正在审核的申请可能因信息不全而无法继续。"),
    ("bank_account", "银行账户使用授权",
     ("为向您发放补贴或救助金，惠工e家需要收集您的银行账号。\n"
     "用途：仅用于把款项打入您本人的账户。账号加密保存，界面只显示末四位，只有财务人员在发放时可以查看完整号码。"),
     "撤回后，我们无法向您的银行账户发放新的款项，已经发放的记录按财务规定保留。"),
]


def ensure_consent_texts(model=None) -> int:
    """Installs the shipped v1 texts that are missing (migration, demo, a flushed test database)."""
    if model is None:
        from .models import ConsentText as model
    made = 0
    for purpose, title, text, effect in TEXTS:
        _, created = model.objects.get_or_create(purpose=purpose, version=1,
                                                 defaults={"title": title, "text": text, "withdraw_effect": effect})
        made += created
    return made
