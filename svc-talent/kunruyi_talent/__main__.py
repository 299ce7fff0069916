import sys

from kunruyi_common.cli import run

from kunruyi_talent.cli import handle
from kunruyi_talent.pii import ENCRYPTED_COLUMNS
from kunruyi_talent.seed import seed
from kunruyi_talent.settings import Settings, get_settings

if __name__ == "__main__":
    code = handle(sys.argv[1:], Settings)
    if code is not None:
        sys.exit(code)
    run(
        package="kunruyi_talent",
        app_path="kunruyi_talent.main:app",
        settings_factory=get_settings,
        default_port=8002,
        seed=seed,
        encrypted_columns=ENCRYPTED_COLUMNS,
    )
