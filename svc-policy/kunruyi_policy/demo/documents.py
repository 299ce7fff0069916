"""The demo catalog's policy documents, in Kunshan's 1+N+X structure (演示数据; titles modelled on the seeds).

1 = the master policy (总体政策), N = sector policies under it (专项政策), X = implementing rules (实施细则).
Every demo item cites one of these by its 文号 (``legal_source``), which is how it is linked to its document.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# (code, 文号, title, issuer, level, parent code, issued on)
DOCUMENTS: tuple[tuple[str, str, str, str, str, str | None, date], ...] = (
    ("DOC-1", "昆办发〔2022〕67号", "关于加快推进科技创新和人才强市建设的若干政策", "昆山市人民政府办公室", "1", None, date(2022, 6, 1)),
    ("DOC-N-TALENT", "昆人才〔2022〕2号", "昆山市人才新政（双创人才、人才安居、青年人才）", "中共昆山市委人才工作领导小组", "N", "DOC-1", date(2022, 3, 1)),
    ("DOC-N-TOPTALENT", "昆人才〔2023〕3号", "头雁人才、姑苏领军人才与卓越工程师支持办法", "中共昆山市委人才工作领导小组", "N", "DOC-1", date(2023, 4, 1)),
    ("DOC-N-SCI", "昆科规〔2023〕4号", "科技企业梯度培育与创新平台建设若干措施", "昆山市科学技术局", "N", "DOC-1", date(2023, 2, 1)),
    ("DOC-N-INDUSTRY", "昆工信〔2023〕21号", "专精特新与智能化改造数字化转型支持政策", "昆山市工业和信息化局", "N", "DOC-1", date(2023, 5, 1)),
    ("DOC-N-CHAIN", "昆发改〔2023〕15号", "重点产业链高质量发展与绿色低碳转型若干政策", "昆山市发展和改革委员会", "N", "DOC-1", date(2023, 6, 1)),
    ("DOC-N-FINANCE", "昆金发〔2022〕12号", "科技金融与企业上市挂牌扶持办法", "昆山市地方金融监督管理局", "N", "DOC-1", date(2022, 9, 1)),
    ("DOC-N-IP", "昆市监规〔2023〕2号", "知识产权强市与质量品牌建设奖励办法", "昆山市市场监督管理局", "N", "DOC-1", date(2023, 3, 1)),
    ("DOC-N-OPEN", "昆商务〔2023〕9号", "外贸稳增长与重大招商项目扶持政策", "昆山市商务局", "N", "DOC-1", date(2023, 7, 1)),
    ("DOC-N-SKILLS", "昆人社规〔2022〕4号", "高技能人才队伍建设实施意见", "昆山市人力资源和社会保障局", "N", "DOC-1", date(2022, 4, 1)),
    ("DOC-N-FISCAL", "昆财规〔2022〕3号", "财政支持实体经济高质量发展若干措施", "昆山市财政局", "N", "DOC-1", date(2022, 5, 1)),
    ("DOC-X-HIGHTECH", "昆科规〔2024〕9号", "高新技术企业认定与重新认定奖励实施细则", "昆山市科学技术局", "X", "DOC-N-SCI", date(2024, 1, 10)),
    ("DOC-X-RD", "昆科规〔2025〕2号", "企业研发投入补助与揭榜挂帅项目实施细则", "昆山市科学技术局", "X", "DOC-N-SCI", date(2025, 1, 5)),
    ("DOC-X-PLATFORM", "昆工信〔2022〕8号", "企业技术中心与规上企业培育实施细则", "昆山市工业和信息化局", "X", "DOC-N-INDUSTRY", date(2022, 8, 1)),
    ("DOC-X-POSTDOC", "昆人社规〔2022〕6号", "博士后工作站与创新实践基地资助实施细则", "昆山市人力资源和社会保障局", "X", "DOC-N-TALENT", date(2022, 7, 1)),
    ("DOC-X-TRAINING", "昆人社规〔2023〕1号", "稳岗与职业技能提升补贴实施细则", "昆山市人力资源和社会保障局", "X", "DOC-N-SKILLS", date(2023, 1, 15)),
    ("DOC-X-HOUSING", "昆住建〔2023〕6号", "人才租赁住房与租房补贴实施细则", "昆山市住房和城乡建设局", "X", "DOC-N-TALENT", date(2023, 5, 1)),
    ("DOC-X-LAND", "昆自然资规〔2023〕3号", "重点产业项目与人才公寓用地保障实施细则", "苏州市自然资源和规划局昆山市分局", "X", "DOC-N-CHAIN", date(2023, 8, 1)),
    ("DOC-X-SCHOOL", "昆教〔2022〕11号", "高层次人才子女入学服务实施细则", "昆山市教育局", "X", "DOC-N-TALENT", date(2022, 8, 15)),
    ("DOC-X-HEALTH", "昆卫健〔2022〕5号", "高层次人才医疗保健服务实施细则", "昆山市卫生健康委员会", "X", "DOC-N-TALENT", date(2022, 6, 20)),
    ("DOC-X-TALENTCLASS", "昆人才〔2024〕1号", "人才分类认定与安家、生活补贴实施细则", "中共昆山市委人才工作领导小组", "X", "DOC-N-TALENT", date(2024, 2, 1)),
    ("DOC-X-EMPLOY", "昆人社规〔2024〕2号", "就业创业与技能人才培养补贴实施细则", "昆山市人力资源和社会保障局", "X", "DOC-N-SKILLS", date(2024, 3, 1)),
    ("DOC-X-SCIAWARD", "昆科规〔2024〕3号", "科技创新平台、科技奖励与孵化载体实施细则", "昆山市科学技术局", "X", "DOC-N-SCI", date(2024, 3, 15)),
    ("DOC-X-SMART", "昆工信〔2024〕5号", "智能制造、绿色制造与企业梯队培育实施细则", "昆山市工业和信息化局", "X", "DOC-N-INDUSTRY", date(2024, 4, 1)),
    ("DOC-X-TRADE", "昆商务〔2024〕4号", "外贸外资、跨境电商与展会补贴实施细则", "昆山市商务局", "X", "DOC-N-OPEN", date(2024, 4, 10)),
    ("DOC-X-SERVICE", "昆发改〔2024〕7号", "现代服务业集聚与节能降碳项目实施细则", "昆山市发展和改革委员会", "X", "DOC-N-CHAIN", date(2024, 5, 1)),
    ("DOC-X-FISCAL", "昆财规〔2024〕2号", "财政贴息、纳税贡献与政府采购支持中小企业实施细则", "昆山市财政局", "X", "DOC-N-FISCAL", date(2024, 5, 15)),
    ("DOC-X-BUILD", "昆住建〔2024〕3号", "建筑业高质量发展与绿色建筑奖励实施细则", "昆山市住房和城乡建设局", "X", "DOC-N-CHAIN", date(2024, 6, 1)),
    ("DOC-X-BIOMED", "昆卫健〔2024〕2号", "生物医药产业创新与卫生健康人才支持实施细则", "昆山市卫生健康委员会", "X", "DOC-N-CHAIN", date(2024, 6, 10)),
    ("DOC-X-LISTING", "昆金发〔2024〕3号", "企业上市、融资担保与股权投资扶持实施细则", "昆山市地方金融监督管理局", "X", "DOC-N-FINANCE", date(2024, 6, 20)),
    ("DOC-X-STANDARD", "昆市监规〔2024〕1号", "标准化战略、商标品牌与知识产权运用实施细则", "昆山市市场监督管理局", "X", "DOC-N-IP", date(2024, 7, 1)),
    ("DOC-X-EDU", "昆教〔2024〕2号", "人才子女教育服务与产教融合实施细则", "昆山市教育局", "X", "DOC-N-TALENT", date(2024, 7, 15)),
    ("DOC-X-INNOSERVICE", "昆科创〔2024〕1号", "科创服务、技术经纪与创新创业大赛实施细则", "昆山市科创发展服务中心", "X", "DOC-N-SCI", date(2024, 8, 1)),
    ("DOC-X-LANDUSE", "昆自然资规〔2024〕2号", "工业用地弹性供应与低效用地再开发实施细则", "苏州市自然资源和规划局昆山市分局", "X", "DOC-N-CHAIN", date(2024, 8, 15)),
    # national tax measures the catalog lists for completeness (not Kunshan documents, so no parent)
    ("DOC-TAX-2023-7", "财政部 税务总局公告2023年第7号", "关于进一步完善研发费用税前加计扣除政策的公告", "财政部 国家税务总局", "N", None, date(2023, 3, 26)),
    ("DOC-TAX-2023-12", "财政部 税务总局公告2023年第12号", "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", "财政部 国家税务总局", "N", None, date(2023, 8, 2)),
    ("DOC-TAX-2023-43", "财政部 税务总局公告2023年第43号", "关于先进制造业企业增值税加计抵减政策的公告", "财政部 国家税务总局", "N", None, date(2023, 9, 3)),
    ("DOC-TAX-2020-45", "财政部 税务总局 发展改革委 工业和信息化部公告2020年第45号", "关于促进集成电路产业和软件产业高质量发展企业所得税政策的公告", "财政部 国家税务总局", "N", None, date(2020, 12, 11)),
    ("DOC-TAX-CIT", "中华人民共和国企业所得税法", "企业所得税法及其实施条例（高新技术企业、技术转让所得、残疾人工资加计扣除）", "全国人民代表大会常务委员会", "N", None, date(2018, 12, 29)),
    ("DOC-TAX-2023-6", "财政部 税务总局公告2023年第6号", "关于小微企业和个体工商户所得税优惠政策的公告（含六税两费减征）", "财政部 国家税务总局", "N", None, date(2023, 3, 26)),
)  # fmt: skip

BY_NUMBER = {number: code for code, number, *_ in DOCUMENTS}


def document_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "doc_number": number,
            "title": title,
            "issuer": issuer,
            "level": level,
            "parent_code": parent,
            "issued_on": issued,
            "summary": "演示数据",
        }
        for code, number, title, issuer, level, parent, issued in DOCUMENTS
    ]
