"""The prompt-search candidates: instruction variants x demonstration sets x k.

Instruction variants come from rewriting rules applied to the user's system prompt and the task
(label list formats, an explicit output-format line, a short role line, the task restated from the
data), plus drafts from a stronger `proposer` model when the scenario names one.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.example import Example
from evals.strategies import FewShot

ROLE = {
    "classification": "You are a precise classifier.",
    "extraction": "You extract information precisely.",
    "generation": "You are a concise writer.",
    "qa": "You answer questions precisely.",
}
FORMAT = {
    "classification": "Reply with exactly one label from the list and nothing else.",
    "extraction": "Reply with the extracted answer only, nothing else.",
    "generation": "Reply with the answer only, nothing else.",
    "qa": "Reply with the answer only, nothing else.",
}
JSON_FORMAT = "Reply with one JSON object only, nothing else."
PROPOSER_ASK = (
    "Write the system prompt for a small language model that must do this task. Be short and exact; "
    "state the allowed answers and the output format. Reply with the system prompt only."
)


@dataclass(frozen=True)
class Candidate:
    instruction: str
    demos: str
    k: int

    @property
    def name(self) -> str:
        return f"{self.instruction} · {self.demos} · k={self.k}"


def instruction_variants(
    base: str | None, data_system: str | None, kind: str, labels: list[str] | None, json_answers: bool, pool: list[Example]
) -> dict[str, str | None]:
    """The user's prompt (None: the data's own system messages, `data_system` when they agree) and its rewrites."""
    role, fmt = ROLE[kind], JSON_FORMAT if json_answers else FORMAT[kind]
    variants: dict[str, str | None] = {"user": base}
    if base or data_system:
        variants["format_line"] = f"{base or data_system}\n{fmt}"
    if labels:
        variants["labels_listed"] = (
            f"{role} Classify the message into one of these labels:\n" + "\n".join(f"- {label}" for label in labels) + f"\n{fmt}"
        )
        variants["labels_inline"] = f"{role} Labels: {', '.join(labels)}.\n{fmt}"
    variants["restated"] = f"{role} {_restated(pool, kind, labels)}\n{fmt}"
    return variants


def _restated(pool: list[Example], kind: str, labels: list[str] | None) -> str:
    """The task as the data shows it: two inputs and their answers."""
    shown = [ex for ex in pool if ex.user_text and ex.expected][:2]
    pairs = "; ".join(f'"{_clip(ex.user_text)}" -> {_clip(ex.expected)}' for ex in shown)
    what = f"the one of {len(labels)} labels that fits it" if labels else "its answer"
    return f"For each message, give {what}, as in: {pairs}."


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def proposer_drafts(
    spec: str, variants: dict[str, str | None], pool: list[Example], labels: list[str] | None, n: int = 2
) -> dict[str, str]:
    """Instructions a stronger model writes from the task's prompt and a few train examples (DSPy's proposer idea)."""
    from evals.backends import get_backend
    from evals.backends.base import GenerationParams

    backend = get_backend(spec)
    shown = "\n".join(f"Input: {_clip(ex.user_text, 300)}\nAnswer: {_clip(ex.expected, 200)}" for ex in pool[:6])
    task = (variants.get("user") or "") + (f"\nAllowed answers: {', '.join(labels)}" if labels else "")
    ask = f"{PROPOSER_ASK}\n\nCurrent instructions:\n{task}\n\nExamples:\n{shown}"
    drafts = {}
    for i in range(n):
        params = GenerationParams(max_tokens=400, temperature=0.0 if i == 0 else 0.8, seed=i)
        done = await backend.complete([{"role": "user", "content": ask}], params)
        if done.text.strip():
            drafts[f"proposer_{i + 1}"] = done.text.strip()
    return drafts


def candidates(variants: dict[str, str | None], demos: list[str], ks: list[int], baseline_k: int) -> list[Candidate]:
    """Every combination, after the few-shot rung's own recipe (the user's prompt, similar shots, its k), which comes first."""
    baseline = Candidate("user", "similar", baseline_k)
    out = [Candidate(v, d, k) for v in variants for d in demos for k in sorted(set(ks))]
    return [baseline] + [c for c in out if c != baseline]


def strategy(candidate: Candidate, instruction: str | None, pool: list[Example], bootstrapped: list[Example], seed: int) -> FewShot:
    """The prompt builder of a candidate: its instruction and k demonstrations from its set."""
    if candidate.demos == "bootstrapped":
        return FewShot(bootstrapped or pool, candidate.k, "similar", seed, instruction)
    return FewShot(pool, candidate.k, "random" if candidate.demos == "random" else "similar", seed, instruction)
