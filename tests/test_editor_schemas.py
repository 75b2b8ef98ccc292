"""JSON Schemas an editor understands (issue 15 §5): draft-07 (what the VS Code YAML
extension supports), for policy, test and code-map files; every shipped YAML file
names its schema on its first line; every shipped file is valid under it; the test
schema's keys are the ones the scenario loader accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.testing import scenarios

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {
    "policy": ROOT / "schema" / "policy.schema.json",
    "test": ROOT / "schema" / "test.schema.json",
    "codemap": ROOT / "schema" / "codemap.schema.json",
}
SHIPPED = sorted((ROOT / "policies").rglob("*.yaml"))
MODELINE = "# yaml-language-server: $schema="


def _schema(name: str) -> dict:
    return json.loads(SCHEMAS[name].read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_draft_07_and_well_formed(name):
    schema = _schema(name)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema)  # draft-07 keeps them under `definitions`


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_file_names_its_schema_and_is_valid_under_it(path):
    first = path.read_text("utf-8").split("\n", 1)[0]
    assert first.startswith(MODELINE), f"{path}: first line should be the schema modeline"
    target = (path.parent / first[len(MODELINE) :].strip()).resolve()
    assert target in {p.resolve() for p in SCHEMAS.values()}, target
    data = yaml.safe_load(path.read_text("utf-8"))
    # dates stay text, as the loader keeps them
    data = json.loads(json.dumps(data, default=str))
    errors = list(
        jsonschema.Draft7Validator(json.loads(target.read_text("utf-8"))).iter_errors(data)
    )
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def test_the_test_schema_has_the_loaders_keys():
    schema = _schema("test")
    assert set(schema["properties"]) == set(scenarios.FILE_KEYS)
    assert set(schema["required"]) == {k for k, r in scenarios.FILE_KEYS.items() if r}
    case = schema["definitions"]["case"]
    assert set(case["properties"]) == set(scenarios.CASE_KEYS)
    assert set(case["required"]) == {k for k, r in scenarios.CASE_KEYS.items() if r}
    expect = case["properties"]["expect"]["properties"]
    assert set(expect) == set(scenarios.EXPECT_KEYS)
    person = expect["people"]["additionalProperties"]["properties"]
    assert set(person) == set(scenarios.PERSON_KEYS)


def test_the_schemas_catch_a_typo():
    bad = {"policy": "x.yaml", "cases": [{"name": "n", "cite": "c", "events": [{}], "expct": {}}]}
    assert list(jsonschema.Draft7Validator(_schema("test")).iter_errors(bad))
    assert list(jsonschema.Draft7Validator(_schema("codemap")).iter_errors({"A1": 3}))


def test_readme_has_editor_setup():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "## Editor setup" in readme and "redhat.vscode-yaml" in readme
