"""The staff page: /staff/ (the shell), its static script and style, and server-rendered HTML fragments.

The token lives in the browser tab's sessionStorage and is sent as a bearer token, so the page shell
itself holds no data; the script fetches the fragments below with the token and inserts them.
Fragments use the same scope rules and JSON errors as the API.
"""
from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, raw, redirect

from helpdesk import service, views
from helpdesk.api import ApiError, authorized, in_store, query_arg
from helpdesk.auth import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"staff.js": "text/javascript; charset=utf-8", "staff.css": "text/css; charset=utf-8"}

staff = Blueprint("staff", url_prefix="/staff")


@staff.get("", strict_slashes=True)
async def staff_root(request: Request) -> HTTPResponse:
    return redirect("/staff/")


@staff.get("/", strict_slashes=True)
async def staff_page(request: Request) -> HTTPResponse:
    return html(views.page(request.app.ctx.district.name))


@staff.get("/static/<name:str>")
async def static_file(request: Request, name: str) -> HTTPResponse:
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        raise ApiError(404, "not found")
    return raw((STATIC_DIR / name).read_bytes(), content_type=content_type,
               headers={"Cache-Control": "no-cache"})


@staff.get("/fragments/queue")
@authorized
async def queue_fragment(request: Request, scope: Scope) -> HTTPResponse:
    data = await in_store(
        request, service.list_queue, scope, request.app.ctx.district,
        status=query_arg(request, "status"), kind=query_arg(request, "kind"), school=query_arg(request, "school"),
        language=query_arg(request, "language"),
    )
    return html(views.queue_fragment(data))


@staff.get("/fragments/dashboard")
@authorized
async def dashboard_fragment(request: Request, scope: Scope) -> HTTPResponse:
    data = await in_store(request, service.dashboard, scope, query_arg(request, "school"))
    return html(views.dashboard_fragment(data))


@staff.get("/fragments/tickets/<ticket_id:int>")
@authorized
async def ticket_fragment(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    data = await in_store(request, service.detail, scope, request.app.ctx.district, ticket_id)
    if query_arg(request, "part") == "conversation":
        return html(views.conversation_fragment(data))
    return html(views.ticket_fragment(data))
