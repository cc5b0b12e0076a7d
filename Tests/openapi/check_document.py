"""Reads an OpenAPI document as tools nobody at Talon wrote read it, for OpenAPITests.

    check_document.py DOCUMENT [TREE.json]

Parses DOCUMENT with PyYAML (a mapping key given twice is an error here, which PyYAML on
its own lets pass), requires a tree JSON can hold, and validates it as OpenAPI 3.1 with
openapi-spec-validator; every link must name an operation of the document. Prints `valid`
and exits 0, or prints what is wrong and exits 1. With TREE.json, also writes the parsed
tree there as JSON, for the test to compare with its own reader's.
"""

import json
import sys

import yaml
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a repeated mapping key."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"repeated key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def problems(doc):
    """What is wrong with a parsed document, as lines."""
    try:
        json.dumps(doc)
    except (TypeError, ValueError) as e:
        return [f"not a JSON tree: {e}"]
    out = []
    for error in OpenAPIV31SpecValidator(doc).iter_errors():
        where = "/".join(str(p) for p in error.path)
        out.append(f"not OpenAPI 3.1: {error.message} at /{where}")
    if out:
        return out
    operation_ids = set()
    operations = []
    for path, item in (doc.get("paths") or {}).items():
        for method, operation in item.items():
            if method in METHODS:
                operation_ids.add(operation.get("operationId"))
                operations.append((f"{method.upper()} {path}", operation))
    for name, operation in operations:
        for status, response in (operation.get("responses") or {}).items():
            for link_name, link in (response.get("links") or {}).items():
                if "operationId" in link and link["operationId"] not in operation_ids:
                    out.append(f"{name} {status}: link {link_name} names no operation: {link['operationId']}")
    return out


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip())
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = yaml.load(f, Loader=StrictLoader)
    except yaml.YAMLError as e:
        print(f"not YAML: {e}")
        return 1
    if not isinstance(doc, dict):
        print("not YAML: the document is not a mapping")
        return 1
    found = problems(doc)
    if found:
        print("\n".join(found))
        return 1
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            json.dump(doc, f)
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
