from kunruyi_matching.taxonomy.data import (
    CHAINS_BY_CODE,
    CHANNELS,
    DEMAND_TYPES,
    FIELDS_BY_CODE,
    INDUSTRY_CHAINS,
    SUPPLY_KINDS,
    TECHNICAL_FIELDS,
    VISIBILITIES,
    field_category,
    field_for_ipc,
    normalise_chain,
    normalise_field,
)

__all__ = [
    "CHAINS_BY_CODE",
    "CHANNELS",
    "DEMAND_TYPES",
    "FIELDS_BY_CODE",
    "INDUSTRY_CHAINS",
    "SUPPLY_KINDS",
    "TECHNICAL_FIELDS",
    "VISIBILITIES",
    "field_category",
    "field_for_ipc",
    "normalise_chain",
    "normalise_field",
]
