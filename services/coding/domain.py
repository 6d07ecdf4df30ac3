"""Pure coding domain: a drafted SOAP note -> ranked ICD-10-CM suggestions.

Outpatient coding rules applied (ICD-10-CM Official Guidelines, Section IV):
- code what the Assessment establishes; uncertain diagnoses ("rule out", "possible", "versus") are not coded;
- signs and symptoms (Subjective) are coded only when no diagnosis has been established;
- negated findings are never coded; "history of" becomes a Z85-Z87 code (or the condition itself when it is
  chronic and still treated), family history a Z80-Z84 code;
- combination codes where ICD-10-CM presumes the link ("with"), the most specific code the text supports,
  and never two codes that exclude each other (Excludes1).
Only billable codes of the injected code set are emitted; nothing here does I/O.

``mode="all-findings"`` is an evaluation mode for inpatient-style gold standards (case reports coded by
professional coders, e.g. CodiEsp): uncertain diagnoses are coded as if established (inpatient guideline
Section II.H), symptoms stay beside diagnoses, and history mentions are coded as the condition. Negated
mentions are never coded in either mode.
"""

from __future__ import annotations

import math
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from services.coding.codeset import CodeSet, Exclusions, in_ref, parse_refs
from services.coding.learned import AssociationTable, phrases
from services.coding.lexicon import (
    COMBINATIONS,
    CONCEPTS,
    FAMILY,
    INDEX_ENTRIES,
    ORGANISM_AGENTS,
    SUBSUMED_BY,
    WITH_ABNORMAL_FINDINGS,
)
from services.coding.matcher import (
    _GENERIC,
    HEADING,
    LATERAL,
    ONE_SIDE,
    PREGNANCY_COMPLICATING,
    Assertion,
    DescriptionIndex,
    FuzzyMatch,
    Lexicon,
    Mention,
    absent_words,
    assertions,
    clauses,
    cue_tokens,
    is_secondary_neoplasm,
    neoplasm_sites_agree,
    phrase_starts,
    spread,
    term_words,
    tokens,
    with_index_terms,
)
from services.coding.neighbours import Similarity, codable_words, evidence_words
from services.coding.sequelae import STROKE, sequela_codes
from services.coding.status import (
    ALLERGY_CODES,
    CONF_STATUS,
    ORAL_ANTIDIABETIC,
    REACTION_CODES,
    SGLT2_INHIBITORS,
    StatusFact,
    bmi_facts,
    facts,
    poisoned,
)
from shared.contracts import ICD10CM_SYSTEM, CodeSuggestion, NoteDrafted, Statement

if TYPE_CHECKING:  # rerank imports this module (Finding, thresholds): only the type here
    from services.coding.rerank import Reranker

# Confidence by how the code was reached: curated lexicon > fuzzy description match.
CONF_LEXICON = 0.9
CONF_SYMPTOM = 0.8
CONF_HISTORY = 0.85
CONF_FUZZY_BASE, CONF_FUZZY_SPAN = 0.3, 0.4
# Suggestions below this confidence are candidates only (ranked for review tools and MAP, not suggested): every
# rule-based match is above it; a code reached only by the learned associations needs a vote of 0.6, the
# F1-best cut on a held-out part of the CodiEsp train split.
SUGGEST_MIN_CONFIDENCE = 0.6
BELOW_CUT = 0.98  # a candidate held back from suggestion sits at most this share of the cut
_OUTPATIENT_LEARNED_SCALE = BELOW_CUT * SUGGEST_MIN_CONFIDENCE  # maps a vote in (0, 1] below the cut
_QUALIFIER_REACH = 3  # tokens around a curated term where a description's extra word qualifies it
_DEMOTED_SCALE = 0.5  # an unspecified code beside its kept specific sibling ranks below the suggestion cut

# Status categories a neighbour code may come from in the all-findings mode (see _neighbour_admissible): drug
# resistance, HIV status, weeks of gestation, palliative care, BMI, long-term drug use, allergy status, acquired
# absence, allergy and other risk factors, medical treatment history, artificial openings, transplanted organs, cardiac
# and other implants, devices and post-procedural states, dependence on machines. Personal and family history
# (Z80-Z87) stay with the assertion rules of the lexicon.
_STATUS_CATEGORIES = frozenset({"Z16", "Z21", "Z3A", "Z51", "Z68", "Z79", "Z88", "Z89", "Z90", "Z91", "Z92", "Z93",
                                "Z94", "Z95", "Z96", "Z97", "Z98", "Z99"})
NEIGHBOUR_STATUS_CODES = True  # off: the previous stop's guard (the train-CV bench measures both)
# All-findings mode: descriptions a statement covers only in part become candidates (below the cut; the re-ranker
# weighs them). Off: the previous stop's candidates (the train-CV bench measures both).
PARTIAL_MATCHES = True
PARTIAL_COVERAGE, PARTIAL_LIMIT = 0.5, 10  # share of a description's idf weight; codes per statement (train CV)
# All-findings mode: the parts of a combination code (I10 and N18.9 beside I12.9) stay candidates below the cut;
# coders of case reports often code them separately. Off: the previous stop's candidates.
COMBINATION_PARTS = True
# A full description match spans at most two content words of the clause per description word it matched, plus this
# slack: -1, so two words lie within three ("pulmonary ... edema" four apart is no pulmonary edema). Train CV: -1 over
# 0 and -2 (-2 cost outpatient recall 0.37 -> 0.32); None: no limit (the previous stop's matcher).
DESCRIPTION_SLACK: int | None = -1

# Rank groups: the first Assessment diagnosis is the primary code.
_GROUP = {"diagnosis": 0, "symptom": 1, "history": 2, "family_history": 3, "status": 4}
# Diagnoses a BMI code is reported with in the outpatient mode (ICD-10-CM guideline I.B.14: only with an associated
# reportable diagnosis such as obesity or malnutrition).
_WEIGHT_DIAGNOSES = ("E66", "E43", "E44", "E45", "E46", "R63.4", "R63.5", "R63.6", "R62.7", "E88.A")
_COMBINATION = "combination"  # Finding.key of a combination code
# What an I69.3- sequela code already says: the infarction, its history code and the deficit it left.
_SEQUELA_WHY = ("a deficit left by a past stroke: ICD-10-CM codes it with one I69.3- sequela code, not the infarction "
                "(I63.-), its history (Z86.73) or the deficit alone")
# (Not the dysphagia's phase, R13.11-R13.19: I69.-91 says "use additional code to identify the type of dysphagia".)
_SEQUELA_REPLACES = ("I63", "Z86.73", "G81", "G83", "R47", "R13.10", "R27", "R29.81", "R48", "R41")
_CHRONIC, _CHRONIC_PAIN = "chronic", "G89.29"
_SUICIDE_ATTEMPT = "T14.91"
_ABUSE, _DEPENDENCE, _USE = "1", "2", "9"  # a psychoactive substance code's 5th character (F10-F19)


def _substance_kind(code: str) -> str | None:
    """Abuse, dependence or use for a psychoactive substance code (F10-F19), else None."""
    return code[4:5] if code.startswith("F1") else None


# Guideline I.C.19.a: the 7th character "D" is for encounters after the active treatment of an injury, while it heals
# ("subsequent encounter", a follow-up visit, a cast or sutures removed), "S" for a sequela. The descriptions' own
# words for them are stop words (every injury code has all three), so the note's words choose among the siblings.
_EPISODE_CUES = tuple((character, tuple(tokens(cue) for cue in cues)) for character, cues in (
    ("D", ("subsequent", "follow up", "f/u", "followup", "cast removed", "cast removal", "suture removal",
           "sutures removed", "stitches removed", "routine healing")),
    ("S", ("sequela", "sequelae", "late effect")),
    # A closed fracture's healing: delayed (G), nonunion (K), malunion (P).
    ("G", ("delayed healing", "delayed union")), ("K", ("nonunion", "non union")), ("P", ("malunion", "mal union"))))
# A follow-up that is the plan, not this visit: "splinted, ortho f/u", "follow up in 2 weeks", "f/u with PCP" ("dressing
# change f/u" is this visit).
_PLANNED_AFTER = frozenset(tokens("in with prn as if"))
_PLANNED_BEFORE = frozenset(tokens(
    "ortho orthopedic orthopedics orthopaedic orthopaedics pcp clinic outpatient specialist surgery surgeon hand "
    "podiatry sports plastics will to needs need arrange arranged plan recommend recommended schedule scheduled"))
_FOLLOW_UP = frozenset(("follow", "f", "followup"))


def _planned(toks: list[str], start: int, length: int) -> bool:
    """Whether the follow-up cue at ``start`` is a plan: followed by when or with whom, or after who or what plans it."""
    if toks[start] not in _FOLLOW_UP or start == 0:
        return False
    after = toks[start + length : start + length + 1]
    return (bool(after) and after[0] in _PLANNED_AFTER) or toks[start - 1] in _PLANNED_BEFORE


_CHRONIC_PAIN_WHY = "a chronic pain at a named site: G89.29 with the site's code (guideline I.C.6.b.1)"
_PAIN_UNSPECIFIED, _PAIN_NEC = "R52", "G89"  # pain, unspecified (its "acute pain NOS"); pain not elsewhere classified
# Subjective statement kinds that never describe a symptom.
_NOT_SYMPTOM_KINDS = frozenset({"medication", "allergy", "vital", "plan", "exam"})

