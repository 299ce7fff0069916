"""Contract checks: drift between services fails CI.

- every event a service consumes has a producer, a payload model registered by the consumer, and that model fits
  the producer's schema;
- every vocabulary value a producer can emit (chains, districts, qualifications, platforms) is understood by
  every consumer (test_taxonomy_contract.py);
- the event catalog in docs/ is what the code generates;
- every area in the gateway's route table reaches a live endpoint of the owning service;
- role dependencies are named aliases in each domain's auth.py.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from kunruyi_gateway.routing.table import ROUTE_TABLE
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.catalog import CATALOG_PATH, load_catalog, render


def test_every_consumed_event_has_a_producer_whose_schema_fits() -> None:
    catalog = load_catalog()
    for event_type, subscriptions in catalog.subscriptions.items():
        assert event_type in catalog.producers, (
            f"{event_type} is consumed by {[s.service for s in subscriptions]} but nobody produces it"
        )
        produced = catalog.producers[event_type].model.model_json_schema()
        produced_props: dict[str, Any] = produced.get("properties", {})
        for sub in subscriptions:
            model = sub.consumer.schemas.get(event_type)
            assert model is not None, (
                f"{sub.service} consumes {event_type} without a payload model: register one in its ConsumerSpec"
                " schemas (the kit checks every delivery against it)"
            )
            expected = model.model_json_schema()
            for name in expected.get("required", []):
                assert name in produced_props, (
                    f"{sub.service} needs {event_type}.{name}, which the producer does not send"
                )
            for name, prop in expected.get("properties", {}).items():
                if name in produced_props and "type" in prop and "type" in produced_props[name]:
                    assert prop["type"] == produced_props[name]["type"], f"{event_type}.{name}: type differs"


def test_the_event_catalog_in_docs_is_up_to_date() -> None:
    generated = render(load_catalog())
    assert CATALOG_PATH.exists(), "run: python -m kunruyi_launcher.catalog"
    assert CATALOG_PATH.read_text(encoding="utf-8") == generated, (
        "docs/events.md drifted: python -m kunruyi_launcher.catalog"
    )


@pytest.mark.parametrize("area", sorted(ROUTE_TABLE))
def test_every_gateway_route_reaches_a_live_endpoint(area: str) -> None:
    owner = ROUTE_TABLE[area]
    app_spec = next(a for a in APPS if a.name == owner)
    main = importlib.import_module(f"{app_spec.package}.main")
    paths = main.app.openapi()["paths"]
    prefix = f"/api/v1/{area}"
    assert any(p == prefix or p.startswith(prefix + "/") for p in paths), (
        f"{prefix} routes to {owner}, which serves nothing there"
    )


def _routes(routes: Any) -> Any:
    """The app's routes, with included routers flattened (FastAPI keeps them as lazy ``_IncludedRouter`` nodes)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _routes(original.routes)
        else:
            yield route


def _access_requirements(dependant: Any) -> list[tuple[tuple[str, ...], str | None]]:
    """(roles, scope) of every require_roles / require_scope_or_roles dependency under an endpoint."""
    found: list[tuple[tuple[str, ...], str | None]] = []
    for dep in dependant.dependencies:
        roles = getattr(dep.call, "required_roles", None)
        if roles is not None:
            found.append((tuple(roles), getattr(dep.call, "required_scope", None)))
        found += _access_requirements(dep)
    return found


@pytest.mark.parametrize("owner", [a.name for a in APPS if a.name != "gateway"])
def test_the_gateway_lets_through_every_role_and_scope_a_service_admits(owner: str) -> None:
    """The gateway's rule for an area is coarse and the service's check fine-grained, so every role (and the
    partner scope) an endpoint admits must pass the gateway too — else that endpoint is dead to those callers."""
    from fastapi.routing import APIRoute
    from kunruyi_gateway.access.rules import rule_for

    app_spec = next(a for a in APPS if a.name == owner)
    main = importlib.import_module(f"{app_spec.package}.main")
    problems = []
    checked = 0
    for route in _routes(main.app.routes):
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1/"):
            continue
        for method in sorted(route.methods):
            rule = rule_for(method, route.path)
            if rule is None:
                problems.append(f"{method} {route.path}: no gateway access rule")
                continue
            for roles, scope in _access_requirements(route.dependant):
                checked += 1
                missing = set(roles) - set(rule.roles) - {"admin"}
                if missing:
                    problems.append(f"{method} {route.path}: the gateway refuses role(s) {sorted(missing)}")
                if scope is not None and rule.scope != scope:
                    problems.append(
                        f"{method} {route.path}: service scope {scope}, gateway scope {rule.scope}"
                    )
    assert checked > 0, f"no role checks found in {owner}: the walk over its routes is broken"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("owner", [a for a in APPS if a.name != "gateway"], ids=lambda a: a.name)
def test_role_dependencies_are_declared_in_the_domains_auth_module(owner: Any) -> None:
    """Who an endpoint admits is read from one named alias (``Officer``, ``WritePartnerOrOfficer`` …) in the
    domain's ``auth.py``, never spelled inline or under an ambiguous name in an endpoints module."""
    import ast
    from pathlib import Path

    root = Path(importlib.import_module(owner.package).__path__[0])
    inline = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "auth.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in ("require_roles", "require_scope_or_roles"):
                    inline.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not inline, "declare the dependency in the domain's auth.py:\n" + "\n".join(inline)
