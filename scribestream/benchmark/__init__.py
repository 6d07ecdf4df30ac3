"""Capacity benchmark of the distributed pipeline (``scribestream bench pipeline``).

- ``primock``: PriMock57-format consultations (one Praat TextGrid per speaker) synthesized with espeak-ng,
  each speaker's utterances at their own times, one voice and one channel per speaker.
- ``encounters``: benchmark encounters of a fixed length built from those, cached under ``.cache/``.
- ``report``: the figures (latency percentiles, per-stage time, lag trend) from recorded timings: pure.
- ``pipeline``: runs one measurement against a local stack (started here or already running).
- ``command``: the typer sub-app registered as ``scribestream bench``.
"""