_T = TypeVar("_T")
_LEXICON = Lexicon()
_INDEXES: weakref.WeakKeyDictionary[object, DescriptionIndex] = weakref.WeakKeyDictionary()
_EVIDENCE: weakref.WeakKeyDictionary[object, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()
_SET_APART: weakref.WeakKeyDictionary[object, dict[str, tuple[frozenset[str], str | None]]] = weakref.WeakKeyDictionary()
_DESCRIPTION_WORDS: weakref.WeakKeyDictionary[object, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()
_ABSENT_WORDS: weakref.WeakKeyDictionary[object, dict[str, tuple[frozenset[str], ...]]] = weakref.WeakKeyDictionary()
_PARTNER_WORDS: weakref.WeakKeyDictionary[object, Callable[[str], frozenset[str]]] = weakref.WeakKeyDictionary()
# (code, "code first" or not) -> the ranges its instruction notes name
_USE_ADDITIONAL: weakref.WeakKeyDictionary[object, dict[tuple[str, bool], tuple[tuple[str, str], ...]]] = (
    weakref.WeakKeyDictionary())
_ULCER_SEVERITY = ("L97", "L98.4")  # the chronic ulcers' own codes, which name their site and depth
_LEFT_FOR_PARTNER = (*_ULCER_SEVERITY, "E16.A")


def _fuzzy_admissible(code: str, codeset: CodeSet) -> bool:
    """Codes that free-text similarity must never propose: external causes (V-Y) and Z codes (history, status and
    encounter reasons need the assertion handling of the curated lexicon), and manifestation codes ("in diseases
    classified elsewhere") that are only valid after their etiology code. Infectious agents "as the cause of diseases
    classified elsewhere" (B95-B97) are additional codes beside the infection they name, not manifestations: admitted."""
    if code[0] in "VWXYZ":
        return False
    description = codeset.description(code).lower()
    return "classified elsewhere" not in description or "as the cause of diseases classified elsewhere" in description


def _neighbour_admissible(code: str, codeset: CodeSet, *, mode: str) -> bool:
    """Neighbour codes pass the description matcher's guard; in the all-findings mode also the status codes case
    reports are coded with (long-term drug use Z79, dependence on devices Z99, acquired absence Z90, …), which no
    rule reaches. They still need a statement that names them (description words or a phrase the associations
    link to the code): a similar report alone never adds one."""
    if _fuzzy_admissible(code, codeset):
        return True
    return mode == ALL_FINDINGS and NEIGHBOUR_STATUS_CODES and code.replace(".", "")[:3] in _STATUS_CATEGORIES


def _build_index(codeset: CodeSet) -> DescriptionIndex:
    admissible: dict[str, bool] = {}
    entries = []
    for code, term in codeset.billable_terms():
        if code not in admissible:
            admissible[code] = _fuzzy_admissible(code, codeset)
        if admissible[code]:
            entries.append((code, term))
    entries += [(code, term) for code, term in INDEX_ENTRIES if codeset.is_billable(code)]
    return DescriptionIndex(entries)


def _per_codeset(
    cache: weakref.WeakKeyDictionary[object, _T], codeset: CodeSet, build: Callable[[CodeSet], _T]
) -> _T:
    """``build(codeset)`` once per code set, then cached for as long as the code set lives."""
    try:
        found = cache.get(codeset)
    except TypeError:  # not weak-referenceable: build without caching
        return build(codeset)
    if found is None:
        found = cache[codeset] = build(codeset)
    return found


def description_index(codeset: CodeSet) -> DescriptionIndex:
    """Built once per code set on first use (about a second for the full FY2026 set), then cached."""
    return _per_codeset(_INDEXES, codeset, _build_index)


@dataclass
class Finding:
    code: str
    category: str
    confidence: float
    order: tuple[int, int, int]  # (statement index, clause, token) of first evidence: reading order
    statement_ids: list[str] = field(default_factory=list)
    turn_ids: list[str] = field(default_factory=list)
    key: str | None = None  # lexicon concept key, for combinations
    sentence: int = -1  # statement index, for statement-scoped combinations
    learned: bool = False  # reached only by the learned associations
    agreed: bool = False  # a rule match the learned associations also vote for
    rule_confidence: float = -1.0  # confidence before any learned boost: tells curated from description matches
    demoted: bool = False  # an unspecified code whose specific sibling is kept: a ranked candidate, never suggested
    excluded: bool = False  # Excludes1 with a better-ranked kept code: a ranked candidate, never suggested
    why: str = ""  # status codes: the documented fact behind the code
    vote: float = 0.0  # best learned-association vote for the code (0: none)
    vote_phrases: int = 0  # (statement, phrase) pairs voting for it
    vote_total: float = 0.0  # sum of those votes
    vote_documents: int = 0  # co-occurrences behind the best vote
    knn: float = 0.0  # similarity-weighted share of the nearest training reports that carry the code
    knn_count: int = 0  # nearest training reports that carry it
    knn_best: float = 0.0  # similarity of the closest one
    knn_only: bool = False  # reached only through the nearest reports (its evidence: a statement naming it)
    evidence: float = 0.0  # neighbour codes: idf share of the code's description words the evidence statement holds
    linear: float = 0.0  # the code's linear text classifier score (fitted on the training reports' vectors)
    linear_category: float = 0.0  # the same for its 3-character category
    coverage: float = 0.0  # idf share of the code's description words anywhere in the note's codable words
    distinct_coverage: float = -1.0  # the same for the words that set it apart from its category (-1: none do)
    side: float = 0.0  # the code names a side the note names (1), one it does not (-1), or none (0)
    partial: bool = False  # reached only by a partial description match (all-findings candidates)
    component: bool = False  # a part a combination code consumed, kept as a candidate (all-findings)

    def __post_init__(self) -> None:
        if self.rule_confidence < 0:
            self.rule_confidence = self.confidence

    def absorb(self, other: Finding) -> None:
        self.learned = self.learned and other.learned
        self.agreed = self.agreed or other.agreed
        self.statement_ids += [s for s in other.statement_ids if s not in self.statement_ids]
        self.turn_ids += [t for t in other.turn_ids if t not in self.turn_ids]
        self.confidence = max(self.confidence, other.confidence)
        self.rule_confidence = max(self.rule_confidence, other.rule_confidence)
        self.order = min(self.order, other.order)
        self.vote = max(self.vote, other.vote)
        self.vote_phrases = max(self.vote_phrases, other.vote_phrases)
        self.vote_total = max(self.vote_total, other.vote_total)
        self.vote_documents = max(self.vote_documents, other.vote_documents)
        self.knn, self.knn_count = max(self.knn, other.knn), max(self.knn_count, other.knn_count)
        self.knn_best, self.evidence = max(self.knn_best, other.knn_best), max(self.evidence, other.evidence)
        self.knn_only = self.knn_only and other.knn_only
        self.partial = self.partial and other.partial
        self.component = self.component and other.component
        self.excluded = self.excluded and other.excluded


OUTPATIENT, ALL_FINDINGS = "outpatient", "all-findings"


def _statement_findings(
    statement: Statement, *, index: int, assessment: bool, codeset: CodeSet, fuzzy: DescriptionIndex | None,
    mode: str = OUTPATIENT,
) -> list[Finding]:
    found: list[Finding] = []

    def add(code: str | None, category: str, confidence: float, pos: tuple[int, int], key: str | None = None,
            partial: bool = False, why: str = "") -> None:
        if code is None or not codeset.is_billable(code):
            return
        found.append(Finding(code=code, category=category, confidence=confidence, order=(index, *pos),
                             statement_ids=[statement.statement_id], turn_ids=list(statement.evidence_turn_ids),
                             key=key, sentence=index, partial=partial, why=why))

    strokes: list[Assertion] = []

    def clause_findings(c_idx: int, toks: list[str]) -> list[Mention]:
        mentions = _LEXICON.mentions(toks)
        strokes.extend(m.assertion for m in mentions if m.concept.key in STROKE and m.assertion is not Assertion.NEGATED)
        affirmed_keys = {m.concept.key for m in mentions if m.assertion is Assertion.AFFIRMED}
        covered: set[int] = set()
        # A curated term leaves its words to the descriptions too, and a description that says more replaces it:
        # "gastrointestinal hemorrhage" is K92.2, not R58 "Hemorrhage NEC" (signs integral to a diagnosis are not
        # coded); "pulmonary hypertension" is I27.20 and "gestational diabetes" O24.419, not I10 and E11.9.
        terms: list[tuple[Mention, int, int]] = []  # (a curated term, its findings' slice of ``found``)
        for m in mentions:
            before = len(found)
            _add_mention(m, add=add, pos=(c_idx, m.start), assessment=assessment, affirmed_keys=affirmed_keys, mode=mode)
            if (m.assertion is Assertion.AFFIRMED and m.concept.key.endswith("_pain")
                    and _CHRONIC in toks[max(0, m.start - 2):m.start] and len(found) > before):
                # Guideline I.C.6.b.1: the site's code says where, G89.29 that the pain is chronic; both are coded.
                add(_CHRONIC_PAIN, "diagnosis", CONF_SYMPTOM, (c_idx, m.start), why=_CHRONIC_PAIN_WHY)
            if m.concept.kind != "modifier":
                terms.append((m, before, len(found)))
            else:
                covered.update(range(m.start, m.end))
        if fuzzy is None:
            return mentions
        status = assertions(toks)
        codable = (Assertion.AFFIRMED,) if mode == OUTPATIENT else (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)
        # An assertion cue's words are context, never a finding ("intubated without complications" is no T81.9).
        cue = cue_tokens(toks)
        # A side is no finding a negation can deny: it qualifies what is affirmed ("... without macular edema,
        # bilateral" is the bilateral retinopathy).
        said = {t for i, t in enumerate(toks)
                if i not in covered and (status[i] in codable or t in LATERAL) and not cue[i]}
        if _RETINOPATHY <= said and not said & _DIABETES_NAMED:
            # Guideline I.C.4.a.2: a diabetic retinopathy whose clause names no type is type 2's ("Moderate NPDR OD
            # with center-involving DME" is E11.3311, as "diabetic retinopathy" alone is E11.319); a note that names
            # type 1 only makes it E10.3- (_diabetes_of_the_note).
            said |= _TYPE2_WORDS
        words = with_index_terms(said)
        # Outside the Assessment only symptom codes (chapter R) may come from free text.
        allow = None if assessment else (lambda code: code.startswith("R"))
        full = _description_matches(fuzzy, said, words, toks=toks, allow=allow, limit=3 + len(terms),
                                    site_is_disease=mode != OUTPATIENT, codeset=codeset)
        if DESCRIPTION_SLACK is not None:
            # A description's words scattered over a clause name no one finding ("crackles on pulmonary auscultation,
            # lower limb edema" is no pulmonary edema).
            # (A code named compactly by another of its entries keeps that one: "Well adolescent visit, 15 y/o -
            # normal exam" is Z00.129 by "well adolescent visit".)
            full = [compact for fm in full if (compact := _compact(fm, fuzzy, words, toks)) is not None]
        partial = (fuzzy.partial_matches(words, min_coverage=PARTIAL_COVERAGE, limit=PARTIAL_LIMIT, allow=allow)
                   if mode == ALL_FINDINGS and PARTIAL_MATCHES else [])
        superseded = _superseded(full, terms, found, toks=toks, cue=cue, codeset=codeset)
        # A description that says more of the same disease stands for its concept in the combinations that keep it:
        # "Hypertension and chronic systolic heart failure" is I11.0 with I50.22, which replaced I50.9's "chf". (A
        # combination that consumes the concept would consume the more specific code: E11.36 is no E11.9.)
        # (Of two, the one a combination needs, the first said: "T2DM with moderate NPDR" replaced the diabetes and the
        # retinopathy concept, and stands for the diabetes beside a CKD.)
        replaced_keys: dict[str, str] = {}
        for i in sorted(superseded, key=lambda i: (FAMILY.get(found[i].key or "", found[i].key) in _NEEDED, -i)):
            if found[i].key:
                replaced_keys[found[i].code[:3]] = found[i].key
        if superseded:
            found[:] = [f for i, f in enumerate(found) if i not in superseded]
        matched = {m.code for m in full}
        # Only an injury code has an episode to choose (the cues are looked for in every clause otherwise).
        episode = (next((c for c, cues in _EPISODE_CUES if any(not _planned(toks, i, len(cue)) for cue in cues
                                                                   for i in phrase_starts(toks, cue))), None)
                   if any(fm.code.startswith(_WITH_EPISODE) for fm in full) else None)
        if episode:
            full = [_in_episode(fm, episode, codeset) for fm in full]
            matched = {m.code for m in full}
        for fm in [*full, *(p for p in partial if p.code not in matched)]:
            category = "symptom" if fm.code.startswith("R") or fm.code in _SYMPTOM_CODES else "diagnosis"
            first = min((i for i, t in enumerate(toks) if t in fm.matched), default=0)
            confidence = CONF_FUZZY_BASE + CONF_FUZZY_SPAN * fm.coverage
            if fm.code in matched:
                add(fm.code, category, confidence, (c_idx, first), key=replaced_keys.get(fm.code[:3]))
            else:
                # A partial match is a candidate, never a suggestion by itself: below the cut until re-ranked.
                add(fm.code, category, min(confidence, _OUTPATIENT_LEARNED_SCALE), (c_idx, first), partial=True)
        return mentions

    # A clause that names only a side and what is said of it there takes the condition of the clause before
    # ("Primary open-angle glaucoma. Right eye severe stage; left eye mild stage." is H40.1113 and H40.1121;
    # "Dry AMD OU: intermediate stage OD, early stage OS" is H35.3112 and H35.3121): the codes it makes more
    # specific replace the head's own code of their category.
    head: list[str] = []
    head_codes: set[str] = set()
    for c_idx, toks in enumerate(clauses(statement.text)):
        before = len(found)
        mentions = clause_findings(c_idx, toks)
        named = [m for m in mentions if m.concept.kind != "modifier" and m.assertion is Assertion.AFFIRMED]
        if len(found) > before or named:
            head = [t for t in toks[: max((m.end for m in named), default=len(toks))] if t not in LATERAL]
            head_codes = {f.code for f in found[before:]}
        elif head and (side := ONE_SIDE.intersection(toks)) and not mentions and not any(cue_tokens(toks)):
            clause_findings(c_idx, head + toks)
            # (Only a code of the clause's side, and one a word of the clause beyond its side and site chose: the head's
            # own term found again says nothing new, and "left ear normal thresholds" no hearing loss of the left ear.)
            own = with_index_terms({t for t in toks if t not in HEADING})
            naming = code_words(codeset)
            found[before:] = [f for f in found[before:] if f.code not in head_codes
                              and side <= _description_words(f.code, codeset)
                              and not own.isdisjoint(naming.get(f.code, ()))]
            if refined := _refined(head_codes, {f.code for f in found[before:]}, head, codeset):
                found[:] = [f for f in found if f.code not in refined]
    if strokes and (sequelae := sequela_codes(statement.text, stroke_assertion=strokes[0])):
        # The I69.3- combination codes replace the stroke's own code (I63.-, Z86.73) and the deficits coded alone.
        found = [f for f in found if f.key not in STROKE and not f.code.startswith(_SEQUELA_REPLACES)]
        for code in sequelae:
            add(code, "diagnosis", CONF_LEXICON, (0, 0), "stroke_sequela", why=_SEQUELA_WHY)
    # A suicide attempt by a poisoning is the poisoning's intentional self-harm code (services.coding.status); an
    # overdose is no "use" of the substance (F1x.9-: guideline I.C.5.b.3, use codes only with a disorder it caused).
    by_poisoning = [f for f in found if f.code.startswith(_SUICIDE_ATTEMPT) or _substance_kind(f.code) == _USE]
    if by_poisoning and poisoned(statement.text):
        found = [f for f in found if f not in by_poisoning]
    return found


def _compact(fm: FuzzyMatch, fuzzy: DescriptionIndex, words: set[str], toks: list[str]) -> FuzzyMatch | None:
    """The match, or the same code by another of its entries the clause says in full, whose words stand together."""
    def together(matched: Iterable[str]) -> bool:
        sp = spread(toks, matched)
        return sp[0] <= 2 * sp[1] + (DESCRIPTION_SLACK or 0)

    if together(fm.matched):
        return fm
    other = next((w for w in fuzzy.entry_words(fm.code) if w <= words and together(w)), None)
    return None if other is None else replace(fm, matched=other)


def _refined(head: set[str], carried: set[str], words: list[str], codeset: CodeSet) -> set[str]:
    """The head's codes that a side's clause made more specific: one of the same category ("POAG" H40.9 and "right
    eye severe stage" H40.1113), or an unspecified one whose condition the new code names ("osteoarthritis" M19.90
    and "right knee" M17.11); a symptom found there refines nothing, and a code of one side is no code of the other."""
    new = [c for c in carried if c[:1] not in "RZ"]
    if not new:
        return set()
    named = code_words(codeset)
    said = frozenset(with_index_terms(set(words)))
    return {c for c in head if ONE_SIDE.isdisjoint(_description_words(c, codeset)) and any(
        n[:3] == c[:3] or is_unspecified(codeset, c) and said & named.get(c, frozenset()) & named.get(n, frozenset())
        for n in new)}


# Codes the curated lexicon holds as symptoms (joint and limb pain by site and side, back pain): a description match of
# one is a symptom too ("pain in right hip and left knee" is two pains, neither a diagnosis that explains the other).
_SYMPTOM_CODES = frozenset(code for c in CONCEPTS if c.kind == "symptom" for code in (c.code, *(c.lateral or ())) if code)


# Post COVID-19 condition (guideline I.C.1.g.1.m): the condition it caused is coded with it, "long COVID with
# persistent fatigue" is R53.83 and U09.9; it explains no symptom away.
_POST_COVID = "U09.9"


def _establishes(f: Finding) -> bool:
    """A rule-based diagnosis, of which a symptom is a part; an external cause or a reason for the visit (V-Z) explains
    no symptom ("hip pain after a fall at home" is the pain and the fall), and a G89 pain code explains no site's pain
    (guideline I.C.6.b.1: chronic neck pain is M54.2 with G89.29)."""
    return (f.category == "diagnosis" and not f.learned and f.code[:1] not in "VWXYZ" and not f.code.startswith(_PAIN_NEC)
            and f.code != _POST_COVID)


# Guideline I.B.5 (and IV.D for outpatients): signs and symptoms routinely part of a disease process the note
# establishes are not coded beside it, wherever the note says them ("AOM R ear. 3 y/o w/ fever and ear tugging" is
# H66.91 alone; nystagmus in BPPV, dysuria in cystitis, headache and nausea in migraine). Each sign's prefixes, and the
# diagnoses it is part of as 3-character spans ("A00-B34") or code prefixes.
_INFECTIONS = ("A00-B34", "A37-A49", "H60", "H65-H66", "H70", "J00-J22", "J36", "J39.0", "J85-J86", "K35-K37", "K57",
               "K61", "K65", "K81.0", "L02-L03", "M00", "M86", "N10", "N30.0", "N39.0", "N41", "N45", "N70-N73", "U07.1")
_INTEGRAL: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("R50.9", "R50.8"), _INFECTIONS),
    (("R05",), ("J00-J22", "J40-J47", "U07.1", "A15")),
    (("R06.2",), ("J21", "J44-J45")),
    (("J02.9", "R07.0"), ("J01", "J02.0", "J03", "J06")),
    (("R09.81", "J34.89", "R09.82"), ("J00-J01", "J06", "J30", "J32")),
    (("R49.0",), ("J04", "J06", "J37-J38")),
    (("R30.0", "R35.0", "R39.15", "R39.16"), ("N30", "N34", "N39.0", "N41", "N10")),
    (("R51", "R11"), ("G43", "G44")),
    (("R11", "R19.7"), ("A02-A09", "K52")),
    (("R42", "H55.0", "R11"), ("H81", "H83.0")),
    (("H92.0", "H92.1", "H73.9"), ("H60", "H65-H66")),
    (("R51", "R42", "R11", "H53.14"), ("S06.0",)),
    (("R21", "L29"), ("B01-B09", "L20-L30", "L50")),
    (("R00.2",), ("I47-I49",)),
    (("F51.5",), ("F43.1",)),  # nightmares in PTSD
)


def _within(code: str, spans: tuple[str, ...]) -> bool:
    return any(span[:3] <= code[:3] <= span[4:] if len(span) == 7 and span[3] == "-" else code.startswith(span)
               for span in spans)


def _without_integral_signs(findings: list[Finding], *, established: set[str]) -> list[Finding]:
    def integral(code: str) -> bool:
        return any(code.startswith(signs) and any(d != code and not d.startswith(signs) and _within(d, spans)
                                                  for d in established) for signs, spans in _INTEGRAL)
    return [f for f in findings if f.learned or not integral(f.code)]


def _partner_words(codeset: CodeSet) -> Callable[[str], frozenset[str]]:
    """A code whose "use additional code" note asks for a partner that names more of the same condition leaves the
    partner's words (as its descriptions use them) for the partner's own code: the ulcer's severity (L97.-, L98.4-:
    varicose veins, venous hypertension, atherosclerosis of the legs with ulceration), the hypoglycemia's level (E16.A-:
    "type 2 diabetes with level 2 hypoglycemia" is E11.649 and E16.A2). Any other code leaves nothing. Built once per
    code set."""
    def build(codeset: CodeSet) -> Callable[[str], frozenset[str]]:
        terms = codeset.billable_terms()
        vocabulary = {partner: frozenset().union(*(_description_words(code, codeset) for code, _ in terms
                                                  if code.startswith(partner))) for partner in _LEFT_FOR_PARTNER}
        memo: dict[str, frozenset[str]] = {}

        def shared(code: str) -> frozenset[str]:
            if code not in memo:
                memo[code] = frozenset().union(*(words for partner, words in vocabulary.items()
                                                 if _asks_for(code, partner, codeset)))
            return memo[code]

        return shared

    return _per_codeset(_PARTNER_WORDS, codeset, build)


def _description_matches(
    fuzzy: DescriptionIndex, said: set[str], words: set[str], *, toks: list[str], allow: Callable[[str], bool] | None,
    limit: int, site_is_disease: bool, codeset: CodeSet,
) -> list[FuzzyMatch]:
    """The clause's full description matches (``words``: what it affirms, with the Index conventions' words); none whose
    description, or category, excludes what the clause affirms; a malignant neoplasm read at the other neoplasm's site
    ("bladder cancer with bone metastases" as a secondary of the bladder) is matched again without that code, so the
    words go to the reading that puts each site with its own neoplasm word (matcher.neoplasm_sites_agree)."""
    misread: set[str] = set()
    for _ in range(3):
        def allowed(code: str, _no: frozenset[str] = frozenset(misread)) -> bool:
            return (code not in _no and (allow is None or allow(code))
                    and not any(absent <= words for absent in _absent_words(code, codeset)))

        full = fuzzy.matches(said, allow=allowed, limit=limit, site_is_disease=site_is_disease,
                             shared=_partner_words(codeset))
        wrong = {fm.code for fm in full if not neoplasm_sites_agree(toks, fm.code, fm.matched)}
        if not wrong:
            return full
        misread |= wrong
    return [fm for fm in full if fm.code not in misread]


# Codes with an episode of care: injuries and poisonings, and pathological fractures (M80 osteoporotic, M84).
_WITH_EPISODE = ("S", "T", "M80", "M84")


