"""Data set figures: counts, labels for classification sets, tokens (estimated or counted), fine-tune cost."""

from __future__ import annotations

from evals.data import dataset_stats, looks_like_classification
from evals.example import Example, Message


def _example(user: str, answer: str, system: str | None = None) -> Example:
    messages = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=user),
        Message(role="assistant", content=answer),
    ]
    return Example(messages=messages)


CLASSIFIED = [_example(f"ticket number {i}", "refund" if i % 3 else "shipping", system="Classify.") for i in range(12)]


def test_counts_labels_and_the_estimate_flag():
    figures = dataset_stats(CLASSIFIED)
    assert (figures.examples, figures.with_system, figures.mean_turns) == (12, 12, 3.0)
    assert figures.labels == {"refund": 8, "shipping": 4}
    assert figures.tokens_estimated and "estimate" in figures.token_note


def test_estimate_is_the_larger_of_words_and_characters_over_four_plus_message_overhead():
    figures = dataset_stats([_example("a b c d e f g h", "abcdefghijklmnopq")])
    # user: 8 words vs ceil(15/4)=4 -> 8; assistant: 1 word vs ceil(17/4)=5 -> 5; plus 4 per message.
    assert figures.tokens_total == 8 + 4 + 5 + 4


def test_finetune_tokens_and_cost_scale_with_epochs_and_price():
    figures = dataset_stats(CLASSIFIED, epochs=3, price_per_1m=8.0)
    assert figures.finetune_tokens == figures.tokens_total * 3
    assert abs(figures.finetune_cost - figures.tokens_total * 3 * 8.0 / 1e6) < 1e-12
    data = figures.to_dict()
    assert data["finetune_tokens"] == figures.finetune_tokens and data["labels"] == figures.labels


class WordTokenizer:
    """A test tokenizer without a chat template: one token per word."""

    chat_template = None

    def encode(self, text, add_special_tokens=False):
        return text.split()


def test_a_tokenizer_replaces_the_estimate():
    figures = dataset_stats([_example("one two three", "four")], tokenizer=WordTokenizer())
    assert (figures.tokens_total, figures.tokens_max, figures.tokens_estimated, figures.token_note) == (4, 4, False, "")


def test_free_text_answers_are_not_taken_for_labels():
    answers = [_example(f"q{i}", f"A full sentence answering question {i}.") for i in range(10)]
    assert not looks_like_classification(answers)
    assert dataset_stats(answers).labels is None
    assert looks_like_classification(CLASSIFIED)
