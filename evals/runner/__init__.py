"""The async runner: items through a backend at bounded concurrency, graded, cached, journaled, resumable.

runner = Runner(backend, grader, params=GenerationParams(max_tokens=16), cache=Cache(),
                journal=Journal.in_folder(run_dir), progress=print)
rows = runner.run_sync([(example, messages), ...], rung="zero_shot")
check_error_budget(rows, max_error_rate=0.1)
"""

from ._cache import Cache, request_key
from ._jobs import COLUMNS, prompt_parts
from ._journal import Journal
from ._progress import ProgressEvent
from ._runner import Runner
from ._summary import check_error_budget, error_rate, repeat_summary

__all__ = [
    "COLUMNS",
    "Cache",
    "Journal",
    "ProgressEvent",
    "Runner",
    "check_error_budget",
    "error_rate",
    "prompt_parts",
    "repeat_summary",
    "request_key",
]
