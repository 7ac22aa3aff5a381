"""The demo world: the places of the seed page (a Workers' Daily page) as a union tree.

Places, unions and region codes (GB/T 2260) are real; companies are invented apart from the
scenario's own coal mine; every person is synthetic (see people.py). `weight` is a node's share
of the synthetic members; `profile` says what kind of workers it holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from huigong.accounts.models import Role
from huigong.orgs.models import EnterpriseKind, NodeLevel, SiteKind

L = NodeLevel
ROOT_CODE = "ACFTU"

# Names that appear on the seed page. A synthetic personal record never gets one of them.
SEED_PAGE_NAMES = frozenset({
    "邹偶然", "周杰", "张高津", "刘凤媛", "白津生", "盛茂林", "沈岳", "柳姗姗", "彭冰", "吴玉金", "杨永修", "卢学良", "李万君", "王善更", "李昱霖",
    "高超", "刘青", "刘志彬", "侯国海", "叶小钟", "刘雪晴", "黄宁生", "梁永昌", "郑佳鹏", "陈慕娟", "林小江", "张婧", "李冉", "赵鹏", "毛浓曦", "祝盼",
    "韩涛", "马小红", "韩军涛", "邢生祥",
})


@dataclass(frozen=True)
class Place:
    """A county-level area: where addresses, coordinates, phones and ID numbers come from."""

    label: str  # province + city + district, as written in an address
    lat: float
    lng: float
    area_code: str  # telephone
    roads: tuple[str, ...]


PLACES: dict[str, Place] = {
    "330102": Place("浙江省杭州市上城区", 30.2426, 120.1692, "0571", ("解放路", "望江路", "秋涛路", "婺江路")),
    "330105": Place("浙江省杭州市拱墅区", 30.3195, 120.1417, "0571", ("莫干山路", "湖墅南路", "大关路", "丽水路")),
    "330106": Place("浙江省杭州市西湖区", 30.2592, 120.1300, "0571", ("文三路", "文二西路", "天目山路", "古墩路", "学院路")),
    "330108": Place("浙江省杭州市滨江区", 30.2084, 120.2119, "0571", ("江南大道", "网商路", "长河路", "滨盛路")),
    "330109": Place("浙江省杭州市萧山区", 30.1620, 120.2640, "0571", ("市心路", "金城路", "建设一路", "通惠路")),
    "330110": Place("浙江省杭州市余杭区", 30.2740, 119.9790, "0571", ("文一西路", "五常大道", "良睦路", "龙潭路")),
    "370214": Place("山东省青岛市城阳区", 36.3010, 120.3010, "0532", ("华贯路", "汇智桥路", "火炬路", "锦业路", "春阳路",
                                                                    "河东路", "宝源路", "松园路")),
    "632801": Place("青海省海西蒙古族藏族自治州格尔木市", 36.4020, 94.9030, "0979",
                    ("昆仑路", "柴达木路", "金峰路", "江源路", "黄河路")),
    "632802": Place("青海省海西蒙古族藏族自治州德令哈市", 37.3700, 97.3600, "0977", ("柴达木东路", "长江路", "祁连路")),
    "130102": Place("河北省石家庄市长安区", 38.0470, 114.5390, "0311", ("中山东路", "建设北大街", "胜利北街", "谈固东街")),
    "130104": Place("河北省石家庄市桥西区", 38.0040, 114.4610, "0311", ("中华南大街", "裕华西路", "友谊南大街", "红旗大街")),
    "130107": Place("河北省石家庄市井陉矿区", 38.0650, 114.0620, "0311", ("矿市街", "凤山路", "贾庄路")),
    "130108": Place("河北省石家庄市裕华区", 38.0070, 114.5320, "0311", ("槐安东路", "体育南大街", "裕华东路", "塔南路")),
    "220402": Place("吉林省辽源市龙山区", 42.9020, 125.1360, "0437", ("人民大街", "龙山路", "福镇大路", "新兴路")),
    "220403": Place("吉林省辽源市西安区", 42.9270, 125.1490, "0437", ("仙城大路", "东山路", "灯塔路")),
    "220421": Place("吉林省辽源市东丰县", 42.6770, 125.5310, "0437", ("东丰大街", "鹿乡路", "新华路")),
    "220422": Place("吉林省辽源市东辽县", 42.9260, 124.9910, "0437", ("袜业园路", "白泉大街", "安恕路")),
    "220104": Place("吉林省长春市朝阳区", 43.8340, 125.2880, "0431", ("人民大街", "西安大路", "红旗街")),
    "440103": Place("广东省广州市荔湾区", 23.1260, 113.2440, "020", ("中山八路", "芳村大道", "龙溪大道")),
    "440106": Place("广东省广州市天河区", 23.1250, 113.3610, "020", ("天河路", "中山大道", "黄埔大道", "天河北路")),
    "440111": Place("广东省广州市白云区", 23.1570, 113.2730, "020", ("机场路", "白云大道", "广园西路", "太和路")),
    "440781": Place("广东省江门市台山市", 22.2520, 112.7940, "0750", ("台城大道", "通济路", "环北大道", "冲蒌圩镇路")),
    "441900": Place("广东省东莞市", 23.0210, 113.7520, "0769", ("松山湖大道", "东城大道", "莞太路", "鸿福路")),
    "120101": Place("天津市和平区", 39.1170, 117.2150, "022", ("南京路", "滨江道", "和平路", "成都道")),
    "120103": Place("天津市河西区", 39.1090, 117.2230, "022", ("友谊路", "围堤道", "黑牛城道")),
    "120104": Place("天津市南开区", 39.1380, 117.1500, "022", ("卫津路", "鞍山西道", "复康路")),
    "120116": Place("天津市滨海新区", 39.0030, 117.7100, "022", ("第二大街", "新港路", "响螺湾路", "泰达大街")),
    "610113": Place("陕西省西安市雁塔区", 34.2130, 108.9480, "029", ("科技路", "锦业路", "长安南路")),
    "610632": Place("陕西省延安市黄陵县", 35.5800, 109.2630, "0911", ("桥山路", "轩辕大道", "店头镇中街")),
}

# Where migrant platform workers' ID numbers come from (real county codes of big sending areas).
MIGRANT_REGIONS = ("341221", "341226", "411627", "411422", "511621", "522425", "430523", "362329", "421127",
                   "450922", "130627", "371321", "622421", "632122")

ETHNICITIES_DEFAULT = (("汉族", 96), ("回族", 1), ("满族", 1), ("壮族", 1), ("土家族", 1))
ETHNICITIES_HAIXI = (("汉族", 70), ("蒙古族", 9), ("藏族", 9), ("回族", 7), ("土族", 3), ("撒拉族", 2))

JOBS: dict[str, tuple[str, ...]] = {
    "软件和信息技术服务业": ("软件工程师", "测试工程师", "产品经理", "运维工程师", "客服专员", "数据分析师"),
    "医药制造业": ("生产操作工", "质检员", "研发助理", "设备维护员", "仓储管理员"),
    "专用设备制造业": ("数控车工", "装配钳工", "焊工", "电工", "质检员", "技术员"),
    "通用设备制造业": ("数控车工", "装配钳工", "机器人调试员", "电工", "质检员"),
    "计算机、通信和其他电子设备制造业": ("贴片操作员", "测试员", "工艺工程师", "设备技术员", "质检员"),
    "汽车制造业": ("冲压工", "焊装工", "数控车工", "模具钳工", "质检员"),
    "铁路、船舶、航空航天和其他运输设备制造业": ("焊接技师", "装配钳工", "油漆工", "质检员", "电工"),
    "电力、热力生产和供应业": ("运行值班员", "检修工", "电气试验员", "热工技术员"),
    "燃气生产和供应业": ("燃气抢修工", "管网巡检员", "客服专员", "调度员"),
    "化学原料和化学制品制造业": ("化工操作工", "化验员", "安全员", "设备维修工"),
    "石油、煤炭及其他燃料加工业": ("装置操作工", "化验员", "安全员", "仪表工"),
    "煤炭开采和洗选业": ("采煤机司机", "掘进工", "选煤厂操作工", "机电维修工", "通风工", "安全检查员"),
    "纺织业": ("挡车工", "缝头工", "定型工", "质检员", "机修工"),
    "食品制造业": ("生产操作工", "包装工", "质检员", "仓管员"),
    "农副食品加工业": ("生产操作工", "分拣工", "质检员"),
    "批发和零售业": ("营业员", "理货员", "收银员", "店长"),
    "住宿和餐饮业": ("厨师", "服务员", "店长", "配菜员"),
    "建筑业": ("钢筋工", "木工", "电焊工", "施工员", "安全员"),
    "装卸搬运和仓储业": ("装卸工", "叉车司机", "仓管员", "调度员"),
    "道路运输业": ("货车司机", "调度员", "维修工"),
    "专业技术服务业": ("检测员", "工程师", "项目助理"),
    "文化艺术业": ("讲解员", "演员", "舞美师", "行政人员"),
    "教育": ("教师", "辅导员", "行政人员"),
    "卫生": ("护士", "医生", "药剂师", "护工"),
    "体育": ("教练员", "运动员", "队医", "行政人员"),
    "物业管理": ("保安", "保洁员", "维修工", "客服专员"),
    "商务服务业": ("招商专员", "行政人员", "会计"),
}


@dataclass
class Ent:
    name: str
    industry: str
    kind: str = EnterpriseKind.ENTERPRISE
    key: str = ""  # platforms are referred to by key


@dataclass
class Node:
    name: str
    level: str
    region: str
    children: list[Node] = field(default_factory=list)
    key: str = ""
    weight: int = 0  # members this node holds per 50,000
    profile: str = ""  # enterprise / smallfirms / community / riders / couriers / ride_hailing / trucks / newforms
    enterprise: Ent | None = None  # the one enterprise whose union this is
    covers: list[Ent] = field(default_factory=list)  # further units this union covers (small firms, platforms)
    sites: list[tuple[str, str]] = field(default_factory=list)  # (kind, name); address made from `region`
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, display name)
    code: str = ""


def union(ent: Ent, region: str, weight: int, sites: tuple[str, ...] = (), **kw) -> Node:
    """A grassroots union: the union of one enterprise, holding its workers."""
    short = ent.name.split("有限")[0].split("股份")[0]
    kinds = {"home": (SiteKind.WORKERS_HOME, f"{short}职工之家"),
             "mothers": (SiteKind.MOTHERS_ROOM, f"{short}爱心妈妈小屋")}
    return Node(f"{ent.name}工会", L.GRASSROOTS, region, weight=weight, profile=kw.pop("profile", "enterprise"),
                enterprise=ent, sites=[kinds[s] for s in sites], **kw)


def station(road: str) -> tuple[str, str]:
    return SiteKind.OUTDOOR_STATION, f"{road}户外劳动者服务站"


# Platforms: headquartered (and covered) in Hangzhou, working everywhere.
DELIVERY_A = Ent("惠达即时配送（杭州）有限公司", "软件和信息技术服务业", EnterpriseKind.PLATFORM, "delivery_a")
DELIVERY_B = Ent("蓝途同城外卖科技有限公司", "软件和信息技术服务业", EnterpriseKind.PLATFORM, "delivery_b")
RIDE = Ent("途安出行科技有限公司", "软件和信息技术服务业", EnterpriseKind.PLATFORM, "ride")
FREIGHT = Ent("运满途货运科技有限公司", "道路运输业", EnterpriseKind.PLATFORM, "freight")
EXPRESS = Ent("鸿远速递有限公司", "装卸搬运和仓储业", EnterpriseKind.PLATFORM, "express")
PLATFORM_KEYS = {"riders": ("delivery_a", "delivery_b"), "couriers": ("express",), "ride_hailing": ("ride",),
                 "trucks": ("freight",)}


def _small(prefix: str, names: list[tuple[str, str]]) -> list[Ent]:
    return [Ent(f"{prefix}{n}", ind) for n, ind in names]


def hangzhou() -> Node:
    xihu = Node("西湖区总工会", L.DISTRICT, "330106", key="xihu", logins=[("xihu_staff", Role.STAFF, "西湖区总工会工作人员")],
                sites=[(SiteKind.WORKERS_HOME, "西湖区职工服务中心"), station("文三路"), station("古墩路"), station("学院路")],
                children=[
        Node("西湖区骑手联合工会", L.JOINT, "330106", key="xihu_riders", weight=2200, profile="riders", covers=[DELIVERY_A],
             logins=[("riders_staff", Role.STAFF, "骑手联合工会工作人员")],
             sites=[(SiteKind.OUTDOOR_STATION, "西湖区骑手驿站（文新）"), (SiteKind.OUTDOOR_STATION, "西湖区骑手驿站（翠苑）")]),
        Node("文新街道总工会", L.TOWNSHIP, "330106", weight=160, profile="community", covers=_small("杭州文新", [
            ("便民超市有限公司", "批发和零售业"), ("家政服务有限公司", "物业管理"), ("餐饮管理有限公司", "住宿和餐饮业")])),
        Node("翠苑街道总工会", L.TOWNSHIP, "330106", weight=140, profile="community", covers=_small("杭州翠苑", [
            ("物业服务有限公司", "物业管理"), ("文化传媒有限公司", "文化艺术业")])),
        union(Ent("杭州云栖数智科技有限公司", "软件和信息技术服务业"), "330106", 900, ("home", "mothers")),
        union(Ent("杭州之江生物医药有限公司", "医药制造业"), "330106", 520, ("home",)),
        union(Ent("杭州西溪湿地物业服务有限公司", "物业管理"), "330106", 260),
        union(Ent("杭州文三数码城商业管理有限公司", "批发和零售业"), "330106", 180),
    ])
    districts = [
        Node("上城区总工会", L.DISTRICT, "330102", sites=[station("望江路"), station("解放路")], children=[
            union(Ent("杭州钱江百货有限公司", "批发和零售业"), "330102", 420, ("home",)),
            union(Ent("杭州望江护理院有限公司", "卫生"), "330102", 230, ("mothers",)),
            union(Ent("杭州御街餐饮管理有限公司", "住宿和餐饮业"), "330102", 200),
        ]),
        Node("拱墅区总工会", L.DISTRICT, "330105", sites=[station("莫干山路"), station("湖墅南路")], children=[
            union(Ent("杭州运河重工机械有限公司", "专用设备制造业"), "330105", 640, ("home",)),
            union(Ent("杭州大关纺织有限公司", "纺织业"), "330105", 380),
            Node("拱墅区外卖骑手联合工会", L.JOINT, "330105", weight=1300, profile="riders", covers=[DELIVERY_B],
                 sites=[(SiteKind.OUTDOOR_STATION, "拱墅区骑手驿站（大关）")]),
        ]),
        xihu,
        Node("滨江区总工会", L.DISTRICT, "330108", sites=[station("江南大道"), station("网商路")], children=[
            union(Ent("杭州星澜网络科技有限公司", "软件和信息技术服务业"), "330108", 780, ("home", "mothers")),
            union(Ent("杭州海创芯微电子有限公司", "计算机、通信和其他电子设备制造业"), "330108", 560, ("mothers",)),
            union(Ent("杭州智联安防技术有限公司", "计算机、通信和其他电子设备制造业"), "330108", 340),
            Node("滨江区新就业形态劳动者联合工会", L.JOINT, "330108", weight=900, profile="newforms",
                 sites=[(SiteKind.OUTDOOR_STATION, "滨江区新就业群体驿站")]),
        ]),
        Node("萧山区总工会", L.DISTRICT, "330109", sites=[station("市心路")], children=[
            union(Ent("杭州萧然汽配制造有限公司", "汽车制造业"), "330109", 700, ("home",)),
            union(Ent("杭州临空物流有限公司", "装卸搬运和仓储业"), "330109", 380),
            union(Ent("杭州湘湖建设集团有限公司", "建筑业"), "330109", 450),
        ]),
        Node("余杭区总工会", L.DISTRICT, "330110", sites=[station("文一西路")], children=[
            union(Ent("杭州未来数智产业园运营有限公司", "商务服务业"), "330110", 240),
            union(Ent("杭州良渚新材料有限公司", "化学原料和化学制品制造业"), "330110", 470, ("home",)),
            union(Ent("杭州仓前电商服务有限公司", "批发和零售业"), "330110", 330),
        ]),
    ]
    city_joint = [
        Node("杭州市快递行业联合工会", L.JOINT, "330105", weight=1200, profile="couriers", covers=[EXPRESS]),
        Node("杭州市网约车司机联合工会", L.JOINT, "330106", weight=700, profile="ride_hailing", covers=[RIDE]),
        Node("杭州市货车司机联合工会", L.JOINT, "330109", weight=500, profile="trucks", covers=[FREIGHT],
             sites=[(SiteKind.OTHER, "杭州市萧山货车司机之家")]),
    ]
    return Node("杭州市总工会", L.CITY, "330100", key="hangzhou", children=districts + city_joint,
                logins=[("hangzhou_admin", Role.ADMIN, "杭州市总工会管理员"), ("hangzhou_leader", Role.LEADER, "杭州市总工会领导"),
                        ("hangzhou_finance", Role.FINANCE, "杭州市总工会财务"),
                        ("hangzhou_staff", Role.STAFF, "杭州市总工会工作人员")],
                sites=[(SiteKind.WORKERS_HOME, "杭州市职工服务中心"), (SiteKind.MOTHERS_ROOM, "杭州市总工会爱心妈妈小屋")])


QD_PREFIXES = ("海创", "蓝谷", "红岛", "汇智", "瑞源", "中科", "北洋", "海纳", "鲁信", "华贯", "琴岛", "崂峰", "海晟", "恒润",
               "明德", "启航", "鼎盛", "万象", "宏达", "新象", "海益", "博通", "云帆", "东岳", "金沙滩", "胶澳", "青禾", "融智")
QD_CORES = (("生物医药", "医药制造业"), ("智能装备", "专用设备制造业"), ("海洋科技", "专业技术服务业"),
            ("软件", "软件和信息技术服务业"), ("微电子", "计算机、通信和其他电子设备制造业"),
            ("新材料", "化学原料和化学制品制造业"), ("检测认证", "专业技术服务业"), ("物流", "装卸搬运和仓储业"),
            ("食品", "食品制造业"), ("机器人", "通用设备制造业"), ("医疗器械", "专用设备制造业"))
QD_SUFFIXES = ("科技有限公司", "有限公司", "股份有限公司", "技术有限公司")


def qingdao(rng: random.Random) -> Node:
    """青岛高新区: about 70 enterprises' unions, 94 enterprises in all, 78 service sites."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(names) < 94:
        core, industry = rng.choice(QD_CORES)
        name = f"青岛{rng.choice(QD_PREFIXES)}{core}{rng.choice(QD_SUFFIXES)}"
        if name not in seen:
            seen.add(name)
            names.append((name, industry))
    roads = PLACES["370214"].roads
    unions = []
    for i, (name, industry) in enumerate(names[:72]):
        # 40 workers' homes and 28 mothers' rooms at the enterprises, 10 outdoor stations below: 78.
        sites = ("home", "mothers") if i < 28 else ("home",) if i < 40 else ()
        unions.append(union(Ent(name, industry), "370214", rng.choice((40, 60, 90, 120, 150, 180, 240, 320, 450)), sites))
    small = Node("青岛高新区小微企业联合工会", L.JOINT, "370214", weight=900, profile="smallfirms",
                 covers=[Ent(n.replace("科技有限公司", "工作室有限公司") if i % 3 == 0 else n, ind)
                         for i, (n, ind) in enumerate(names[72:])])
    newforms = Node("青岛高新区新就业形态劳动者联合工会", L.JOINT, "370214", weight=800, profile="newforms")
    gaoxin = Node("青岛高新区总工会", L.DISTRICT, "370214", key="qingdao_gaoxin", children=unions + [small, newforms],
                  sites=[station(roads[i % len(roads)] + ("" if i < len(roads) else "北段")) for i in range(10)],
                  logins=[("qingdao_admin", Role.ADMIN, "青岛高新区总工会管理员"),
                          ("qingdao_viewer", Role.VIEWER, "青岛高新区总工会查看人员")])
    return Node("青岛市总工会", L.CITY, "370200", key="qingdao", children=[gaoxin])


