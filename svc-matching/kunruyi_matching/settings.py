from __future__ import annotations

from decimal import Decimal

from kunruyi_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("KRY_MATCHING_")

    service_name: str = "matching"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_matching"
    # Broker reward = min(cap, contract amount × rate), rounded half-up to the fen.
    broker_reward_rate: Decimal = Decimal("0.015")
    broker_reward_cap_fen: int = 30_000_000
    # How often the in-memory index picks up supply rows changed since the last look (new experts, imports).
    index_refresh_interval_s: float = 1.0
    # Folding the delta into the main index rebuilds it off the event loop; do it when the delta grows this big
    # or has waited this long.
    index_merge_threshold: int = 2000
    index_merge_interval_s: float = 300.0
    # Fusion weights (see README "Ranking"): the content weights sum to 1; chain and field are the prior's
    # multipliers (score × (1 + chain·[same chain] + field·field match)), a hint that never walls off another chain.
    weight_text: float = 0.55
    weight_coverage: float = 0.25
    weight_region: float = 0.08
    weight_maturity: float = 0.07
    weight_deals: float = 0.05
    weight_chain: float = 0.1
    weight_field: float = 0.2
    # The waiting queue is retried in a scheduled batch this often (0 turns the schedule off; approval still
    # assigns on arrival and POST /api/v1/assignments/runs runs a batch at any time).
    assignment_interval_s: float = 600.0
    # How many BM25 hits per kind enter the fusion step.
    candidate_pool: int = 200
    # GET /api/v1/supply?q=…: how many of the engine's best matches per kind the search pages and counts through.
    supply_search_depth: int = 500


def get_settings() -> Settings:
    return Settings()