def _in_episode(fm: FuzzyMatch, episode: str, codeset: CodeSet) -> FuzzyMatch:
    """An injury code's initial-encounter "A" as the episode the note names ("D", "S"), where that code exists."""
    code = fm.code
    if code.startswith(_WITH_EPISODE) and len(code.replace(".", "")) == 7 and code.endswith("A"):
        other = code[:-1] + episode
        if codeset.is_billable(other):
            return replace(fm, code=other)
    return fm


def _superseded(
    full: list[FuzzyMatch], terms: list[tuple[Mention, int, int]], found: list[Finding], *, toks: list[str],
    cue: tuple[bool, ...], codeset: CodeSet,
) -> set[int]:
    """Which curated findings of a clause a description match replaces (their indices in ``found``); the matches
    that only restate a curated term are dropped from ``full``. A match replaces a term's codes when it says more
    than they do, next to the term (within ``_QUALIFIER_REACH`` tokens): a word that neither the term's codes' own
    descriptions nor another curated term of the clause holds ("pulmonary" in "pulmonary hypertension"; not
    "mellitus" in "type 2 diabetes mellitus", nor "kidney" in "type 2 diabetes with chronic kidney disease", which the
    combination codes relate; nor a generic "disease"; nor a word of an assertion cue, "without complications")."""
    named = frozenset(t for m, _, _ in terms for t in toks[m.start : m.end])
    out: set[int] = set()
    for fm in list(full):
        # A term's words as the description matcher read them ("febrile" is "fever" too).
        overlap = {id(m): fm.matched & with_index_terms(set(toks[m.start : m.end])) for m, _, _ in terms}
        # A term that shares with the description only words another term shares more of is not what it restates:
        # "hypertensive heart disease with chronic diastolic congestive heart failure" is I11.0 and I50.32; the heart
        # failure's "heart" is no hypertensive heart disease.
        said = [(m, lo, hi) for m, lo, hi in terms if overlap[id(m)]
                and not any(overlap[id(m)] < overlap[id(o)] for o, _, _ in terms)]
        if is_secondary_neoplasm(fm.code):
            # Metastases are a neoplasm of their own: "breast cancer with liver metastases" keeps the breast cancer.
            said = [(m, lo, hi) for m, lo, hi in said
                    if all(is_secondary_neoplasm(found[i].code) for i in range(lo, hi))]
        if fm.code == _PAIN_UNSPECIFIED and any(found[i].code != _PAIN_UNSPECIFIED for _, lo, hi in said
                                                  for i in range(lo, hi)):
            full.remove(fm)  # "acute neck pain": R52's "acute pain NOS" restates a pain whose site is named (M54.2)
            continue
        if fm.code.startswith(_PAIN_NEC):
            # Guideline I.C.6.b.1: a G89 code goes with the code of the pain's site when it says more (chronic neck
            # pain: M54.2 + G89.29); it replaces only a pain with no site.
            said = [(m, lo, hi) for m, lo, hi in said if all(found[i].code == _PAIN_UNSPECIFIED for i in range(lo, hi))]
        if not said or fm.code.startswith(PREGNANCY_COMPLICATING):
            # "Obesity complicating pregnancy": O99.21- goes with the obesity's own code, never instead of it.
            continue
        own = frozenset().union(*(_description_words(found[i].code, codeset) for _, lo, hi in said for i in range(lo, hi)))
        extra = fm.matched - named - own - _GENERIC
        # A term followed by "of" reaches to the end of its clause: "basal cell carcinoma of skin of left cheek" is
        # C44.319, "melanoma of left upper arm" C43.62; one after "with" back to its start, as the Index's "with" joins
        # a condition to what it is with ("ulcerative pancolitis, moderate flare with rectal bleeding" is K51.011).
        near = {toks[i] for m, _, _ in said
                for i in range(0 if "with" in toks[max(0, m.start - 2) : m.start] else _reach(toks, m.start, -1, own),
                               len(toks) if toks[m.end : m.end + 1] == ["of"] else _reach(toks, m.end, 1, own))
                if not cue[i]}
        if extra & with_index_terms(near):
            out.update(i for _, lo, hi in said for i in range(lo, hi))
        else:
            full.remove(fm)  # it restates the curated term, or its other words qualify something else in the clause
    return out


def _reach(toks: list[str], edge: int, step: int, own: frozenset[str]) -> int:
    """Where a term's qualifiers end (``step`` 1) or start (-1): ``_QUALIFIER_REACH`` tokens from its edge, not counting
    the words its own code already says ("MDD, single episode, in full remission" is F32.5: "single episode" is part of
    F32.9's name, so "full remission" is near)."""
    i, counted = edge if step > 0 else edge - 1, 0
    while 0 <= i < len(toks) and counted < _QUALIFIER_REACH:
        counted += toks[i] not in own or toks[i] in LATERAL  # (a side is a qualifier of its own)
        i += step
    return i if step > 0 else i + 1


def _absent_words(code: str, codeset: CodeSet) -> tuple[frozenset[str], ...]:
    """What the code's description, or a category above it, says the patient does not have (matcher.absent_words;
    H33.309 "Unspecified retinal break" is in H33.3 "Retinal breaks without detachment"), memoized."""
    cache = _per_codeset(_ABSENT_WORDS, codeset, lambda _codeset: {})
    if code not in cache:
        levels = {code, *(up for n in range(3, len(code)) if codeset.is_valid(up := code[:n].rstrip(".")))}
        cache[code] = tuple(absent for level in sorted(levels) for absent in absent_words(codeset.description(level)))
    return cache[code]


def _description_words(code: str, codeset: CodeSet) -> frozenset[str]:
    cache = _per_codeset(_DESCRIPTION_WORDS, codeset, lambda _codeset: {})
    if code not in cache:
        cache[code] = frozenset(with_index_terms(set(term_words(codeset.description(code)))))
    return cache[code]


def _add_mention(
    m: Mention, *, add: Callable[..., None], pos: tuple[int, int], assessment: bool, affirmed_keys: set[str], mode: str = OUTPATIENT
) -> None:
    concept = m.concept
    assertion = m.assertion
    if mode == ALL_FINDINGS and (assertion is Assertion.UNCERTAIN or (assertion is Assertion.HISTORY and not concept.history_code)):
        # Inpatient-style: uncertain findings, and past ones with no personal-history code, are coded as the
        # condition; a past condition that has one ("ex-smoker": Z87.891, Excludes1 current dependence) keeps it.
        assertion = Assertion.AFFIRMED  # inpatient-style: uncertain and historical findings are coded as the condition
    if assertion is Assertion.FAMILY:
        add(concept.family_code, "family_history", CONF_HISTORY, pos)
    elif assertion is Assertion.HISTORY:
        if concept.chronic and assessment:
            for code in concept.codes_for(m.side):
                add(code, concept.kind, CONF_LEXICON, pos, concept.key)
        else:
            add(concept.history_code, "history", CONF_HISTORY, pos)
    elif assertion is Assertion.AFFIRMED:
        if concept.kind == "modifier":
            return  # no code of its own; _modifier_keys hands it to the combinations
        if SUBSUMED_BY.get(concept.key, frozenset()) & affirmed_keys:
            return
        if concept.kind == "diagnosis" and not assessment:
            return  # a diagnosis voiced in the Subjective is not established by it
        confidence = CONF_SYMPTOM if concept.kind == "symptom" else CONF_LEXICON
        for code in concept.codes_for(m.side):
            add(code, concept.kind, confidence, pos, concept.key)
    # NEGATED and UNCERTAIN mentions are never coded.


def _modifier_keys(statement: Statement) -> set[str]:
    keys: set[str] = set()
    for toks in clauses(statement.text):
        keys |= {m.concept.key for m in _LEXICON.mentions(toks)
                 if m.concept.kind == "modifier" and m.assertion is Assertion.AFFIRMED}
    return keys


# What each combination needs, read by family ("ckd5" is a "ckd"): derived once from the lexicon.
_FAMILY_NEEDS = tuple(frozenset(FAMILY.get(k, k) for k in combo.needs) for combo in COMBINATIONS)
_CONCEPT_CODES = {c.key: c.code for c in CONCEPTS}
_NEEDED = frozenset().union(*_FAMILY_NEEDS)


_DIABETES_CATEGORIES = frozenset(("E08", "E09", "E10", "E11", "E13"))


def _says_more(f: Finding) -> bool:
    """A finding that stands for its concept with a code that says more than the concept's own (a description that
    replaced it: "T2DM with moderate NPDR" E11.3393 for "t2dm"); the note's diabetes type is no more."""
    own = _CONCEPT_CODES.get(f.key or "")
    if own is None or f.code == own:
        return False
    return not ({f.code[:3], own[:3]} <= _DIABETES_CATEGORIES and f.code[3:] == own[3:])


def _restates(combination: str, code: str) -> bool:
    """A combination code that says less of what ``code`` says: its subcategory, or any code of its category for a
    four-character code (E11.319 of E11.3311; G30.9 of G30.1); not another complication (E10.42 beside E10.3513). The
    diabetes categories share their subcategories (the note's type is read afterwards: _diabetes_of_the_note)."""
    same = code[:3] == combination[:3] or {code[:3], combination[:3]} <= _DIABETES_CATEGORIES
    return same and (len(combination) <= 5 or code[3:5] == combination[3:5])


def _combine(
    findings: list[Finding], *, modifiers: dict[int, set[str]], codeset: CodeSet, keep_parts: bool = False,
) -> list[Finding]:
    """Replace linked diagnoses with their ICD-10-CM combination code. ``keep_parts``: the consumed parts stay as
    candidates below the suggestion cut, marked ``component`` (the combination is still the rule's answer)."""
    keyed: dict[str, list[Finding]] = {}
    for f in findings:
        if f.key is not None:
            # Under its family ("ckd5" is a "ckd") and, where it has one, its own key too (I12.0 needs stage 5).
            for key in dict.fromkeys((FAMILY.get(f.key, f.key), f.key)):
                keyed.setdefault(key, []).append(f)
    consumed: set[int] = set()
    combined: list[Finding] = []
    taken: list[tuple[frozenset[str], frozenset[str]]] = []  # (needs by family, consumes) of the combinations made
    for combo, needs in zip(COMBINATIONS, _FAMILY_NEEDS):
        if not codeset.is_billable(combo.code):
            continue
        if any(needs <= made and combo.consumes & made_consumes for made, made_consumes in taken):
            continue  # a more specific combination of the same conditions came first (I13.0 over I12.9 and I11.0)
        disease_keys = {k for k in combo.needs if k in keyed}
        modifier_keys = combo.needs - disease_keys
        if len(disease_keys) + len(modifier_keys) != len(combo.needs):
            continue
        # In reading order: the evidence of a combination reads as the note does (a set's order varies by process).
        parts = sorted((f for k in disease_keys for f in keyed[k]), key=lambda f: (f.order, f.code))
        if modifier_keys:
            # A modifier ("poorly controlled") speaks only of the statement it is in.
            parts = [f for f in parts if modifier_keys <= modifiers.get(f.sentence, set())]
            if not parts or {FAMILY.get(f.key or "", f.key) for f in parts} != disease_keys:
                continue
        if any(_says_more(f) and _restates(combo.code, f.code) for f in parts):
            continue  # a description said it more specifically ("Moderate NPDR with DME OD. T2DM." is E11.3311)
        taken.append((needs, combo.consumes))
        # One code, several ways to it ("hyperemesis with dehydration and ketonuria"): one finding takes every part.
        new = next((f for f in combined if f.code == combo.code), None)
        if new is None:
            new = Finding(code=combo.code, category="diagnosis", confidence=CONF_LEXICON,
                          order=min(f.order for f in parts), key=_COMBINATION)
            combined.append(new)
        for f in parts:
            new.absorb(f)
            if FAMILY.get(f.key or "", f.key) in combo.consumes and not _says_more(f):
                # (A description that said more of the disease is a complication code of its own and stays: "T1DM
                # with polyneuropathy and PDR with macular edema OU" is E10.42 and E10.3513, guideline I.C.4.a.)
                consumed.add(id(f))
    if keep_parts:
        for f in findings:
            if id(f) in consumed:
                f.component = True
                f.confidence = min(f.confidence, _OUTPATIENT_LEARNED_SCALE)
        return findings + combined
    return [f for f in findings if id(f) not in consumed] + combined


def is_unspecified(codeset: CodeSet, code: str) -> bool:
    d = codeset.description(code).lower()
    # (Diabetes "without complications in remission", E11.A, says more than E11.9.)
    return "unspecified" in d or ("without complications" in d and "in remission" not in d)


# The site groups of "Neoplasm of unspecified behavior" (D49.0 digestive ... D49.7 endocrine and other nervous system),
# and the categories of neoplasms of documented behavior (malignant, in situ, benign, uncertain) at those sites.
_BEHAVIOR_SITES: tuple[tuple[str, str, str], ...] = (
    ("C00", "C26", "0"), ("D00", "D01", "0"), ("D12", "D13", "0"), ("D37", "D37", "0"),
    ("C30", "C39", "1"), ("D02", "D02", "1"), ("D14", "D14", "1"), ("D38", "D38", "1"),
    ("C40", "C41", "2"), ("C43", "C49", "2"), ("D03", "D04", "2"), ("D16", "D17", "2"), ("D21", "D23", "2"),
    ("C50", "C50", "3"), ("D05", "D05", "3"), ("D24", "D24", "3"),
    ("C67", "C67", "4"),
    ("C51", "C66", "5"), ("C68", "C68", "5"), ("D06", "D07", "5"), ("D25", "D30", "5"), ("D39", "D41", "5"),
    ("C71", "C71", "6"), ("C70", "C70", "7"), ("C72", "C75", "7"), ("D34", "D35", "7"), ("D44", "D44", "7"),
)


def _behavior_site(code: str) -> str | None:
    """The D49 site group of a neoplasm code of documented behavior ("C64.1" -> "5"); None for any other code."""
    category = code[:3]
    return next((group for first, last, group in _BEHAVIOR_SITES if first <= category <= last), None)


def _unspecified_behavior_site(code: str) -> str | None:
    """The site group of a D49 code ("D49.511" -> "5"; "D49.9", unspecified site -> "*"); None for any other code."""
    if not code.startswith("D49") or len(code) < 5:
        return None
    return "*" if code[4] == "9" else code[4]


def _said_by(statements: list[Statement]) -> Callable[[Finding], str]:
    """The text of the statements a finding rests on (for the rules that read a finding's own words)."""
    text = {st.statement_id: st.text for st in statements}
    return lambda f: " ".join(text.get(i, "") for i in f.statement_ids)


def _substance_hierarchy(findings: list[Finding], *, codeset: CodeSet) -> list[Finding]:
    """Guideline I.C.5.b.1: where a substance's dependence and its use or abuse are both documented, only dependence is
    coded, with what the use or abuse code said ("alcohol withdrawal delirium" F10.931 in a patient with alcohol
    dependence is F10.231, not F10.20 and F10.931)."""
    dependence = {f.code[:3] for f in findings if _substance_kind(f.code) == _DEPENDENCE and not f.learned}
    if not dependence:
        return findings
    out: list[Finding] = []
    upgraded: set[str] = set()
    for f in findings:
        if f.code[:3] in dependence and _substance_kind(f.code) in (_ABUSE, _USE) and not f.learned:
            if codeset.is_billable(code := f.code[:4] + _DEPENDENCE + f.code[5:]):
                out.append(replace(f, code=code, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids)))
                upgraded.add(code[:3])
            continue
        out.append(f)
    # The unspecified dependence gives way to the dependence with its manifestation.
    return [f for f in out if not (f.code[:3] in upgraded and f.code[4:] == "20")]


# Insomnia due to a mental disorder the statement names is F51.05 (Index: Insomnia, due to, other mental disorder),
# not organic insomnia (G47.00): "insomnia due to generalized anxiety disorder".
_INSOMNIA, _INSOMNIA_MENTAL = "G47.00", "F51.05"
_DUE_TO = re.compile(r"\b(?:due to|secondary to|from|because of|related to|2/2)\b", re.IGNORECASE)


