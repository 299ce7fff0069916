from kunruyi_common.cli import run

from kunruyi_matching.settings import get_settings

if __name__ == "__main__":
    run(
        package="kunruyi_matching",
        app_path="kunruyi_matching.main:app",
        settings_factory=get_settings,
        default_port=8004,
    )
