"""A partner installs kunruyi-client alone: it depends on httpx only and imports nothing of the platform."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def test_the_client_imports_no_platform_package() -> None:
    probe = (
        "import sys, kunruyi_client, kunruyi_client.client, kunruyi_client.signing, kunruyi_client.errors;"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0].startswith('kunruyi'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    assert loaded and {m.split(".")[0] for m in loaded} == {"kunruyi_client"}, loaded
    # Nor any of the gateway's signing dependencies.
    third_party = subprocess.run(
        [sys.executable, "-c", "import sys, kunruyi_client; print(' '.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert not {"cryptography", "gmssl", "fastapi", "sqlalchemy", "pydantic"} & set(third_party)


def test_its_only_dependency_is_httpx() -> None:
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["httpx"]
    assert project["name"] == "kunruyi-client"
