"""Session fixtures shared by every test folder: real PostgreSQL and NATS, started once per test run in an
isolated data directory ``var/test/<pid>`` (or the servers named by ``KRY_DATABASE_URL`` / ``KRY_NATS_URL``).

A directory per run lets two test runs share a machine; directories left by runs that died are cleaned up.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kunruyi_launcher.apps import DEV_MODE_WARNING, enable_development_mode
from kunruyi_launcher.infra import PostgresServer
from kunruyi_launcher.stack import Infra, start_infra

ROOT = Path(__file__).resolve().parents[3]
TEST_ROOT = ROOT / "var" / "test"


def pytest_configure(config: pytest.Config) -> None:
    # Tests run every app (in this process and as real processes) in explicit development mode; a test that needs
    # production behaviour sets the app's DEV_MODE=false itself.
    enable_development_mode()


def pytest_sessionstart(session: pytest.Session) -> None:
    # One line, shown even with -q (the report header is not).
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(DEV_MODE_WARNING, yellow=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_dead_runs() -> None:
    if not TEST_ROOT.exists():
        return
    for child in TEST_ROOT.iterdir():
        if child.is_dir() and child.name.isdigit() and not _pid_alive(int(child.name)):
            PostgresServer(child / "postgres", 0).stop()
            shutil.rmtree(child, ignore_errors=True)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    _clean_dead_runs()
    data_dir = TEST_ROOT / str(os.getpid())
    started = start_infra(data_dir, fast_unsafe=True, log=lambda _m: None)
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