def golmud() -> Node:
    gelmu = Node("格尔木市总工会", L.DISTRICT, "632801", key="golmud",
                 logins=[("golmud_staff", Role.STAFF, "格尔木市总工会工作人员"), ("golmud_finance", Role.FINANCE, "格尔木市总工会财务")],
                 sites=[(SiteKind.WORKERS_HOME, "格尔木市职工服务中心"), station("昆仑路"), (SiteKind.OTHER, "格尔木G109货车司机之家")],
                 children=[
        union(Ent("昆仑盐湖钾肥有限公司", "化学原料和化学制品制造业"), "632801", 820, ("home", "mothers")),
        union(Ent("柴达木石油炼化有限公司", "石油、煤炭及其他燃料加工业"), "632801", 560, ("home",)),
        union(Ent("格尔木电力检修有限公司", "电力、热力生产和供应业"), "632801", 300),
        union(Ent("格尔木市昆仑医院", "卫生", EnterpriseKind.INSTITUTION), "632801", 260, ("mothers",)),
        union(Ent("格尔木市公路运输有限公司", "道路运输业"), "632801", 240),
        Node("郭勒木德镇总工会", L.TOWNSHIP, "632801", weight=160, profile="community", covers=_small("格尔木", [
            ("绿洲枸杞种植有限公司", "农副食品加工业"), ("郭勒木德商贸有限公司", "批发和零售业")])),
        Node("金峰路街道总工会", L.TOWNSHIP, "632801", weight=140, profile="community", covers=_small("格尔木", [
            ("金峰物业服务有限公司", "物业管理"), ("江源餐饮管理有限公司", "住宿和餐饮业")])),
        Node("格尔木市货车司机联合工会", L.JOINT, "632801", weight=320, profile="trucks"),
    ])
    delingha = Node("德令哈市总工会", L.DISTRICT, "632802", children=[
        union(Ent("德令哈光热发电有限公司", "电力、热力生产和供应业"), "632802", 300, ("home",)),
    ])
    haixi = Node("海西州总工会", L.CITY, "632800", key="haixi", children=[gelmu, delingha])
    return Node("青海省总工会", L.PROVINCE, "630000", children=[haixi])


