"""Which rungs apply to a workspace, and the strategy each one measures.

A rung is a prompt strategy plus, for the fine-tune rung, a backend built by training. The fine-tune
rung plugs in through `advisor.rungs.finetune.train`; everything else here is prompting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from advisor.record.run import RUNG_ORDER, RungName
from advisor.scenario.workspace import FINETUNE_MIN_TRAIN, PROMPT_SEARCH_MIN_TRAIN, Workspace
from evals.strategies import FewShot, Rag, ZeroShot, load_knowledge, make_retriever, prepare


@dataclass
class RungPlan:
    name: RungName
    strategy: Callable | None = None
    skip_reason: str | None = None
    trains: bool = False
    """The rung needs a training step before it can be measured (the fine-tune)."""
    searches: bool = False
    """The rung searches its prompt on a dev split of train first; `strategy` is the recipe it starts from."""


def plan_rungs(ws: Workspace, selected: list[str] | None = None) -> list[RungPlan]:
    """Every rung in ladder order, each ready to measure or with the reason it is skipped."""
    ladder = ws.scenario.ladder
    plans = []
    for name in RUNG_ORDER:
        config = getattr(ladder, name)
        if selected is not None and name not in selected:
            plans.append(RungPlan(name, skip_reason="not selected (--rungs)"))
        elif config is None:
            plans.append(RungPlan(name, skip_reason="left out of the scenario's ladder"))
        else:
            plans.append(_BUILDERS[name](ws, config))
    return plans


def _zero_shot(ws: Workspace, config) -> RungPlan:
    return RungPlan("zero_shot", ZeroShot(ws.system_prompt))


def _few_shot(ws: Workspace, config) -> RungPlan:
    if not ws.train_set:
        return RungPlan("few_shot", skip_reason="no train set (data.train) to draw examples from")
    return RungPlan("few_shot", FewShot(ws.train_set, config.k, config.select, config.seed, ws.system_prompt))


def _prompt_search(ws: Workspace, config) -> RungPlan:
    n = len(ws.train_set)
    if n < PROMPT_SEARCH_MIN_TRAIN:
        return RungPlan(
            "prompt_search",
            skip_reason=f"{n} train examples; prompt search needs at least {PROMPT_SEARCH_MIN_TRAIN} to carve a dev split from",
        )
    from advisor.rungs.prompt_search.search import baseline_k

    k = baseline_k(ws.scenario.ladder)
    return RungPlan("prompt_search", FewShot(ws.train_set, k, "similar", config.seed, ws.system_prompt), searches=True)


def _rag(ws: Workspace, config) -> RungPlan:
    folder = ws.scenario.data.knowledge
    if folder is None:
        return RungPlan("rag", skip_reason="no knowledge folder (data.knowledge)")
    retriever = make_retriever(config.retriever, load_knowledge(folder, config.chunk_tokens, config.chunk_overlap))
    prepare(retriever, [ex.user_text for ex in ws.eval_set])
    qa = ws.scenario.task.kind == "qa"
    return RungPlan("rag", Rag(retriever, config.top_k, ws.system_prompt, qa=qa, cite=config.cite, extract=config.extract))


def _finetune(ws: Workspace, config) -> RungPlan:
    n = len(ws.train_set)
    if n < FINETUNE_MIN_TRAIN:
        return RungPlan("finetune", skip_reason=f"{n} train examples; fine-tuning needs at least {FINETUNE_MIN_TRAIN}")
    if config.method != "openai" and not ws.scenario.model_spec.is_local:
        return RungPlan(
            "finetune",
            skip_reason=f"local fine-tuning ({config.method}) needs local weights; {ws.scenario.model} has none (use method: openai)",
        )
    if config.method == "openai" and ws.scenario.model_spec.is_local:
        return RungPlan(
            "finetune", skip_reason=f"a hosted fine-tuning job needs an openai: model; {ws.scenario.model} is local (use method: lora)"
        )
    # "" (not None) drops the data's own system message too: the tuned model is asked with the input alone.
    return RungPlan("finetune", ZeroShot(ws.system_prompt if config.prompt == "full" else ""), trains=True)


def _distill(ws: Workspace, config) -> RungPlan:
    from advisor.rungs.distill import teacher_inputs

    finetune = ws.scenario.ladder.finetune
    if finetune is None or finetune.method == "openai" or not ws.scenario.model_spec.is_local:
        return RungPlan(
            "distill",
            skip_reason=f"distillation trains {ws.scenario.model} locally with ladder.finetune's recipe (method lora, qlora or full)",
        )
    n = len(teacher_inputs(ws, config))
    if n < FINETUNE_MIN_TRAIN:
        return RungPlan(
            "distill",
            skip_reason=f"{n} inputs for the teacher to label; distillation needs at least {FINETUNE_MIN_TRAIN} (data.unlabeled adds more)",
        )
    return RungPlan("distill", ZeroShot(ws.system_prompt if finetune.prompt == "full" else ""), trains=True)


_BUILDERS = {
    "zero_shot": _zero_shot,
    "few_shot": _few_shot,
    "prompt_search": _prompt_search,
    "rag": _rag,
    "finetune": _finetune,
    "distill": _distill,
}
