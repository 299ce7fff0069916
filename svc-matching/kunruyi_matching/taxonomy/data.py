"""The maintained vocabularies: Kunshan's industry chains ("2+6+X") and the technical-field taxonomy.

Edit here (and grow ``text/domain_dict.txt`` with new terms); demands, supply and brokers are validated against
these codes, and the synthetic generator writes its text from the keywords below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndustryChain:
    code: str
    name: str
    tier: str  # "2" leading industries, "6" strategic emerging industries, "X" future industries
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TechnicalField:
    code: str
    name: str
    category: str
    chain: str
    ipc: tuple[str, ...]
    keywords: tuple[str, ...]


INDUSTRY_CHAINS: tuple[IndustryChain, ...] = (
    IndustryChain("electronic_information", "新一代电子信息", "2", ("电子信息",)),
    IndustryChain("high_end_equipment", "高端装备制造", "2", ("装备制造", "高端装备")),
    IndustryChain("semiconductor", "半导体", "6", ("集成电路",)),
    IndustryChain("optoelectronic_display", "光电显示", "6", ("光电", "新型显示")),
    IndustryChain("small_nucleic_acid_biomedicine", "小核酸及生物医药", "6", ("生物医药", "小核酸")),
    IndustryChain("intelligent_connected_vehicle", "智能网联新能源汽车", "6", ("智能网联汽车", "新能源汽车")),
    IndustryChain("smart_manufacturing", "智能制造", "6", ("机器人",)),
    IndustryChain("new_energy", "新能源", "6", ("储能", "光伏")),
    IndustryChain("artificial_intelligence", "人工智能", "X", ()),
    IndustryChain("new_materials", "新材料", "X", ()),
    IndustryChain("commercial_aerospace", "商业航天与低空经济", "X", ("低空经济", "商业航天")),
)

TECHNICAL_FIELDS: tuple[TechnicalField, ...] = (
    TechnicalField(
        "ic_design",
        "集成电路设计",
        "电子信息",
        "semiconductor",
        ("G06F", "H03K"),
        ("集成电路", "芯片设计", "模拟芯片", "射频芯片", "版图设计", "低功耗设计", "数模混合"),
    ),
    TechnicalField(
        "advanced_packaging",
        "先进封装",
        "电子信息",
        "semiconductor",
        ("H01L",),
        ("先进封装", "晶圆级封装", "倒装焊", "硅通孔", "系统级封装", "扇出型封装", "键合"),
    ),
    TechnicalField(
        "semiconductor_equipment",
        "半导体设备",
        "电子信息",
        "semiconductor",
        ("H01L", "C23C"),
        ("刻蚀设备", "薄膜沉积", "真空泵", "光刻胶", "离子注入", "晶圆清洗"),
    ),
    TechnicalField(
        "display_panel",
        "新型显示",
        "电子信息",
        "optoelectronic_display",
        ("G09G", "H10K"),
        ("光电显示", "柔性显示", "有机发光", "微型发光二极管", "量子点", "液晶面板", "驱动芯片"),
    ),
    TechnicalField(
        "optoelectronic_devices",
        "光电器件",
        "电子信息",
        "optoelectronic_display",
        ("H01S", "G02B"),
        ("半导体激光器", "光通信", "光电探测器", "激光雷达", "光学镀膜"),
    ),
    TechnicalField(
        "pcb_electronics",
        "电子元器件与电路板",
        "电子信息",
        "electronic_information",
        ("H05K",),
        ("印制电路板", "高频高速板", "连接器", "被动元件", "电磁兼容", "表面贴装"),
    ),
    TechnicalField(
        "embedded_software",
        "嵌入式与工业软件",
        "电子信息",
        "electronic_information",
        ("G06F",),
        ("嵌入式系统", "工业软件", "操作系统", "边缘计算", "物联网"),
    ),
    TechnicalField(
        "small_nucleic_acid_drug",
        "小核酸药物",
        "生物医药",
        "small_nucleic_acid_biomedicine",
        ("C12N", "A61K"),
        ("小核酸", "核酸药物", "小干扰核糖核酸", "反义寡核苷酸", "递送系统", "脂质纳米颗粒", "核酸合成"),
    ),
    TechnicalField(
        "biopharma",
        "生物制药",
        "生物医药",
        "small_nucleic_acid_biomedicine",
        ("A61K", "C07K"),
        ("抗体药物", "细胞治疗", "基因治疗", "疫苗研发", "生物反应器", "蛋白纯化"),
    ),
    TechnicalField(
        "medical_devices",
        "医疗器械",
        "生物医药",
        "small_nucleic_acid_biomedicine",
        ("A61B", "A61M"),
        ("医疗器械", "体外诊断", "医学影像", "植入器械", "微创手术", "康复设备"),
    ),
    TechnicalField(
        "solid_state_battery",
        "固态电池",
        "新能源",
        "new_energy",
        ("H01M",),
        ("固态电池", "固态电解质", "锂金属负极", "硫化物电解质", "电池安全"),
    ),
    TechnicalField(
        "lithium_battery",
        "锂离子电池与储能",
        "新能源",
        "new_energy",
        ("H01M", "H02J"),
        ("锂离子电池", "储能系统", "电池管理系统", "正极材料", "快充技术", "梯次利用"),
    ),
    TechnicalField(
        "photovoltaics",
        "光伏与氢能",
        "新能源",
        "new_energy",
        ("H02S", "C25B"),
        ("光伏组件", "钙钛矿电池", "异质结电池", "氢燃料电池", "电解水制氢"),
    ),
    TechnicalField(
        "autonomous_driving",
        "自动驾驶",
        "汽车",
        "intelligent_connected_vehicle",
        ("B60W", "G05D"),
        ("智能网联汽车", "自动驾驶", "车路协同", "环境感知", "决策规划", "高精度地图"),
    ),
    TechnicalField(
        "vehicle_electrification",
        "汽车电动化",
        "汽车",
        "intelligent_connected_vehicle",
        ("B60L",),
        ("电驱动系统", "整车控制器", "热管理系统", "车载充电机", "轻量化车身"),
    ),
    TechnicalField(
        "industrial_robot",
        "工业机器人",
        "智能制造",
        "smart_manufacturing",
        ("B25J",),
        ("工业机器人", "协作机器人", "伺服电机", "精密减速器", "运动控制"),
    ),
    TechnicalField(
        "machine_vision",
        "机器视觉与检测",
        "智能制造",
        "smart_manufacturing",
        ("G06T", "G01N"),
        ("机器视觉", "缺陷检测", "视觉定位", "三维测量", "无损检测"),
    ),
    TechnicalField(
        "precision_machining",
        "精密加工与数控装备",
        "装备制造",
        "high_end_equipment",
        ("B23Q", "G05B"),
        ("数控机床", "精密加工", "模具制造", "增材制造", "激光加工", "超精密磨削"),
    ),
    TechnicalField(
        "industrial_internet",
        "工业互联网",
        "智能制造",
        "smart_manufacturing",
        ("G05B", "H04L"),
        ("工业互联网", "数字孪生", "智能工厂", "制造执行系统", "预测性维护"),
    ),
    TechnicalField(
        "ai_algorithms",
        "人工智能算法",
        "人工智能",
        "artificial_intelligence",
        ("G06N",),
        ("深度学习", "大语言模型", "计算机视觉", "自然语言处理", "知识图谱", "强化学习"),
    ),
    TechnicalField(
        "advanced_materials",
        "先进材料",
        "新材料",
        "new_materials",
        ("C08L", "C22C"),
        ("高分子材料", "碳纤维复合材料", "纳米材料", "特种合金", "石墨烯", "电子化学品"),
    ),
    TechnicalField(
        "aerospace",
        "航空航天与低空",
        "航空航天",
        "commercial_aerospace",
        ("B64C", "B64U"),
        ("无人机", "电动垂直起降", "卫星通信", "航空发动机", "飞控系统"),
    ),
)

CHAINS_BY_CODE = {c.code: c for c in INDUSTRY_CHAINS}
FIELDS_BY_CODE = {f.code: f for f in TECHNICAL_FIELDS}

_CHAIN_NAMES = {c.name: c.code for c in INDUSTRY_CHAINS} | {
    a: c.code for c in INDUSTRY_CHAINS for a in c.aliases
}
_FIELD_NAMES = {f.name: f.code for f in TECHNICAL_FIELDS}

DEMAND_TYPES = ("技术攻关", "成果转化", "人才引进", "设备共享", "检测服务")
CHANNELS = ("api", "qr", "yiqilaiban")
VISIBILITIES = ("public", "brokers", "private")
SUPPLY_KINDS = ("expert", "institute", "result", "park")


def normalise_chain(value: str | None) -> str | None:
    """A chain code from a code, its Chinese name or an alias; None when unknown."""
    if value is None:
        return None
    value = value.strip()
    if value in CHAINS_BY_CODE:
        return value
    return _CHAIN_NAMES.get(value)


def normalise_field(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in FIELDS_BY_CODE:
        return value
    return _FIELD_NAMES.get(value)


def field_category(code: str | None) -> str | None:
    field = FIELDS_BY_CODE.get(code or "")
    return field.category if field else None


def field_for_ipc(ipc: str | None) -> str | None:
    """The first field whose IPC subclass prefixes ``ipc`` (e.g. "H01L 21/56" → advanced_packaging)."""
    if not ipc:
        return None
    head = ipc.replace(" ", "")[:4].upper()
    for field in TECHNICAL_FIELDS:
        if head in field.ipc:
            return field.code
    return None
