"""Session fixtures shared by every test folder: real PostgreSQL and NATS, started once per test run in an
isolated ``var/test`` data directory (or the servers named by ``KRY_DATABASE_URL`` / ``KRY_NATS_URL``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kunruyi_launcher.stack import Infra, start_infra

ROOT = Path(__file__).resolve().parents[3]
TEST_DATA_DIR = ROOT / "var" / "test"


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    if TEST_DATA_DIR.exists():
        # A previous run killed mid-way may have left a cluster running on this directory.
        from kunruyi_launcher.infra import PostgresServer

        PostgresServer(TEST_DATA_DIR / "postgres", 0).stop()
        shutil.rmtree(TEST_DATA_DIR, ignore_errors=True)
    started = start_infra(TEST_DATA_DIR, fast_unsafe=True, log=lambda _m: None)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
