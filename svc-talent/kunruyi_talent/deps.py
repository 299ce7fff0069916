from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_personal_data(request: Request) -> PersonalData:
    settings = get_settings_dep(request)
    return PersonalData.from_settings(settings)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PersonalDataDep = Annotated[PersonalData, Depends(get_personal_data)]
