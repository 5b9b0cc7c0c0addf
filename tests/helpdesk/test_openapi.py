"""helpdesk.openapi: the hand-written description matches the app's routes exactly."""
from __future__ import annotations

import re

from helpdesk.app import create_app
from helpdesk.openapi import openapi_document
from tests.helpdesk.conftest import make_config


def _app_api_routes() -> set[tuple[str, str]]:
    app = create_app(make_config("sqlite://", "http://127.0.0.1:1"))
    routes = set()
    for route in app.router.routes:
        path = "/" + route.path
        if not path.startswith("/api/"):
            continue
        path = re.sub(r"<(\w+):\w+>", r"{\1}", path)
        routes |= {(method.lower(), path) for method in route.methods if method not in ("HEAD", "OPTIONS")}
    return routes


def test_every_route_is_described_and_nothing_else():
    document = openapi_document()
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    assert described == _app_api_routes()


def test_references_resolve_and_errors_use_the_error_schema():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    text = repr(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schemas
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code.startswith("4") or code.startswith("5"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            if operation.get("security") != []:
                assert "401" in operation["responses"], (method, path)


def test_served_without_a_token(client):
    document = client.get("/api/openapi.json").json()
    assert document == openapi_document()
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
