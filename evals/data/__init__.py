"""Chat-JSONL data sets: load and validate, convert other formats, split, check leakage and near-duplicates, dedupe, summarize."""

from ._convert import FORMATS, Columns, convert, detect_format
from ._dedupe import Duplicate, dedupe, find_duplicates
from ._json_answers import json_answer_problems, load_schema
from ._jsonl import load_jsonl, read_jsonl, validate_jsonl
from ._leakage import Leak, find_leaks, leak_problems, normalize_text
from ._near_dup import NEAR_DUPLICATE_THRESHOLD, NearDuplicate, find_near_duplicates, near_duplicate_problems
from ._split import split
from ._stats import DataStats, dataset_stats, label_counts, looks_like_classification
from ._text import read_text
from ._tokens import count_tokens, estimate_tokens, load_tokenizer
from ._write import check_writable, example_to_dict, read_saved, write_atomic, write_json, write_jsonl

__all__ = [
    "FORMATS",
    "NEAR_DUPLICATE_THRESHOLD",
    "Columns",
    "DataStats",
    "Duplicate",
    "Leak",
    "NearDuplicate",
    "check_writable",
    "convert",
    "count_tokens",
    "dataset_stats",
    "dedupe",
    "detect_format",
    "estimate_tokens",
    "example_to_dict",
    "find_duplicates",
    "find_leaks",
    "find_near_duplicates",
    "json_answer_problems",
    "label_counts",
    "leak_problems",
    "load_jsonl",
    "load_schema",
    "load_tokenizer",
    "looks_like_classification",
    "near_duplicate_problems",
    "normalize_text",
    "read_jsonl",
    "split",
    "validate_jsonl",
    "read_saved",
    "read_text",
    "write_atomic",
    "write_json",
    "write_jsonl",
]
