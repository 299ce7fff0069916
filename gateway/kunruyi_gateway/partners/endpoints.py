"""Admin API for partner app keys (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status
from kunruyi_common.auth import Principal
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db import SessionDep
from kunruyi_common.errors import RoleRequired

from kunruyi_gateway.access.gate import StaffCaller
from kunruyi_gateway.partners import service
from kunruyi_gateway.partners.schemas import (
    AppKeyCreate,
    AppKeyList,
    AppKeyOut,
    AppKeyRotate,
    AppKeyUpdate,
    AppKeyWithSecret,
)
from kunruyi_gateway.settings import Settings

router = APIRouter(prefix="/api/v1/app-keys", tags=["合作方密钥 partner app keys"])


async def _admin(caller: StaffCaller) -> Principal:
    if "admin" not in caller.roles:
        raise RoleRequired("需要角色：admin")
    return caller


def _cipher(request: Request) -> FieldCipher:
    settings: Settings = request.app.state.settings
    return settings.field_cipher()


def _forget(request: Request, app_key: str) -> None:
    request.app.state.gate.partners.forget(app_key)


def _with_secret(issued: service.IssuedSecret) -> AppKeyWithSecret:
    return AppKeyWithSecret(
        **AppKeyOut.model_validate(issued.app_key).model_dump(),
        secret=issued.secret,
        previous_secret_valid_until=issued.previous_valid_until,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="创建 AppKey（密钥只显示一次）")
async def create_app_key(
    body: AppKeyCreate, request: Request, session: SessionDep, _: Principal = Depends(_admin)
) -> AppKeyWithSecret:
    settings: Settings = request.app.state.settings
    issued = await service.create_key(
        session,
        _cipher(request),
        name=body.name,
        scopes=body.scopes,
        rate=body.rate or settings.default_partner_rate,
        app_key=body.app_key,
    )
    return _with_secret(issued)


@router.get("", summary="AppKey 列表")
async def list_app_keys(session: SessionDep, _: Principal = Depends(_admin)) -> AppKeyList:
    return AppKeyList(items=[AppKeyOut.model_validate(k) for k in await service.list_keys(session)])


@router.get("/{app_key}", summary="查看 AppKey")
async def get_app_key(app_key: str, session: SessionDep, _: Principal = Depends(_admin)) -> AppKeyOut:
    return AppKeyOut.model_validate(await service.get_key(session, app_key))


@router.patch("/{app_key}", summary="修改权限范围或速率")
async def update_app_key(
    app_key: str, body: AppKeyUpdate, request: Request, session: SessionDep, _: Principal = Depends(_admin)
) -> AppKeyOut:
    key = await service.update_key(session, app_key, scopes=body.scopes, rate=body.rate)
    _forget(request, app_key)
    return AppKeyOut.model_validate(key)


@router.post("/{app_key}/rotate", summary="轮换密钥（旧密钥在重叠期内仍有效）")
async def rotate_app_key(
    app_key: str, body: AppKeyRotate, request: Request, session: SessionDep, _: Principal = Depends(_admin)
) -> AppKeyWithSecret:
    settings: Settings = request.app.state.settings
    overlap = settings.rotation_overlap_s if body.overlap_s is None else body.overlap_s
    issued = await service.rotate_key(session, _cipher(request), app_key, overlap_s=overlap)
    _forget(request, app_key)
    return _with_secret(issued)


@router.post("/{app_key}/disable", summary="停用 AppKey")
async def disable_app_key(
    app_key: str, request: Request, session: SessionDep, _: Principal = Depends(_admin)
) -> AppKeyOut:
    key = await service.disable_key(session, app_key)
    _forget(request, app_key)
    return AppKeyOut.model_validate(key)