# ... and anemia due to a malignancy the statement names is "anemia in neoplastic disease" (D63.0).
_ANEMIA, _ANEMIA_NEOPLASTIC = "D64.9", "D63.0"
# ... and iron deficiency anemia due to a bleeding the statement names is "secondary to blood loss (chronic)" (D50.0):
# heavy or irregular menstrual bleeding, gastrointestinal or rectal bleeding, hematuria, a hemorrhage NOS.
_IRON_ANEMIA, _IRON_ANEMIA_BLOOD_LOSS = "D50.9", "D50.0"
_BLEEDING = ("N92", "N93", "N95.0", "K92", "K62.5", "R31", "R58", "K25.4", "K26.4", "K27.4", "K28.4")
_DUE_TO_A = ((_INSOMNIA, _INSOMNIA_MENTAL, lambda c: c[:1] == "F" and not c.startswith(("F51", "F1"))),
             (_ANEMIA, _ANEMIA_NEOPLASTIC, lambda c: c[:1] == "C"),
             (_IRON_ANEMIA, _IRON_ANEMIA_BLOOD_LOSS, lambda c: c.startswith(_BLEEDING)))


def _due_to_a_named_cause(findings: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    """A condition due to a cause the statement names. Insomnia and anemia have their own "due to" codes. And where
    the condition's Excludes1 note names the cause ("hyponatremia due to SIADH": E87.1 excludes SIADH, E22.2), the
    note says the condition is coded as the cause: the cause ranks above it, so Excludes1 keeps the cause."""
    said = _said_by(statements)
    firm = [f for f in findings if not (f.learned or f.partial)]
    by_sentence: dict[int, list[Finding]] = {}
    for g in firm:
        by_sentence.setdefault(g.sentence, []).append(g)
    firm_ids = {id(f) for f in firm}
    due_to: dict[str, bool] = {}  # statement text -> says "due to"
    for f in findings:
        if not due_to.setdefault(text := said(f), _DUE_TO.search(text) is not None):
            continue
        for unspecified, due, cause in _DUE_TO_A:
            if f.code == unspecified and any(cause(g.code) and set(g.statement_ids) & set(f.statement_ids) for g in firm):
                f.code = due
        for g in by_sentence.get(f.sentence, ()) if id(f) in firm_ids else ():
            if g.order <= f.order:
                continue
            if codeset.excludes(f.code, g.code):
                g.confidence = max(g.confidence, f.confidence)
                f.confidence = min(f.confidence, g.confidence * 0.99)
            # "Diabetes, due to underlying condition E08.-", whose note asks to code first the condition it names
            # (pancreatitis, cystic fibrosis, Cushing's syndrome, a malignancy): "DM due to chronic pancreatitis" is
            # K86.1 and E08.9, not type 2 diabetes (guideline I.C.4.a.2 defaults only an unstated cause to type 2).
            elif (f.code.startswith(_TYPE2) and not _TYPE_NAMED & set(tokens(text)) and codeset.is_billable(
                    due := _DUE_TO_CONDITION + f.code[3:]) and any(in_ref(g.code, ref) for ref in _code_first_refs(
                        due, codeset))):
                f.code = due
    return findings


_TYPE2, _DUE_TO_CONDITION, _TYPE_NAMED = "E11", "E08", frozenset({"type1", "type2"})


def _resolve(findings: list[Finding], *, codeset: CodeSet, keep_demoted: bool = True) -> list[Finding]:
    """Merge duplicates, keep the specific code over its unspecified sibling, honour Excludes1 (the more
    confident code of an excluding pair wins). Ranked by confidence, then category group and reading order.
    Linear in the candidates: specific siblings are looked up per category and Excludes1 through the kept codes'
    ranges (:class:`Exclusions`), not by comparing every pair."""
    merged: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: (_GROUP[f.category], f.order, f.code)):
        if f.code in merged:
            merged[f.code].absorb(f)
        else:
            merged[f.code] = f
    ordered = sorted(merged.values(), key=lambda f: (-f.confidence, _GROUP[f.category], f.order, -len(f.code), f.code))
    specific: dict[str, float] = {}  # category -> best confidence of a specific (not unspecified) code in it
    documented: dict[str, float] = {}  # D49 site group ("*": any) -> best confidence of a neoplasm of documented behavior
    for f in ordered:
        # A partial match names a specific sibling only in part: it never demotes the unspecified code.
        if not is_unspecified(codeset, f.code) and not f.partial:
            specific[f.code[:3]] = max(specific.get(f.code[:3], 0.0), f.confidence)
        # "Tumor -- see Neoplasm, unspecified behavior": only when no neoplasm of documented behavior at that site is
        # in the note ("renal tumor" then "clear cell renal carcinoma" is C64.-, not D49.51- as well).
        if not f.partial and (site := _behavior_site(f.code)) is not None:
            for key in (site, "*"):
                documented[key] = max(documented.get(key, 0.0), f.confidence)
    kept: list[Finding] = []
    demoted: list[Finding] = []
    for f in ordered:
        # A mere candidate (below the suggestion cut) never displaces a suggestion as its specific sibling.
        floor = min(f.confidence, SUGGEST_MIN_CONFIDENCE)
        site = _unspecified_behavior_site(f.code)
        behavior_documented = site is not None and documented.get(site, -1.0) >= floor
        # A combination code names its own complication ("E11.319 ... unspecified diabetic retinopathy" beside
        # E11.22): it is no less specific version of its category's other combination codes.
        sibling_specific = (f.key != _COMBINATION and specific.get(f.code[:3], -1.0) >= floor
                            and is_unspecified(codeset, f.code))
        if behavior_documented or sibling_specific:
            # Not suggested beside its specific sibling, but still a ranked candidate for review (and MAP): coders
            # often choose the unspecified code where the text's specificity is doubtful.
            if keep_demoted:
                f.demoted = True
                f.confidence = min(f.confidence, SUGGEST_MIN_CONFIDENCE) * _DEMOTED_SCALE
                demoted.append(f)
            continue
        kept.append(f)
    ranked = exclusive(kept + demoted, codeset=codeset, cap=SUGGEST_MIN_CONFIDENCE * _DEMOTED_SCALE)
    return [f for f in ranked if not f.excluded] + [f for f in ranked if f.excluded]


def exclusive(findings: list[Finding], *, codeset: CodeSet, cap: float) -> list[Finding]:
    """Excludes1 in rank order: a code that excludes (or is excluded by) a better-ranked kept code is never a
    suggestion beside it. It stays a ranked candidate at most at ``cap`` (below the suggestion cut), marked
    ``excluded``: coders of case reports often pick the other code of the pair, and a reviewer sees both. Keeps
    the input order otherwise."""
    exclusions = Exclusions(codeset)
    asked: list[tuple[str, str]] = []  # the ranges the kept codes' "use additional code" notes name
    for f in findings:
        # (A code a kept code's "use additional code" note asks for is no conflict: E11.649 asks for the hypoglycemia
        # level, E16.A-, which the E16 category's Excludes1 note would otherwise rule out.)
        if exclusions.conflicts(f.code) and not any(in_ref(f.code, ref) for ref in asked):
            f.excluded = True
            f.confidence = min(f.confidence, cap)
        else:
            exclusions.add(f.code)
            asked += _use_additional_refs(f.code, codeset)
    return findings


def _learned_findings(
    statements: list[tuple[int, Statement]], *, assessment: bool, learned: AssociationTable, codeset: CodeSet, mode: str
) -> list[Finding]:
    """Codes the learned associations vote for; confidence is the vote (an estimated precision)."""
    codable = (Assertion.AFFIRMED,) if mode == OUTPATIENT else (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)
    by_id = {st.statement_id: (i, st) for i, st in statements}
    found: list[Finding] = []
    for vote in learned.votes(((st.statement_id, st.text) for _, st in statements), codable=codable):
        # The same guards as the description matcher: only billable codes, no history/status/external-cause or
        # manifestation codes, and outside the Assessment only symptoms.
        if not codeset.is_billable(vote.code) or not _fuzzy_admissible(vote.code, codeset):
            continue
        if not assessment and not vote.code.startswith("R"):
            continue
        evidence = [by_id[sid] for sid in vote.statement_ids if sid in by_id]
        if not evidence:
            continue
        first = min(i for i, _ in evidence)
        # Outpatient (the product): a statistical vote is never a suggestion on its own. Votes trained on inpatient
        # case reports propose vague catch-alls (R69 "Illness, unspecified") for ordinary visit notes; they stay
        # ranked candidates, below the cut and in their own order, for review tools and the LLM assist to confirm.
        confidence = vote.score if mode != OUTPATIENT else vote.score * _OUTPATIENT_LEARNED_SCALE
        found.append(Finding(
            code=vote.code, category="symptom" if vote.code.startswith("R") else "diagnosis", confidence=confidence,
            order=(first, 0, 0), statement_ids=[st.statement_id for _, st in evidence],
            turn_ids=list(dict.fromkeys(t for _, st in evidence for t in st.evidence_turn_ids)), sentence=first,
            learned=True, vote=vote.score, vote_phrases=vote.phrases, vote_total=vote.total, vote_documents=vote.documents,
        ))
    return found


def code_words(codeset: CodeSet) -> dict[str, frozenset[str]]:
    """Billable code -> the words that name it (description and inclusion terms, with clinical synonyms); built
    once per code set."""
    return _per_codeset(_EVIDENCE, codeset, _build_code_words)


def _build_code_words(codeset: CodeSet) -> dict[str, frozenset[str]]:
    terms: dict[str, set[str]] = {}
    for code, term in codeset.billable_terms():
        terms.setdefault(code, set()).update(term_words(term))
    return {c: evidence_words(ws) for c, ws in terms.items()}


def _neighbour_findings(
    statements: list[tuple[int, Statement, bool]], *, findings: list[Finding], learned: AssociationTable,
    codeset: CodeSet, mode: str,
) -> tuple[list[Finding], tuple[Similarity, frozenset[str]] | None]:
    """Codes of the most similar training reports. A code already found gets the similarity as evidence weight;
    a new one becomes a candidate only with a statement that names it (its description words, or a phrase the
    associations link to it), under the same guards as the association votes. Also returns the note's similarity
    (the linear classifiers' scores are read from it once the candidates are resolved)."""
    index = learned.neighbours
    if index is None or not statements:
        return [], None
    codable = (Assertion.AFFIRMED,) if mode == OUTPATIENT else (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)
    per_statement = [(i, st, assessment, set(phrases(st.text, codable=codable))) for i, st, assessment in statements]
    counts: Counter[str] = Counter()
    for i, st, _, _ in per_statement:
        counts.update(phrases(st.text, codable=codable))
    similarity = index.similarity(counts)
    words = [(i, st, assessment, codable_words(st.text, codable=codable), ps) for i, st, assessment, ps in per_statement]
    note_words = frozenset(w for _, _, _, ws, _ in words for w in ws)
    votes = similarity.votes
    if not votes:
        return [], (similarity, note_words)
    by_code: dict[str, list[Finding]] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    words_of = code_words(codeset)
    idf = description_index(codeset).idf
    out: list[Finding] = []
    for code in sorted(votes):
        vote = votes[code]
        if code in by_code:
            for f in by_code[code]:
                f.knn, f.knn_count, f.knn_best = vote.score, vote.count, vote.best
            continue
        if not codeset.is_billable(code) or not _neighbour_admissible(code, codeset, mode=mode):
            continue
        names = words_of.get(code, frozenset())
        linked = learned.phrases_of(code)
        total = math.fsum(idf(w) for w in names) or 1.0
        best: tuple[float, int, Statement] | None = None
        for i, st, assessment, ws, ps in words:
            if not assessment and not code.startswith("R"):
                continue  # outside the Assessment only symptoms, as for the votes
            hit = ws & names
            strength = math.fsum(idf(w) for w in hit) / total + (1.0 if ps & linked else 0.0)
            if strength > 0 and (best is None or strength > best[0] + 1e-12):
                best = (strength, i, st)
        if best is None:
            continue  # no statement names it: similarity alone is not evidence
        strength, i, st = best
        out.append(Finding(
            code=code, category="symptom" if code.startswith("R") else "diagnosis",
            confidence=min(1.0, vote.score) * _OUTPATIENT_LEARNED_SCALE, order=(i, 0, 0),
            statement_ids=[st.statement_id], turn_ids=list(st.evidence_turn_ids), sentence=i, learned=True,
            knn=vote.score, knn_count=vote.count, knn_best=vote.best, knn_only=True, evidence=strength,
        ))
    return out, (similarity, note_words)


def _coverage(names: frozenset[str], *, note_words: frozenset[str], codeset: CodeSet) -> float:
    """How much of a code's wording the note holds (idf-weighted): tells a specific sibling the note describes
    ("upper abdominal pain") from one it does not."""
    idf = description_index(codeset).idf
    total = math.fsum(idf(w) for w in names)
    return math.fsum(idf(w) for w in names & note_words) / total if total else 0.0


def _set_apart(code: str, codeset: CodeSet) -> tuple[frozenset[str], str | None]:
    """The words of a code's description that not every billable code of its category shares, and the side it
    names (laterality words are never evidence words, but they choose between siblings). Memoised per code."""
    cache = _per_codeset(_SET_APART, codeset, lambda _: {})
    found = cache.get(code)
    if found is None:
        words = code_words(codeset)
        siblings = [words[c] for c, _ in codeset.siblings(code) if c in words]
        common = frozenset.intersection(*siblings) if siblings else frozenset()
        said = set(tokens(codeset.description(code)))
        side = next((w for w in ("bilateral", "right", "left") if w in said), None)
        found = cache[code] = (words.get(code, frozenset()) - common, side)
    return found


def _wording_features(f: Finding, *, note_words: frozenset[str], codeset: CodeSet) -> None:
    f.coverage = _coverage(code_words(codeset).get(f.code, frozenset()), note_words=note_words, codeset=codeset)
    apart, side = _set_apart(f.code, codeset)
    f.distinct_coverage = _coverage(apart, note_words=note_words, codeset=codeset) if apart else -1.0
    f.side = 0.0 if side is None else (1.0 if side in note_words else -1.0)


def _merge_learned(findings: list[Finding], learned: list[Finding]) -> list[Finding]:
    """A rule match the associations agree with gains confidence (noisy-OR); the rest of the votes are new findings."""
    by_code: dict[str, list[Finding]] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    extra: list[Finding] = []
    for v in learned:
        if v.code in by_code:
            for f in by_code[v.code]:
                f.confidence = 1 - (1 - f.confidence) * (1 - v.confidence)
                f.agreed = True
                f.vote, f.vote_phrases, f.vote_total, f.vote_documents = v.vote, v.vote_phrases, v.vote_total, v.vote_documents
        else:
            extra.append(v)
    return findings + extra


def _how(f: Finding) -> str:
    if f.why:
        return f.why
    if f.learned:
        how = "associated with this wording in professionally coded case reports (learned, no curated rule)"
    elif f.rule_confidence >= CONF_SYMPTOM:
        how = "matched a curated clinical term"
    elif f.partial:
        how = "partly matched the ICD-10-CM description or inclusion terms (a candidate for review)"
    else:
        how = "matched the ICD-10-CM description or inclusion terms"
    if f.component:
        how += "; part of a combination code, kept as a candidate (case-report coders often code the parts)"
    return how + ("; the learned associations agree" if f.agreed else "")


