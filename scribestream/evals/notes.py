"""``scribestream eval notes``: note quality and speed on any ACI-Bench-format CSV.

Reads ``dataset,encounter_id,dialogue,note``, writes a note per dialogue with the chosen backend, and prints
JSON: ROUGE-1/2/Lsum (``rouge-score``, no stemmer, Lsum on newlines, as the ACI-Bench tables), per-section
scores (reference headings mapped onto S / O / A&P), the share of statements the checker supports, and seconds
per note. ``--out`` also writes the generated notes (``encounter_id,note``). The ``llm`` backend reads its server
from the same ``SCRIBESTREAM_LLM_*`` variables as the service; ``--base-url``/``--model`` override them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from services.notegen.evaluation import (
    ANCHORS_TEST1,
    BadCsv,
    evaluate,
    read_encounters,
    write_notes_csv,
)


def command(
    aci_csv: Path = typer.Option(..., "--aci-csv", exists=True, dir_okay=False, readable=True,
                                 help="CSV with columns dataset,encounter_id,dialogue,note"),
    backend: str = typer.Option("grounded", "--backend", help="grounded | llm"),
    out: Optional[Path] = typer.Option(None, "--out", dir_okay=False, help="also write the notes as encounter_id,note"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="llm: OpenAI-compatible /v1 URL"),
    model: Optional[str] = typer.Option(None, "--model", help="llm: model name"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="score only the first N encounters"),
    per_note: bool = typer.Option(False, "--per-note", help="include each note's scores in the JSON"),
) -> None:
    """Score generated notes against reference notes (ROUGE-1/2/Lsum, per section, checker support, speed)."""
    from services.notegen.backends import build_writer
    from services.notegen.stage import package_version
    from shared.llm import LlmSettings

    if backend not in ("grounded", "llm"):
        raise typer.BadParameter("--backend is grounded or llm")
    try:
        encounters = read_encounters(aci_csv)
    except BadCsv as err:
        raise typer.BadParameter(str(err), param_hint="--aci-csv") from None
    if limit:
        encounters = encounters[:limit]
    settings = None
    if backend == "llm":
        overrides = {k: v for k, v in (("llm_base_url", base_url), ("llm_model", model)) if v}
        settings = LlmSettings(**overrides)
        if settings.llm_api_key is None:
            raise typer.BadParameter("set SCRIBESTREAM_LLM_API_KEY (any value for servers without keys)")
    writer = build_writer(backend=backend, settings=settings, version=package_version())
    report, scores = asyncio.run(evaluate(encounters, writer=writer))
    report["input"] = aci_csv.name
    if backend == "llm":
        report["model"] = getattr(writer, "model_name", "")
    report["anchors_aci_test1"] = {k: dict(zip(("rouge1", "rouge2", "rougeLsum"), v)) for k, v in ANCHORS_TEST1.items()}
    if per_note:
        report["per_note"] = [
            {k: v for k, v in asdict(s).items() if k != "note_text"} for s in scores
        ]
    if out is not None:
        write_notes_csv(out, scores)
        report["notes_csv"] = str(out)
    typer.echo(json.dumps(report, indent=2))
