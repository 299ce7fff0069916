"""``python -m kunruyi_gateway``: the shared migrate / serve / seed, plus ``app-key`` and ``token``."""

from __future__ import annotations

import sys

from kunruyi_common.cli import run

from kunruyi_gateway.cli import main as own_main
from kunruyi_gateway.partners.service import ENCRYPTED_COLUMNS
from kunruyi_gateway.seed import seed
from kunruyi_gateway.settings import get_settings

OWN_COMMANDS = {"app-key", "token"}


def main(argv: list[str]) -> None:
    if argv and argv[0] in OWN_COMMANDS:
        own_main(argv)
        return

    run(
        package="kunruyi_gateway",
        app_path="kunruyi_gateway.main:app",
        settings_factory=get_settings,
        default_port=8000,
        seed=seed,
        encrypted_columns=ENCRYPTED_COLUMNS,
        argv=argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
