"""The vocabularies of 科技金融 (拨·投·保·贷·贴) and the matching of a demand to products, criterion by criterion.

A product matches a demand when every hard criterion holds: the amount lies in the product's range, the company's
stage is one it serves (none listed = any), the demand offers a collateral it accepts (none listed = 信用, no
collateral needed), and the demand's chain is one it targets (none listed = any chain), and its longest term is not shorter than the term
the demand wishes (either unset = any). Each criterion met is a
reason in Chinese; each one not met is an ``unmet`` reason. Matched products are ordered by a small, explainable
score: 1 + 1 for a product aimed at the demand's chain + 1 for a kind the company asked for + 0.5 for a collateral
the product names (a specialised product before a generic one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

INSTITUTION_KINDS = {
    "bank": "银行",
    "investor": "投资机构",
    "fund": "基金",
    "guarantor": "担保机构",
    "insurer": "保险机构",
}
PRODUCT_KINDS = {
    "talent_loan": "人才贷",
    "tech_loan": "科技贷",
    "ip_pledge_loan": "知识产权质押贷",
    "equity_investment": "股权投资",
    "angel_fund": "天使基金",
    "guarantee": "融资担保",
    "talent_startup_insurance": "人才创业保",
    "tech_insurance": "科技保险",
}
# Which institution may offer which product kind.
KIND_INSTITUTIONS = {
    "talent_loan": ("bank",),
    "tech_loan": ("bank",),
    "ip_pledge_loan": ("bank",),
    "equity_investment": ("investor", "fund"),
    "angel_fund": ("fund", "investor"),
    "guarantee": ("guarantor",),
    "talent_startup_insurance": ("insurer",),
    "tech_insurance": ("insurer",),
}
LOAN_KINDS = frozenset({"talent_loan", "tech_loan", "ip_pledge_loan"})
INSURANCE_KINDS = frozenset({"talent_startup_insurance", "tech_insurance"})
STAGES = {"seed": "种子期", "startup": "初创期", "growth": "成长期", "mature": "成熟期"}
COLLATERAL_KINDS = {
    "patent": "专利",
    "trademark": "商标",
    "copyright": "著作权",
    "equity": "股权",
    "receivable": "应收账款",
    "equipment": "设备",
    "real_estate": "不动产",
}


def wan(fen: int) -> str:
    yuan = fen / 1_000_000
    return f"{yuan:g}万元"


@dataclass
class Fit:
    matched: bool
    score: float
    reasons: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)


def fit(
    *,
    amount_fen: int,
    stage: str,
    collateral: list[str],
    chain: str | None,
    chain_name: str | None,
    preferred: list[str],
    product_min_fen: int,
    product_max_fen: int,
    product_stages: list[str],
    product_collateral: list[str],
    product_chains: list[str],
    product_kind: str,
    term_months: int | None = None,
    product_max_term_months: int | None = None,
) -> Fit:
    out = Fit(matched=True, score=1.0)

    def check(ok: bool, yes: str, no: str) -> None:
        (out.reasons if ok else out.unmet).append(yes if ok else no)
        out.matched = out.matched and ok

    check(
        product_min_fen <= amount_fen <= product_max_fen,
        f"额度 {wan(product_min_fen)}–{wan(product_max_fen)} 覆盖需求 {wan(amount_fen)}",
        f"需求 {wan(amount_fen)} 不在产品额度 {wan(product_min_fen)}–{wan(product_max_fen)} 内",
    )
    served = "、".join(STAGES[s] for s in product_stages)
    check(
        not product_stages or stage in product_stages,
        f"服务{STAGES[stage]}企业" if product_stages else "不限企业阶段",
        f"产品只服务{served}企业（企业处于{STAGES[stage]}）",
    )
    accepted = "、".join(COLLATERAL_KINDS[c] for c in product_collateral)
    offered = [c for c in collateral if c in product_collateral]
    check(
        not product_collateral or bool(offered),
        f"以{'、'.join(COLLATERAL_KINDS[c] for c in offered)}质押/担保（产品接受：{accepted}）"
        if product_collateral
        else "信用方式，无需抵质押",
        f"产品需以{accepted}作抵质押，需求未提供",
    )
    if product_collateral and offered:
        out.score += 0.5
    if product_chains:
        aimed = chain is not None and chain in product_chains
        check(aimed, f"面向产业链：{chain_name}", "产品不面向该需求的产业链")
        if aimed:
            out.score += 1.0
    if term_months is not None and product_max_term_months is not None:
        check(
            product_max_term_months >= term_months,
            f"期限最长 {product_max_term_months} 个月，满足期望的 {term_months} 个月",
            f"产品期限最长 {product_max_term_months} 个月，短于期望的 {term_months} 个月",
        )
    if product_kind in preferred:
        out.reasons.append(f"企业希望的融资方式：{PRODUCT_KINDS[product_kind]}")
        out.score += 1.0
    return out
