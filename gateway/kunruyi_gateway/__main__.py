from kunruyi_common.cli import run

from kunruyi_gateway.settings import get_settings

if __name__ == "__main__":
    run(package="kunruyi_gateway", app_path="kunruyi_gateway.main:app", settings_factory=get_settings, default_port=8000)
