"""Moved to ``shared.llm``. Kept only because services/coding/stage.py (not changed here) still imports
``OpenAIChatModel`` from this path; switch that import to ``shared.llm`` and delete this module."""

from shared.llm import OpenAIChatModel

__all__ = ["OpenAIChatModel"]
