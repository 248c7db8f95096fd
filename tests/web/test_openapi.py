"""The OpenAPI document is valid, served to anyone, and describes exactly the /api/v1 routes."""

from __future__ import annotations

from flask import Flask
from openapi_spec_validator import validate

from tests.web.api_client import PREFIX, openapi, path_template

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def test_the_document_is_valid_openapi():
    validate(openapi())


def test_the_app_serves_it_without_a_token(app: Flask):
    response = app.test_client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.json == openapi()


def test_every_api_route_is_documented_and_every_documented_one_exists(app: Flask):
    routes = {(path_template(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith(f"{PREFIX}/")
              for method in rule.methods or () if method.lower() in HTTP_METHODS}
    documented = {(path, method) for path, operations in openapi()["paths"].items()
                  for method in operations if method in HTTP_METHODS}
    assert routes == documented
