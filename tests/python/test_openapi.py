"""Our own OpenAPI document is valid, and what the server sends matches both it
and OpenAI's published schemas."""
import os

import jsonschema
import pytest
import requests
import yaml
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from openai_schema import validate_openai

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SPEC_PATH = os.path.join(ROOT, "openapi", "openapi.yaml")


@pytest.fixture(scope="module")
def spec() -> dict:
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


def our_schema(spec: dict, name: str) -> jsonschema.Draft202012Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:sluice", resource)
    return jsonschema.Draft202012Validator({"$ref": f"urn:sluice#/components/schemas/{name}"}, registry=registry)


def test_spec_is_valid_openapi_3_1(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_served_route_is_documented(spec):
    for path in ["/health", "/v1/models"]:
        assert path in spec["paths"], path


def test_health_matches_spec(server, spec):
    r = requests.get(server.base_url + "/health", timeout=5)
    assert r.status_code == 200
    our_schema(spec, "Health").validate(r.json())


def test_models_match_our_spec_and_openais(server, spec, model_path):
    r = requests.get(server.base_url + "/v1/models", timeout=5)
    assert r.status_code == 200
    body = r.json()
    our_schema(spec, "ListModelsResponse").validate(body)
    validate_openai("ListModelsResponse", body)
    expected_id = os.path.basename(model_path).removesuffix(".gguf")
    assert [m["id"] for m in body["data"]] == [expected_id]


@pytest.mark.parametrize("method,path,status", [("GET", "/nope", 404), ("POST", "/health", 405)])
def test_errors_match_both_envelopes(server, spec, method, path, status):
    r = requests.request(method, server.base_url + path, timeout=5)
    assert r.status_code == status
    body = r.json()
    our_schema(spec, "ErrorResponse").validate(body)
    validate_openai("ErrorResponse", body)
