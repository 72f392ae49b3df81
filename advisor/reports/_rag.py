"""The RAG section of the reports: where recall saturates, why answers failed, and a few failed items."""

from __future__ import annotations

from html import escape

from advisor.record.rag import MISSED, WRONG, FailedItem, RagDetails
from advisor.record.run import RunRecord


def rag_rungs(record: RunRecord) -> list[RagDetails]:
    return [r.rag for r in record.measured if r.rag is not None]


def split_sentence(rag: RagDetails) -> str:
    """'Failures: 3 retrieval missed the source, 9 retrieved but answered wrong.'"""
    return f"Failures: {rag.missed_retrieval} {MISSED}, {rag.answered_wrong} {WRONG}."


def curve_sentence(rag: RagDetails) -> str:
    """'bm25, top 3: recall@1 0.865 · @3 0.950 · @10 0.995; MRR@10 0.912.'"""
    head = f"{rag.retriever} retrieval, top {rag.top_k} in the prompt"
    if rag.curve is None or not rag.curve.recall:
        return f"{head}; recall not measured (no eval source matches a document)."
    r = rag.curve.recall
    picks = sorted({1, min(rag.top_k, len(r)), min(3, len(r)), len(r)})
    return head + ": " + " · ".join(f"recall@{k} {r[k - 1]:.3f}" for k in picks) + f"; MRR@{len(r)} {rag.curve.mrr[-1]:.3f}."


def markdown(record: RunRecord) -> list[str]:
    lines: list[str] = []
    for rag in rag_rungs(record):
        lines += [f"**Retrieval (RAG)**: {curve_sentence(rag)} {split_sentence(rag)}", ""]
    return lines


def html(record: RunRecord) -> str:
    parts = []
    for rag in rag_rungs(record):
        body = f"<h2>Retrieval (RAG)</h2><p>{escape(curve_sentence(rag))}</p><p>{escape(split_sentence(rag))}</p>"
        if rag.curve is not None and rag.curve.recall:
            heads = "".join(f"<th>{k}</th>" for k in range(1, len(rag.curve.recall) + 1))
            rows = "".join(
                f"<tr><td class=text>{name}</td>" + "".join(f"<td>{v:.3f}</td>" for v in values) + "</tr>"
                for name, values in (("recall@k", rag.curve.recall), ("MRR@k", rag.curve.mrr))
            )
            body += f'<div class="scroll"><table><thead><tr><th class=text>k</th>{heads}</tr></thead><tbody>{rows}</tbody></table></div>'
        if rag.failed:
            body += f"<h2 class=gap>Failed items ({len(rag.failed)} shown)</h2>" + "".join(_item(f) for f in rag.failed)
        parts.append(f'<section class="card">{body}</section>')
    return "".join(parts)


def _item(item: FailedItem) -> str:
    passages = "".join(f"<li><b>{escape(p.id)}</b> <small>({p.score:.3g})</small> {escape(p.text)}</li>" for p in item.retrieved)
    return (
        f'<details class="item"><summary>{escape(item.id)} · {escape(item.why)} · {escape(item.question)}</summary>'
        f"<dl class=facts><dt>answer</dt><dd>{escape(item.answer)}</dd><dt>expected</dt><dd>{escape(item.expected)}</dd></dl>"
        f"<ol>{passages}</ol></details>"
    )
