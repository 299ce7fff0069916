"""The API's human pages, served from the gateway's own assets (no CDN): ``/`` (a landing page), ``/docs``
(Swagger UI), ``/redoc`` (ReDoc), ``/partner-guide`` (the partner guide as Markdown) and ``/static/docs/…``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from kunruyi_common.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "docs"
PARTNER_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partner-guide.md"
ASSETS = "/static/docs"

router = APIRouter(include_in_schema=False)

_HEAD = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">"""

SWAGGER_PAGE = f"""{_HEAD}
<title>昆如意 Kunruyi API — Swagger UI</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  docExpansion: "none",
  filter: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body></html>"""

REDOC_PAGE = f"""{_HEAD}
<title>昆如意 Kunruyi API — ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head><body>
<redoc spec-url="/openapi.json" hide-download-button></redoc>
<script src="{ASSETS}/redoc.standalone.js"></script>
</body></html>"""

LANDING_PAGE = f"""{_HEAD}
<title>昆如意 Kunruyi API</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 46rem;
       margin: 3rem auto; padding: 0 1rem; color: #1f2933; line-height: 1.6; }}
a {{ color: #0b5cad; }} li {{ margin: .4rem 0; }} code {{ background: #f0f2f5; padding: 0 .25rem; }}
</style>
</head><body>
<h1>昆如意 Kunruyi API</h1>
<p>昆如意 科创人才企业服务平台的公开入口：政策、人才、资金兑现与技术供需撮合的所有接口都经由此网关。</p>
<ul>
  <li><a href="/docs">接口文档（Swagger UI）</a> — 可直接试调用：工作人员用 Bearer 令牌，合作方用签名请求头</li>
  <li><a href="/redoc">接口文档（ReDoc）</a> — 便于通读</li>
  <li><a href="/openapi.json">OpenAPI 描述（JSON）</a></li>
  <li><a href="/partner-guide">合作方接入指南</a> — AppKey、签名、限流与错误码</li>
  <li><a href="/docs#/%E5%90%88%E4%BD%9C%E6%96%B9%E5%AF%86%E9%92%A5%20partner%20app%20keys">合作方密钥管理（控制台接口）</a>
      — 工作人员（admin）签发、轮换、停用 AppKey</li>
</ul>
<p>所有错误都以 <code>application/problem+json</code>（RFC 9457）返回，<code>code</code> 稳定可供程序判断，
   报障时请提供 <code>request_id</code>。</p>
</body></html>"""


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/")
async def landing() -> HTMLResponse:
    return _page(LANDING_PAGE)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return _page(SWAGGER_PAGE)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return _page(REDOC_PAGE)


@router.get("/partner-guide")
async def partner_guide() -> PlainTextResponse:
    if not PARTNER_GUIDE.is_file():
        raise NotFound("合作方接入指南不在此部署中")
    return PlainTextResponse(
        PARTNER_GUIDE.read_text(encoding="utf-8"), media_type="text/plain; charset=utf-8"
    )


def static_assets() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
