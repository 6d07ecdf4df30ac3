"""Prometheus metrics of note generation. Labels are backend, model and outcome names only: never ids,
prompts or note text."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LABELS = ("backend", "model", "outcome")

NOTES = Counter("scribestream_notegen_notes_total", "Notes written, by outcome (drafted, no_note, fallback)", LABELS)
GENERATION_SECONDS = Histogram(
    "scribestream_notegen_generation_seconds",
    "Time to write one note (all LLM calls of an encounter, or the grounded writer)",
    LABELS,
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
LLM_REQUESTS = Counter(
    "scribestream_notegen_llm_requests_total",
    "LLM requests, by outcome (ok, malformed, refusal, length, rate_limited, server_error, timeout, circuit_open...)",
    LABELS,
)
PROMPT_TOKENS = Counter("scribestream_notegen_llm_prompt_tokens_total", "Prompt tokens the server reported", LABELS)
COMPLETION_TOKENS = Counter(
    "scribestream_notegen_llm_completion_tokens_total", "Completion tokens the server reported", LABELS
)
STATEMENTS = Counter(
    "scribestream_notegen_statements_total",
    "Statements proposed, by checker outcome (supported, unsupported, dropped: cited no existing turn)",
    LABELS,
)
