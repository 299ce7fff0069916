from kunruyi_common.db.migrations import run_env
from kunruyi_disbursement.models import Base

run_env(Base.metadata)