def shijiazhuang() -> Node:
    return Node("石家庄市总工会", L.CITY, "130100", key="shijiazhuang",
                logins=[("shijiazhuang_staff", Role.STAFF, "石家庄市总工会工作人员")],
                sites=[(SiteKind.WORKERS_HOME, "石家庄市工人文化宫职工之家"),
                       (SiteKind.OTHER, "石家庄市灵活就业市场大厅智慧屏学习点")],
                children=[
        Node("长安区总工会", L.DISTRICT, "130102", sites=[station("中山东路")], children=[
            union(Ent("冀中轨道车辆装备有限公司", "铁路、船舶、航空航天和其他运输设备制造业"), "130102", 1300,
                  ("home", "mothers")),
            union(Ent("石家庄恒信商贸有限公司", "批发和零售业"), "130102", 260),
        ]),
        Node("桥西区总工会", L.DISTRICT, "130104", sites=[station("中华南大街")], children=[
            union(Ent("石家庄数智信息职业学院", "教育", EnterpriseKind.INSTITUTION), "130104", 520, ("home",)),
            union(Ent("河北正源制药有限公司", "医药制造业"), "130104", 700, ("mothers",)),
        ]),
        Node("井陉矿区总工会", L.DISTRICT, "130107", children=[
            union(Ent("井陉正丰文化旅游发展有限公司", "文化艺术业"), "130107", 180, ("home",)),
            union(Ent("井陉矿区热力有限公司", "电力、热力生产和供应业"), "130107", 300),
        ]),
        Node("裕华区总工会", L.DISTRICT, "130108", sites=[station("槐安东路")], children=[
            union(Ent("石家庄市工人文化宫", "文化艺术业", EnterpriseKind.INSTITUTION), "130108", 120),
            union(Ent("河北裕康建设工程有限公司", "建筑业"), "130108", 560),
        ]),
        Node("石家庄市快递物流行业联合工会", L.JOINT, "130108", weight=1200, profile="newforms",
             sites=[(SiteKind.OUTDOOR_STATION, "石家庄快递物流园小哥驿站")]),
        Node("石家庄市灵活就业人员联合工会", L.JOINT, "130104", weight=800, profile="community", covers=_small("石家庄", [
            ("家政服务中心有限公司", "物业管理"), ("快修便民服务有限公司", "商务服务业")])),
    ])


