"""CPT evaluation and management level for office/outpatient visits (AMA 2021+ guidelines). Pure: no I/O.

The level is the higher of what medical decision making (MDM) and documented total time support:
- MDM has three elements (problems addressed, data reviewed/ordered, risk of patient management); the level is
  the highest one that two of the three meet or exceed.
- Time: total practitioner time on the date of the encounter, against the 2021+ thresholds.
New patients get 99202-99205, established 99212-99215. Only codes and our own short descriptions are shipped:
CPT descriptors are licensed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from shared.contracts import CPT_SYSTEM, CodeSuggestion, EncounterContext, SoapNote, Statement

from services.coding.matcher import Assertion, assertions, clauses


class Level(IntEnum):
    STRAIGHTFORWARD = 1
    LOW = 2
    MODERATE = 3
    HIGH = 4


_LEVEL_NAME = {Level.STRAIGHTFORWARD: "straightforward", Level.LOW: "low", Level.MODERATE: "moderate", Level.HIGH: "high"}
_CODES = {
    True: {Level.STRAIGHTFORWARD: "99202", Level.LOW: "99203", Level.MODERATE: "99204", Level.HIGH: "99205"},
    False: {Level.STRAIGHTFORWARD: "99212", Level.LOW: "99213", Level.MODERATE: "99214", Level.HIGH: "99215"},
}
# Minimum total minutes for each level (AMA 2024 wording: "must be met or exceeded").
_TIME = {
    True: ((60, Level.HIGH), (45, Level.MODERATE), (30, Level.LOW), (15, Level.STRAIGHTFORWARD)),
    False: ((40, Level.HIGH), (30, Level.MODERATE), (20, Level.LOW), (10, Level.STRAIGHTFORWARD)),
}
_PROLONGED_AFTER = {True: 75, False: 55}  # minutes from which the prolonged-services add-on applies
TELEHEALTH_MODIFIER = "95"
POS_TELEHEALTH_HOME = "10"  # patient at home
POS_TELEHEALTH_OTHER = "02"  # patient somewhere other than home


def _phrases(*items: str) -> tuple[tuple[str, ...], ...]:
    from services.coding.matcher import tokens

    return tuple(sorted((tuple(tokens(i)) for i in items), key=len, reverse=True))


def _has(toks: list[str], phrases: Sequence[tuple[str, ...]], *, affirmed: list[Assertion] | None = None) -> bool:
    for i in range(len(toks)):
        if affirmed is not None and affirmed[i] is not Assertion.AFFIRMED:
            continue
        for p in phrases:
            if tuple(toks[i : i + len(p)]) == p:
                return True
    return False


# ---------------------------------------------------------------- vocabulary of the three MDM elements
_THREAT = _phrases(
    "sepsis", "septic", "myocardial infarction", "stemi", "nstemi", "stroke", "pulmonary embolism", "suicidal", "suicidal ideation",
    "diabetic ketoacidosis", "dka", "respiratory failure", "acute coronary syndrome", "unstable angina", "anaphylaxis",
    "threat to life", "life threatening", "severe exacerbation", "gi bleed", "gastrointestinal bleeding", "acute abdomen",
)
_EXACERBATION = _phrases(
    "worsening", "worsened", "worse", "exacerbation", "flare", "flaring", "uncontrolled", "poorly controlled", "not well controlled",
    "not controlled", "not at goal", "above goal", "progression", "progressing", "side effect", "side effects", "adverse effect",
    "elevated", "suboptimal",
)
_STABLE = _phrases("stable", "well controlled", "controlled", "at goal", "unchanged", "doing well")
_ACUTE_SYSTEMIC = _phrases("fever", "febrile", "chills", "rigors", "body aches", "systemic", "malaise")
_UNDIAGNOSED = _phrases("unclear etiology", "uncertain etiology", "undiagnosed", "unknown cause", "workup", "work up", "evaluate")
_MINOR = _phrases("insect bite", "cerumen", "ear wax", "common cold", "mild", "self limited", "minor", "abrasion", "sunburn")

_TESTS = _phrases(
    "cbc", "complete blood count", "cmp", "bmp", "metabolic panel", "a1c", "hemoglobin a1c", "hba1c", "lipid panel", "lipids", "tsh",
    "thyroid", "urinalysis", "urine culture", "culture", "x ray", "xray", "radiograph", "ct", "cat scan", "mri", "ultrasound",
    "echocardiogram", "echo", "ekg", "ecg", "electrocardiogram", "stress test", "holter", "spirometry", "pulmonary function",
    "chest x ray", "mammogram", "colonoscopy", "pap smear", "psa", "vitamin d", "b12", "ferritin", "iron studies", "inr",
    "liver function", "lft", "creatinine", "microalbumin", "strep test", "rapid strep", "covid test", "flu test", "blood work",
    "bloodwork", "labs", "lab work", "blood test", "blood tests", "biopsy", "dexa", "bone density", "sleep study",
)
_ORDER = _phrases(
    "order", "ordered", "ordering", "will get", "get", "obtain", "obtained", "check", "checking", "schedule", "scheduled", "send",
    "sent", "draw", "repeat", "refer for", "recommend",
)
_REVIEW = _phrases(
    "reviewed", "review", "results", "result", "showed", "shows", "revealed", "came back", "was normal", "were normal", "normal",
    "elevated", "low", "high", "read",
)
_EXTERNAL_NOTES = _phrases(
    "outside records", "records from", "notes from", "reviewed records", "discharge summary", "er records", "ed records",
    "hospital records", "prior records", "specialist note", "consult note",
)
_HISTORIAN = _phrases(
    "per mother", "per father", "per parent", "per caregiver", "per wife", "per husband", "per daughter", "per son", "per family",
    "history obtained from", "history provided by", "mother reports", "father reports", "caregiver reports", "independent historian",
)
_INTERPRETATION = _phrases(
    "independently interpreted", "independent interpretation", "my interpretation", "my read", "i reviewed the images",
    "personally reviewed", "i personally reviewed",
)
_DISCUSSION = _phrases(
    "discussed with dr", "discussed with cardiology", "discussed with the specialist", "spoke with dr", "spoke with cardiology",
    "discussed with his cardiologist", "discussed with her cardiologist", "discussed with oncology", "discussed with the surgeon",
    "spoke with the pharmacist", "discussed with pharmacist",
)

_RX_VERBS = _phrases(
    "start", "started", "starting", "continue", "continued", "increase", "increased", "decrease", "decreased", "refill", "refilled",
    "prescribe", "prescribed", "prescription", "adjust", "adjusted", "titrate", "switch", "switched", "stop", "discontinue",
    "discontinued", "hold", "taper", "change", "changed", "restart", "resume", "renew", "dose",
)
_OTC = _phrases(
    "over the counter", "otc", "ibuprofen", "acetaminophen", "tylenol", "advil", "motrin", "aleve", "naproxen", "antihistamine",
    "loratadine", "claritin", "cetirizine", "zyrtec", "saline", "lozenges", "cough drops", "docusate", "miralax", "tums",
)
_MINIMAL_TX = _phrases("rest", "fluids", "ice", "heat", "gargle", "bandage", "elevation", "warm compresses", "hydration")
_HIGH_RISK = _phrases(
    "admit", "admission", "admitted", "hospitalization", "hospitalize", "send to the emergency", "send to the er", "go to the er",
    "emergency department", "dnr", "do not resuscitate", "hospice", "comfort care", "palliative", "chemotherapy",
    "intensive monitoring", "emergency surgery", "urgent surgery",
)
_MODERATE_PROCEDURE = _phrases(
    "surgery", "surgical", "referral to surgery", "refer to surgery", "procedure", "injection", "joint injection", "biopsy",
    "excision", "colonoscopy",
)
_SDOH = _phrases(
    "cannot afford", "can t afford", "unable to afford", "no insurance", "uninsured", "homeless", "housing insecurity",
    "food insecurity", "lack of transportation", "no transportation",
)
_DRUG_SUFFIXES = (
    "pril", "sartan", "olol", "dipine", "statin", "formin", "gliptin", "gliflozin", "glutide", "prazole", "tidine", "cillin",
    "mycin", "floxacin", "cycline", "azole", "oxetine", "traline", "pram", "azepam", "zolam", "profen", "nisone", "olone",
    "parin", "xaban", "gatran", "farin", "thiazide", "semide", "umab", "inib", "triptan", "pentin", "thyroxine",
)
_DRUG_WORDS = frozenset({
    "insulin", "metformin", "lisinopril", "amlodipine", "atorvastatin", "levothyroxine", "synthroid", "prednisone", "albuterol",
    "inhaler", "antibiotic", "antibiotics", "amoxicillin", "augmentin", "azithromycin", "zpack", "doxycycline", "keflex",
    "medication", "medications", "medicine", "antidepressant", "statin", "sertraline", "zoloft", "lexapro", "escitalopram",
    "fluoxetine", "warfarin", "eliquis", "xarelto", "ozempic", "jardiance", "losartan", "hydrochlorothiazide", "hctz",
    "gabapentin", "meloxicam", "omeprazole", "pantoprazole", "flonase", "steroid", "steroids", "birth control", "contraceptive",
})


def _is_drug(tok: str) -> bool:
    return tok in _DRUG_WORDS or (len(tok) > 5 and tok.endswith(_DRUG_SUFFIXES))


# ---------------------------------------------------------------- element scoring
@dataclass
class Element:
    level: Level = Level.STRAIGHTFORWARD
    why: str = "minimal"
    statement_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """One problem addressed: a coded diagnosis (or symptom when nothing was diagnosed) and its statements."""

    code: str
    chronic: bool
    statement_ids: tuple[str, ...]


def _clause_views(statements: Sequence[Statement]) -> list[tuple[Statement, list[str], list[Assertion]]]:
    views = []
    for s in statements:
        for toks in clauses(s.text):
            views.append((s, toks, assertions(toks)))
    return views


def _problems_element(problems: Sequence[Problem], note: SoapNote) -> Element:
    by_id = {s.statement_id: s for s in note.statements()}
    counts = {"threat": 0, "exacerbated": 0, "stable_chronic": 0, "systemic": 0, "undiagnosed": 0, "acute": 0, "minor": 0}
    ids: list[str] = []
    for p in problems:
        views = _clause_views([by_id[i] for i in p.statement_ids if i in by_id])
        said = lambda ph: any(_has(t, ph, affirmed=a) for _, t, a in views)  # noqa: E731
        ids += [i for i in p.statement_ids if i not in ids]
        if said(_THREAT):
            counts["threat"] += 1
        elif p.chronic and said(_EXACERBATION):
            counts["exacerbated"] += 1
        elif p.chronic:
            counts["stable_chronic"] += 1
        elif said(_ACUTE_SYSTEMIC):
            counts["systemic"] += 1
        elif p.code.startswith("R") and said(_UNDIAGNOSED):
            counts["undiagnosed"] += 1
        elif said(_MINOR):
            counts["minor"] += 1
        else:
            counts["acute"] += 1
    if counts["threat"]:
        return Element(Level.HIGH, f"{counts['threat']} problem(s) posing a threat to life or bodily function", ids)
    if counts["exacerbated"] or counts["stable_chronic"] >= 2 or counts["systemic"] or counts["undiagnosed"]:
        parts = [f"{n} {label}" for key, label in (
            ("exacerbated", "chronic illness(es) with exacerbation or progression"),
            ("stable_chronic", "stable chronic illness(es)"),
            ("systemic", "acute illness(es) with systemic symptoms"),
            ("undiagnosed", "undiagnosed new problem(s) with uncertain prognosis"),
        ) if (n := counts[key])]
        return Element(Level.MODERATE, ", ".join(parts), ids)
    if counts["stable_chronic"] or counts["acute"] or counts["minor"] >= 2:
        parts = [f"{n} {label}" for key, label in (
            ("stable_chronic", "stable chronic illness"), ("acute", "acute uncomplicated illness(es)"), ("minor", "minor problems"),
        ) if (n := counts[key])]
        return Element(Level.LOW, ", ".join(parts), ids)
    if counts["minor"]:
        return Element(Level.STRAIGHTFORWARD, "1 self-limited or minor problem", ids)
    return Element(Level.STRAIGHTFORWARD, "no problem addressed", [])


def _data_element(note: SoapNote) -> Element:
    tests_ordered: set[tuple[str, ...]] = set()
    tests_reviewed: set[tuple[str, ...]] = set()
    external = historian = interpretation = discussion = False
    ids: list[str] = []
    for s, toks, status in _clause_views(note.statements()):
        hit = False
        found = {p for i in range(len(toks)) for p in _TESTS
                 if status[i] not in (Assertion.NEGATED, Assertion.OTHER) and tuple(toks[i : i + len(p)]) == p}
        # "chest x ray" also contains "x ray": count the longest only.
        found = {p for p in found if not any(p != q and len(q) > len(p) and _sub(p, q) for q in found)}
        if found and s in note.plan and _has(toks, _ORDER):
            tests_ordered |= found
            hit = True
        elif found and (s in note.objective or _has(toks, _REVIEW)) and s not in note.plan:
            tests_reviewed |= found
            hit = True
        for flag, phrases in (("external", _EXTERNAL_NOTES), ("historian", _HISTORIAN), ("interp", _INTERPRETATION),
                              ("discuss", _DISCUSSION)):
            if _has(toks, phrases):
                hit = True
                external |= flag == "external"
                historian |= flag == "historian"
                interpretation |= flag == "interp"
                discussion |= flag == "discuss"
        if hit and s.statement_id not in ids:
            ids.append(s.statement_id)
    category1 = len(tests_ordered) + len(tests_reviewed - tests_ordered) + int(external)
    cat1_with_historian = category1 + int(historian)
    parts = []
    if tests_ordered:
        parts.append(f"{len(tests_ordered)} unique test(s) ordered")
    if tests_reviewed - tests_ordered:
        parts.append(f"{len(tests_reviewed - tests_ordered)} unique test result(s) reviewed")
    if external:
        parts.append("external notes reviewed")
    if historian:
        parts.append("independent historian")
    if interpretation:
        parts.append("independent interpretation of a test")
    if discussion:
        parts.append("management discussed with an external professional")
    why = ", ".join(parts) or "none documented"
    categories_met = int(cat1_with_historian >= 3) + int(interpretation) + int(discussion)
    if categories_met >= 2:
        return Element(Level.HIGH, why, ids)
    if categories_met >= 1:
        return Element(Level.MODERATE, why, ids)
    if category1 >= 2 or historian:
        return Element(Level.LOW, why, ids)
    return Element(Level.STRAIGHTFORWARD, why, ids)


def _sub(p: tuple[str, ...], q: tuple[str, ...]) -> bool:
    return any(q[i : i + len(p)] == p for i in range(len(q) - len(p) + 1))


def _risk_element(note: SoapNote) -> Element:
    best = Element(Level.STRAIGHTFORWARD, "minimal risk", [])

    def raise_to(level: Level, why: str, sid: str) -> None:
        nonlocal best
        if level > best.level:
            best = Element(level, why, [sid])
        elif level == best.level and sid not in best.statement_ids and best.statement_ids:
            best.statement_ids.append(sid)

    for s, toks, status in _clause_views([*note.assessment, *note.plan]):
        if _has(toks, _HIGH_RISK, affirmed=status):
            raise_to(Level.HIGH, "decision regarding hospitalization or escalation/de-escalation of care", s.statement_id)
            continue
        drug = any(_is_drug(t) for t, a in zip(toks, status) if a is not Assertion.NEGATED)
        otc = _has(toks, _OTC)
        if drug and not otc and (_has(toks, _RX_VERBS) or s.kind == "medication"):
            raise_to(Level.MODERATE, "prescription drug management", s.statement_id)
        elif _has(toks, _MODERATE_PROCEDURE, affirmed=status) and s in note.plan:
            raise_to(Level.MODERATE, "decision about a procedure or minor surgery", s.statement_id)
        elif _has(toks, _SDOH):
            raise_to(Level.MODERATE, "diagnosis or treatment significantly limited by social determinants of health", s.statement_id)
        elif otc:
            raise_to(Level.LOW, "over-the-counter drug management", s.statement_id)
        elif _has(toks, _MINIMAL_TX):
            raise_to(Level.STRAIGHTFORWARD, "minimal risk (supportive care)", s.statement_id)
    return best


# ---------------------------------------------------------------- the level
@dataclass(frozen=True)
class EmResult:
    suggestion: CodeSuggestion
    place_of_service: str | None


def _description(*, new: bool, level: Level, basis: str) -> str:
    # Our own wording (not the AMA descriptor).
    patient = "new patient" if new else "established patient"
    return f"Office or outpatient visit, {patient}, {_LEVEL_NAME[level]} {basis}"


def em_level(*, note: SoapNote, problems: Sequence[Problem], context: EncounterContext, rank: int) -> EmResult | None:
    """The E/M code for an office/outpatient visit, or None when no problem was addressed and no time documented."""
    minutes = context.total_minutes
    if not problems and not minutes:
        return None
    new = bool(context.new_patient)
    notes: list[str] = []
    if context.new_patient is None:
        notes.append("New vs established not stated: coded as established patient (confirm; a new patient would be 99202-99205).")

    elements = {"problems": _problems_element(problems, note), "data": _data_element(note), "risk": _risk_element(note)}
    levels = sorted((e.level for e in elements.values()), reverse=True)
    mdm = levels[1]  # two of three elements must meet or exceed the level
    mdm_text = "; ".join(f"{name} {_LEVEL_NAME[e.level]} ({e.why})" for name, e in elements.items())

    time_level: Level | None = None
    if minutes:
        time_level = next((lvl for floor, lvl in _TIME[new] if minutes >= floor), None)
    use_time = time_level is not None and time_level > mdm
    level = time_level if use_time and time_level is not None else mdm
    code = _CODES[new][level]
    rationale = [f"MDM {_LEVEL_NAME[mdm]}: {mdm_text}."]
    if minutes:
        if time_level is None:
            rationale.append(f"Total time {minutes:g} min is below the lowest time threshold.")
        else:
            rationale.append(f"Total time {minutes:g} min supports {_CODES[new][time_level]}.")
    rationale.append(f"Level chosen by {'time' if use_time else 'MDM'}, the higher-supported basis.")
    if use_time and minutes and minutes >= _PROLONGED_AFTER[new]:
        rationale.append("Time exceeds the highest level's range: consider the prolonged-services add-on code.")
    rationale += notes
    ids = list(dict.fromkeys(i for e in elements.values() for i in e.statement_ids))
    by_id = {s.statement_id: s for s in note.statements()}
    turns = list(dict.fromkeys(t for i in ids if i in by_id for t in by_id[i].evidence_turn_ids))
    tags, modifiers, pos = [], [], None
    if context.telehealth:
        tags, modifiers, pos = ["telehealth"], [TELEHEALTH_MODIFIER], POS_TELEHEALTH_HOME
        rationale.append("Telehealth visit: modifier 95; place of service 10 (patient at home) unless the patient was elsewhere (02).")
    suggestion = CodeSuggestion(
        system=CPT_SYSTEM,
        code=code,
        display=_description(new=new, level=level, basis="time" if use_time else "decision making"),
        confidence=0.9 if use_time else (0.6 if context.new_patient is not None else 0.5),
        rank=rank,
        evidence_statement_ids=ids,
        evidence_turn_ids=turns,
        category="em_level",
        rationale=" ".join(rationale),
        tags=tags,
        modifiers=modifiers,
    )
    return EmResult(suggestion=suggestion, place_of_service=pos)
