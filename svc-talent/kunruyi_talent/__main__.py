from kunruyi_common.cli import run

from kunruyi_talent.settings import get_settings

if __name__ == "__main__":
    run(
        package="kunruyi_talent",
        app_path="kunruyi_talent.main:app",
        settings_factory=get_settings,
        default_port=8002,
    )
