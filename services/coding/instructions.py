"""The Tabular List's sequencing instructions among a note's suggestions: "code first" and "use additional code".

ICD-10-CM pairs some codes with a partner the claim must carry in a set order: N18.30 says "code first any associated
hypertensive chronic kidney disease (I12.-)", E11 says "use additional code to identify control using insulin
(Z79.4)". When both codes are suggested, the one the note says comes first is ranked first; when a note asks for an
additional code that nothing in the visit supplies, the coder gets a documentation query naming the codes the note
lists. Pure: the notes come from the code set port; only code-set text and codes go into rationales and queries,
never note text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.coding.codeset import CodeSet, in_ref, is_external_cause, parse_refs
from shared.contracts import ICD10CM_SYSTEM, CodeSuggestion

# "Use additional code" notes that ask for an attribute of the condition itself (how diabetes is controlled, the
# stage of the kidney disease, the infectious agent): the code is incomplete without it, so its absence is a query.
# The notes that list other conditions to code if present ("code to identify: exposure to tobacco smoke ...",
# "code, if applicable, ...", "if known") ask nothing.
_REQUIRED = re.compile(r"^code(?: \(b95-b97\),?)? to identify (?:control|(?:the )?stage|infectious agent)")
_OPTIONAL = ("if applicable", "if known")


def _refs(notes: Sequence[str]) -> list[tuple[str, str]]:
    return [ref for note in notes for ref in parse_refs(note)]


def _names(refs: Sequence[tuple[str, str]], code: str) -> bool:
    """Whether the code references cover ``code`` (suggestions carry dotted codes, as the references do)."""
    return any(in_ref(code, ref) for ref in refs)


def _is_agent(code: str) -> bool:
    return "B95" <= code[:3] <= "B97"


def sequence(suggestions: Sequence[CodeSuggestion], *, codeset: CodeSet) -> list[CodeSuggestion]:
    """The ICD-10-CM suggestions reordered so that every "code first" partner precedes the code whose note names it
    and every "use additional code" partner follows its code; otherwise the given order. Ranks are renumbered and
    each moved pair says why in its rationale. Other systems' suggestions (the E/M level) keep their place after."""
    icd = [s for s in suggestions if s.system == ICD10CM_SYSTEM]
    rest = [s for s in suggestions if s.system != ICD10CM_SYSTEM]
    codes = [s.code for s in icd]
    before: dict[int, set[int]] = {i: set() for i in range(len(icd))}  # i -> the suggestions that must precede it
    notes: dict[int, list[str]] = {i: [] for i in range(len(icd))}
    for i, code in enumerate(codes):
        rules = codeset.instructions(code)
        code_first, use_additional = _refs(rules.code_first), _refs(rules.use_additional)
        for j, other in enumerate(codes):
            if i == j:
                continue
            if _names(code_first, other):
                before[i].add(j)
                notes[i].append(f"code first {other}")
                notes[j].append(f"sequenced before {code}, whose 'code first' note names it")
            if _names(use_additional, other):
                before[j].add(i)
                notes[i].append(f"use additional code {other}")
                notes[j].append(f"additional code for {code}, whose 'use additional code' note names it")
            elif (_is_agent(code) and not _is_agent(other)
                  and not set(icd[i].evidence_statement_ids).isdisjoint(icd[j].evidence_statement_ids)):
                # B95-B97 "are provided for use as supplementary or additional codes": never before the condition
                # the same statement says the organism causes ("Helicobacter pylori gastritis": K29.70, B96.81).
                before[i].add(j)
                notes[i].append(f"infectious agent of {other}, a supplementary code")
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < len(icd):
        ready = [i for i in range(len(icd)) if i not in placed and before[i] <= placed]
        # A cycle (two codes naming each other) cannot be honoured: the earlier one goes first.
        nxt = ready[0] if ready else min(i for i in range(len(icd)) if i not in placed)
        order.append(nxt)
        placed.add(nxt)
    # Guideline I.C.20: an external cause code (V00-Y99) is never first-listed ("hip pain after a fall": the pain, then
    # the fall).
    if order and is_external_cause(codes[order[0]]):
        first = next((i for i in order if not is_external_cause(codes[i])), None)
        if first is not None:
            order.remove(first)
            order.insert(0, first)
            notes[order[1]].append("an external cause code, never first-listed")
    out = []
    for rank, i in enumerate(order, start=1):
        s = icd[i]
        why = "; ".join(dict.fromkeys(notes[i]))
        rationale = f"{s.rationale}; ICD-10-CM: {why}" if why and s.rationale else (f"ICD-10-CM: {why}" if why else s.rationale)
        out.append(s.model_copy(update={"rank": rank, "rationale": rationale}))
    return out + [s.model_copy(update={"rank": len(out) + k}) for k, s in enumerate(rest, start=1)]


def additional_code_query(code: str, *, present: Sequence[str], codeset: CodeSet) -> str | None:
    """A documentation query when a required "use additional code" note of ``code`` names codes none of which the
    visit's suggestions carry (E11.9 without Z79.4 / Z79.84 / Z79.85: how is the diabetes controlled?)."""
    for note in codeset.instructions(code).use_additional:
        low, refs = note.lower(), parse_refs(note)
        if not _REQUIRED.match(low) or any(o in low for o in _OPTIONAL) or not refs:
            continue
        if any(_names(refs, other) for other in present if other != code):
            continue
        lines = [line.strip().rstrip(".") for line in note.splitlines() if line.strip()]
        asked = lines[0].rstrip(":") + (": " + "; ".join(lines[1:]) if len(lines) > 1 else "")
        return f"ICD-10-CM asks for an additional {asked}. Document it if it applies, so the code can be added."
    return None
