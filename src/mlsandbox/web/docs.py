"""The API's documentation page, /docs: Swagger UI from a pinned npm package, read from the cache that
`mlsandbox fetch` fills, so the page works offline and loads nothing from another host."""

from __future__ import annotations

import base64
import functools
import hashlib
import re

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from mlsandbox import assets
from mlsandbox.web.common import PAGE_POLICY

FILES = {
    "swagger-ui-bundle.js": ("text/javascript", "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"),
    "swagger-ui.css": ("text/css", "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"),
}
ASSETS = {name: assets.Asset(f"swagger-ui/{name}", "npm", "swagger-ui-dist", "5.35.0", f"package/{name}", sha256)
          for name, (_, sha256) in FILES.items()}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    body, policy = viewer_page()
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})


@functools.cache
def viewer_page() -> tuple[bytes, str]:
    """Swagger UI's page, and the policy that allows its one inline start-up script by its hash, and no other
    (made once: the page never changes)."""
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="Interactive Machine Learning Experiments: API",
                               swagger_js_url="/docs/swagger-ui-bundle.js", swagger_css_url="/docs/swagger-ui.css",
                               swagger_favicon_url="/favicon.ico")
    start = re.search(rb"<script>(.*?)</script>", page.body, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(start).digest()).decode()
    return page.body, PAGE_POLICY.replace("script-src 'self'", f"script-src 'self' 'sha256-{digest}'")


@router.get("/redoc")
def redoc() -> RedirectResponse:
    """FastAPI's second viewer, ReDoc, would load from a CDN: its address opens the one served from here."""
    return RedirectResponse("/docs", status_code=308)


@router.get("/docs/{name}")
def viewer_file(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, f"/docs has no file {name!r}.")
    if not verified(name):
        raise HTTPException(503, "The API documentation's viewer is not in the cache: run `mlsandbox fetch`.")
    return FileResponse(ASSETS[name].path, media_type=FILES[name][0], headers={"Cache-Control": "public, max-age=86400"})


def verified(name: str) -> bool:
    """Whether the cached file matches its sha256: hashed once per process once it does (a missing one is
    looked for again, so `mlsandbox fetch` may bring it without a restart)."""
    if name not in _verified and assets.is_valid(ASSETS[name]):
        _verified.add(name)
    return name in _verified


_verified: set[str] = set()
