"""Text handed out while a batch generates: each streamed row's new words, at the step that produced them.

transformers calls a streamer's `put` with every step's new token of each row (and once with the prompt). A row's
text so far is decoded from its tokens up to where `RowStops` ended it; a piece goes out only once no later token
can change it (an unfinished UTF-8 character, or the start of a stop string, waits), so the pieces join to exactly
the answer `generate_batch` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from transformers.generation.streamers import BaseStreamer

if TYPE_CHECKING:
    import torch

Decode = Callable[[list[int], tuple[str, ...]], str]
"""Token ids and stop strings to the text before the first stop."""
INCOMPLETE = "\ufffd"
"""What the tokenizer decodes a character cut between two tokens to."""


class TextDeltas:
    """One row's answer so far, handed to `on_text` in pieces that join to the final text."""

    def __init__(self, decode: Decode, stops: tuple[str, ...], on_text: Callable[[str], None]):
        self.decode, self.stops, self.on_text = decode, stops, on_text
        self.sent = ""

    def update(self, ids: list[int]) -> None:
        """The row's tokens so far; sends the text they settle."""
        text = self.decode(ids, self.stops)  # cut at a stop string already
        settled = text[: len(text) - self._held(text)]
        if len(settled) > len(self.sent) and settled.startswith(self.sent):
            self._send(settled[len(self.sent) :])

    def finish(self, text: str) -> None:
        """The row's final answer: sends what is left of it."""
        if text.startswith(self.sent) and len(text) > len(self.sent):
            self._send(text[len(self.sent) :])

    def _held(self, text: str) -> int:
        """How many trailing characters may still change: a cut character, and before it the start of a stop string."""
        whole = text.rstrip(INCOMPLETE)
        starts = [n for stop in self.stops for n in range(min(len(stop) - 1, len(whole)), 0, -1) if whole.endswith(stop[:n])]
        return len(text) - len(whole) + max(starts, default=0)

    def _send(self, piece: str) -> None:
        self.sent += piece
        self.on_text(piece)


class RowStreamer(BaseStreamer):
    """The streamer for one `generate` call: feeds each streamed row its tokens up to where it finished.

    Args:
        rows: the text of each row that is streamed, by its index in the batch.
        finished: each row's (tokens generated, finish reason) once it ended, None before: `RowStops.finished`.
    """

    def __init__(self, rows: dict[int, TextDeltas], finished: list[tuple[int, str] | None]):
        self.rows, self.finished = rows, finished
        self.ids: dict[int, list[int]] = {row: [] for row in rows}

    def put(self, value: torch.Tensor) -> None:
        if value.dim() > 1:  # the prompt, handed over once before the first step
            return
        tokens = value.tolist()
        for row, deltas in self.rows.items():
            ids, finished = self.ids[row], self.finished[row]
            if finished is None or len(ids) < finished[0]:  # past its end a row only gets padding
                ids.append(tokens[row])
                deltas.update(ids)

    def end(self) -> None:
        """Nothing: `finish` sends each row's remainder once its final text is known."""

    def finish(self, row: int, text: str) -> None:
        if row in self.rows:
            self.rows[row].finish(text)