def hebei() -> Node:
    return Node("河北省总工会", L.PROVINCE, "130000", children=[shijiazhuang()])


def jilin() -> Node:
    liaoyuan = Node("辽源市总工会", L.CITY, "220400", key="liaoyuan",
                    logins=[("liaoyuan_staff", Role.STAFF, "辽源市总工会工作人员")],
                    sites=[(SiteKind.WORKERS_HOME, "辽源市职工之家")], children=[
        Node("龙山区总工会", L.DISTRICT, "220402", sites=[station("人民大街")], children=[
            union(Ent("辽源热电有限公司", "电力、热力生产和供应业"), "220402", 620, ("home",)),
            union(Ent("辽源精工汽车部件有限公司", "汽车制造业"), "220402", 760, ("home", "mothers")),
        ]),
        Node("西安区总工会", L.DISTRICT, "220403", children=[
            union(Ent("辽源西安煤业有限公司", "煤炭开采和洗选业"), "220403", 540),
        ]),
        Node("东丰县总工会", L.DISTRICT, "220421", children=[
            union(Ent("东丰鹿乡食品有限公司", "食品制造业"), "220421", 280),
        ]),
        Node("东辽县总工会", L.DISTRICT, "220422", children=[
            Node("东辽袜业园区联合工会", L.JOINT, "220422", weight=700, profile="smallfirms", covers=_small("辽源", [
                ("暖足袜业有限公司", "纺织业"), ("金丝袜业有限公司", "纺织业"), ("鑫源针织有限公司", "纺织业"),
                ("彩虹袜业有限公司", "纺织业"), ("东辽棉纺有限公司", "纺织业"), ("袜艺电商有限公司", "批发和零售业")])),
        ]),
    ])
    building = Node("吉林省建设建材工会", L.INDUSTRY, "220104", children=[
        union(Ent("吉林建工第二工程有限公司", "建筑业"), "220104", 500),
    ])
    return Node("吉林省总工会", L.PROVINCE, "220000", children=[liaoyuan, building])


