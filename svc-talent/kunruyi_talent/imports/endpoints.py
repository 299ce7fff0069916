from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from kunruyi_common.auth import Principal
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import PayloadTooLarge

from kunruyi_talent.access import actor_of, can_look_up_id_numbers
from kunruyi_talent.deps import PersonalDataDep, SettingsDep
from kunruyi_talent.imports.auth import WritePartnerOrOfficer
from kunruyi_talent.imports.schemas import ImportReport
from kunruyi_talent.imports.service import import_file

router = APIRouter(prefix="/api/v1/imports", tags=["批量导入 imports"])


async def _run(
    kind: str, file: UploadFile, session: Any, pii: Any, settings: Any, principal: Principal
) -> ImportReport:
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise PayloadTooLarge("文件过大")
    report = await import_file(
        session,
        pii,
        kind,
        file.filename or "",
        content,
        f"import:{actor_of(principal)}",
        may_update_talents=can_look_up_id_numbers(principal),
    )
    return ImportReport.model_validate(report.as_dict())


@router.post("/enterprises", summary="批量导入企业（CSV / XLSX），返回逐行报告", response_model=ImportReport)
async def import_enterprises(
    file: UploadFile,
    session: SessionDep,
    pii: PersonalDataDep,
    settings: SettingsDep,
    principal: WritePartnerOrOfficer,
) -> ImportReport:
    return await _run("enterprises", file, session, pii, settings, principal)


@router.post("/talents", summary="批量导入人才（CSV / XLSX），返回逐行报告", response_model=ImportReport)
async def import_talents(
    file: UploadFile,
    session: SessionDep,
    pii: PersonalDataDep,
    settings: SettingsDep,
    principal: WritePartnerOrOfficer,
) -> ImportReport:
    return await _run("talents", file, session, pii, settings, principal)
