"""Fixtures for the disbursement service's tests: its real migrations on a fresh database. The engine, the rolled-back
session, the app and the client are the shared ones (kunruyi_launcher.testing.service_fixtures)."""

from __future__ import annotations

import sys
from pathlib import Path

# The end-to-end helpers (disbursement_testkit.py) sit beside this file.
sys.path.insert(0, str(Path(__file__).parent))

import pytest
from kunruyi_common.app import ServiceSpec
from kunruyi_disbursement.main import build_spec
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, service_fixtures


@pytest.fixture(scope="session")
def db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_disbursement", "disbursement")


@pytest.fixture(scope="session")
def settings(db_url: str, infra: Infra) -> Settings:
    return Settings(database_url=db_url, nats_url=infra.nats_url, run_background_workers=False)


@pytest.fixture(scope="session")
def service_spec() -> ServiceSpec:
    return build_spec()


engine, session, app, client = service_fixtures()