def guangdong() -> Node:
    guangzhou = Node("广州市总工会", L.CITY, "440100", sites=[(SiteKind.WORKERS_HOME, "广州市职工服务中心")], children=[
        Node("荔湾区总工会", L.DISTRICT, "440103", children=[
            union(Ent("穗城燃气集团有限公司西区分公司", "燃气生产和供应业"), "440103", 420, ("home",)),
        ]),
        Node("天河区总工会", L.DISTRICT, "440106", sites=[station("天河路")], children=[
            union(Ent("广州天穗软件科技有限公司", "软件和信息技术服务业"), "440106", 600, ("home", "mothers")),
            union(Ent("广州天穗商业管理有限公司", "批发和零售业"), "440106", 300),
            union(Ent("广东南粤工商职业学院", "教育", EnterpriseKind.INSTITUTION), "440106", 380, ("home",)),
        ]),
        Node("白云区总工会", L.DISTRICT, "440111", sites=[station("机场路")], children=[
            union(Ent("广州白云物流园运营有限公司", "装卸搬运和仓储业"), "440111", 500),
            Node("广州市货车司机联合工会", L.JOINT, "440111", weight=600, profile="trucks",
                 sites=[(SiteKind.OTHER, "白云货运枢纽司机之家")]),
        ]),
        Node("广州市外卖骑手联合工会", L.JOINT, "440106", weight=900, profile="riders",
             sites=[(SiteKind.OUTDOOR_STATION, "天河骑手暖心驿站")]),
    ])
    jiangmen = Node("江门市总工会", L.CITY, "440700", children=[
        Node("台山市总工会", L.DISTRICT, "440781", children=[
            Node("台山市冲蒌镇总工会", L.TOWNSHIP, "440781", weight=260, profile="community", covers=_small("台山", [
                ("冲蒌农产品有限公司", "农副食品加工业"), ("冲蒌五金制品有限公司", "通用设备制造业")])),
            union(Ent("台山海宴电力服务有限公司", "电力、热力生产和供应业"), "440781", 380, ("home",)),
        ]),
    ])
    dongguan = Node("东莞市总工会", L.CITY, "441900", children=[
        union(Ent("东莞松湖电子有限公司", "计算机、通信和其他电子设备制造业"), "441900", 900, ("home", "mothers")),
        union(Ent("东莞城电供电服务有限公司", "电力、热力生产和供应业"), "441900", 460),
    ])
    return Node("广东省总工会", L.PROVINCE, "440000", key="guangdong", children=[guangzhou, jiangmen, dongguan],
                logins=[("guangdong_admin", Role.ADMIN, "广东省总工会管理员")])


