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


def _upload_example(header: str, row: str) -> dict[str, Any]:
    """A multipart body's example: the one field, `file`, holding a CSV (first line the column headings)."""
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "examples": {
                        "csv": {"summary": "CSV 文件（首行为列名）", "value": {"file": f"{header}\n{row}\n"}}
                    }
                }
            }
        }
    }


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


@router.post(
    "/enterprises",
    summary="批量导入企业（CSV / XLSX），返回逐行报告",
    response_model=ImportReport,
    openapi_extra=_upload_example("统一社会信用代码,企业名称", "91320583MA1XXXXX9M,昆山芯科技有限公司"),
)
async def import_enterprises(
    file: UploadFile,
    session: SessionDep,
    pii: PersonalDataDep,
    settings: SettingsDep,
    principal: WritePartnerOrOfficer,
) -> ImportReport:
    return await _run("enterprises", file, session, pii, settings, principal)


@router.post(
    "/talents",
    summary="批量导入人才（CSV / XLSX），返回逐行报告",
    response_model=ImportReport,
    openapi_extra=_upload_example(
        "姓名,身份证号,工作单位信用代码", "张三,11010519491231002X,91320583MA1XXXXX9M"
    ),
)
async def import_talents(
    file: UploadFile,
    session: SessionDep,
    pii: PersonalDataDep,
    settings: SettingsDep,
    principal: WritePartnerOrOfficer,
) -> ImportReport:
    return await _run("talents", file, session, pii, settings, principal)
