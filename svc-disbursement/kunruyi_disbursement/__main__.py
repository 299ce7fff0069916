from kunruyi_common.cli import run

from kunruyi_disbursement.settings import get_settings

if __name__ == "__main__":
    run(package="kunruyi_disbursement", app_path="kunruyi_disbursement.main:app", settings_factory=get_settings, default_port=8003)
