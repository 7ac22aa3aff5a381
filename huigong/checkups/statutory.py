"""The starting checklists, as data: a union copies one (`template_seed`) and edits it (items, weights,
legal basis) like any other template. The legal items follow the points the labour-law supervision rules
have unions check (劳动合同, 工资, 工时, 社保, 女职工, 派遣, 民主管理, 集体合同…), the safety items the
duties of the 安全生产法 and 职业病防治法. Weights are points out of 100 per list."""

from __future__ import annotations

# (category, text, legal basis, weight, default severity)
LEGAL = (
    ("contract", "与全部职工依法订立书面劳动合同，自用工之日起一个月内签订", "《劳动合同法》第十条、第八十二条", 10, "high"),
    ("contract", "劳动合同必备条款齐全，试用期约定符合法定期限", "《劳动合同法》第十七条、第十九条", 5, "medium"),
    ("contract", "解除或终止劳动合同依法支付经济补偿并出具证明", "《劳动合同法》第四十六条、第五十条", 5, "medium"),
    ("wages", "按月足额以货币形式支付工资，不低于当地最低工资标准", "《劳动法》第四十八条、第五十条；《保障农民工工资支付条例》", 10, "high"),
    ("wages", "建立工资支付台账并保存两年以上", "《工资支付暂行规定》第六条", 5, "medium"),
    ("hours", "执行法定工时制度，延长工作时间依法支付加班工资", "《劳动法》第三十六条、第四十一条、第四十四条", 8, "high"),
    ("hours", "落实带薪年休假和法定节假日休息", "《职工带薪年休假条例》", 4, "low"),
    ("insurance", "为全部职工依法参加社会保险并足额缴费", "《社会保险法》第五十八条、第六十条", 10, "high"),
    ("female", "落实女职工经期、孕期、产期、哺乳期特殊保护", "《女职工劳动保护特别规定》", 6, "medium"),
    ("female", "签订女职工权益保护专项集体合同", "《妇女权益保障法》第四十八条", 3, "low"),
    ("dispatch", "劳务派遣用工不超过用工总量的10%，同工同酬", "《劳务派遣暂行规定》第四条；《劳动合同法》第六十三条", 5, "medium"),
    ("rules", "涉及职工切身利益的规章制度经民主程序制定并公示", "《劳动合同法》第四条", 6, "medium"),
    ("democracy", "建立职工代表大会制度，推行厂务公开", "《企业民主管理规定》", 6, "medium"),
    ("collective", "开展工资集体协商，签订集体合同并报送审查", "《集体合同规定》；《劳动合同法》第五十一条", 6, "medium"),
    ("union", "依法组建工会，按全部职工工资总额2%拨缴工会经费", "《工会法》第十一条、第四十三条", 6, "medium"),
    ("other", "职工投诉和劳动争议有调解渠道，建立劳动争议调解委员会", "《劳动争议调解仲裁法》第十条", 5, "low"),
)

SAFETY = (
    ("safety", "建立全员安全生产责任制，主要负责人履行法定职责", "《安全生产法》第四条、第二十一条", 12, "high"),
    ("safety", "对从业人员进行安全生产教育和培训并建立档案", "《安全生产法》第二十八条", 10, "medium"),
    ("safety", "特种作业人员持证上岗", "《安全生产法》第三十条", 10, "high"),
    ("safety", "为从业人员提供符合标准的劳动防护用品并督促佩戴", "《安全生产法》第四十五条", 10, "medium"),
    ("safety", "建立事故隐患排查治理制度，如实记录并消除隐患", "《安全生产法》第四十一条", 12, "high"),
    ("safety", "制定生产安全事故应急预案并定期组织演练", "《安全生产法》第八十一条", 8, "medium"),
    ("safety", "消防通道、安全出口畅通，消防设施完好有效", "《消防法》第十六条、第二十八条", 10, "critical"),
    ("health", "对接触职业病危害的职工进行上岗前、在岗期间和离岗时职业健康检查", "《职业病防治法》第三十五条", 10, "high"),
    ("health", "作业场所职业病危害因素定期检测并公告", "《职业病防治法》第二十六条", 8, "medium"),
    ("safety", "依法参加工伤保险", "《工伤保险条例》第二条", 10, "high"),
)

BY_KIND = {"legal": LEGAL, "safety": SAFETY}
NAMES = {"legal": "劳动用工法治体检清单（起始模板）", "safety": "安全生产体检清单（起始模板）"}
