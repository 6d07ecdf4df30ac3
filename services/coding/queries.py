"""Clinician queries for specificity: when an unspecified code is chosen, say which documentation would allow
a more specific one. Pure; the sibling codes come from the code set.

The axes are read off the classification itself: the words that the chosen code's billable siblings (same
3-character category) add, e.g. "right"/"left" -> laterality, "acute"/"chronic" -> acuity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")

# axis -> (words that reveal it in sibling descriptions, what to ask for)
_AXES: tuple[tuple[str, frozenset[str], str], ...] = (
    ("laterality", frozenset({"right", "left", "bilateral"}), "laterality (right, left or bilateral)"),
    ("type", frozenset({"type", "systolic", "diastolic", "combined", "allergic", "bacterial", "viral", "streptococcal", "ischemic",
                        "hemorrhagic", "iron", "deficiency", "essential", "secondary", "atopic", "contact", "persistent",
                        "paroxysmal", "permanent", "intermittent"}), "type or cause"),
    ("acuity", frozenset({"acute", "chronic", "subacute", "recurrent"}), "acuity (acute, chronic, acute on chronic)"),
    ("severity", frozenset({"mild", "moderate", "severe", "stage", "grade", "intractable", "status"}), "severity or stage"),
    ("episode", frozenset({"single", "recurrent", "episode", "remission"}), "episode (single or recurrent, in remission)"),
    ("site", frozenset({"upper", "lower", "knee", "hip", "shoulder", "ankle", "wrist", "elbow", "hand", "foot", "lumbar", "cervical",
                        "thoracic"}), "anatomic site"),
    ("complication", frozenset({"with", "complicated", "complication", "exacerbation", "hyperglycemia", "hypoglycemia"}),
     "complications or manifestations linked to the condition"),
)
_ENCOUNTER = frozenset({"initial", "subsequent", "sequela"})


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def is_unspecified(description: str) -> bool:
    d = description.lower()
    return "unspecified" in d or d.endswith(", not elsewhere classified")


def specificity_query(*, code: str, description: str, siblings: Iterable[tuple[str, str]]) -> str | None:
    """A short clinician query when ``code`` is unspecified and its category holds more specific codes."""
    if not is_unspecified(description):
        return None
    own = _words(description)
    added: set[str] = set()
    n = 0
    siblings = list(siblings)
    # The nearest subdivision first (M25.569 -> M25.56x asks for laterality, not for other joints).
    near = [s for s in siblings if s[0].startswith(code[:-1])]
    for sib_code, sib_desc in near if len(near) > 1 else siblings:
        if sib_code == code or is_unspecified(sib_desc) and "unspecified" in sib_desc.lower().split(",")[-1]:
            continue
        n += 1
        added |= _words(sib_desc) - own
    if not n:
        return None
    asks = [ask for axis, words, ask in _AXES if words & added and axis != "laterality"]
    # Laterality only where a sibling is this very code with a side named ("Pain in right knee" for "Pain in
    # unspecified knee"), not where some sibling merely mentions a side ("Left ventricular failure").
    side_words = {"unspecified", "right", "left", "bilateral", "side"}
    unspec = description.lower().count("unspecified")
    if any((_words(d) ^ own) <= side_words and (_words(d) & {"right", "left", "bilateral"}) and d.lower().count("unspecified") < unspec
           for c, d in siblings if c != code):
        asks.insert(0, _AXES[0][2])
    if not asks:
        return None
    return (f"{code} is unspecified. Please document the {'; '.join(asks[:3])} if known, so a more specific code can be "
            "assigned.")


def episode_query(*, code: str, description: str) -> str | None:
    """Injury codes carry the episode of care in the 7th character; ask when the note did not establish it."""
    if len(code.replace(".", "")) == 7 and code[-1] in "ADS" and _ENCOUNTER & _words(description):
        return (f"{code} assumes an {('initial' if code[-1] == 'A' else 'subsequent' if code[-1] == 'D' else 'sequela')} "
                "encounter. Please confirm the episode of care (active treatment, routine healing or sequela).")
    return None