def rank_findings(
    draft: NoteDrafted, *, codeset: CodeSet, fuzzy: bool = True, mode: str = OUTPATIENT,
    learned: AssociationTable | None = None,
) -> list[Finding]:
    """Every candidate finding of one drafted note after combination, Excludes1 and specificity resolution, ranked
    by rule confidence (no cut). The re-ranker's trainer reads these, so training and serving see the same
    candidates."""
    if draft.status != "drafted":
        return []
    index = description_index(codeset) if fuzzy else None
    findings: list[Finding] = []
    modifiers: dict[int, set[str]] = {}
    head: tuple[int, Statement, int] | None = None  # the last statement with findings, and where its findings start
    for i, statement in enumerate(draft.note.assessment):
        own = _statement_findings(statement, index=i, assessment=True, codeset=codeset, fuzzy=index, mode=mode)
        modifiers[i] = _modifier_keys(statement)
        if own or head is None:
            head = (i, statement, len(findings)) if own else None
            findings += own
        elif any(not ONE_SIDE.isdisjoint(toks) for toks in clauses(statement.text)):
            # A statement that only says what is found on each side continues the one before (_statement_findings).
            h, before, start = head
            merged = before.model_copy(update={"text": f"{before.text}; {statement.text}", "evidence_turn_ids": [
                *before.evidence_turn_ids, *statement.evidence_turn_ids]})
            redo = _statement_findings(merged, index=h, assessment=True, codeset=codeset, fuzzy=index, mode=mode)
            kept = {f.code for f in findings[start:]}
            if {f.code for f in redo} != kept:
                for f in redo:
                    if f.code not in kept:
                        f.statement_ids.append(statement.statement_id)
                findings[start:] = redo
                head = (h, merged, start)
    offset = len(draft.note.assessment)
    subjective = [(i, st) for i, st in enumerate(draft.note.subjective, start=offset) if st.kind not in _NOT_SYMPTOM_KINDS]
    if learned is not None:
        findings = _merge_learned(findings, _learned_findings(
            list(enumerate(draft.note.assessment)), assessment=True, learned=learned, codeset=codeset, mode=mode))
    # Only rule-based diagnoses "establish" one for the symptom rules: a statistical vote is not documentation.
    established = mode == OUTPATIENT and any(_establishes(f) for f in findings)
    sub_findings: list[Finding] = []
    for i, statement in subjective:
        sub_findings += _statement_findings(statement, index=i, assessment=False, codeset=codeset, fuzzy=index, mode=mode)
    if learned is not None and subjective:
        sub_findings = _merge_learned(sub_findings, _learned_findings(
            subjective, assessment=False, learned=learned, codeset=codeset, mode=mode))
    for f in sub_findings:
        if f.category == "symptom" and established:
            continue  # outpatient rule: symptoms give way to an established diagnosis
        findings.append(f)
    similarity: tuple[Similarity, frozenset[str]] | None = None
    if learned is not None:
        statements = [(i, st, True) for i, st in enumerate(draft.note.assessment)]
        if not established:
            statements += [(i, st, False) for i, st in subjective]
        found, similarity = _neighbour_findings(statements, findings=findings, learned=learned, codeset=codeset, mode=mode)
        findings += found
    findings = _diabetes_of_the_note(findings, statements=[*draft.note.assessment, *draft.note.subjective],
                                     codeset=codeset)
    findings = _combine(findings, modifiers=modifiers, codeset=codeset,
                        keep_parts=mode == ALL_FINDINGS and COMBINATION_PARTS)
    # "Elevated blood-pressure reading, without diagnosis of hypertension" (R03.0) is no code beside hypertension.
    if any("I10" <= f.code[:3] <= "I1A" and not f.learned and not f.partial for f in findings):
        findings = [f for f in findings if f.code != _RAISED_READING]
    # "Encounter for issue of repeat prescription" (Z76.0) is a visit for the refill alone: refills given in a visit
    # that addresses problems are part of treating them.
    if any(not f.learned and f.code != _REFILL_ONLY and not f.code.startswith("Z") for f in findings):
        findings = [f for f in findings if f.code != _REFILL_ONLY]
    # Symptoms in an Assessment statement that also names a diagnosis are part of that diagnosis.
    # (Not one the diagnosis's "use additional code" note asks for: I69.391 "Dysphagia following cerebral infarction"
    # with the dysphagia's phase, R13.12.)
    establishing = [f for f in findings if _establishes(f)] if mode == OUTPATIENT else []
    with_diagnosis = {f.sentence for f in establishing}
    findings = [f for f in findings if not (f.category == "symptom" and f.sentence in with_diagnosis and not any(
        d.sentence == f.sentence and _asks_for(d.code, f.code, codeset) for d in establishing))]
    if establishing:
        findings = _without_integral_signs(findings, established={d.code for d in establishing})
    resolved = _resolve(_due_to_a_named_cause(_substance_hierarchy(_dementia_of_its_disease(findings), codeset=codeset), statements=[
        *draft.note.assessment, *(st for _, st in subjective)], codeset=codeset), codeset=codeset)
    if similarity is not None:
        scores, note_words = similarity
        for f in resolved:
            f.linear, f.linear_category = scores.code_score(f.code), scores.category_score(f.code)
            _wording_features(f, note_words=note_words, codeset=codeset)
    return resolved


def _status_confidence(mode: str) -> float:
    """Outpatient: a suggestion. All-findings (case reports): a ranked candidate just below the cut; professional
    coders of the CodiEsp train split coded 34 of the 144 status facts these rules find there (24 %), fewer than
    the re-ranker's cut asks of a suggestion (a probability of 0.28)."""
    return CONF_STATUS if mode == OUTPATIENT else BELOW_CUT * SUGGEST_MIN_CONFIDENCE


def _fact_finding(i: int, fact: StatusFact, *, mode: str) -> Finding:
    """A documented fact of the note's ``i``-th statement as a status code."""
    return Finding(code=fact.code, category="status", confidence=_status_confidence(mode), order=(i, *fact.position),
                   statement_ids=[fact.statement_id], turn_ids=list(fact.turn_ids), sentence=i, why=fact.why)


# A complication of a device and the device's status code: T84.0-T84.5 (a joint prosthesis) and Z96.6-, T82.1 (a
# cardiac electronic device) and Z95.0.
_DEVICE_COMPLICATIONS = (("T84.0", "Z96.6"), ("T84.5", "Z96.6"), ("T82.1", "Z95.0"))


def _status_findings(draft: NoteDrafted, *, sections: list[Statement], documented: list[list[StatusFact]], mode: str,
                     codes: set[str], firm: set[str], codeset: CodeSet) -> list[Finding]:
    """Status codes the note documents (``documented``: the facts of each of its ``sections``; long-term drug use,
    dependence, allergies, transplants, implants, stomas and removed organs; and adult BMI) that no other rule
    reached; after every diagnosis. Every section is read: medication and allergy lists and plans name them.
    ``firm``: the codes the rules found (no partial match or statistical vote), whose notes may rule a status out."""
    weight_diagnosis = mode == ALL_FINDINGS or any(c.startswith(_WEIGHT_DIAGNOSES) for c in codes)
    found: list[tuple[int, StatusFact]] = []
    for i, (statement, stated) in enumerate(zip(sections, documented)):
        found += [(i, fact) for fact in stated]
        if weight_diagnosis:
            found += [(i, fact) for fact in bmi_facts(statement, patient_age=draft.context.patient_age)]
    out: dict[str, Finding] = {}
    # A status another code's Excludes1 note rules out (a colostomy, Z93.3, beside attention to it, Z43.3, or its
    # infection, K94.02), or a device whose complication is coded (the T82 / T84 code names the device).
    kept = Exclusions(codeset)
    for code in firm:
        kept.add(code)
    devices = tuple(status for complication, status in _DEVICE_COMPLICATIONS if any(c.startswith(complication) for c in firm))
    for i, fact in found:
        if fact.code in codes or not codeset.is_billable(fact.code) or kept.conflicts(fact.code) or (
                devices and fact.code.startswith(devices)):
            continue
        f = _fact_finding(i, fact, mode=mode)
        if fact.code in out:
            out[fact.code].absorb(f)
        else:
            out[fact.code] = f
    return list(out.values())


# Pregnancy (guideline I.C.15.a): the trimester the note gives, or the one its weeks of gestation fall in (first
# before 14 weeks, second before 28, third after), picks the final character of a chapter 15 code; a code the note
# gives no trimester for is the "unspecified trimester" one. The weeks are also a Z3A code of their own (not for a
# pregnancy with an abortive outcome, O00-O08).
_TRIMESTER_IN_TEXT = re.compile(r"\b(first|1st|second|2nd|third|3rd)\s+tri(?:mester)?\b", re.IGNORECASE)
_TRIMESTER_WORD = {"1st": "first", "2nd": "second", "3rd": "third"}
_TRIMESTER_IN_DESCRIPTION = re.compile(r"\b(first|second|third|unspecified) trimester\b")
# A condition said to be after the delivery is the puerperium's ("postpartum preeclampsia with severe features" is
# O14.15, "... complicating the puerperium"), where its subcategory has such a code.
_PUERPERAL = re.compile(r"\b(?:post[- ]?partum|puerper(?:al|ium)|pp day \d+)\b", re.IGNORECASE)
_PREGNANCY_STEMS = ("pregnan", "gestation", "gravid", "trimester", "prenatal", "antenatal", "iup", "primigravida",
                    "multigravida", "tolac", "vbac", "intrapartum", "antepartum")  # token prefixes
_PREGNANCY_WORDS = re.compile("|".join(_PREGNANCY_STEMS), re.IGNORECASE)  # a cheap look before the tokens
_GRAVIDA = re.compile(r"\bg(\d+)\s*p(\d+)", re.IGNORECASE)  # "G2P1": gravida and para, an obstetric history


def _pregnant_now(m: re.Match[str]) -> bool:
    """Gravida and para say a pregnancy goes on where more pregnancies than have ended: "G2P1", "G3P2002" (term, preterm,
    abortions, living: 2 + 0 + 0 ended of 3); "G2P2" or "G2P1011" in a gynecology note is only the history."""
    gravida, para = int(m.group(1)), m.group(2)
    ended = sum(map(int, para[:3])) if len(para) == 4 else int(para)
    return gravida > ended


def _affirmed_words(statement: Statement) -> set[str]:
    """The statement's words that no cue denies, doubts or gives to the past or to someone else."""
    return {t for toks in clauses(statement.text) for t, a in zip(toks, assertions(toks)) if a is Assertion.AFFIRMED}


def _pregnant(statement: Statement) -> bool:
    """Whether the statement affirms a pregnancy ("not pregnant", "pregnancy test negative" do not)."""
    if any(_pregnant_now(m) for m in _GRAVIDA.finditer(statement.text)):
        return True
    return bool(_PREGNANCY_WORDS.search(statement.text)) and any(t.startswith(_PREGNANCY_STEMS)
                                                                  for t in _affirmed_words(statement))


# "28 weeks", "32 wks", "35+2 weeks", "24w", "24w3d", "at 20 weeks gestation"; not a duration ("for 2 weeks", "3
# weeks ago").
_WEEKS = re.compile(r"\b(?<!for )(?<!x )(?<!past )(?<!last )(?<!every )(?<!in )(?<!within )(?<!after )(?<!over )"
                    r"(\d{1,2})(?:\s*\+\s*\d)?\s*(?:weeks?|wks?|w(?:\dd)?)\b(?!\s+(?:ago|postpartum|post partum|later))",
                    re.IGNORECASE)
_ABORTIVE = tuple(f"O0{i}" for i in range(9))
_TRIMESTER_DIGIT = {"first": "1", "second": "2", "third": "3", None: "9"}
# Gravidity as notes write it ("G1P0", "G2P1", "gravida 3", "primigravida", "first pregnancy", "multigravida"): it
# chooses between Z34.0- (normal first pregnancy) and Z34.8- (other normal pregnancy), O09.51- (elderly primigravida)
# and O09.52- (elderly multigravida).
_GRAVIDITY = re.compile(r"\b(?:g(\d+)\s*p\d+|g(\d+)\b|gravida\s*(\d+)|(primigravida|primigravid|first pregnancy)"
                         r"|(multigravida|multiparous|multipara))", re.IGNORECASE)
_BY_GRAVIDITY = {"Z34.0": ("Z34.0", "Z34.8"), "Z34.8": ("Z34.0", "Z34.8"), "Z34.9": ("Z34.0", "Z34.8"),
                 "O09.51": ("O09.51", "O09.52"), "O09.52": ("O09.51", "O09.52")}
_HIGH_RISK_UNSPECIFIED = "O09.9"  # an elderly mother whose gravidity the note does not give
_PAST_PREGNANCY = ("O09.21", "O09.29", "O09.A", "O34.21")  # the lexicon's *_history concepts
_OTHER_IN_PREGNANCY = "O99.891"  # "Other specified diseases and conditions complicating pregnancy"


def _in_pregnancy(code: str) -> tuple[str, bool] | None:
    """Guideline I.C.15.a.1: a condition of a pregnant patient is coded from chapter 15 first. (The chapter 15
    subcategory without its trimester digit, whether the condition's own code stays beside it.) Pre-existing essential
    hypertension is O10.01- alone (it includes I10); diabetes O24.01- / O24.11- with its E10 / E11 code; the rest the
    O99 subcategory of their chapter, with their own code ("use additional code to identify the condition")."""
    c = code[:3]
    if c == "I10":
        return "O10.01", False
    # Infections of the urinary tract in pregnancy O23.- (no N code beside them); HIV O98.7- with Z21 / B20; a uterine
    # fibroid O34.1- with D25; a group B streptococcus carrier O99.820 (no trimester).
    for prefix, sub, keep in (("N30", "O23.1", False), ("N39.0", "O23.4", False), ("N10", "O23.0", False),
                              ("Z21", "O98.71", True), ("B20", "O98.71", True), ("D25", "O34.1", True),
                              ("Z22.330", "O99.820", False),
                              # Infections of O98 (with their own code): TB, syphilis, gonorrhea, viral hepatitis.
                              ("A15", "O98.01", True), ("A50", "O98.11", True), ("A51", "O98.11", True),
                              ("A52", "O98.11", True), ("A53", "O98.11", True), ("A54", "O98.21", True),
                              ("B15", "O98.41", True), ("B16", "O98.41", True), ("B17", "O98.41", True),
                              ("B18", "O98.41", True), ("B19", "O98.41", True)):
        if code.startswith(prefix):
            return sub, keep
    if c in ("E10", "E11"):
        return ("O24.01" if c == "E10" else "O24.11"), True
    for low, high, sub in (("D50", "D64", "O99.01"), ("D65", "D89", "O99.11"), ("E66", "E66", "O99.21"),
                           ("F10", "F10", "O99.31"), ("F11", "F16", "O99.32"), ("F17", "F17", "O99.33"),
                           ("F18", "F19", "O99.32"), ("G00", "G99", "O99.35"), ("I20", "I99", "O99.41"),
                           ("J00", "J99", "O99.51"), ("K00", "K95", "O99.61"), ("L00", "L99", "O99.71")):
        if low <= c <= high:
            return sub, True
    if ("E00" <= c <= "E89" and not "E08" <= c <= "E13") or ("F01" <= c <= "F99" and c != "F53"):
        return ("O99.28" if c[0] == "E" else "O99.34"), True
    return None


def _first_pregnancy(statements: list[Statement]) -> bool | None:
    """Whether the note says this is the patient's first pregnancy (gravida 1), another one, or neither."""
    for st in statements:
        for m in _GRAVIDITY.finditer(st.text):
            if n := m.group(1) or m.group(2) or m.group(3):
                return int(n) == 1
            return bool(m.group(4))
    return None


_PAST_WEEKS = re.compile(r"\b(?:hx|history|prior|previous|previously|delivered|stillbirth|s/p|status post)(?!\w)",
                         re.IGNORECASE)


def _gestation(statements: list[Statement], pregnancy_ids: set[str]) -> tuple[int, int, StatusFact] | None:
    """(weeks, statement index, its Z3A fact) of the first statement that states the weeks of a pregnancy."""
    for i, st in enumerate(statements):
        # (Not the weeks of a past pregnancy: "hx of stillbirth at 36 wks; current IUP at 12 weeks".)
        m = next((m for m in _WEEKS.finditer(st.text) if not _PAST_WEEKS.search(
            re.split(r"[;.]", st.text[: m.start()])[-1])), None) if st.statement_id in pregnancy_ids else None
        if m and 1 <= (weeks := int(m.group(1))) <= 45:
            code = "Z3A.01" if weeks < 8 else "Z3A.49" if weeks > 42 else f"Z3A.{weeks:02d}"
            return weeks, i, StatusFact(code=code, statement_id=st.statement_id, turn_ids=tuple(st.evidence_turn_ids),
                                        position=(0, m.start()), why="status code: the note documents the weeks of gestation")
    return None


# Dementia in a disease classified elsewhere (Alzheimer's G30, Lewy bodies G31.83, Parkinson's G20): F02 after the
# disease, by the severity and the disturbance the statement names (FY2023's axes), never F03 "unspecified dementia"
# (F03 Excludes1 F02).
_DEMENTING = ("G30", "G31.83", "G20")
_SEVERITY = (("mild", "A"), ("moderate", "B"), ("severe", "C"))
# The disturbances F01-F03 name at their 5th (6th) character, with their inclusion terms' words: agitation includes
# "aberrant motor behavior such as restlessness, rocking, pacing, or exit-seeking"; "other behavioral disturbance"
# sleep disturbance and disinhibition, and wandering (its "use additional code ... wandering (Z91.83)").
_DISTURBANCE = tuple((frozenset(tokens(words)), code) for words, code in (
    ("agitation agitated aggression aggressive combative restlessness pacing", "11"),
    ("psychotic psychosis hallucination hallucinations delusion delusions paranoia", "2"),
    ("mood depressed depression apathy", "3"), ("anxiety anxious", "4"),
    ("wander wandering disinhibition disinhibited sundowning", "18")))
