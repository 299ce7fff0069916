"""Text PostgreSQL cannot store — a NUL character (``\\u0000``) or a lone UTF-16 surrogate from a JSON escape — is
refused as a 422 naming the field, before any query, instead of failing in the driver as a 500.

Every app built by :func:`kunruyi_common.app.create_service_app` runs :func:`reject_unstorable` on every request:
the path and query parameters (each value of a repeated one); for JSON bodies, every string and key (the error
names the dotted path, e.g. ``profile.qualifications.1``, as validation errors name body fields); for the form
fields an endpoint takes (``Form``, ``File``), every name, value and uploaded file's name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.params import Form
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.datastructures import UploadFile

from kunruyi_common.errors import IntegerOutOfRange, InvalidCharacter, Unprocessable

_NUL = "\x00"
# A UTF-8 JSON body carries these escaped (\u0000, a surrogate \ud800–\udfff) or, for a surrogate, as its three
# bytes ED A0–BF xx (which the JSON parser decodes with ``surrogatepass``, not as bad UTF-8). A raw NUL byte is never
# in UTF-8 JSON: a body with one is UTF-16 or UTF-32 (which the parser reads too) and is parsed to be looked at.
# Other bad UTF-8 is invalid JSON, refused as such. One scan of the raw bytes, without decoding or copying them.
_SUSPECT = re.compile(rb"\\[uU](?:0000|[dD][89a-fA-F])|\x00|\xed[\xa0-\xbf]")


def unstorable(value: str) -> bool:
    if _NUL in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unstorable(value: Any, path: str) -> str | None:
    """The dotted path of the first string or key PostgreSQL could not store, if any."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if unstorable(str(key)):
                return child
            found = first_unstorable(item, child)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = first_unstorable(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _refuse(field: str) -> Unprocessable:
    return InvalidCharacter(f"{field} 含有无法保存的字符（空字符或无效的 Unicode）", field=field)


def is_json_body(request: Request) -> bool:
    """Whether FastAPI reads this request's body as JSON: ``application/json`` or ``application/*+json``, in any
    letter case and with any parameters (``charset``)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type.startswith("application/") and (
        media_type == "application/json" or media_type.endswith("+json")
    )


def _takes_form(request: Request) -> bool:
    route = request.scope.get("route")
    body = route.body_field if isinstance(route, APIRoute) else None
    return body is not None and isinstance(body.field_info, Form)


async def reject_unstorable(request: Request) -> None:
    # Every value of a repeated query parameter (``?uscc=a&uscc=b``, read as a list): ``items()`` gives only the
    # last one.
    named = [("path", n, v) for n, v in request.path_params.items()]
    named += [("query", n, v) for n, v in request.query_params.multi_items()]
    for where, name, value in named:
        if unstorable(str(name)) or (isinstance(value, str) and unstorable(value)):
            raise _refuse(f"{where}.{name}")
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if _takes_form(request):
        # FastAPI has parsed the form already (Request.form() answers from its copy).
        for name, value in (await request.form()).multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            if unstorable(name) or unstorable(text):
                raise _refuse(name)
        return
    if not is_json_body(request):
        return
    raw = await request.body()  # FastAPI has read and cached it already
    if _SUSPECT.search(raw) is None:
        return
    try:
        body = json.loads(raw)
    except ValueError:
        return  # FastAPI reports the invalid JSON itself
    field = first_unstorable(body, "")
    if field is not None:
        raise _refuse(field or "body")


# --- integers PostgreSQL cannot store --------------------------------------------------------------------------
# A number beyond a column's range fails in the driver (``OverflowError``, "value out of int32 range") as a 500.
# Every app refuses it first, as a 422 naming the field: each integer in a path, a query or a JSON body is checked
# against the bounds its schema declares (``Query(le=…)``, ``Field(ge=…, le=…)``); where a field declares no upper
# or lower bound, the range of the column it most likely reaches applies: PostgreSQL ``integer`` (int4) for counts,
# years, versions and sequences, ``bigint`` (int8) for money in fen (a name ending in ``_fen``) and for integers in
# free-form JSON (jsonb).

INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
MONEY_SUFFIX = "_fen"


def default_int_bounds(name: str) -> tuple[int, int]:
    """The range a field of this name must fit when its schema declares none."""
    return (INT8_MIN, INT8_MAX) if name.endswith(MONEY_SUFFIX) else (INT4_MIN, INT4_MAX)


def _resolve(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        schema = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _variants(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            out: list[dict[str, Any]] = []
            for sub in schema[key]:
                out.extend(_variants(_resolve(sub, defs), defs))
            return out
    return [schema]


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # pydantic reads 1e20 as the integer 10**20
    return None


def _integer_out_of_range(value: int, variants: list[dict[str, Any]], name: str) -> bool:
    integer = next((v for v in variants if v.get("type") == "integer"), None)
    if integer is None:
        if any("type" in v or "enum" in v or "const" in v for v in variants):
            return False  # a number, a string, an enum: its own validation decides
        return not INT8_MIN <= value <= INT8_MAX  # free-form JSON (jsonb)
    low, high = default_int_bounds(name)
    if "maximum" in integer or "exclusiveMaximum" in integer:
        high = INT8_MAX  # declared: the field's validation refuses what its column cannot hold
    if "minimum" in integer or "exclusiveMinimum" in integer:
        low = INT8_MIN
    return not low <= value <= high


def first_out_of_range(
    value: Any, schema: Any, defs: dict[str, Any], path: str, name: str = ""
) -> str | None:
    """The dotted path of the first integer in ``value`` its ``schema`` (a JSON schema) lets through although no
    PostgreSQL column for it could hold it."""
    variants = _variants(_resolve(schema, defs), defs)
    number = _as_integer(value)
    if number is not None:
        return path if _integer_out_of_range(number, variants, name) else None
    if isinstance(value, dict):
        for key, item in value.items():
            child: Any = {}
            for v in variants:
                props = v.get("properties") or {}
                if key in props:
                    child = props[key]
                    break
                extra = v.get("additionalProperties")
                if isinstance(extra, dict):
                    child = extra
            found = first_out_of_range(item, child, defs, f"{path}.{key}" if path else str(key), str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        items: Any = next((v["items"] for v in variants if isinstance(v.get("items"), dict)), {})
        for i, item in enumerate(value):
            found = first_out_of_range(item, items, defs, f"{path}.{i}" if path else str(i), name)
            if found is not None:
                return found
    return None


def _out_of_range(field: str) -> Unprocessable:
    return IntegerOutOfRange(f"{field} 超出允许的整数范围", field=field)


@dataclass(frozen=True)
class _RouteIntegers:
    # (where, name, JSON schema) of each path and query parameter whose schema admits an integer
    params: tuple[tuple[str, str, dict[str, Any]], ...]
    body: dict[str, Any] | None
    defs: dict[str, Any]


_CACHE_ATTR = "_kunruyi_integers"  # kept on the route: worked out once per endpoint


def _schema_of(annotation: Any, metadata: list[Any]) -> dict[str, Any]:
    try:
        schema: dict[str, Any] = TypeAdapter(
            Annotated[(annotation, *metadata)] if metadata else annotation
        ).json_schema(mode="validation")
    except Exception:  # a type without a JSON schema (an upload, a request object): nothing to check
        return {}
    return schema


def _admits_integer(schema: dict[str, Any]) -> bool:
    return '"integer"' in json.dumps(schema)


def _parameters(dependant: Dependant) -> list[tuple[str, Any]]:
    """The path and query parameters of an endpoint and of all its dependencies."""
    out: list[tuple[str, Any]] = [("path", f) for f in dependant.path_params]
    out += [("query", f) for f in dependant.query_params]
    for sub in dependant.dependencies:
        out += _parameters(sub)
    return out


def _integers_of(route: APIRoute) -> _RouteIntegers:
    cached: _RouteIntegers | None = getattr(route, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    params: list[tuple[str, str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for where, f in _parameters(route.dependant):
        if (where, f.alias) not in seen:
            seen.add((where, f.alias))
            schema = _schema_of(f.field_info.annotation, list(f.field_info.metadata))
            if _admits_integer(schema):
                # A repeated query parameter (``list[int]``) is checked value by value against its items.
                items = next(
                    (v["items"] for v in _variants(schema, {}) if isinstance(v.get("items"), dict)), None
                )
                params.append((where, f.alias, items if items is not None else schema))
    body: dict[str, Any] | None = None
    defs: dict[str, Any] = {}
    if route.body_field is not None:
        info = route.body_field.field_info
        schema = _schema_of(info.annotation, list(info.metadata))
        if _admits_integer(schema):
            defs = schema.pop("$defs", {})
            body = schema
    result = _RouteIntegers(tuple(params), body, defs)
    setattr(route, _CACHE_ATTR, result)
    return result


async def reject_out_of_range(request: Request) -> None:
    """Integers no column can hold → 422 ``integer_out_of_range`` naming ``path.x``, ``query.x`` or the body field
    (installed on every app by :func:`kunruyi_common.app.create_service_app`)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    spec = _integers_of(route)
    for where, name, schema in spec.params:
        source = request.path_params if where == "path" else None
        raw_values = [source[name]] if source is not None and name in source else []
        if source is None:
            raw_values = request.query_params.getlist(name)
        for raw in raw_values:
            try:
                number = int(str(raw).strip())
            except ValueError:
                continue  # not a number: the parameter's own validation answers
            if first_out_of_range(number, schema, {}, f"{where}.{name}", name) is not None:
                raise _out_of_range(f"{where}.{name}")
    if spec.body is None or request.method not in ("POST", "PUT", "PATCH"):
        return
    if not is_json_body(request):
        return
    raw = await request.body()
    if not _DIGITS_RUN.search(raw):
        return
    try:
        body = json.loads(raw)
    except ValueError:
        return  # FastAPI reports the invalid JSON itself
    field = first_out_of_range(body, spec.body, spec.defs, "")
    if field is not None:
        raise _out_of_range(field or "body")


# Ten digits in a row (or an exponent) is the least an integer beyond int4 needs; bodies without one are not parsed
# (unless they hold a NUL byte: UTF-16 or UTF-32 JSON, whose digits a byte pattern does not see in a row).
_DIGITS_RUN = re.compile(rb"\d{10}|\d[eE][+]?\d|\x00")
