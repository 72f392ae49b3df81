"""The bridge to lm-evaluation-harness: our eval sets and graders as lm-eval tasks, run offline; the forgetting check.

    grading = grading_of("label", labels=["refund", "shipping"])
    yaml_path = export_task(examples, "support", grading, "tasks/")          # for `lm_eval --include_path tasks/`
    config = generation_task(examples, "support", grading, "tasks/")         # for simple_evaluate(tasks=[config])
    result = evaluate_tasks([config])["support"]                             # .metrics, .scores per item
    report = forgetting_check("smollm2-135m", adapter="out/adapter")         # validates as advisor's Forgetting
    report = await chat_forgetting_check(base_backend, tuned_backend)         # the same, through a chat API

Importing this package loads neither torch nor lm_eval; they are imported when a task runs.
"""

from ._canary import CANARY_DIR, CANARY_PARAMS, CanaryTask, canary_files, canary_hash, canary_tasks, read_canary
from ._chat import asked_with_options, chat_forgetting_check, chat_scores
from ._docs import write_docs
from ._forgetting import base_scores, compare_scores, forgetting_check, item_scores
from ._grading import METRICS, Grading, grading_of, process_results_for
from ._run import TaskResult, evaluate_tasks
from ._task import choice_task, default_params, export_task, generation_task, write_yaml

__all__ = [
    "CANARY_DIR",
    "CANARY_PARAMS",
    "CanaryTask",
    "METRICS",
    "Grading",
    "TaskResult",
    "asked_with_options",
    "base_scores",
    "canary_files",
    "canary_hash",
    "canary_tasks",
    "chat_forgetting_check",
    "chat_scores",
    "choice_task",
    "compare_scores",
    "default_params",
    "evaluate_tasks",
    "export_task",
    "forgetting_check",
    "generation_task",
    "grading_of",
    "item_scores",
    "process_results_for",
    "read_canary",
    "write_docs",
    "write_yaml",
]
