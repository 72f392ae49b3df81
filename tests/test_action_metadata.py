"""action.yml, checked without running it: it is valid YAML, it validates against SchemaStore's schema for action
metadata, and its inputs agree with what .github/scripts/llm-gate.sh reads.

A composite action does not hand its inputs to `run:` steps by itself, so action.yml maps each input the script needs
to an INPUT_* variable in the step's `env:`. A renamed input, or a variable the script starts reading that no step
sets, would only show on GitHub; these tests catch it here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
SCRIPT = ROOT / ".github" / "scripts" / "llm-gate.sh"
SCHEMA = ROOT / ".github" / "schemas" / "github-action.json"

INPUT_REF = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
INPUT_VAR = re.compile(r"\bINPUT_[A-Z0-9_]+\b")
SCRIPT_STEP = re.compile(r"/\.github/scripts/llm-gate\.sh\s+(\w+)")


def env_name(input_name: str) -> str:
    """The variable an input travels in, GitHub's own convention: INPUT_ + upper case, '-' as '_'."""
    return "INPUT_" + input_name.upper().replace("-", "_")


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def script_reads() -> tuple[set[str], dict[str, set[str]]]:
    """The INPUT_* variables llm-gate.sh reads: all of them, and per function (a step runs one function).

    A top-level `VAR="${INPUT_X...}"` counts as a read of INPUT_X by every function that uses $VAR.
    """
    text = SCRIPT.read_text()
    functions = {m[1]: m[2] for m in re.finditer(r"^(\w+)\(\)\s*\{\n(.*?)^\}", text, re.M | re.S)}
    top_level = re.sub(r"^(\w+)\(\)\s*\{\n.*?^\}", "", text, flags=re.M | re.S)
    aliases = {m[1]: set(INPUT_VAR.findall(m[2])) for m in re.finditer(r"^([A-Z_][A-Z0-9_]*)=(.*)$", top_level, re.M)}
    per_function = {}
    for name, body in functions.items():
        reads = set(INPUT_VAR.findall(body))
        for var, inputs in aliases.items():
            if re.search(rf"\$\{{?{var}\b", body):
                reads |= inputs
        per_function[name] = reads
    return set(INPUT_VAR.findall(text)), per_function


def test_action_yml_is_valid_yaml_and_matches_schemastore_schema(action):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(action), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors)
    assert action["runs"]["using"] == "composite"


def test_every_input_action_yml_uses_is_declared_and_every_declared_input_is_used(action):
    declared = set(action["inputs"])
    used = set(INPUT_REF.findall(ACTION.read_text()))
    assert used - declared == set(), "action.yml uses inputs it does not declare"
    assert declared - used == set(), "action.yml declares inputs no step uses"


def test_the_script_reads_exactly_the_inputs_action_yml_passes_it(action):
    declared = set(action["inputs"])
    passed: set[str] = set()
    read_everywhere, read_by = script_reads()
    script_steps = [s for s in action["runs"]["steps"] if SCRIPT_STEP.search(s.get("run", ""))]
    assert script_steps, "no step of action.yml runs llm-gate.sh"
    for step in script_steps:
        function = SCRIPT_STEP.search(step["run"])[1]
        assert function in read_by, f"action.yml runs llm-gate.sh {function}, which the script does not define"
        env = {k: str(v) for k, v in (step.get("env") or {}).items() if k.startswith("INPUT_")}
        for var, value in env.items():
            refs = INPUT_REF.findall(value)
            assert len(refs) == 1 and value.strip() == f"${{{{ inputs.{refs[0]} }}}}", f"{var}: {value!r} is not one input"
            assert refs[0] in declared, f"{var} passes the undeclared input {refs[0]!r}"
            assert var == env_name(refs[0]), f"{var} carries input {refs[0]!r}; expected {env_name(refs[0])}"
        missing = read_by[function] - set(env)
        assert not missing, f"llm-gate.sh {function} reads {sorted(missing)}, which its step in action.yml does not set"
        passed |= set(env)
    assert passed == read_everywhere, (
        f"only in action.yml: {sorted(passed - read_everywhere)}; only in llm-gate.sh: {sorted(read_everywhere - passed)}"
    )
    # every input reaches the action either through the script's variables or directly in a step (`with:` and the like)
    direct = {
        name for step in action["runs"]["steps"] for name in INPUT_REF.findall(json.dumps({k: v for k, v in step.items() if k != "env"}))
    }
    assert declared == {n for n in declared if env_name(n) in passed} | direct