def tianjin() -> Node:
    # A municipality under the central government: its federation sits at the provincial level.
    return Node("天津市总工会", L.PROVINCE, "120000", key="tianjin",
                logins=[("tianjin_admin", Role.ADMIN, "天津市总工会管理员")],
                sites=[(SiteKind.WORKERS_HOME, "天津市职工服务中心")], children=[
        Node("和平区总工会", L.DISTRICT, "120101", sites=[station("南京路")], children=[
            union(Ent("津门百货集团有限公司", "批发和零售业"), "120101", 520, ("home", "mothers")),
            union(Ent("天津和平仁爱医院", "卫生", EnterpriseKind.INSTITUTION), "120101", 380, ("mothers",)),
        ]),
        Node("河西区总工会", L.DISTRICT, "120103", children=[
            union(Ent("天津河西建设集团有限公司", "建筑业"), "120103", 480),
        ]),
        Node("南开区总工会", L.DISTRICT, "120104", children=[
            union(Ent("天津市体育运动训练中心", "体育", EnterpriseKind.INSTITUTION), "120104", 220, ("home",)),
        ]),
        Node("滨海新区总工会", L.DISTRICT, "120116", sites=[station("新港路")], children=[
            union(Ent("天津港湾码头装卸有限公司", "装卸搬运和仓储业"), "120116", 900, ("home",)),
            union(Ent("天津滨海汽车零部件有限公司", "汽车制造业"), "120116", 700, ("mothers",)),
            union(Ent("天津渤化新材料有限公司", "化学原料和化学制品制造业"), "120116", 460),
            Node("滨海新区货车司机联合工会", L.JOINT, "120116", weight=540, profile="trucks"),
        ]),
    ])


