"""A JSON API client for tests that checks every answer against the OpenAPI document."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Flask
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from web.api import OPENAPI

PREFIX = "/api/v1"
DOCUMENT_URI = "urn:dealflow-api"


@cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


def path_template(rule: str) -> str:
    """Flask's ``/api/v1/tasks/<task_id>`` as the document's ``/tasks/{task_id}``."""
    template = rule.removeprefix(PREFIX)
    while "<" in template:
        head, _, rest = template.partition("<")
        name, _, tail = rest.partition(">")
        template = f"{head}{{{name.split(':')[-1]}}}{tail}"
    return template


class ApiClient:
    """Calls the API with a bearer token in English; every answer must match the document."""

    def __init__(self, app: Flask, token: str | None) -> None:
        self.app, self.client = app, app.test_client()
        self.headers = {"Accept-Language": "en"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._checked("GET", path, self.client.get(PREFIX + path, headers=self.headers, **kwargs))

    def post(self, path: str, body: object = None, **kwargs: Any) -> TestResponse:
        response = self.client.post(PREFIX + path, headers=self.headers, json=body, **kwargs)
        return self._checked("POST", path, response)

    def _checked(self, method: str, path: str, response: TestResponse) -> TestResponse:
        assert response.is_json, response.text
        rule, _ = self.app.url_map.bind("localhost").match(PREFIX + path.partition("?")[0], method,
                                                           return_rule=True)
        operation = openapi()["paths"][path_template(rule.rule)][method.lower()]
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{method} {path}: {response.status_code} is not documented"
        if "$ref" in documented:
            documented = openapi()["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
        schema = documented["content"]["application/json"]["schema"]
        _validator(json.dumps(schema)).validate(response.json)
        return response


@cache
def _validator(schema: str) -> OAS31Validator:
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(
        openapi(), default_specification=DRAFT202012))
    resolved = json.loads(schema.replace('"#/', f'"{DOCUMENT_URI}#/'))
    return OAS31Validator(resolved, registry=registry)
