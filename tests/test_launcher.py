"""The launcher behind ``make run``: it keeps a platform up through an app that dies while starting, and never
puts a second nats-server on a JetStream store that one already serves; with ``--replicas N`` every service runs
as N processes on ports of their own."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from urllib.parse import quote

import nats
import pytest
from kunruyi_common.http_server import unix_socket_url
from kunruyi_launcher.apps import APPS, EMULATORS, GATEWAY
from kunruyi_launcher.infra import NatsServer, StoreInUse, free_port
from kunruyi_launcher.stack import (
    SOCKET_DIR,
    Infra,
    RunningApp,
    app_env,
    bank_callback_urls,
    migrate_all,
    plan_ports,
)


def test_a_second_nats_server_over_a_store_in_use_is_refused(tmp_path: Path) -> None:
    first = NatsServer(tmp_path / "nats", free_port())
    first.start()
    try:
        second = NatsServer(tmp_path / "nats", free_port())
        with pytest.raises(StoreInUse, match="in use by another nats-server"):
            second.start()
        assert second.process is None, "no second server was started"
    finally:
        first.stop()
    # Once the first has stopped, the store is free again.
    again = NatsServer(tmp_path / "nats", free_port())
    again.start()
    again.stop()


def _streams(url: str) -> list[str]:
    async def names() -> list[str]:
        client = await nats.connect(url)
        try:
            return sorted(s.config.name or "" for s in await client.jetstream().streams_info())
        finally:
            await client.close()

    return asyncio.run(names())


def _add_stream(url: str, name: str) -> None:
    async def add() -> None:
        client = await nats.connect(url)
        try:
            await client.jetstream().add_stream(name=name, subjects=[f"{name.lower()}.>"])
        finally:
            await client.close()

    asyncio.run(add())


def test_a_fresh_event_store_is_empty_and_a_kept_one_keeps_its_streams(tmp_path: Path) -> None:
    """A benchmark that makes its databases afresh asks for an empty store too (``empty_store``); otherwise the
    store keeps what earlier runs left, as a platform's must."""
    first = NatsServer(tmp_path / "nats", free_port())
    first.start()
    try:
        _add_stream(first.url, "EARLIER_RUN")
    finally:
        first.stop()
    kept = NatsServer(tmp_path / "nats", free_port())
    kept.start()
    try:
        assert _streams(kept.url) == ["EARLIER_RUN"]
    finally:
        kept.stop()
    fresh = NatsServer(tmp_path / "nats", free_port(), empty_store=True)
    fresh.start()
    try:
        assert _streams(fresh.url) == []
    finally:
        fresh.stop()


def test_an_app_that_dies_while_starting_is_restarted(infra: Infra, tmp_path: Path) -> None:
    policy = next(a for a in APPS if a.name == "policy")
    migrate_all(infra, [policy], recreate=True)
    # The first start of the process dies before serving (as an app does when a dependency is not up yet);
    # later starts run normally.
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    marker = tmp_path / "died-once"
    (hook_dir / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""
            import os, pathlib, sys
            marker = pathlib.Path({str(marker)!r})
            if "serve" in sys.argv and not marker.exists():
                marker.write_text("x")
                os._exit(3)
            """
        )
    )
    ports = {a.name: free_port() for a in APPS}
    env = app_env(policy, infra, ports, tmp_path)
    env["PYTHONPATH"] = str(hook_dir)
    running = RunningApp(policy, ports["policy"], env, tmp_path / "policy.log")
    running.start()
    try:
        running.wait_ready(90)
        assert marker.exists(), "the first start died"
        assert running.restarts == 1
        assert running.ready()
    finally:
        running.stop()


def test_replicas_get_their_own_ports_and_the_gateway_lists_them_all() -> None:
    """``make run REPLICAS=2``: replica i of a service on its port + 10·i (metrics likewise), the gateway single
    and given every replica of each service as its upstream list."""
    keys, ports = plan_ports(APPS, 2)
    assert keys["policy"] == ["policy", "policy.2"] and keys["gateway"] == ["gateway"]
    assert (ports["policy"], ports["policy.2"]) == (8001, 8011)
    assert (ports["matching:metrics"], ports["matching.2:metrics"]) == (9004, 9014)
    every = [p for k, p in ports.items() if k not in {e.name for e in EMULATORS}]
    assert len(every) == len(set(every)), "two processes on one port"

    infra = Infra(
        database_admin_url="postgresql://postgres@127.0.0.1:1/postgres", nats_url="nats://127.0.0.1:1"
    )
    gateway = app_env(GATEWAY, infra, ports, None, on_unix_sockets=["policy", "policy.2"])
    # The gateway reaches each replica it was told was started with a Unix socket on the one named after its port.
    assert gateway["KRY_GATEWAY_UPSTREAM_POLICY_URL"] == ",".join(
        f"http+unix://{quote(str(SOCKET_DIR), safe='')}%2F{port}.sock" for port in (8001, 8011)
    )
    # svc-disbursement reaches every svc-policy replica, and the bank calls back every svc-disbursement replica.
    disbursement = app_env(next(a for a in APPS if a.name == "disbursement"), infra, ports, None)
    assert disbursement["KRY_DISBURSEMENT_POLICY_URL"] == "http://127.0.0.1:8001,http://127.0.0.1:8011"
    assert bank_callback_urls(ports) == (
        "http://127.0.0.1:8003/api/v1/bank/callbacks,http://127.0.0.1:8013/api/v1/bank/callbacks"
    )
    second = app_env(next(a for a in APPS if a.name == "talent"), infra, ports, Path("/tmp/log"), replica=1)
    assert second["KRY_TALENT_METRICS_PORT"] == "9012"
    assert second["KRY_TALENT_LOG_FILE"] == "/tmp/log/talent.2.log"
    assert second["KRY_TALENT_DATABASE_URL"].endswith("/kunruyi_talent")  # one database for every replica

    _, single = plan_ports(APPS, 1)
    assert "policy.2" not in single
    assert app_env(GATEWAY, infra, single, None, on_unix_sockets=["policy"])[
        "KRY_GATEWAY_UPSTREAM_POLICY_URL"
    ] == unix_socket_url(SOCKET_DIR / "8001.sock")
    # A service the launcher did not start (a stand-in on a port) is reached on its port.
    assert app_env(GATEWAY, infra, single, None)["KRY_GATEWAY_UPSTREAM_POLICY_URL"] == "http://127.0.0.1:8001"