# Each dementia category's character for an unstated severity: F01.50, F02.80, F03.90.
_UNSTATED_SEVERITY = {"F01": "5", "F02": "8", "F03": "9"}


_RETINOPATHY = frozenset(tokens("diabetic retinopathy"))
_DIABETES_NAMED = frozenset(tokens("diabetes type 1 type 2"))
_TYPE2_WORDS = frozenset(tokens("type 2 diabetes mellitus"))
_TYPE1_WORD, _TYPE2_WORD = tokens("type 1")[0], tokens("type 2")[0]


def _diabetes_of_the_note(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    """A note that names type 1 diabetes, and never type 2, has type 1's retinopathy where a statement names no type
    ("PDR with DME OU" beside "DM type 1 on an insulin pump" is E10.3513, not E11.3513 and E10.9). Before the codes
    are resolved, so that E10.9 gives way to its specific sibling and no Excludes1 pair of E10 and E11 forms."""
    if not any(f.code.startswith("E11.") for f in resolved):
        return resolved  # (most notes: no statement is read again)
    texts = {st.statement_id: set(tokens(st.text)) for st in statements}
    named = set().union(*texts.values()) if texts else set()
    if _TYPE1_WORD not in named or _TYPE2_WORD in named:
        return resolved
    for f in resolved:
        if f.code.startswith("E11.") and codeset.is_billable(code := "E10" + f.code[3:]) and not any(
                _TYPE2_WORD in texts.get(i, ()) for i in f.statement_ids):
            f.code = code
    return resolved


def _dementia_code(statement: Statement, codeset: CodeSet, category: str = "F02") -> str:
    """The dementia's code by severity and disturbance (FY2023's F01-F03 axes), from the statement's affirmed words."""
    said = _affirmed_words(statement)
    unstated = _UNSTATED_SEVERITY[category]
    severity = next((c for w, c in _SEVERITY if w in said), unstated)
    disturbance = next((c for words, c in _DISTURBANCE if said & words), "0")
    code = f"{category}.{severity}{disturbance}"
    return code if codeset.is_billable(code) else f"{category}.{unstated}0"


# Parkinson's disease by dyskinesia and fluctuations (FY2024's G20.A1-G20.B2): "with peak-dose dyskinesias and OFF
# periods" is G20.B2, "with motor fluctuations (wearing-off)" G20.A2; the curated term's G20.A1 says neither.
_PARKINSON = frozenset(("G20.A1", "G20.A2", "G20.B1", "G20.B2"))
_PARKINSON_PLAIN = "G20.A1"  # without dyskinesia, without mention of fluctuations
_DYSKINESIA = frozenset(tokens("dyskinesia dyskinesias dyskinetic"))
_FLUCTUATING = (frozenset(tokens("fluctuation")), frozenset(tokens("fluctuations")), frozenset(tokens("wearing off")),
                frozenset(tokens("off periods")), frozenset(tokens("off episodes")), frozenset(tokens("on off")))


# Crohn's disease (K50) and ulcerative colitis (K51) "without complications" (.x0) and their complications (.x11 rectal
# bleeding, .x12 intestinal obstruction, .x13 fistula, .x14 abscess): "Crohn's of the terminal ileum with partial SBO"
# is K50.012, "UC pancolitis with rectal bleeding" K51.011. The leukemias and multiple myeloma (C90-C95) "not having
# achieved remission" (.x0), "in remission" (.x1) and "in relapse" (.x2): "CLL in remission" is C91.11.
_IBD_UNCOMPLICATED = re.compile(r"K5[01]\.\d0$")
_IBD_COMPLICATIONS = (("11", frozenset(tokens("bleeding hemorrhage hematochezia bloody"))),
                      ("12", frozenset(tokens("obstruction sbo"))), ("13", frozenset(tokens("fistula fistulizing"))),
                      ("14", frozenset(tokens("abscess"))))
_NOT_IN_REMISSION = re.compile(r"C9[0-5]\.\d0$")
_COURSE = (("2", frozenset(tokens("relapse relapsed relapsing"))), ("1", frozenset(tokens("remission"))))
# The patient is a man: "66M", "66 yo M", "66-year-old man", "male breast cancer".
_MALE = re.compile(r"\b\d{1,3}\s*-?\s*(?:yo|y/o|y\.o\.|year[- ]old|years old)?\s*(?:M\b|male\b|man\b|gentleman\b)"
                   r"|\bmale breast\b", re.IGNORECASE)
_FEMALE_BREAST = re.compile(r"C50\.\d1")
# "Infection, wound, surgical, obstetric O86.0-": a surgical site infection of a cesarean wound, by depth as T81.4- says
# it (O86.00-O86.04, O86.09 other).
_SURGICAL_SITE_INFECTION = "T81.4"
_OBSTETRIC_WOUND_INFECTION = "O86.0"
_CESAREAN = re.compile(r"\b(?:c[- ]?section|cesarean|caesarean|ltcs|c/s|cs (?:wound|incision|scar))\b", re.IGNORECASE)


def _by_course(code: str, said: set[str], codeset: CodeSet) -> str:
    """The code's complication (K50 / K51) or remission (C90-C95) as the statement's affirmed words name them."""
    axis = _IBD_COMPLICATIONS if code[0] == "K" else _COURSE
    found = next((f"{code[:-1]}{digits}" for digits, words in axis if said & words), code)
    return found if codeset.is_billable(found) else code


def _parkinson_code(statement: Statement) -> str:
    said = _affirmed_words(statement)
    return f"G20.{'B' if said & _DYSKINESIA else 'A'}{2 if any(w <= said for w in _FLUCTUATING) else 1}"


def _by_their_axes(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    """The combination codes whose axes a statement's words give, read once per finding from its statement: vascular
    and unspecified dementia (F01, F03) by the same severity and disturbance words as F02 ("mild dementia with
    psychotic features" is F03.A2, which its description's "psychotic disturbance" alone did not reach); Parkinson's
    disease by dyskinesia and fluctuations; Crohn's disease and ulcerative colitis by their complication; leukemias and
    myeloma by remission; a surgical site infection of a cesarean wound as the obstetric one; a man's breast cancer as
    the male breast's."""
    by_id = {st.statement_id: st for st in statements}
    male = any(_FEMALE_BREAST.match(f.code) for f in resolved) and any(_MALE.search(st.text) for st in statements)
    for f in resolved:
        if not f.statement_ids or (st := by_id.get(f.statement_ids[0])) is None:
            continue
        if male and _FEMALE_BREAST.match(f.code) and codeset.is_billable(code := f"{f.code[:5]}2{f.code[6:]}"):
            f.code = code  # C50.-1- "female breast", C50.-2- the male's: a 66M's breast cancer is C50.12-
        elif f.code.startswith(("F01", "F03")) and "dementia" in tokens(st.text):
            f.code = _dementia_code(st, codeset, f.code[:3])
        elif f.code in _PARKINSON:
            f.code = _parkinson_code(st)
        elif _IBD_UNCOMPLICATED.match(f.code) or _NOT_IN_REMISSION.match(f.code):
            f.code = _by_course(f.code, _affirmed_words(st), codeset)
        elif f.code.startswith(_SURGICAL_SITE_INFECTION) and _CESAREAN.search(st.text):
            f.code = _OBSTETRIC_WOUND_INFECTION + f.code[5]  # its depth: T81.41XA superficial incisional is O86.01
    # One disease: the statement that names its dyskinesia or fluctuations says more than one that names it alone
    # ("1. Parkinson's disease with dyskinesia. 2. Parkinson disease dementia" is G20.B1, no G20.A1 beside it).
    if _PARKINSON_PLAIN in (codes := {f.code for f in resolved}) and len(codes & _PARKINSON) > 1:
        resolved = [f for f in resolved if f.code != _PARKINSON_PLAIN]
    return resolved


_ALZHEIMER = "G30"  # "Alzheimer's disease or dementia G30.9 [F02.80]": the Index pairs the disease with its dementia


def _dementia_of_its_disease(findings: list[Finding]) -> list[Finding]:
    """An unspecified dementia (F03) said with Alzheimer's disease is the disease's dementia, not a rival of G30 under
    its Excludes1 ("Alzheimer dementia, late onset" is G30.1 with its F02 code: _dementia_in_disease)."""
    with_disease = {i for f in findings if f.code.startswith(_ALZHEIMER) and not f.learned for i in f.statement_ids}
    if not with_disease:
        return findings
    return [f for f in findings if not (f.code.startswith("F03") and set(f.statement_ids) <= with_disease)]


def _dementia_in_disease(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    """Each statement that names dementia with its disease (or Alzheimer's disease, whose Index entry is the disease
    and its dementia) gets one F02 code, right after the disease; its F02 / F03 codes from the other rules go."""
    by_id = {st.statement_id: st for st in statements}
    targets = {f.statement_ids[0]: _dementia_code(by_id[f.statement_ids[0]], codeset) for f in resolved
               if f.code.startswith(_DEMENTING) and f.statement_ids and f.statement_ids[0] in by_id
               and ("dementia" in tokens(by_id[f.statement_ids[0]].text) or f.code.startswith(_ALZHEIMER))}
    if not targets:
        return resolved
    out: list[Finding] = []
    named = set(targets)
    for f in resolved:
        if f.code.startswith(("F02", "F03")) and set(f.statement_ids) & named:
            continue
        out.append(f)
        if f.code.startswith(_DEMENTING) and f.statement_ids and (code := targets.pop(f.statement_ids[0], None)):
            out.append(replace(f, code=code, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids), why=""))
    return out


# Infections of a device, a procedure's site or a stoma ("use additional code to identify infection"): the organism
# named beside them is its cause (B95-B96).
_INFECTION_OF_CARE = ("T81.4", "T82.6", "T82.7", "T83.5", "T83.6", "T84.5", "T84.6", "T84.7", "T85.7", "K94.02", "K94.12",
                      "K94.22", "K94.32", "J95.02")


def _organism_as_cause(resolved: list[Finding], *, codeset: CodeSet) -> list[Finding]:
    """A bacterium named alone is "Infection, <organism>" (A49.-); as the cause of an infection coded beside it in the
    same statement it is the B95-B96 code that infection's "use additional code (B95-B97)" note asks for ("MRSA
    abscess, left axilla": L02.412 with B95.62, not A49.02). The curated combinations cover the infections that are
    curated terms."""
    out: list[Finding] = []
    for f in resolved:
        agent = ORGANISM_AGENTS.get(f.key or "") if f.code.startswith("A49") else None
        if agent and any(set(g.statement_ids) & set(f.statement_ids) and (
                _asks_for(g.code, agent, codeset) or g.code.startswith(_INFECTION_OF_CARE))
                         for g in resolved if g is not f):
            if any(g.code == agent for g in (*resolved, *out)):
                continue  # already coded by a combination
            f = replace(f, code=agent, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids),
                        why="the organism causing the infection coded beside it ('use additional code (B95-B97)')")
        out.append(f)
    return out


def _asks_for(code: str, agent: str, codeset: CodeSet) -> bool:
    """Whether ``code``'s "use additional code" notes name ``agent``."""
    return any(in_ref(agent, ref) for ref in _use_additional_refs(code, codeset))


def _use_additional_refs(code: str, codeset: CodeSet) -> tuple[tuple[str, str], ...]:
    """The code ranges ``code``'s "use additional code" notes name, parsed once per code and code set (the Excludes1
    pass asks them of every kept code at every conflict)."""
    return _instruction_refs(code, codeset, first=False)


def _code_first_refs(code: str, codeset: CodeSet) -> tuple[tuple[str, str], ...]:
    """The code ranges ``code``'s "code first" notes name (once per code and code set)."""
    return _instruction_refs(code, codeset, first=True)


def _instruction_refs(code: str, codeset: CodeSet, *, first: bool) -> tuple[tuple[str, str], ...]:
    memo = _per_codeset(_USE_ADDITIONAL, codeset, lambda _: {})
    if (refs := memo.get((code, first))) is None:
        notes = codeset.instructions(code)
        refs = memo[(code, first)] = tuple(ref for note in (notes.code_first if first else notes.use_additional)
                                           for ref in (*parse_refs(note), *_named_from(note)))
    return refs


# A few notes name their partner's category without parentheses: "use additional code from O10 to identify the type of
# hypertension" (O11), "code from I12 to identify ..." (O10.2), "code(s) from F11-F16 and F18-F19 ..." (O99.32).
_FROM_CATEGORY = re.compile(r"\bfrom (?:category |subcategory )?([A-Z]\d[0-9A-Z])(?:-([A-Z]\d[0-9A-Z]))?\b")


def _named_from(note: str) -> list[tuple[str, str]]:
    return [(low, high or low) for low, high in _FROM_CATEGORY.findall(note)]


def _diabetes_beside(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    """Pre-existing diabetes in pregnancy: O24.0- / O24.1- say "use additional code from category E10 / E11", and an
    unspecified one (O24.91-) whose statement names the type is that type's. The diabetes code, when the description
    that matched the O24 code took its words."""
    texts = {st.statement_id: st.text for st in statements}
    out: list[Finding] = []
    for f in resolved:
        if not f.code.startswith("O24"):
            continue
        said = {t for i in f.statement_ids if i in texts for t in tokens(texts[i])}
        if f.code.startswith("O24.9") and said & {"type1", "type2"}:
            f.code = ("O24.0" if "type1" in said else "O24.1") + f.code[5:]
        if f.code.startswith(("O24.0", "O24.1")):
            category = "E10" if f.code.startswith("O24.0") else "E11"
            if not any(g.code.startswith(category) for g in (*resolved, *out)):
                out.append(replace(f, code=f"{category}.9", statement_ids=list(f.statement_ids),
                                   turn_ids=list(f.turn_ids), why=""))
    return out


# Guideline I.C.15.g: Z79.4 / Z79.84 / Z79.85 are not assigned with O24.4- (a gestational diabetes code says how it is
# controlled); E10 asks for no insulin code (E11 and E13 do: "use additional code to identify control using insulin").
_CONTROL_CODES = ("Z79.4", "Z79.84", "Z79.85")
_NEEDS_CONTROL = ("E08", "E09", "E11", "E13", "O24.0", "O24.1", "O24.3", "O24.8", "O24.9")
_GESTATIONAL_CONTROL = {"Z79.4": "4", "Z79.84": "5"}  # O24.41-: 4 insulin controlled, 5 controlled by oral drugs
_CONTRACEPTIVE_MANAGEMENT, _CONTRACEPTIVE_USE = "Z30", "Z79.3"  # the encounter's code says the contraceptive's use


def _contraceptive_use(resolved: list[Finding]) -> list[Finding]:
    """No long-term contraceptive use (Z79.3) beside an encounter for contraceptive management (Z30.-), which says it."""
    if not any(f.code.startswith(_CONTRACEPTIVE_MANAGEMENT) for f in resolved):
        return resolved
    return [f for f in resolved if f.code != _CONTRACEPTIVE_USE]


# "Counseling, tobacco Z71.6; alcohol abuse Z71.41; drug abuse Z71.51": "counseled on cessation" is the counseling for
# the substance the statement names, tobacco's only where it names tobacco.
_TOBACCO_COUNSELING, _ALCOHOL_COUNSELING, _DRUG_COUNSELING = "Z71.6", "Z71.41", "Z71.51"
_TOBACCO_WORDS = frozenset(tokens("tobacco smoking smoker smokers smoke cigarette cigarettes cigar cigars vape vaping "
                                  "vapes nicotine chew dip snuff ppd pack packs"))


def _counseling_by_substance(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    """Cessation counseling in a statement of alcohol or drug use that names no tobacco: Z71.41 / Z71.51 for Z71.6."""
    if not any(f.code == _TOBACCO_COUNSELING for f in resolved):
        return resolved
    said = _said_by(statements)
    out = []
    for f in resolved:
        if f.code == _TOBACCO_COUNSELING and _TOBACCO_WORDS.isdisjoint(tokens(said(f))):
            kinds = {g.code[:3] for g in resolved if g is not f and set(g.statement_ids) & set(f.statement_ids)
                     and _substance_kind(g.code) is not None}
            if kinds and "F17" not in kinds:
                f = replace(f, code=_ALCOHOL_COUNSELING if kinds == {"F10"} else _DRUG_COUNSELING,
                            statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids))
        out.append(f)
    return out


# (The names are the oral-antidiabetic status rule's own: services.coding.status.)
_GLIFLOZIN = re.compile(rf"\b(?:\w+gliflozin|{'|'.join(SGLT2_INHIBITORS)})\b", re.IGNORECASE)
_GLUCOSE_LOWERING = re.compile(rf"\b(?:{'|'.join(t for t in ORAL_ANTIDIABETIC.terms if t not in SGLT2_INHIBITORS)}|"
                               r"\w+gliptin|\w+glitazone|\w+glinide|hypoglycemic|antidiabetic|diabet\w*|a1c)\b", re.IGNORECASE)


def _diabetes_control(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    """The drug codes of a diabetes's control only where its code asks for them; a gestational diabetes code of
    unspecified control takes the control the documented drug says; an SGLT2 inhibitor given for heart failure or
    kidney disease, with no diabetes in the note, is no oral hypoglycemic's long-term use (Z79.84)."""
    if not any(f.code.startswith((*_NEEDS_CONTROL, "O24", "R73")) for f in resolved):
        said = _said_by(statements)
        resolved = [f for f in resolved if not (f.code == "Z79.84" and _GLIFLOZIN.search(text := said(f))
                                                and not _GLUCOSE_LOWERING.search(text))]
    if any(f.code.startswith("O24.4") for f in resolved):
        # ... and the drug the note documents says how it is controlled: "GDM on insulin" is O24.414.
        control = next((_GESTATIONAL_CONTROL[f.code] for f in resolved if f.code in _GESTATIONAL_CONTROL), None)
        for f in resolved:
            if control and f.code.startswith("O24.4") and f.code.endswith("9"):
                f.code = f.code[:-1] + control
        drop: tuple[str, ...] = _CONTROL_CODES
    elif any(f.code.startswith("E10") for f in resolved) and not any(f.code.startswith(_NEEDS_CONTROL) for f in resolved):
        drop = ("Z79.4",)
    else:
        return resolved
    return [f for f in resolved if f.code not in drop]


# An annual or well-child examination at which something is found is the "with abnormal findings" code (Z00.01,
# Z00.121; guideline I.C.21.c.13: "a condition/diagnosis that is newly identified or a change in severity of a chronic
# condition", coded too): an abnormal sign or finding (chapter R), or a condition whose statement says it is new or
# worse. A chronic condition the visit only reviews leaves the examination without abnormal findings.
_WITH_ABNORMAL_FINDINGS = {code: WITH_ABNORMAL_FINDINGS[code] for code in ("Z00.00", "Z00.129")}  # not the gyn exam's
_NEW_FINDING = re.compile(r"\b(?:new(?!\s+(?:spacer|inhaler|rx|prescription|meds?|medications?|device|glasses|patient|"
                          r"referral|pharmacy|insurance))|newly|found|noted|discovered|incidental|abnormal|elevated|"
                          r"detected|uncontrolled|worsening|worsened|worse|exacerbation|changing|diagnosed|dx)\b",
                          re.IGNORECASE)
_STARTED = re.compile(r"\bstart(?:ed|ing)?\b", re.IGNORECASE)
# Guideline I.C.21.c.10: counseling integral to the care given is not coded apart; a preventive examination's diet and
# exercise advice is its anticipatory guidance.
_EXAM_COUNSELING = frozenset(("Z71.3", "Z71.82"))


def _exam_findings(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    exams = [f for f in resolved if f.code in _WITH_ABNORMAL_FINDINGS]
    if not exams:
        return resolved
    resolved = [f for f in resolved if f.code not in _EXAM_COUNSELING]
    said = _said_by(statements)
    exam_statements = {i for e in exams for i in e.statement_ids}
    # (Treatment started for a finding the examination's own statement names is news too: "18 mo WCC; eczema on
    # cheeks, start emollients".)
    if any(all(f is not e for e in exams) and not f.learned and f.code[:1] not in "VWXYZ" and f.category in ("diagnosis", "symptom")
           and (f.code[:1] == "R" or _NEW_FINDING.search(text := said(f))
                or (exam_statements & set(f.statement_ids) and _STARTED.search(text))) for f in resolved):
        for exam in exams:
            exam.code = _WITH_ABNORMAL_FINDINGS[exam.code]
    return resolved


# Guideline I.C.2.d: a primary malignancy excised or eradicated, with no further treatment directed to it and no
# evidence of it, is its personal history (Z85): "Papillary thyroid ca s/p total thyroidectomy + RAI (2019), NED" is
# Z85.850. Not while the statement treats it ("on anastrozole"), nor a leukemia or myeloma (their codes say remission).
_NO_DISEASE = re.compile(r"\b(?:NED|no evidence of (?:disease|recurrence|residual disease|malignancy)|no recurrence|"
                         r"disease[- ]free|cancer[- ]free|no residual disease)\b", re.IGNORECASE)
_TREATED = re.compile(r"\b(?:s/p|status post|resected|excised|removed|completed|\w+ectomy)\b", re.IGNORECASE)
_STILL_TREATED = re.compile(r"\b(?:on|continue|continues|continuing|taking|cycle|maintenance)\s+(?!surveillance|observation|"
                            r"active surveillance|imaging|follow)", re.IGNORECASE)
# The Z85 code of a primary site's category (Tabular: Z85.0-Z85.8 by organ system), one range per row.
_HISTORY_OF_MALIGNANCY = (
    ("C00", "C14", "Z85.818"), ("C15", "C15", "Z85.01"), ("C16", "C16", "Z85.028"), ("C17", "C17", "Z85.068"),
    ("C18", "C18", "Z85.038"), ("C19", "C21", "Z85.048"), ("C22", "C22", "Z85.05"), ("C23", "C24", "Z85.09"),
    ("C25", "C25", "Z85.07"), ("C26", "C26", "Z85.09"), ("C30", "C31", "Z85.22"), ("C32", "C32", "Z85.21"),
    ("C33", "C33", "Z85.12"), ("C34", "C34", "Z85.118"), ("C37", "C37", "Z85.238"), ("C38", "C39", "Z85.29"),
    ("C40", "C41", "Z85.830"), ("C43", "C43", "Z85.820"), ("C44", "C44", "Z85.828"), ("C4A", "C4A", "Z85.821"),
    ("C46", "C49", "Z85.831"), ("C50", "C50", "Z85.3"), ("C51", "C52", "Z85.44"), ("C53", "C53", "Z85.41"),
    ("C54", "C55", "Z85.42"), ("C56", "C56", "Z85.43"), ("C57", "C58", "Z85.44"), ("C60", "C60", "Z85.49"),
    ("C61", "C61", "Z85.46"), ("C62", "C62", "Z85.47"), ("C63", "C63", "Z85.49"), ("C64", "C64", "Z85.528"),
    ("C65", "C65", "Z85.53"), ("C66", "C66", "Z85.54"), ("C67", "C67", "Z85.51"), ("C68", "C68", "Z85.59"),
    ("C69", "C69", "Z85.840"), ("C70", "C70", "Z85.848"), ("C71", "C71", "Z85.841"), ("C72", "C72", "Z85.848"),
    ("C73", "C73", "Z85.850"), ("C74", "C75", "Z85.858"), ("C81", "C81", "Z85.71"), ("C82", "C86", "Z85.72"),
    ("C88", "C88", "Z85.72"),
)


def _history_of_malignancy(code: str) -> str | None:
    """The personal history code (Z85.-) of a primary malignant neoplasm's code, or None."""
    return next((z for low, high, z in _HISTORY_OF_MALIGNANCY if low <= code[:3] <= high), None)


def _excised_without_disease(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    said = _said_by(statements)
    out: list[Finding] = []
    for f in resolved:
        history = None if f.learned or f.code[:1] != "C" else _history_of_malignancy(f.code)
        text = said(f) if history else ""
        if history and _NO_DISEASE.search(text) and _TREATED.search(text) and not _STILL_TREATED.search(text):
            if any(g.code == history for g in (*resolved, *out)):
                continue
            f = replace(f, code=history, category="history", statement_ids=list(f.statement_ids),
                        turn_ids=list(f.turn_ids), why="a malignancy excised or eradicated, with no evidence of it "
                        "and no treatment directed to it (guideline I.C.2.d)")
        out.append(f)
    return out


# Guideline I.C.21.c.8: a follow-up visit after treatment is completed is Z08 (a malignancy, with its Z85 history) or
# Z09 (another condition, with its Z86 / Z87 history), first: "Hx of colon cancer, NED on surveillance" (a statement
# that only says there is no disease, "NED", names no visit). Not where it plans the follow-up or names a current cancer.
_FOLLOW_UP_VISIT = re.compile(r"\b(?:surveillance|follow[- ]?up|f/u)\b(?!\s+(?:in|with|prn)\b)", re.IGNORECASE)
_FOLLOW_UP_PLANNED = re.compile(r"\b(?:due|next|schedule|scheduled|plan|planned|recommend|recommended|will|refer)\b",
                                re.IGNORECASE)
_AFTER_TREATMENT = (("Z85", "Z08"), ("Z86", "Z09"), ("Z87", "Z09"))


def _follow_up_after_treatment(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    said_by = _said_by(statements)
    out: list[Finding] = []
    added: set[str] = set()
    for f in resolved:
        visit = next((z for history, z in _AFTER_TREATMENT if f.code.startswith(history)), None)
        if (visit and visit not in added and not f.learned and _FOLLOW_UP_VISIT.search(said := said_by(f))
                and not _FOLLOW_UP_PLANNED.search(said) and not any(
                    g.code[:1] == "C" and set(g.statement_ids) & set(f.statement_ids) for g in resolved)):
            added.add(visit)
            out.append(replace(f, code=visit, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids),
                               why="a follow-up visit after completed treatment (guideline I.C.21.c.8)"))
        out.append(f)
    return out


# Guideline I.C.9.a.3: hypertensive heart and chronic kidney disease is one I13 code, by heart failure (I50.-, coded
# beside it) and the CKD stage (N18.5 / N18.6, coded beside it): I13.0 with heart failure and stage 1-4, I13.10
# without either, I13.11 stage 5 or ESRD without heart failure, I13.2 both. A statement that names both the heart and
# the kidney disease of hypertension is I13 even where a description matched only I12 (and its unspecified heart
# disease, I51.9, is the I13's heart disease).
_HEART_AND_KIDNEY = re.compile(r"\bhypertensive heart and (?:chronic )?kidney disease\b", re.IGNORECASE)


def _heart_and_kidney(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    said = _said_by(statements)
    named = {i for f in resolved if f.code.startswith(("I11", "I12", "I13")) and _HEART_AND_KIDNEY.search(said(f))
             for i in f.statement_ids}
    targets = [f for f in resolved if f.code.startswith("I13")
               or (f.code.startswith(("I11", "I12")) and set(f.statement_ids) & named)]
    if not targets:
        return resolved
    failure = any(f.code.startswith("I50") and not f.learned for f in resolved)
    late = any(f.code in ("N18.5", "N18.6") and not f.learned for f in resolved)
    code = ("I13.2" if late else "I13.0") if failure else ("I13.11" if late else "I13.10")
    for f in targets:
        f.code = code
    seen: set[str] = set()
    return [f for f in resolved if not ((f.code == code and (code in seen or seen.add(code)))
                                        or f.code.startswith("I11") or (f.code == "I51.9" and set(f.statement_ids) & named))]


# A breast malignancy's hormone receptor statuses (Z17, FY2025; "code first" the neoplasm): each receptor where the note
# gives it (ER Z17.0 / Z17.1, PR Z17.21 / Z17.22, HER2 Z17.31 / Z17.32), the combined codes only where it gives hormone
# receptors as one ("HR+ HER2-" Z17.411; triple negative Z17.421).
_RECEPTORS = (
    ("Z17.0", re.compile(r"\b(?:ER|estrogen receptor)\s*(?:\+|pos\b|positive)", re.IGNORECASE)),
    ("Z17.1", re.compile(r"\b(?:ER|estrogen receptor)\s*(?:-(?!\w)|neg\b|negative)", re.IGNORECASE)),
    ("Z17.21", re.compile(r"\b(?:PR|PgR|progesterone receptor)\s*(?:\+|pos\b|positive)", re.IGNORECASE)),
    ("Z17.22", re.compile(r"\b(?:PR|PgR|progesterone receptor)\s*(?:-(?!\w)|neg\b|negative)", re.IGNORECASE)),
    ("Z17.31", re.compile(r"\bHER-?2(?:/neu)?\s*(?:\+|pos\b|positive|amplified|3\+)", re.IGNORECASE)),
    ("Z17.32", re.compile(r"\bHER-?2(?:/neu)?\s*(?:-(?!\w)|neg\b|negative|non-?amplified|0|1\+)", re.IGNORECASE)),
)
_TRIPLE_NEGATIVE = re.compile(r"\btriple[- ]negative\b", re.IGNORECASE)
_HR_COMBINED = re.compile(r"\b(?:HR|hormone receptor)\s*(\+|pos\b|positive|-(?!\w)|neg\b|negative)", re.IGNORECASE)
_BREAST_MALIGNANCY = ("C50", "D05")


def _receptor_status(resolved: list[Finding], *, statements: list[Statement]) -> list[Finding]:
    breast = [f for f in resolved if f.code.startswith(_BREAST_MALIGNANCY) and not f.learned]
    if not breast:
        return resolved
    said_by = _said_by(statements)
    codes = {f.code for f in resolved}
    out = list(resolved)
    for f in breast:
        said = said_by(f)
        found = [code for code, cue in _RECEPTORS if cue.search(said)]
        if _TRIPLE_NEGATIVE.search(said):
            found = ["Z17.421"]
        elif (m := _HR_COMBINED.search(said)) and not any(c in found for c in ("Z17.0", "Z17.1", "Z17.21", "Z17.22")):
            her2 = "0" if "Z17.31" in found else "1" if "Z17.32" in found else None
            found = [f"Z17.4{'1' if m.group(1)[:1] in '+pP' else '2'}{her2}"] if her2 else []
        for code in found:
            if code not in codes:
                codes.add(code)
                out.append(replace(f, code=code, category="status", statement_ids=list(f.statement_ids),
                                   turn_ids=list(f.turn_ids), why="a breast malignancy's receptor status (Z17)"))
    return out


# Guideline I.B.13: a bilateral condition whose code has no bilateral option is coded for each side. A code of an
# unspecified side ("Hallux valgus (acquired), unspecified foot") in a statement that says both sides ("bilateral",
# "both") becomes its right and left siblings, where the family has no bilateral code of its own (M17.0 "Bilateral
# primary osteoarthritis of knee" is no sibling of M17.10 "Unilateral ...": a unilateral description is left alone).
_BOTH_SIDES = re.compile(r"\b(?:bilateral|bilaterally|both)\b", re.IGNORECASE)
_UNSPECIFIED_SIDE = re.compile(r"\bunspecified (?=(?:foot|knee|hand|hip|ankle|wrist|elbow|shoulder|ear|eye|leg|arm|"
                               r"lower leg|upper arm|thigh|forearm|finger|toe|great toe|side)\b)")


def _as_the_note_names(resolved: list[Finding], *, codeset: CodeSet) -> list[Finding]:
    """An unspecified code whose category's one code a kept code's "use additional code" note names is that code: N40.1
    (BPH with LUTS) names urinary retention as R33.8, so "acute urinary retention 2/2 BPH" is N40.1 and R33.8, not
    R33.9."""
    kept = {f.code for f in resolved}
    named: dict[str, set[str]] = {}  # category -> the single codes other categories' kept codes' notes name in it
    for f in resolved:
        for low, high in _use_additional_refs(f.code, codeset):
            if low == high and low[:3] != f.code[:3] and codeset.is_billable(low):
                named.setdefault(low[:3], set()).add(low)
    for f in resolved:
        # (Only toward a code that says more: I12.9's note names N18.9, which is no reading of "CKD stage 3".)
        if (len(names := named.get(f.code[:3], ())) == 1 and f.code not in names and is_unspecified(codeset, f.code)
                and not is_unspecified(codeset, next(iter(names)))):
            (code,) = names
            if code not in kept:
                f.code = code
                kept.add(code)
    return resolved


def _unspecified_injury(resolved: list[Finding], *, codeset: CodeSet) -> list[Finding]:
    """An "Unspecified injury of <site>" says nothing beside the injury the same statement names ("inversion injury,
    ATFL sprain" is the sprain)."""
    vague = [f.code[:1] == "S" and codeset.description(f.code).startswith("Unspecified injury") for f in resolved]
    named = {i for f, v in zip(resolved, vague) if f.code[:1] == "S" and not f.learned and not v for i in f.statement_ids}
    return [f for f, v in zip(resolved, vague) if not (v and set(f.statement_ids) <= named)]


# An unspecified sensorineural hearing loss says nothing beside the kind of one the note names: presbycusis (H91.1-),
# a sudden idiopathic loss (H91.2-), a noise-induced one (H83.3-) ("Presbycusis; audiogram: sloping SNHL" is H91.13).
_SNHL_UNSPECIFIED, _SNHL_KINDS = "H90.5", ("H91.1", "H91.2", "H83.3")


def _hearing_loss_kind(resolved: list[Finding]) -> list[Finding]:
    if any(f.code.startswith(_SNHL_KINDS) and not f.learned for f in resolved):
        return [f for f in resolved if f.code != _SNHL_UNSPECIFIED]
    return resolved


def _both_sides(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    said = _said_by(statements)
    out: list[Finding] = []
    codes = {f.code for f in resolved}
    for f in resolved:
        description = codeset.description(f.code)
        if (f.learned or f.partial or "unilateral" in description.lower()
                or not _UNSPECIFIED_SIDE.search(description) or not _BOTH_SIDES.search(said(f))):
            out.append(f)
            continue
        siblings = dict((d, c) for c, d in codeset.siblings(f.code))
        if any("bilateral" in d.lower() for d in siblings):
            out.append(f)
            continue
        sides = [siblings.get(_UNSPECIFIED_SIDE.sub(f"{side} ", description, count=1)) for side in ("right", "left")]
        if not all(sides):
            out.append(f)
            continue
        for code in sides:
            if code not in codes:
                codes.add(code)
                out.append(replace(f, code=code, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids)))
    return out


# Guideline I.B.13: a condition coded for the right and for the left side whose code has a bilateral option is the
# bilateral code ("severe primary OA, right hip; left hip: mild primary OA" is M16.0; "AOM R ear ... L ear" H66.93).
_SIDE_WORDS = frozenset(tokens("right left bilateral unilateral of eye ear side"))
_BILATERAL: weakref.WeakKeyDictionary[object, dict[tuple[str, frozenset[str]], str]] = weakref.WeakKeyDictionary()


def _side_free(code: str, codeset: CodeSet) -> tuple[str, frozenset[str]]:
    return code[:3], _description_words(code, codeset) - _SIDE_WORDS


def _bilateral_codes(codeset: CodeSet) -> dict[tuple[str, frozenset[str]], str]:
    return {_side_free(code, codeset): code for code, _ in codeset.billable_terms()
            if "bilateral" in codeset.description(code).lower()}


def _one_for_both(resolved: list[Finding], *, codeset: CodeSet) -> list[Finding]:
    if len(resolved) < 2:
        return resolved
    sided: dict[tuple[str, frozenset[str]], dict[str, Finding]] = {}
    for f in resolved:
        if not (f.learned or f.partial) and len(side := ONE_SIDE & _description_words(f.code, codeset)) == 1:
            sided.setdefault(_side_free(f.code, codeset), {})[next(iter(side))] = f
    pairs = [(key, sides) for key, sides in sided.items() if len(sides) == 2]
    if not pairs:
        return resolved
    table = _per_codeset(_BILATERAL, codeset, _bilateral_codes)
    kept = {f.code for f in resolved}
    dropped: set[int] = set()
    for key, sides in pairs:
        if (code := table.get(key)) and code not in kept:
            right, left = sides["right"], sides["left"]
            right.code = code
            right.absorb(left)
            dropped.add(id(left))
    return [f for f in resolved if id(f) not in dropped]


# A chronic ulcer's depth, as the note says it, is the 6th character of its L97 / L98.4- code (the description
# matcher reads it where the note spells the description; a curated foot ulcer is of unspecified severity).
_ULCER_DEPTHS = (("4", re.compile(r"\b(?:necrosis of bone|bone necrosis|necrotic bone)\b", re.IGNORECASE)),
                 ("3", re.compile(r"\b(?:necrosis of muscle|muscle necrosis|necrotic muscle)\b", re.IGNORECASE)),
                 ("6", re.compile(r"\b(?:bone (?:exposed|involvement)|exposed bone|probes to bone)\b", re.IGNORECASE)),
                 ("5", re.compile(r"\b(?:muscle (?:exposed|involvement)|exposed muscle)\b", re.IGNORECASE)),
                 ("2", re.compile(r"\b(?:fat (?:layer )?exposed|exposed fat|subcutaneous (?:fat|tissue)|"
                                  r"fat layer)\b", re.IGNORECASE)),
                 ("1", re.compile(r"\b(?:(?:limited to )?(?:breakdown of skin|skin breakdown)|partial thickness|"
                                  r"skin only)\b", re.IGNORECASE)))
_FOOT_ULCER, _HEEL_ULCER = "L97.5", "L97.4"
_HEEL = re.compile(r"\b(?:heel|midfoot|mid-foot|plantar midfoot)\b", re.IGNORECASE)
_NECROSIS_AS_DEPTH = "M87"  # "ulcer with bone necrosis" is the ulcer's depth, no osteonecrosis of its own


def _ulcer_depth(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet) -> list[Finding]:
    ulcers = [f for f in resolved if f.code.startswith(_ULCER_SEVERITY) and f.code.endswith("9")]
    if not ulcers:
        return resolved
    said_by = _said_by(statements)
    deep: set[str] = set()
    for f in ulcers:
        said = said_by(f)
        if f.code.startswith(_FOOT_ULCER) and _HEEL.search(said) and codeset.is_billable(heel := _HEEL_ULCER + f.code[5:]):
            f.code = heel  # a "foot ulcer" of the heel or midfoot is the heel's (L97.4-), not "other part of foot"
        depth = next((d for d, cue in _ULCER_DEPTHS if cue.search(said)), None)
        if depth and codeset.is_billable(code := f.code[:-1] + depth):
            f.code = code
            if depth in ("3", "4"):
                deep.update(f.statement_ids)
    return [f for f in resolved if not (f.code.startswith(_NECROSIS_AS_DEPTH) and set(f.statement_ids) <= deep)]


def _pregnancy(resolved: list[Finding], *, statements: list[Statement], codeset: CodeSet, mode: str) -> list[Finding]:
    """Chapter 15 codes in the trimester the note documents, and the weeks of gestation (Z3A) beside them."""
    stated_in = {st.statement_id for st in statements if _pregnant(st)}
    # A past pregnancy's outcome is a code of the current pregnancy only in a statement that names one (its words or
    # weeks, even in the scope of the history cue: "Hx of C-section, desires TOLAC", "... at 32 wks; now 24 wks").
    said = _said_by(statements)
    resolved = [f for f in resolved if not (f.code.startswith(_PAST_PREGNANCY) and not (
        set(f.statement_ids) & stated_in or _PREGNANCY_WORDS.search(said(f)) or _WEEKS.search(said(f))))]
    pregnancy_ids = {i for f in resolved if f.code.startswith(("O", "Z34")) for i in f.statement_ids} | stated_in
    if not pregnancy_ids:
        return resolved
    weeks = _gestation(statements, pregnancy_ids)
    stated = next((m.group(1).lower() for st in statements if (m := _TRIMESTER_IN_TEXT.search(st.text))), None)
    trimester = (_TRIMESTER_WORD.get(stated, stated) if stated
                 else None if weeks is None else "first" if weeks[0] < 14 else "second" if weeks[0] < 28 else "third")
    ordered: list[Finding] = []  # each chapter 15 code just before (at the rank of) the condition it is for
    codes = {f.code for f in resolved}
    covered: set[str] = set()
    # Guideline I.C.15.a.1: in a note that documents a current pregnancy, the patient's conditions are chapter 15's
    # unless the note calls them incidental to it, whichever statement names them ("1. IUP at 30w. 2. Iron deficiency
    # anemia" is O99.013 with D50.9).
    for f in resolved:
        if f.category in ("diagnosis", "symptom") and stated_in and (o := _in_pregnancy(f.code)):
            code = o[0] if codeset.is_billable(o[0]) else o[0] + _TRIMESTER_DIGIT[trimester]
            if codeset.is_billable(code) and code not in codes:
                codes.add(code)
                covered.update(f.statement_ids)
                ordered.append(replace(f, code=code, statement_ids=list(f.statement_ids), turn_ids=list(f.turn_ids),
                                       why="chapter 15: a condition of a pregnant patient (guideline I.C.15.a.1)"))
                if not o[1]:
                    continue  # O10.01- includes the hypertension
        ordered.append(f)
    resolved = [f for f in ordered if not (f.code == _OTHER_IN_PREGNANCY and set(f.statement_ids) <= covered)]
    resolved += _diabetes_beside(resolved, statements=statements)
    first = _first_pregnancy(statements)
    for f in resolved:
        if not f.code.startswith(("O", "Z34")) or not _TRIMESTER_IN_DESCRIPTION.search(codeset.description(f.code)):
            continue
        family = next((k for k in _BY_GRAVIDITY if f.code.startswith(k)), None)
        if family is not None:
            # The subcategory the gravidity names; an elderly mother of unstated gravidity is a high-risk pregnancy.
            if first is not None:
                f.code = _BY_GRAVIDITY[family][not first] + f.code[len(family):]
            elif family.startswith("O09"):
                f.code = _HIGH_RISK_UNSPECIFIED + "0"
        if _PUERPERAL.search(said(f)) and len(puerperal := [c for c, d in codeset.siblings(f.code)
                                                            if c[:-1] == f.code[:-1] and "puerperium" in d]) == 1:
            f.code = puerperal[0]
            continue
        wanted = _TRIMESTER_IN_DESCRIPTION.sub(f"{trimester or 'unspecified'} trimester", codeset.description(f.code))
        f.code = next((c for c, d in codeset.siblings(f.code) if d == wanted), f.code)
    # O11 (pre-existing hypertension with pre-eclampsia) says "use additional code from O10 to identify the type of
    # hypertension": essential (O10.01-) where the note names no other type, in O11's own trimester or episode.
    if not any(f.code.startswith("O10") for f in resolved):
        with_type: list[Finding] = []
        for f in resolved:
            with_type.append(f)
            if (essential := _ESSENTIAL_IN_PREGNANCY.get(f.code)) is not None:
                with_type.append(replace(f, code=essential, statement_ids=list(f.statement_ids),
                                         turn_ids=list(f.turn_ids), why=_ESSENTIAL_WHY))
        resolved = with_type
    # One finding per code: a code the trimester made equal to another's is a duplicate (the first ranks). A
    # high-risk pregnancy's unspecified supervision (O09.9-) gives way to the specific one the note names (O09.5-).
    seen: set[str] = set()
    resolved = [f for f in resolved if not (f.code in seen or seen.add(f.code))]
    if any(f.code.startswith("O09") and not f.code.startswith(_HIGH_RISK_UNSPECIFIED) for f in resolved):
        resolved = [f for f in resolved if not f.code.startswith(_HIGH_RISK_UNSPECIFIED)]
    if weeks is not None and not any(f.code.startswith(_ABORTIVE) for f in resolved):
        _, i, fact = weeks
        if codeset.is_billable(fact.code) and fact.code not in {f.code for f in resolved}:
            resolved = [*resolved, _fact_finding(i, fact, mode=mode)]
    return resolved


_ESSENTIAL_WHY = "the type of the pre-existing hypertension (O11's 'use additional code from O10')"
_ESSENTIAL_IN_PREGNANCY = {"O11.1": "O10.011", "O11.2": "O10.012", "O11.3": "O10.013", "O11.9": "O10.019",
                           "O11.4": "O10.02", "O11.5": "O10.03"}
_RAISED_READING = "R03.0"
_REFILL_ONLY = "Z76.0"
# allergic reactions: anaphylaxis T78.0-T78.2, angioedema T78.3, allergy T78.4; the toxic effect of venom (T63.4-);
# the hives or rash an allergy's statement says it caused ("PCN allergy (hives as a child)").
_ALLERGIC_REACTION = ("T78", "T63.4", "L50", "R21")


def suggest_codes(
    draft: NoteDrafted, *, codeset: CodeSet, fuzzy: bool = True, mode: str = OUTPATIENT,
    learned: AssociationTable | None = None, min_confidence: float = SUGGEST_MIN_CONFIDENCE,
    reranker: Reranker | None = None,
) -> list[CodeSuggestion]:
    """ICD-10-CM suggestions for one drafted note, best first. Deterministic for a given note and code set.
    ``min_confidence=0`` returns every scored candidate (for ranking metrics such as MAP). With ``reranker`` the
    candidates' confidences are re-estimated from their evidence features (the rules still decide what may be a
    candidate at all)."""
    if draft.status != "drafted":
        return []
    resolved = rank_findings(draft, codeset=codeset, fuzzy=fuzzy, mode=mode, learned=learned)
    offset = len(draft.note.assessment)
    if reranker is not None and resolved:
        resolved = reranker.rescore(resolved, statements=offset + len(draft.note.subjective), mode=mode,
                                    codeset=codeset, learned=learned, texts=[st.text for st in draft.note.statements()])
    resolved = [f for f in resolved if f.confidence >= min_confidence]
    note = draft.note
    sections = [*note.assessment, *note.subjective, *note.objective, *note.plan]
    documented = [facts(statement) for statement in sections]  # read once: the allergy rule and the status codes
    # Statements that document an allergy to a named drug or substance (an allergy status).
    # (And those that tell of an anaphylaxis now by its cause: "anaphylaxis to peanuts" is T78.01XA, no T78.2XXA.)
    allergies = {fact.statement_id for stated in documented for fact in stated
                 if fact.code in ALLERGY_CODES or fact.code in REACTION_CODES}
    if allergies:
        # "Allergic to penicillin (anaphylaxis)" documents an allergy status (Z88.0), not a reaction today (T78.-).
        resolved = [f for f in resolved if not (f.code.startswith(_ALLERGIC_REACTION) and set(f.statement_ids) <= allergies)]
    if _status_confidence(mode) >= min_confidence:
        resolved += _status_findings(draft, sections=sections, documented=documented, mode=mode,
                                     codes={f.code for f in resolved}, codeset=codeset,
                                     firm={f.code for f in resolved if not (f.partial or f.learned)})
    resolved = _dementia_in_disease(resolved, statements=sections, codeset=codeset)
    resolved = _by_their_axes(resolved, statements=sections, codeset=codeset)
    resolved = _organism_as_cause(resolved, codeset=codeset)
    resolved = _pregnancy(resolved, statements=sections, codeset=codeset, mode=mode)
    resolved = _diabetes_control(_contraceptive_use(_exam_findings(resolved, statements=sections)), statements=sections)
    resolved = _counseling_by_substance(resolved, statements=sections)
    resolved = _excised_without_disease(_ulcer_depth(resolved, statements=sections, codeset=codeset), statements=sections)
    resolved = _follow_up_after_treatment(resolved, statements=sections)
    resolved = _receptor_status(_heart_and_kidney(resolved, statements=sections), statements=sections)
    resolved = _unspecified_injury(_both_sides(resolved, statements=sections, codeset=codeset), codeset=codeset)
    resolved = _one_for_both(resolved, codeset=codeset)
    resolved = _hearing_loss_kind(resolved)
    resolved = _as_the_note_names(resolved, codeset=codeset)
    if mode == OUTPATIENT:
        # First-listed diagnosis of the claim: the first problem the Assessment establishes by rule, whatever
        # the learned associations think of the others.
        primary = min((f for f in resolved if f.category == "diagnosis" and not f.learned and f.order[0] < offset),
                      key=lambda f: f.order, default=None)
        if primary is not None:
            resolved = [primary, *(f for f in resolved if f is not primary)]
    return [
        CodeSuggestion(
            system=ICD10CM_SYSTEM,
            code=f.code,
            display=codeset.description(f.code),
            confidence=round(f.confidence, 3),
            rank=rank,
            evidence_statement_ids=f.statement_ids,
            evidence_turn_ids=f.turn_ids,
            category=f.category,
            rationale=_how(f),
        )
        for rank, f in enumerate(resolved, start=1)
    ]
