"""The unit of data: one chat record in OpenAI fine-tuning JSONL form."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role
    content: str


class Example(BaseModel):
    """One chat record: the final assistant turn is the expected output."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message]
    id: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    line: int | None = Field(default=None, exclude=True)
    """1-based line in the file it came from (not serialized)."""

    @property
    def prompt(self) -> list[Message]:
        """Every message before the final assistant turn."""
        return self.messages[:-1]

    @property
    def expected(self) -> str:
        return self.messages[-1].content

    @property
    def answers(self) -> list[str]:
        """Accepted answers: `meta.answers` when present, else the final assistant turn."""
        extra = self.meta.get("answers")
        if isinstance(extra, list) and extra:
            return [str(a) for a in extra]
        return [self.expected]

    @property
    def system(self) -> str | None:
        first = self.messages[0]
        return first.content if first.role == "system" else None

    @property
    def user_text(self) -> str:
        """The last user turn: what the example asks."""
        return next(m.content for m in reversed(self.messages) if m.role == "user")

    @property
    def key(self) -> str:
        return self.id if self.id is not None else f"line-{self.line}"


def to_dicts(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]
