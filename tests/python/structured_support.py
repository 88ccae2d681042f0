"""The structured-output schema corpus (tests/python/fixtures/structured_schemas/*.json) and what the
live tests and bench/structured.py need around it: prompts, a Draft 2020-12 validator with format
checking, and an upper bound on a document's size.

Each corpus file is one plain JSON Schema (Draft 2020-12) whose `title` and `description` say what
the document is; the prompt is made from them, so the same file serves `sluice bench-grammar`."""
from __future__ import annotations

import json
import os
import re

import jsonschema

CORPUS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "structured_schemas")

# Characters a number can take in the bound below: a grammar that lets digits run on forever would
# let a small model loop in a number, so the bound assumes the number grammar caps its digits.
NUMBER_CHARS = 24
# date-time with offset and up to 9 fraction digits; date; time; uuid.
FORMAT_CHARS = {"date-time": 35, "date": 10, "time": 24, "uuid": 36}


def load_corpus() -> list[tuple[str, dict]]:
    """(name, schema) for every corpus file, sorted by name."""
    names = sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".json"))
    corpus = []
    for file_name in names:
        with open(os.path.join(CORPUS_DIR, file_name)) as f:
            corpus.append((file_name[:-len(".json")], json.load(f)))
    return corpus


def prompt_messages(schema: dict) -> list[dict]:
    """The chat prompt for one corpus schema (the schema text itself is not in the prompt: the grammar
    carries it, and leaving it out keeps the unconstrained/constrained bench prompts identical)."""
    what = schema.get("description") or schema.get("title") or "a JSON document"
    return [{"role": "system", "content": "You are a helpful assistant that answers with JSON only."},
            {"role": "user", "content": f"Write an example of this as JSON: {what}"}]


def prompt_text(schema: dict) -> str:
    """The plain-text prompt for /v1/completions."""
    what = schema.get("description") or schema.get("title") or "a JSON document"
    return f"Example of {what[0].lower() + what[1:]}\nJSON: "


FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    """Draft 2020-12 with format checking (date-time and time need rfc3339-validator installed).
    The draft's own checker, not a bare `jsonschema.FormatChecker()`: that one mixes every draft's
    checkers and its `time` is draft 3's `%H:%M:%S`, which rejects RFC 3339 times such as `10:20:30Z`."""
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def validation_errors(schema: dict, document) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator(schema).iter_errors(document)]


def check_format_checkers() -> None:
    """Fails loudly when a format the corpus uses would silently go unchecked."""
    checkers = FORMAT_CHECKER.checkers
    missing = [name for name in ("date-time", "date", "time", "uuid", "email") if name not in checkers]
    assert not missing, f"jsonschema cannot check formats {missing}: install rfc3339-validator (requirements.txt)"


def _resolve(root: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _pattern_is_finite(pattern: str) -> bool:
    return not re.search(r"(?<!\\)[+*]|\{\d+,\}", pattern)


def max_document_chars(schema, root: dict | None = None, stack: tuple = ()) -> float:
    """An upper bound on the compact JSON text of any document the schema allows, in characters
    (string characters counted once each), or infinity when the schema allows documents of any
    size: recursion, an array without maxItems, a string with neither maxLength nor a finite
    enum/const/format/pattern, or an object open to additional properties."""
    inf = float("inf")
    root = schema if root is None else root
    if schema is True:
        return inf
    if schema is False:
        return 0
    if "$ref" in schema:
        if schema["$ref"] in stack:
            return inf
        return max_document_chars(_resolve(root, schema["$ref"]), root, stack + (schema["$ref"],))
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    if "enum" in schema:
        return max(len(json.dumps(v)) for v in schema["enum"])
    if "anyOf" in schema:
        return max(max_document_chars(branch, root, stack) for branch in schema["anyOf"])
    types = schema.get("type", ["null", "boolean", "number", "string", "array", "object"])
    types = [types] if isinstance(types, str) else types
    sizes = []
    for kind in types:
        if kind == "null":
            sizes.append(4)
        elif kind == "boolean":
            sizes.append(5)
        elif kind in ("integer", "number"):
            sizes.append(NUMBER_CHARS)
        elif kind == "string":
            if "maxLength" in schema:
                sizes.append(schema["maxLength"] + 2)
            elif schema.get("format") in FORMAT_CHARS:
                sizes.append(FORMAT_CHARS[schema["format"]] + 2)
            elif "pattern" in schema and _pattern_is_finite(schema["pattern"]):
                sizes.append(len(schema["pattern"]) * 4 + 2)  # generous: a class or group is one char
            else:
                sizes.append(inf)
        elif kind == "array":
            prefix = schema.get("prefixItems", [])
            size = 2 + sum(max_document_chars(item, root, stack) + 1 for item in prefix)
            items = schema.get("items", True)
            if items is not False:
                extra = schema.get("maxItems", inf) - len(prefix)
                if extra > 0:
                    size += extra * (max_document_chars(items, root, stack) + 1)
            sizes.append(size)
        elif kind == "object":
            if schema.get("additionalProperties", True) is not False:
                sizes.append(inf)
            else:
                sizes.append(2 + sum(len(json.dumps(name)) + 2 + max_document_chars(sub, root, stack)
                                     for name, sub in schema.get("properties", {}).items()))
    return max(sizes)


def error_names_keyword(param: str | None, message: str, keyword: str) -> bool:
    """A 400 for an unsupported schema keyword names it: as the last step of `param`
    (`...properties.a.not`) or quoted in the message ('not', "not" or `not`). A bare substring
    would not do: "not" is in "not supported"."""
    if param and (param.endswith("." + keyword) or param.endswith("['" + keyword + "']")):
        return True
    return any(quote + keyword + quote in message for quote in ("'", '"', "`"))
