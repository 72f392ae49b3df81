"""Streaming as `advisor serve` does it, without a model: the chunks on the wire, and the text a row hands out as it grows."""

from __future__ import annotations

import asyncio
import json

import pytest

from advisor.serve.stream import Chunks, TextStream, events
from evals.backends._stream import TextDeltas
from evals.backends.base import Completion
from evals.errors import BackendError, InputError, Problem


def scripted(pieces: list[str], fail: Exception | None = None, finish_reason: str = "stop"):
    """A `complete(on_text)` that hands over `pieces` one loop turn apart, then returns their text (or raises `fail`)."""

    async def complete(on_text) -> Completion:
        for piece in pieces:
            on_text(piece)
            await asyncio.sleep(0)
        if fail:
            raise fail
        return Completion("".join(pieces), 12, 3, 0.5, extra={"finish_reason": finish_reason})

    return complete


def wire(pieces: list[str], include_usage: bool, fail: Exception | None = None) -> list[str]:
    """The response body of a stream, split into its events (each `data: ...` and a blank line)."""

    async def body() -> bytes:
        stream = TextStream(scripted(pieces, fail))
        await stream.started()
        return b"".join([part async for part in events(stream, Chunks("smollm2-135m", include_usage))])

    text = asyncio.run(body()).decode()
    assert text.endswith("\n\n")
    lines = text[:-2].split("\n\n")
    assert all(line.startswith("data: ") for line in lines)
    return [line.removeprefix("data: ") for line in lines]


def test_the_stream_is_openai_chunks_role_deltas_finish_usage_then_done():
    *chunks, done = wire(["The", " capital", " is Paris."], include_usage=True)
    assert done == "[DONE]"
    parsed = [json.loads(c) for c in chunks]
    assert {(c["object"], c["model"], c["id"], c["created"]) for c in parsed} == {
        ("chat.completion.chunk", "smollm2-135m", parsed[0]["id"], parsed[0]["created"])
    }
    assert parsed[0]["id"].startswith("chatcmpl-")
    role, *deltas, finish, usage = parsed
    assert role["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]
    assert [d["choices"][0]["delta"] for d in deltas] == [{"content": "The"}, {"content": " capital"}, {"content": " is Paris."}]
    assert all(d["choices"][0]["finish_reason"] is None for d in deltas)
    assert finish["choices"] == [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]
    # with include_usage, every chunk carries `usage`: null but on the last, whose choices are empty
    assert [c["usage"] for c in parsed[:-1]] == [None] * (len(parsed) - 1)
    assert usage["choices"] == [] and usage["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def test_without_include_usage_there_is_no_usage_chunk_nor_field():
    *chunks, done = wire(["Hi"], include_usage=False)
    parsed = [json.loads(c) for c in chunks]
    assert done == "[DONE]" and len(parsed) == 3 and all("usage" not in c for c in parsed)
    assert parsed[-1]["choices"][0]["finish_reason"] == "stop"


def test_an_empty_answer_still_streams_its_role_and_finish():
    *chunks, done = wire([], include_usage=True)
    parsed = [json.loads(c) for c in chunks]
    assert [c["choices"][0]["delta"] for c in parsed[:2]] == [{"role": "assistant", "content": ""}, {}]
    assert parsed[-1]["choices"] == [] and done == "[DONE]"


def test_a_failure_before_the_first_text_raises_while_the_status_can_say_so():
    async def start() -> None:
        await TextStream(scripted([], InputError(Problem("too long", field="max_tokens")))).started()

    with pytest.raises(InputError, match="too long"):
        asyncio.run(start())


def test_a_failure_after_the_first_text_is_an_error_event_and_no_done():
    *chunks, last = wire(["Hel", "lo"], include_usage=True, fail=BackendError("local generation failed"))
    assert [json.loads(c)["choices"][0]["delta"].get("content") for c in chunks] == ["", "Hel", "lo"]
    assert json.loads(last) == {"error": {"message": "local generation failed", "type": "server_error", "param": None, "code": None}}


TOKENS = {1: "The", 2: " answer", 3: " is", 4: " 4", 5: "2", 6: ".", 7: "\n", 8: "Q", 9: ":", 10: " caf", 11: "\ufffd", 12: "é"}


def decode(ids: list[int], stops: tuple[str, ...]) -> str:
    """A stand-in for the tokenizer: each id is a piece of text, and a cut character shows as U+FFFD until its next id."""
    text = "".join(TOKENS[i] for i in ids).replace("\ufffdé", "é")
    cuts = [text.find(s) for s in stops if s in text]
    return text[: min(cuts)] if cuts else text


def streamed(ids: list[int], stops: tuple[str, ...]) -> list[str]:
    pieces: list[str] = []
    deltas = TextDeltas(decode, stops, pieces.append)
    for n in range(1, len(ids) + 1):
        deltas.update(ids[:n])
    deltas.finish(decode(ids, stops))
    return pieces


def test_pieces_come_token_by_token_and_join_to_the_answer():
    assert streamed([1, 2, 3, 4, 5, 6], ()) == ["The", " answer", " is", " 4", "2", "."]


def test_the_start_of_a_stop_string_waits_and_the_stop_never_goes_out():
    pieces = streamed([1, 2, 3, 4, 5, 6, 7, 8, 9, 1], ("\nQ:",))
    assert "".join(pieces) == "The answer is 42." and not any("\n" in p for p in pieces)
    # a prefix of the stop that turns out not to be one goes out with the token that settles it
    assert streamed([1, 7, 2], ("\nQ:",)) == ["The", "\n answer"]


def test_a_character_cut_between_tokens_waits_for_its_end():
    assert streamed([10, 11, 12], ()) == [" caf", "é"]
