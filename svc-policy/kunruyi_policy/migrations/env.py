from kunruyi_common.db.migrations import run_env
from kunruyi_policy.models import Base

run_env(Base.metadata)
