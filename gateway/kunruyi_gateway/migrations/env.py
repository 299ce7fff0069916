from kunruyi_common.db.migrations import run_env
from kunruyi_gateway.models import Base

run_env(Base.metadata)
