"""An optional LLM judge: another model reads the question, the reference and the output, and says PASS or FAIL."""

from __future__ import annotations

import re

from ..backends.base import Backend, GenerationParams
from ..example import Example
from ._score import Grader, Score

DEFAULT_RUBRIC = "Does the answer match the reference answer in meaning? Reply PASS or FAIL."
JUDGE_PARAMS = GenerationParams(max_tokens=16, temperature=0.0)
_SYSTEM = "You grade answers strictly against the rubric. Your reply starts with PASS or FAIL."
_VERDICT = re.compile(r"\b(PASS|FAIL)\b")


def judge_messages(output: str, example: Example, rubric: str = DEFAULT_RUBRIC) -> list[dict]:
    """The chat the judge model reads."""
    references = "\n".join(f"- {answer}" for answer in example.answers)
    body = (
        f"{rubric}\n\nQuestion:\n{example.user_text}\n\n"
        f"Reference answer (any of these is correct):\n{references}\n\n"
        f"Answer to grade:\n{output}\n\nReply with PASS or FAIL."
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": body}]


def parse_verdict(text: str) -> bool | None:
    """True for PASS, False for FAIL: the first line's verdict, else the only one in the reply; None if unclear."""
    lines = text.strip().splitlines()
    for candidate in (lines[0] if lines else "", text):
        verdicts = set(_VERDICT.findall(candidate.upper()))
        if len(verdicts) == 1:
            return verdicts.pop() == "PASS"
    return None


def judge_grader(backend: Backend, rubric: str | None = None, params: GenerationParams = JUDGE_PARAMS) -> Grader:
    """An async grader asking `backend` to judge each output; an unclear verdict scores 0 with an invalid format."""
    rubric = rubric or DEFAULT_RUBRIC

    async def judge(output: str, example: Example) -> Score:
        reply = await backend.complete(judge_messages(output, example, rubric), params)
        verdict = parse_verdict(reply.text)
        details = {
            "verdict": {True: "PASS", False: "FAIL", None: None}[verdict],
            "judge_reply": reply.text[:200],
            "judge_input_tokens": reply.input_tokens,
            "judge_output_tokens": reply.output_tokens,
        }
        return Score(float(verdict is True), verdict is not None, details)

    return judge
