"""Clinician or patient? Role evidence from what a speaker says, and a stable speaker -> role map.

Pure: standard library plus the ``Role`` enum. The diarizer knows *who* spoke (speaker 0, 1, ...) but
not *which role* each one has; the words tell: clinicians ask questions, examine, measure, order and
prescribe, and introduce themselves as doctors; patients report first-person symptoms and history.
Each cue has a weight; a speaker's evidence is the running sum over everything they said (positive:
clinician-like, negative: patient-like). No PHI leaves this module: callers get numbers and roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.contracts import Role

# (pattern, weight). Patterns are matched case-insensitively on the whole turn text; each pattern counts
# at most ``MAX_HITS_PER_CUE`` times per turn so one long turn cannot outvote a whole visit.
CLINICIAN_CUES: tuple[tuple[str, float], ...] = (
    (r"\b(?:i am|i'm|my name is|this is)\s+(?:dr\.?|doctor)\b", 4.0),  # self-introduction
    (r"\b(?:i am|i'm) (?:one of )?(?:the |your )?(?:doctor|physician|gp|nurse|resident|registrar)s?\b", 4.0),
    (r"\bwhat brings you\b|\bhow can i help\b|\bwhat can i do for you\b", 3.0),
    (r"\b(?:i'll|i will|i'm going to|i am going to|we'll|we will|let me|i'd like to|i would like to)\s+"
     r"(?:prescribe|order|start you|refer|send|check|examine|take a look|listen|get|arrange|book|request)\b", 3.0),
    (r"\b(?:your|the) (?:blood pressure|pulse|heart rate|temperature|oxygen|saturation|bmi|exam|examination)\b"
     r"(?: is| was| looks| reads)\b", 2.0),
    (r"\b(?:any|do you have any|have you had any|have you noticed any)\b[^.?!]{0,60}\?", 1.5),  # screening
    (r"\b(?:do|does|did|have|has|are|is|can|could|how|what|when|where|which|who|why)\b[^.?!]{0,80}\?", 1.0),
    (r"\b(?:take a deep breath|breathe in|lie back|follow my finger|say ah|any allergies)\b", 2.0),
    (r"\b(?:diagnosis|differential|prescription|referral|follow[- ]up|blood tests?|x-ray|ecg|scan)\b", 0.5),
    (r"\bi (?:recommend|suggest|think (?:this|it) (?:is|could be|might be)|suspect)\b", 1.5),
)
PATIENT_CUES: tuple[tuple[str, float], ...] = (
    (r"\bi(?:'ve| have) (?:had|been having|got|been)\b", 2.0),
    (r"\bi (?:had|have|get|got|feel|felt|am feeling|noticed|started|take|took|smoke|drink|live|work)\b", 1.5),
    (r"\bmy (?:head|chest|stomach|back|throat|leg|legs|arm|knee|heart|breathing|cough|pain|wife|husband|mum|mom|"
     r"dad|mother|father|son|daughter|job|doctor|gp|medication|medicine|tablets|inhaler)\b", 1.5),
    (r"\b(?:it hurts|it's been|it started|it gets worse|it gets better|hurts when)\b", 1.5),
    (r"\bi'm (?:allergic|worried|scared|not sure|on)\b|\bi am (?:allergic|worried|on)\b", 2.0),
    (r"\b(?:yes|no|yeah|nope|not really),? doctor\b|\bthank you,? doctor\b|\bdoctor\b[^.?!]{0,3}$", 3.0),
    (r"^\s*(?:yes|yeah|no|nope|not really|i don't think so|a little|sometimes)\b", 0.7),
)
MAX_HITS_PER_CUE = 2
_CLIN = tuple((re.compile(p, re.IGNORECASE), w) for p, w in CLINICIAN_CUES)
_PAT = tuple((re.compile(p, re.IGNORECASE), w) for p, w in PATIENT_CUES)


def role_evidence(text: str) -> float:
    """Signed evidence from one turn's words: > 0 clinician-like, < 0 patient-like, 0 no cue."""
    score = 0.0
    for pattern, weight in _CLIN:
        score += weight * min(len(pattern.findall(text)), MAX_HITS_PER_CUE)
    for pattern, weight in _PAT:
        score -= weight * min(len(pattern.findall(text)), MAX_HITS_PER_CUE)
    return score


@dataclass(frozen=True)
class RoleConfig:
    # The speaker heard first gets this much clinician evidence up front: in a visit the clinician usually
    # opens. It decides only while nothing has been said that tells otherwise.
    first_speaker_prior: float = 1.0
    # Once the two speakers' evidence differs by this much the map is locked for the rest of the encounter,
    # so later turns never flip roles because of one patient question or one doctor's anecdote.
    lock_margin: float = 6.0
    # ... and only once each of the two speakers has this much speech: before that the speaker split
    # itself is unsettled (re-clustering still moves pieces between speakers), so early evidence may yet
    # move to the other speaker.
    lock_min_speech_s: float = 30.0


def assign_roles(
    evidence: list[float],
    *,
    seconds: list[float] | None = None,
    locked: dict[int, Role] | None = None,
    cfg: RoleConfig = RoleConfig(),
) -> tuple[dict[int, Role], bool]:
    """Speaker index -> role from the speakers' accumulated evidence (index 0 is the first speaker heard).
    ``seconds``: each speaker's speech so far; without it the lock depends on the margin alone.

    Returns the map and whether it is now locked. With two or more speakers the one with the most
    clinician-like evidence (first-speaker prior included) is the clinician and the most patient-like of
    the rest is the patient; further speakers are ``OTHER`` (a relative, an interpreter). A locked map is
    returned unchanged for the speakers it covers."""
    if not evidence:
        return {}, False
    if locked:
        roles = dict(locked)
        for k in range(len(evidence)):
            roles.setdefault(k, Role.OTHER)
        return roles, True
    scores = [e + (cfg.first_speaker_prior if k == 0 else 0.0) for k, e in enumerate(evidence)]
    if len(scores) == 1:
        return {0: Role.CLINICIAN if scores[0] >= 0 else Role.PATIENT}, False
    order = sorted(range(len(scores)), key=lambda k: (-scores[k], k))
    clinician, patient = order[0], order[-1]
    roles = {k: Role.OTHER for k in range(len(scores))}
    roles[clinician] = Role.CLINICIAN
    roles[patient] = Role.PATIENT
    margin = scores[clinician] - scores[patient]
    settled = seconds is None or min(seconds[clinician], seconds[patient]) >= cfg.lock_min_speech_s
    return roles, margin >= cfg.lock_margin and settled
