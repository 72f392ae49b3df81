"""The prompt search in words and rows, shared by every report format."""

from __future__ import annotations

from advisor.record.run import RungResult


def search_sentences(rung: RungResult) -> list[str]:
    """What was searched, what it cost, what won, and whether the search overfit the dev split."""
    s = rung.search
    if s is None:
        return []
    winner = next((c for c in s.candidates if c.name == s.winner), None)
    lines = [
        f"{len(s.candidates)} candidates (instruction × demonstrations × k) on a dev split of {len(s.dev_ids)} train "
        f"examples; {s.calls_spent} of {s.budget_calls} calls spent"
        + (f", {s.proposer_calls} to the proposer" if s.proposer_calls else "")
        + ".",
        f"Winner: {s.winner}, dev {s.dev_score:.3f} [{s.dev_lower:.3f}, {s.dev_upper:.3f}]"
        + (f" on {winner.dev_n} items" if winner else "")
        + ("; it is the few-shot recipe itself (nothing beat it on dev)." if s.winner == s.baseline else "."),
    ]
    if s.eval_gap is not None:
        half = s.dev_margin
        if s.overfit:
            lines.append(
                f"The search overfit the dev split: the winner scores {s.eval_gap * 100:.1f} points lower on eval "
                f"than on dev, more than the dev interval's lower half-width of {half * 100:.1f} points."
            )
        else:
            lines.append(
                f"Dev to eval gap {s.eval_gap * 100:+.1f} points, within the dev interval's lower half-width of "
                f"{half * 100:.1f}: no sign that the search overfit the dev split."
            )
    return lines


def winner_instruction(rung: RungResult) -> str | None:
    """The winner's full instruction text (None: the data's own system messages)."""
    s = rung.search
    if s is None:
        return None
    winner = next((c for c in s.candidates if c.name == s.winner), None)
    return s.instructions.get(winner.instruction) if winner else None


def candidate_rows(rung: RungResult, top: int = 12) -> tuple[list[str], list[list[str]]]:
    """The best candidates with their dev scores."""
    s = rung.search
    if s is None:
        return [], []
    rows = [[c.name, str(c.dev_n), f"{c.dev_score:.3f}", str(c.rounds)] for c in s.candidates[:top]]
    return ["candidate", "dev items", "dev score", "rounds"], rows
