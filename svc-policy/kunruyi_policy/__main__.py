from kunruyi_common.cli import run

from kunruyi_policy.demo.seed import seed
from kunruyi_policy.settings import get_settings

if __name__ == "__main__":
    run(
        package="kunruyi_policy",
        app_path="kunruyi_policy.main:app",
        settings_factory=get_settings,
        default_port=8001,
        seed=seed,
    )
