"""Validates JSON that Sluice sends against OpenAI's own OpenAPI document
(tests/python/fixtures/openai-openapi.json, copied from shared/openai-openapi).

That document spells optional-null fields the OpenAPI 3.0 way (`nullable: true`),
which a JSON Schema 2020-12 validator ignores, so each such node is rewritten
into `anyOf: [node, {"type": "null"}]` before validating."""
from __future__ import annotations

import copy
import json
import os
from functools import lru_cache

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = os.path.dirname(__file__)


def _rewrite_nullable(node):
    if isinstance(node, dict):
        node = {k: _rewrite_nullable(v) for k, v in node.items()}
        if node.pop("nullable", False):
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
            return {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_rewrite_nullable(v) for v in node]
    return node


@lru_cache(maxsize=None)
def _openai_document() -> dict:
    with open(os.path.join(HERE, "fixtures", "openai-openapi.json")) as f:
        return _rewrite_nullable(json.load(f))


@lru_cache(maxsize=None)
def _validator(schema_name: str):
    doc = _openai_document()
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openai", resource)
    schema = {"$ref": f"urn:openai#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_openai(schema_name: str, instance) -> None:
    """Raises jsonschema.ValidationError when `instance` does not match."""
    _validator(schema_name).validate(copy.deepcopy(instance))
