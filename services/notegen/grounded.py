"""The grounded note writer: transcript in, SOAP statements out, offline and deterministic.

It only rewrites what was said. Each sentence of the transcript is classified (vital, exam finding,
impression, plan, patient report, answer to a question...), rewritten from conversation into clinical third
person, and kept with the ids of the turns it came from. Sentences it cannot place are left out: a
shorter note is acceptable, an invented one is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.notegen.lexicon import BODY_PARTS, CONDITIONS, SYMPTOMS, VITAL_PATTERNS, is_clinical_word, is_drug
from services.notegen.spoken import normalize_spoken, tidy
from shared.contracts import QualityFlag, Role, Section, Turn


@dataclass(frozen=True)
class DraftStatement:
    section: Section
    kind: str
    text: str
    evidence: tuple[str, ...]  # turn ids, transcript order


_FILLER = re.compile(
    r"^(?:(?:so|and|okay|ok|alright|all right|um+|uh+|uh-huh|mm-hmm|well|now|yeah|oh|hmm|right|great|good|"
    r"also|then|but|actually|basically|you know)\b[\s,.]*)+",
    re.IGNORECASE,
)
_LIGHT_FILLER = re.compile(r"^(?:(?:so|um+|uh+|well|oh|hmm|oh)\b[\s,.]*)+", re.IGNORECASE)
_PLAN_CUE = re.compile(
    r"\b(?:i will|i'll|we will|we'll|i am going to|i'm going to|we are going to|we're going to|i want you to|"
    r"i'd like you to|i would like you to|i want to|i'd like to|i would like to|let's|please|you should|"
    r"you need to|make sure|prescrib\w*|order\w*|refer\w*|follow up|follow-up|come back|return|see you (?:back )?in|"
    r"schedule\w*|recommend\w*|continue|increase|decrease|start|stop)\b",
    re.IGNORECASE,
)
_PLAN_OBJECT = re.compile(
    r"\b(?:labs?|test|tests|testing|blood work|bloodwork|panel|x-ray|xray|mri|ct|scan|ultrasound|echo\w*|ekg|ecg|"
    r"referral|refer\w*|specialist|therapy|physical therapy|follow up|follow-up|appointment|weeks?|months?|days?|"
    r"medications?|medicines?|dose|dosage|prescription|refill|diet|exercise|log|monitor\w*|check|mg|mcg|"
    r"injection|vaccine|surgery|procedure|biopsy|colonoscopy|mammogram|come back|return)\b",
    re.IGNORECASE,
)
_ASSESSMENT_CUE = re.compile(
    r"\b(?:i think|i believe|i suspect|i'm concerned|i am concerned|it looks like|it sounds like|it seems like|"
    r"consistent with|diagnos\w*|impression|you have|you've got|likely|probably|caused by|due to|"
    r"(?:not )?well controlled|uncontrolled)\b",
    re.IGNORECASE,
)
_EXAM_CUE = re.compile(
    r"\b(?:on exam\w*|examination|physical exam|clear|murmur|heart sounds|regular rate|tender\w*|swelling|edema|"
    r"range of motion|reflexes|pulses|soft|lymphadenopathy|erythema|bruit|gallop|wheez\w*|crackles|rales|"
    r"normal|unremarkable|abnormal)\b",
    re.IGNORECASE,
)
_RESULT_CUE = re.compile(
    r"\b(?:x-ray|xray|mri|ct scan|ultrasound|echocardiogram|echo|ekg|ecg|labs?|blood work|bloodwork|a1c|results?|"
    r"showed|shows|came back|revealed|demonstrat\w*)\b",
    re.IGNORECASE,
)
_HISTORY_CUE = re.compile(r"\b(?:year-old|year old|history of|medical history|presents|who presents)\b", re.IGNORECASE)
_CC_CLINICIAN = re.compile(
    r"\b(?:presents?(?: today)? (?:with|for)(?: complaints? of)?|complaints? of|here (?:today )?(?:for|with|because of))\s+"
    r"(?:a |an |some |his |her |their )?([^.,;?!]+)",
    re.IGNORECASE,
)
_NEGATIVE_ANSWER = re.compile(r"^(?:no|nope|nah|not really|never|none|nothing|negative)\b", re.IGNORECASE)
_POSITIVE_ANSWER = re.compile(r"^(?:yes|yeah|yep|yup|mm-hmm|uh-huh|i do|i have|sometimes|correct)\b", re.IGNORECASE)
_QUESTION_TOPIC = re.compile(
    r"^(?:do you have|have you had|have you been having|have you noticed|have you experienced|are you having|"
    r"are you experiencing|did you have|do you get|do you ever get|do you ever have|any other symptoms like|"
    r"any symptoms like|any other|how about|what about|any)\s+(?:any\s+)?(.+?)\s*\?*$",
    re.IGNORECASE,
)
_TAKING_TOPIC = re.compile(r"^(?:are you|you're|you are)\s+(?:still\s+)?taking\s+(?:your\s+)?(.+?)\s*\?*$", re.IGNORECASE)
_MED_WORDS = frozenset({"medication", "medications", "medicine", "medicines", "pills", "pill", "dose", "doses", "inhaler"})
_CLINICIAN_CONTEXT_WORDS = frozenset({"blood", "pressure", "sugar", "labs", "kidney", "heart", "pain"})


def _clean(text: str) -> str:
    s = tidy(text)
    return re.sub(r",?\s*\b(?:you know|i mean|i guess)\b,?", "", s, flags=re.IGNORECASE).strip()


_WAKE_WORD = re.compile(r"^(?:hey,?\s+)?dragon,?\s*", re.IGNORECASE)
_LONG_WORDS = 30
_DISCOURSE = re.compile(r"\s+(?=(?:so|okay|alright|all right|now|and then|um|uh|but|because)\b)", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    """Sentences; long unpunctuated monologues are cut at discourse markers ("so", "okay", "now")."""
    out: list[str] = []
    for sentence in (s.strip() for s in re.split(r"(?<=[.?!;])\s+", text) if s.strip()):
        if len(sentence.split()) <= _LONG_WORDS:
            out.append(sentence)
            continue
        pieces: list[str] = []
        for piece in _DISCOURSE.split(sentence):
            if pieces and len(piece.split()) < 4:
                pieces[-1] += " " + piece
            else:
                pieces.append(piece)
        out.extend(pieces)
    return out


def _cap(s: str) -> str:
    s = s.strip(" ,;:-")
    return s[:1].upper() + s[1:] if s else s


def _finish(s: str) -> str:
    s = _cap(re.sub(r"\s+", " ", s)).rstrip(" ,;:-")
    s = re.sub(r"[.?!]+$", "", s)
    return f"{s}." if s else ""


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z]+(?:[-'][a-z]+)*", s.lower())


def _is_clinical(s: str) -> bool:
    ws = _words(s)
    return any(is_clinical_word(w) or w in _MED_WORDS for w in ws) or bool(re.search(r"\d", s))


def _strip_filler(s: str) -> str:
    return _FILLER.sub("", s).strip()


# ---------------------------------------------------------------- person rewriting
_CLAUSE_START: tuple[tuple[str, str], ...] = (
    (r"i(?: have|'ve) had", "reports"),
    (r"i(?: have|'ve) been having", "reports"),
    (r"i(?: am|'m) having", "reports"),
    (r"i(?: have|'ve) been taking", "has been taking"),
    (r"i(?: am|'m) taking", "takes"),
    (r"i(?: am|'m) allergic to", "allergic to"),
    (r"i(?: have|'ve) been feeling", "has been feeling"),
    (r"i(?: have|'ve) been", "has been"),
    (r"i(?: have|'ve) noticed", "has noticed"),
    (r"i(?: have|'ve) not|i haven't", "has not"),
    (r"i(?: have|'ve) (?=\w+ed\b)", "has "),
    (r"i have|i've got", "reports"),
    (r"i had", "reports"),
    (r"i take", "takes"),
    (r"i feel", "feels"),
    (r"i(?: am|'m) not", "is not"),
    (r"i(?: am|'m)", "is"),
    (r"i was", "was"),
    (r"i can't|i cannot|i can not", "cannot"),
    (r"i can", "can"),
    (r"i (?:do not|don't)", "does not"),
    (r"i (?:did not|didn't)", "did not"),
    (r"i will|i'll", "will"),
    (r"i would|i'd", "would"),
    (r"i get", "gets"),
    (r"i go", "goes"),
    (r"i do", "does"),
)
_CLAUSE_RES = tuple((re.compile(rf"^(?:{p})\b\s*", re.IGNORECASE), r) for p, r in _CLAUSE_START)


def _third_person_clause(clause: str, *, leading: bool) -> str:
    """One clause that starts with "I". Leading clauses drop the subject ("Reports ..."); later ones name it."""
    for pattern, repl in _CLAUSE_RES:
        if pattern.match(clause):
            return pattern.sub(("" if leading else "the patient ") + repl + " ", clause, count=1)
    return _subject("i", "the patient", clause)


_CONTRACTED = {"'ve": " has", "'ll": " will", "'d": " would", "'m": " is", "'re": " is", "": ""}


def _subject(pronoun: str, replacement: str, text: str, *, count: int = 1) -> str:
    """"I've" / "you'll" -> "the patient has" / "the patient will"."""
    return re.sub(
        rf"\b{pronoun}('ve|'ll|'d|'m|'re|)\b", lambda m: replacement + _CONTRACTED[m.group(1).lower()], text,
        count=count, flags=re.IGNORECASE,
    )


def third_person(sentence: str) -> str:
    """Patient first person -> clinical third person: "I take X" -> "takes X", "my head" -> "the head"."""
    parts = re.split(r"(,?\s+(?:but|and|so|because|when|although|though|since|or)\s+|,\s+)(?=i\b)", sentence, flags=re.IGNORECASE)
    out = "".join(_third_person_clause(p, leading=i == 0) if i % 2 == 0 else p for i, p in enumerate(parts))

    def my(m: re.Match[str]) -> str:
        nxt = m.group(2).lower()
        return ("the " if nxt in BODY_PARTS or nxt in SYMPTOMS else "their ") + m.group(2)

    out = re.sub(r"\b(my)\s+(\w+)", my, out, flags=re.IGNORECASE)
    out = re.sub(r"\bmyself\b", "themselves", out, flags=re.IGNORECASE)
    out = re.sub(r"\bme\b", "the patient", out, flags=re.IGNORECASE)
    out = re.sub(r"\bi am\b", "the patient is", out, flags=re.IGNORECASE)
    out = re.sub(r"\bi have\b", "the patient has", out, flags=re.IGNORECASE)
    out = _subject("i", "the patient", out, count=0)
    return out


def clinician_to_note(sentence: str) -> str:
    """Clinician speech -> note phrasing: drop "I will", "please", "your"; "come back in" -> "follow up in"."""
    s = _strip_filler(sentence)
    s = re.sub(
        r"^(?:i think|i believe|i feel like|i feel|it looks like|it sounds like|it seems like)\s+(?:that\s+)?",
        "", s, flags=re.IGNORECASE,
    )
    s = re.sub(
        r"^(?:i will|i'll|we will|we'll|i am going to|i'm going to|we are going to|we're going to|i want to|"
        r"i'd like to|i would like to|let's|let us)\s+(?:also\s+)?(?:go ahead and\s+)?",
        "", s, flags=re.IGNORECASE,
    )
    s = re.sub(
        r"^(?:i want you to|i'd like you to|i would like you to|please|you should|you need to|make sure you|make sure to)"
        r"\s+(?:also\s+)?",
        "", s, flags=re.IGNORECASE,
    )
    s = re.sub(r"^(?:you have|you've got)\s+", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\bcome back(?: to see (?:me|us))?(?= in\b)", "follow up", s, flags=re.IGNORECASE)
    s = re.sub(r"\bsee you(?: back)?(?= in\b)", "follow up", s, flags=re.IGNORECASE)
    s = re.sub(r"\byour\s+", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\byourself\b", "themselves", s, flags=re.IGNORECASE)
    s = re.sub(r"\byou are\b", "the patient is", s, flags=re.IGNORECASE)
    s = re.sub(r"\byou have\b", "the patient has", s, flags=re.IGNORECASE)
    s = _subject("you", "the patient", s, count=0)
    s = re.sub(r",?\s*\b(?:okay|all right|alright)\s*$", "", s, flags=re.IGNORECASE)
    return s


# ---------------------------------------------------------------- classification
def _plan_kind(s: str) -> str:
    low = s.lower()
    if re.search(r"\b(?:follow up|follow-up|come back|return|see you)\b", low):
        return "follow_up"
    if any(is_drug(w) for w in _words(low)) or re.search(r"\b(?:medication|medicine|prescri\w*|refill|dose)\b", low):
        return "medication_change"
    if re.search(r"\b(?:order\w*|labs?|panel|test\w*|x-ray|mri|ct|scan|ultrasound|echo\w*|ekg|ecg|blood work|refer\w*)\b", low):
        return "order"
    return "plan"


def _symptom_phrase(s: str) -> str | None:
    """The first symptom named in a sentence, with a body part just before it ("knee pain")."""
    ws = _words(s)
    for i, w in enumerate(ws):
        if w in SYMPTOMS and w not in {"blood", "pressure", "breath", "chest", "weight", "sleep", "mood"}:
            if i and ws[i - 1] in BODY_PARTS:
                return f"{ws[i - 1]} {w}"
            return w
    return None


def _question_topic(question: str) -> tuple[str, str] | None:
    """("denies-or-reports", topic) for a yes/no question about a finding; None for other questions."""
    q = _strip_filler(question).rstrip("?").strip()
    m = _TAKING_TOPIC.match(q)
    if m:
        return "taking", m.group(1)
    m = _QUESTION_TOPIC.match(q)
    if m:
        topic = m.group(1)
    elif q and all(is_clinical_word(w) or w in {"or", "and", "any", "of", "in", "the"} for w in _words(q)):
        topic = q  # a bare list: "nausea, vomiting, diarrhea?"
    else:
        return None
    topic = re.sub(r"\b(?:your|you)\s+", "", topic, flags=re.IGNORECASE)
    topic = re.sub(r",?\s*(?:or anything like that|anything like that|or anything|at all|that you've noticed)\s*$", "", topic,
                   flags=re.IGNORECASE).strip(" ,")
    if not topic or not any(is_clinical_word(w) for w in _words(topic)):
        return None
    return "finding", topic


@dataclass
class _Writer:
    statements: list[DraftStatement] = field(default_factory=list)
    referent: tuple[str, str] | None = None  # (word, turn id) that a following "it" stands for
    chief_complaint: bool = False
    last_question: tuple[str, str] | None = None  # (question sentence, turn id)

    def add(self, section: Section, kind: str, text: str, evidence: Sequence[str]) -> None:
        text = _finish(text)
        if len(_words(text)) < 1:
            return
        if any(st.section == section and st.text.lower() == text.lower() for st in self.statements):
            return  # clinicians repeat themselves; the note should not
        self.statements.append(DraftStatement(section, kind, text, tuple(dict.fromkeys(evidence))))

    def note_referent(self, sentence: str, turn_id: str) -> None:
        for w in reversed(_words(sentence)):
            if is_drug(w) or (w in SYMPTOMS and w not in {"blood", "pressure", "breath", "chest"}) or w in CONDITIONS:
                self.referent = (w, turn_id)
                return

    # -------------------------------------------------------- clinician
    def clinician(self, sentence: str, turn: Turn) -> None:
        s = _strip_filler(normalize_spoken(sentence))
        # Commands to a dictation assistant ("hey dragon, show me the x-ray") are not findings; orders spoken
        # to it ("hey dragon, order a thyroid panel") are, without the wake word.
        s = _WAKE_WORD.sub("", s)
        if not s or re.match(r"^(?:show me|open|pull up|go to)\b", s, re.IGNORECASE):
            return
        if s.endswith("?"):
            self.last_question = (s, turn.turn_id)
            self.note_referent(s, turn.turn_id)
            return
        ev = [turn.turn_id]
        vitals = [(m.start(), m.group("name").lower(), m.group("value")) for p in VITAL_PATTERNS for m in p.finditer(s)]
        if vitals:
            for _, name, value in sorted(vitals):
                self.add(Section.OBJECTIVE, "vital", f"{name} {value}", ev)
            return
        clinical = _is_clinical(s) or bool(_PLAN_OBJECT.search(s))
        if not clinical:
            return
        if not self.chief_complaint and (m := _CC_CLINICIAN.search(s)):
            phrase = m.group(1).strip()
            if any(is_clinical_word(w) for w in _words(phrase)) or _symptom_phrase(phrase):
                self.add(Section.SUBJECTIVE, "chief_complaint", f"Chief complaint: {phrase}", ev)
                self.chief_complaint = True
        if _HISTORY_CUE.search(s):
            self.add(Section.SUBJECTIVE, "history", clinician_to_note(s), ev)
        elif _PLAN_CUE.search(s) and _PLAN_OBJECT.search(s) and not re.match(r"^(?:i think|you have)\b", s, re.IGNORECASE):
            self.add(Section.PLAN, _plan_kind(s), clinician_to_note(s), ev)
        elif _ASSESSMENT_CUE.search(s) and any(w in CONDITIONS or w in SYMPTOMS for w in _words(s)):
            self.add(Section.ASSESSMENT, "diagnosis", clinician_to_note(s), ev)
        elif _RESULT_CUE.search(s) and _is_clinical(s):
            self.add(Section.OBJECTIVE, "result", clinician_to_note(s), ev)
        elif _EXAM_CUE.search(s) and any(w in BODY_PARTS or w in SYMPTOMS or w in CONDITIONS for w in _words(s)):
            self.add(Section.OBJECTIVE, "exam", clinician_to_note(s), ev)
        self.note_referent(s, turn.turn_id)

    # -------------------------------------------------------- patient
    def answer(self, sentence: str, turn: Turn) -> bool:
        """A bare yes/no reply to the clinician's last question: a statement citing both turns."""
        if self.last_question is None:
            return False
        s = _LIGHT_FILLER.sub("", sentence).strip()
        negative = _NEGATIVE_ANSWER.match(s)
        positive = None if negative else _POSITIVE_ANSWER.match(s)
        if not (negative or positive):
            return False
        rest = s[(negative or positive).end():]
        if _is_clinical(rest):
            return False  # an elaborated answer is read as a sentence of its own
        question, q_turn = self.last_question
        topic = _question_topic(question)
        if topic is None:
            return False
        kind, phrase = topic
        ev = [q_turn, turn.turn_id]
        if kind == "taking":
            text = f"{'Reports not taking' if negative else 'Takes'} {phrase}"
            self.add(Section.SUBJECTIVE, "medication", text, ev)
        elif negative:
            self.add(Section.SUBJECTIVE, "pertinent_negative", f"Denies {phrase}", ev)
        elif not re.search(r",|\bor\b", phrase):  # "yes" to a list does not say which item
            self.add(Section.SUBJECTIVE, "symptom", f"Reports {phrase}", ev)
        else:
            return False
        return True

    def patient(self, sentence: str, turn: Turn, *, first_in_turn: bool) -> None:
        spoken = normalize_spoken(sentence)
        if first_in_turn and self.answer(spoken, turn):
            return
        s = _strip_filler(spoken)
        if not s or s.endswith("?"):
            return
        if not _is_clinical(s) or len(_words(s)) < 2:
            return
        ev = [turn.turn_id]
        low = s.lower()
        # "No chest pain and no shortness of breath." / "I don't have any fever." -> "Denies ..."
        # "No, I ..." is an answer word, not a denial of what follows.
        m = re.match(r"^(?:no|not any)\s+(?!(?:i|i'm|i've|it|it's|we|they|he|she|that|this|there|not|but|so|and|well)\b)(.+)$",
                     s, re.IGNORECASE) or re.match(
            r"^i (?:do not|don't|haven't|have not|didn't|did not) (?:have|had|noticed?|experienced?|get|got)\s+"
            r"(?!up\b|out\b|to\b|it\b)(?:any\s+)?(.+)$",
            s, re.IGNORECASE,
        )
        if m and not re.search(r"\b(?:but|although|though)\b", m.group(1), re.IGNORECASE):
            body = re.sub(r"\s+(and|or)\s+no\s+", r" \1 ", m.group(1), flags=re.IGNORECASE)
            self.add(Section.SUBJECTIVE, "pertinent_negative", f"Denies {third_person(body)}", ev)
            return
        said = s
        resolved: str | None = None
        if re.match(r"^it\b", s, re.IGNORECASE) and self.referent is not None:
            resolved, ref_turn = self.referent
            s = re.sub(r"^it(?:'s|\b)", lambda m: resolved + (" is" if m.group(0).endswith("'s") else ""), s,
                       flags=re.IGNORECASE)
            ev = [ref_turn, turn.turn_id] if ref_turn != turn.turn_id else ev
        words_ = _words(s)
        if re.search(r"\ballerg", low):
            kind = "allergy"
        elif resolved and any(st.kind == "allergy" and resolved in st.text.lower() for st in self.statements[-2:]):
            kind = "allergy"  # "It gives me a rash." right after naming the allergen
        elif any(is_drug(w) or w in _MED_WORDS for w in words_):
            kind = "medication"
        elif _symptom_phrase(s):
            kind = "symptom"
        else:
            kind = "history"
        if not self.chief_complaint and kind == "symptom" and not re.search(r"n't\b|\b(?:no|not|never)\b", low):
            phrase = _symptom_phrase(s)
            if phrase:
                self.add(Section.SUBJECTIVE, "chief_complaint", f"Chief complaint: {phrase}", ev)
                self.chief_complaint = True
        text = third_person(s)
        if re.match(r"^(?:the|their)\s", text, re.IGNORECASE) and kind != "allergy":
            text = re.sub(r"^(?:the|their)\s", "", text, flags=re.IGNORECASE)  # "My vision is fine" -> "Vision is fine"
        self.add(Section.SUBJECTIVE, kind, text, ev)
        self.note_referent(said, turn.turn_id)  # what was said: a resolved "it" keeps pointing at its own turn


def usable_turns(turns: Sequence[Turn]) -> list[Turn]:
    """Turns with words in them that the recognizer did not flag as a likely hallucination."""
    return [t for t in turns if t.text.strip() and QualityFlag.POSSIBLE_HALLUCINATION not in t.flags]


def write_statements(turns: Sequence[Turn]) -> list[DraftStatement]:
    """All statements the transcript supports, in transcript order within each section."""
    writer = _Writer()
    for turn in usable_turns(turns):
        sentences = _sentences(_clean(turn.text))
        for i, sentence in enumerate(sentences):
            if turn.speaker == Role.PATIENT:
                writer.patient(sentence, turn, first_in_turn=i == 0)
            elif turn.speaker == Role.CLINICIAN:
                writer.clinician(sentence, turn)
        if turn.speaker == Role.PATIENT:
            writer.last_question = None  # an answer only ever refers to the question just before it
    return writer.statements


__all__ = ["DraftStatement", "write_statements", "usable_turns", "third_person", "clinician_to_note"]