def shaanxi() -> Node:
    shaanmei = Node("陕煤集团工会", L.INDUSTRY, "610113", key="shaanmei", children=[
        union(Ent("陕煤集团黄陵矿业一号煤矿", "煤炭开采和洗选业"), "610632", 900, ("home",), profile="coal"),
        union(Ent("陕煤集团黄陵矿业二号煤矿", "煤炭开采和洗选业"), "610632", 1400, ("home", "mothers"),
              profile="coal", key="coalmine", logins=[("coalmine_staff", Role.STAFF, "二号煤矿工会工作人员")]),
    ])
    return Node("陕西省总工会", L.PROVINCE, "610000", children=[shaanmei])


def world(rng: random.Random) -> Node:
    """The whole tree. Deterministic for a given rng seed."""
    zhejiang = Node("浙江省总工会", L.PROVINCE, "330000", children=[hangzhou()])
    shandong = Node("山东省总工会", L.PROVINCE, "370000", children=[qingdao(rng)])
    return Node("中华全国总工会", L.NATIONAL, "100000", key="national", code=ROOT_CODE,
                logins=[("national_admin", Role.ADMIN, "全总系统管理员"), ("leader_national", Role.LEADER, "全总领导")],
                children=[zhejiang, shandong, golmud(), hebei(), jilin(), guangdong(), tianjin(), shaanxi()])


# Sites' services and hours, by kind.
SITE_DETAILS = {
    SiteKind.WORKERS_HOME: ("周一至周五 9:00-21:00，周末 9:00-17:00", "阅览、健身、心理咨询、法律咨询、技能培训"),
    SiteKind.MOTHERS_ROOM: ("工作日 8:30-17:30", "哺乳、休息、母婴用品、冷藏"),
    SiteKind.OUTDOOR_STATION: ("全天开放", "饮水、热饭、充电、休息、如厕、应急药箱"),
    SiteKind.OTHER: ("全天开放", "休息、淋浴、车辆停放、法律咨询"),
}

DEMO_LOGIN_NOTE = gettext_lazy("演示账号，仅供演示")
