"""The first opinion, drawn: the expected winner, the reasons, the rungs worth measuring, what to fix first."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from advisor.decide.advice import Opinion

STYLE = {"not yet": "$error", "prompt": "$success", "rag": "$accent", "finetune": "$warning", "rag+finetune": "$warning"}


def opinion_content(opinion: Opinion) -> Content:
    """Headline, reasons, the ladder to climb and the cautions, as one block of text."""
    lines = [Content.from_markup(f"[b {STYLE[opinion.approach]}]$headline[/]", headline=opinion.headline), Content("")]
    lines += [Content.from_markup("[dim]•[/] $reason", reason=reason) for reason in opinion.reasons]
    lines += [Content(""), Content.from_markup("[b]Worth measuring:[/] $ladder", ladder=opinion.ladder_text)]
    if opinion.cautions:
        lines += [Content("")] + [Content.from_markup("[$warning]![/] $c", c=c) for c in opinion.cautions]
    lines += [Content(""), Content.from_markup("[dim]A first opinion from the answers alone: measuring tests it.[/]")]
    return Content("\n").join(lines)


def opinion_line(opinion: Opinion) -> Content:
    """The one-line summary shown under every section."""
    return Content.from_markup(
        f"[b]First opinion:[/] [{STYLE[opinion.approach]}]$headline[/] [dim]· $ladder[/]",
        headline=opinion.headline,
        ladder=opinion.ladder_text,
    )


class OpinionView(Static):
    """The full first opinion; `opinion` comes down from the interview screen."""

    def show(self, opinion: Opinion) -> None:
        self.update(opinion_content(opinion))
