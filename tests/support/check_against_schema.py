#!/usr/bin/env python3
"""Checks room events (JSON lines) against the spec's JSON schema for their type.

usage: check_against_schema.py <matrix-spec/data/event-schemas/schema> <events.jsonl>
Prints "ok <type>" or "fail <type>: <message>" per line; exits 1 when any event fails.
The schemas are the spec's YAML files (draft 2020-12) with relative $refs, read from the shared folder as they are.
"""
import json
import pathlib
import sys

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def load_registry(schema_dir: pathlib.Path):
    resources = []
    schemas = {}
    for path in sorted(schema_dir.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        uri = path.resolve().as_uri()
        doc["$id"] = uri  # relative $refs resolve against the file they are in
        resources.append((uri, Resource.from_contents(doc, default_specification=DRAFT202012)))
        schemas[path.name] = doc
    return Registry().with_resources(resources), schemas


def main() -> int:
    schema_dir, events_file = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    registry, schemas = load_registry(schema_dir)
    failed = False
    for line in events_file.read_text().splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        event_type = event.get("type", "?")
        schema = schemas.get(f"{event_type}.yaml")
        if schema is None:
            print(f"fail {event_type}: no schema for this type")
            failed = True
            continue
        errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(event), key=lambda e: e.path)
        if errors:
            failed = True
            print(f"fail {event_type}: " + "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors))
        else:
            print(f"ok {event_type}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
