"""Text -> concept mentions: tokenising, assertion context (negated / uncertain / history / family), lexicon
matching, and the fuzzy fallback against ICD-10-CM descriptions. Pure: stdlib plus numpy/scipy arithmetic."""

from __future__ import annotations

import math
import re
import unicodedata
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np

from services.coding.codeset import is_external_cause
from services.coding.lexicon import ADVERSE_EFFECTS, CONCEPTS, Concept


class Assertion(StrEnum):
    AFFIRMED = "affirmed"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    HISTORY = "history"
    FAMILY = "family"
    OTHER = "other"  # someone else's, not a blood relative's: "my husband has the flu", "the donor had hepatitis C"


# ---------------------------------------------------------------- tokens
_SLASH_ABBREV = {"h/o": "h o", "r/o": "rule out", "s/p": "status post", "a/fib": "afib", "w/o": "without", "c/o": "complains of",
                 "w/": "with ", "d/o": "disorder"}  # "w/" after "w/o"
_TOKEN = re.compile(r"[a-z0-9]+")
# Whole-word abbreviations the descriptions spell out: the abdominal quadrants ("LLQ pain" is R10.32).
_WORD_ABBREV = {"ruq": ("right", "upper", "quadrant"), "luq": ("left", "upper", "quadrant"),
                "rlq": ("right", "lower", "quadrant"), "llq": ("left", "lower", "quadrant"),
                # Clinicians' abbreviations of the names the descriptions spell out, so that what qualifies them reaches
                # the specific code as the spelled-out name does: "MDD, recurrent, moderate" is F33.1, "Acute systolic
                # CHF" I50.21, "Persistent AF" I48.19, "ETOH use disorder" F10.20. (Not CKD: spelled out, its "kidney"
                # reads as "renal" and lets "... of renal origin, CKD 4" replace N18.4; its stages are curated terms.)
                # "Counseling, dietary Z71.3": what a note says was done ("counseled on nutrition") is the counseling.
                "counseled": ("counseling",),
                "chf": ("congestive", "heart", "failure"), "mdd": ("major", "depressive", "disorder"),
                "afib": ("atrial", "fibrillation"), "af": ("atrial", "fibrillation"),
                "paf": ("paroxysmal", "atrial", "fibrillation"), "cad": ("coronary", "artery", "disease"),
                "copd": ("chronic", "obstructive", "pulmonary", "disease"), "etoh": ("alcohol",),
                "t1dm": ("type", "1", "diabetes"), "t2dm": ("type", "2", "diabetes"), "dm1": ("type", "1", "diabetes"),
                "dm2": ("type", "2", "diabetes"), "hx": ("history",), "fx": ("fracture",), "lbp": ("low", "back", "pain"),
                "oud": ("opioid", "use", "disorder"), "aud": ("alcohol", "use", "disorder"), "hep": ("hepatitis",),
                "mets": ("metastases",), "lle": ("left", "lower", "extremity"), "rle": ("right", "lower", "extremity"),
                "lue": ("left", "upper", "extremity"), "rue": ("right", "upper", "extremity"),
                "atfl": ("anterior", "talofibular", "ligament"),
                # More names the descriptions spell out: coronary arteries, lung lobes, lymph nodes, DKA, vWD, DCIS.
                "rca": ("right", "coronary", "artery"), "lad": ("left", "anterior", "descending", "coronary", "artery"),
                "lcx": ("left", "circumflex", "coronary", "artery"), "rul": ("right", "upper", "lobe", "lung", "pulmonary"),
                "rml": ("right", "middle", "lobe", "lung", "pulmonary"), "rll": ("right", "lower", "lobe", "lung", "pulmonary"),
                "lul": ("left", "upper", "lobe", "lung", "pulmonary"), "lll": ("left", "lower", "lobe", "lung", "pulmonary"),
                "ln": ("lymph", "nodes"), "hf": ("heart", "failure"), "dka": ("diabetic", "ketoacidosis"), "vwd": ("von", "willebrand", "disease"),
                "dcis": ("intraductal", "carcinoma", "in", "situ"), "adenoca": ("adenocarcinoma",),
                "idc": ("invasive", "ductal", "carcinoma"), "ilc": ("invasive", "lobular", "carcinoma"),
                "hcc": ("hepatocellular", "carcinoma"), "uoq": ("upper", "outer", "quadrant"),
                "uiq": ("upper", "inner", "quadrant"), "loq": ("lower", "outer", "quadrant"),
                "liq": ("lower", "inner", "quadrant"), "lac": ("laceration",),
                "aom": ("acute", "otitis", "media"), "bcc": ("basal", "cell", "carcinoma"),
                "scc": ("squamous", "cell", "carcinoma"), "poag": ("primary", "open", "angle", "glaucoma"),
                "tka": ("total", "knee", "arthroplasty"), "tha": ("total", "hip", "arthroplasty"),
                "tsa": ("total", "shoulder", "arthroplasty"), "rtsa": ("reverse", "shoulder", "arthroplasty"),
                "ptsd": ("post", "traumatic", "stress", "disorder"),
                "npdr": ("nonproliferative", "diabetic", "retinopathy"), "ou": ("bilateral",),  # oculus uterque
                "tm": ("tympanic", "membrane"), "tms": ("tympanic", "membrane"),
                # ENT, eye, women's and men's health, rheumatology and infection names the descriptions spell out.
                "tmj": ("temporomandibular", "joint"), "au": ("bilateral",),  # auris utraque
                "ssnhl": ("sudden", "idiopathic", "hearing", "loss"), "om": ("otitis", "media"),
                "crs": ("chronic", "rhinosinusitis"),
                "crswnp": ("chronic", "rhinosinusitis", "with", "nasal", "polyp"),
                "rls": ("restless", "legs", "syndrome"), "pmb": ("postmenopausal", "bleeding"),
                "gsm": ("genitourinary", "syndrome", "of", "menopause"), "bv": ("bacterial", "vaginosis"),
                "vms": ("vasomotor", "symptoms"), "namd": ("exudative", "age", "related", "macular", "degeneration"),
                "cmc": ("carpometacarpal",), "dcda": ("dichorionic", "diamniotic"),
                "mcda": ("monochorionic", "diamniotic"), "mcma": ("monochorionic", "monoamniotic"), "vvc": ("vulvovaginal", "candidiasis"),
                "ltbi": ("latent", "tuberculosis"), "esbl": ("extended", "spectrum", "beta", "lactamase"),
                "uvj": ("ureteral",), "upj": ("ureteral",),
                "dip": ("distal", "interphalangeal"), "pip": ("proximal", "interphalangeal"),
                "mcp": ("metacarpophalangeal",), "mtp": ("metatarsophalangeal",),
                "pharmacoresistant": ("intractable",),
                # More names the descriptions spell out: "IPF" is J84.112, "OAB" N32.81, "MCI" G31.84, "pulmonary TB"
                # A15.0, "UC pancolitis" K51.00, "PMR" M35.3, "DLBCL" C83.3-, "concussion with brief LOC" S06.0X1-.
                "ipf": ("idiopathic", "pulmonary", "fibrosis"), "oab": ("overactive", "bladder"),
                "adpkd": ("autosomal", "dominant", "polycystic", "kidney", "disease"),
                "cidp": ("chronic", "inflammatory", "demyelinating", "polyneuritis"),
                "mci": ("mild", "cognitive", "impairment"), "ida": ("iron", "deficiency", "anemia"),
                "itp": ("immune", "thrombocytopenic", "purpura"), "dlbcl": ("diffuse", "large", "b", "cell", "lymphoma"),
                "amd": ("age", "related", "macular", "degeneration"), "armd": ("age", "related", "macular", "degeneration"),
                "cnv": ("choroidal", "neovascularization"), "pmr": ("polymyalgia", "rheumatica"),
                "gca": ("giant", "cell", "arteritis"), "tb": ("tuberculosis",), "uc": ("ulcerative", "colitis"),
                "nsclc": ("nonsmall", "cell", "lung", "carcinoma"), "sclc": ("small", "cell", "lung", "carcinoma"),
                "loc": ("loss", "of", "consciousness"), "o2": ("oxygen",),
                "crpc": ("castration", "resistant", "prostate", "cancer"), "utis": ("uti",),
                "mcrpc": ("metastatic", "castration", "resistant", "prostate", "cancer"),
                "ocp": ("oral", "contraceptive"), "ocps": ("oral", "contraceptive"),
                "aaa": ("abdominal", "aortic", "aneurysm"), "avr": ("aortic", "valve", "replacement"),
                "mvr": ("mitral", "valve", "replacement"), "des": ("drug", "eluting", "stent"), "vit": ("vitamin",),
                # "Chronic hypoxemic resp failure" is J96.11, "respiratory failure with hypoxia" in the Tabular.
                "hypoxemic": ("hypoxia",), "hypoxic": ("hypoxia",), "hypercapnic": ("hypercapnia",),
                "hypercarbic": ("hypercapnia",), "resp": ("respiratory",), "bilat": ("bilateral",),
                "mod": ("moderate",), "ppx": ("prophylaxis",),
                # Neurology and retina names the descriptions spell out.
                "crao": ("central", "retinal", "artery", "occlusion"), "crvo": ("central", "retinal", "vein", "occlusion"),
                "brao": ("retinal", "artery", "branch", "occlusion"), "brvo": ("branch", "retinal", "vein", "occlusion"),
                "cme": ("cystoid", "macular", "edema"), "tth": ("tension", "type", "headache"),
                "jme": ("juvenile", "myoclonic", "epilepsy"), "dlb": ("dementia", "with", "lewy", "bodies"),
                "cts": ("carpal", "tunnel", "syndrome"), "radic": ("radiculopathy",), "hsv": ("herpes", "simplex"),
                # Antiphospholipid syndrome D68.61, obesity hypoventilation syndrome E66.2, methotrexate (Z79.631),
                # systemic sclerosis, and the sensorineural hearing loss the descriptions spell out (not "cHL": Hodgkin).
                "aps": ("antiphospholipid", "syndrome"), "ohs": ("obesity", "hypoventilation", "syndrome"),
                "mtx": ("methotrexate",), "snhl": ("sensorineural", "hearing", "loss"), "ssc": ("systemic", "sclerosis"),
                "rrms": ("relapsing", "remitting", "multiple", "sclerosis"),
                "aecopd": ("acute", "exacerbation", "of", "chronic", "obstructive", "pulmonary", "disease"),
                # Ordinals as the descriptions spell them: "5th metatarsal", "2nd trimester", "3rd degree burn".
                # Session 20: chemotherapy ("neutropenia due to chemo" is D70.1), lower extremities ("bilat LE
                # edema" is localized, R60.0), the internal carotid artery ("R ICA stenosis" is I65.21).
                "chemo": ("chemotherapy",), "le": ("lower", "extremity"), "ica": ("internal", "carotid", "artery"),
                "1st": ("first",), "2nd": ("second",), "3rd": ("third",), "4th": ("fourth",), "5th": ("fifth",)}
_NUMERALS = {"ii": "2", "i": "1", "two": "2", "one": "1", "iii": "3", "three": "3", "iv": "4", "four": "4", "v": "5", "five": "5",
             "iiia": "3a", "iiib": "3b"}
_KEEP_S = ("ss", "us", "is", "ys")
# (A decimal point is no clause end, "TSH 0.2, normal FT4"; nor the period of "vs.", "e.g.", "i.e.", "approx.".)
_CLAUSE_END = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[;:!?\n])+")
_ABBREVIATION_PERIOD = re.compile(r"\b(vs|e\.g|i\.e|approx|cf)\.", re.IGNORECASE)
# A one-letter abbreviation before a lowercase word is a genus or an initial, not a clause end: "H. pylori",
# "E. coli", "C. diff".
_INITIAL = re.compile(r"\b([A-Za-z])\.(?=[ \t]*[a-z])")
# A question mark before a term queries it, as British notes write a suspected diagnosis: "Imp: ?UTI",
# "? Bell's palsy", "PMH: ?unstable angina". After a word it ends a question ("Any pain? No.").
_QUERY = re.compile(r"(^|[\s(/,;:])\?[ \t]*(?=[A-Za-z])")
# A question asks, it states nothing, when it goes unanswered, is answered no, or another question follows: "Have you
# ever had a stroke?", "Diabetes? No.", "Doctor: Any diabetes? Patient: No.". Answered, it is the finding: "Cough? Yes,
# productive.", "Do you have diabetes? I do, type 2.", "Fever? Tmax 102 last night."
_QUESTION = re.compile(
    r"([^.;:!?\n]+)\?(?=[\s)\"']*(?:$|\n|[^.!?\n]*\?|(?:(?:patient|pt|doctor|dr|clinician|nurse|mother|father|mom|dad)"
    r"[ \t]*:[ \t]*)?(?:no|nope|nah|none|never|not|denies|negative|nil|n|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t)\b))",
    re.IGNORECASE)
# A term with its status as a value after it reads as the status before it: "HIV serology: negative", "Pneumonia: no",
# "Fever - denies", "DM (-)", "Chest pain nil", "COVID-19 PCR negative", "Sepsis: r/o". The term is a short head of a
# clause or of a comma-separated item, so "Pneumonia, strep test negative" negates only the strep test. A receptor,
# stain or blood group status is no negation ("ER negative", "gram negative", "Rh negative").
_NEGATED_VALUES = ("negative", "neg", "no", "none", "nil", "denies", "denied", "absent", "not present", "not seen",
                   "not detected", "not found", "nonreactive", "non-reactive", "non reactive", "not reactive", "resolved",
                   "ruled out", "excluded", "never", "n", "(-)", "none reported", "not reported")
_RESULT_VALUES = ("negative", "neg", "nil", "not detected", "nonreactive", "non-reactive", "(-)")  # no ":" needed
_UNCERTAIN_VALUES = ("r/o", "rule out", "to rule out", "suspected", "possible", "probable", "query")


def _status_value(values: Sequence[str]) -> str:
    return "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))


_STATUS_AFTER = re.compile(
    r"(?:^|(?<=[.;:!?\n,]))(\s*)(?![^.;:!?\n,]*\b(?:er|pr|her2|receptor|gram|rh|triple)\s*(?:[-:]\s*)?(?:negative|neg)\b)"
    r"((?:[^\s.;:!?\n,]+[ \t]+){0,3}?[^\s.;:!?\n,]+)(?:\s*(?::|\s[-\u2013]\s)\s*(?:(?P<neg>" + _status_value(_NEGATED_VALUES) + r")|(?P<unc>"
    + _status_value(_UNCERTAIN_VALUES) + r"))|\s+(?P<result>" + _status_value(_RESULT_VALUES) + r"))(?:\s+today)?\s*(?=[.;!?\n,]|$)",
    re.IGNORECASE,
)


# A list introduced by what might happen keeps its cue across the colon: "Return precautions reviewed: worsening pain,
# fever, vomiting", "Red flags: chest pain, syncope"; so does a family history heading ("FH: breast cancer" is Z80.3).
_CUE_COLON = re.compile(r"\b(return precautions|red flags?|safety[- ]netting|warning signs|side effects|risks|fh|fhx|"
                        r"family history|family hx)\b([^.;:!?\n]{0,30}):",
                        re.IGNORECASE)


# "No fevers, chills, + cough", "(+) dysuria": a plus before a finding affirms it, as "positive for" does. Between two
# words it is "and" ("yellow fever + typhoid vaccines", "hot flashes + night sweats").
_PLUS_BEFORE = re.compile(r"(^|[,;(][ \t]*|(?<![A-Za-z])[ \t]+)(?:\(\+\)|\+)[ \t]*(?=[A-Za-z])")
# ", and" before a new subject starts a new clause: in "denies fever, and the rash on her leg is spreading" the denial
# ends at the comma.
_NEW_SUBJECT = re.compile(r",\s+and\s+(?=(?:the|she|he|her|his|it|there|they|i|we|my|patient|pt)\b)", re.IGNORECASE)


# "HIV-neg", "HCV-negative": a result joined to its test.
_JOINED_NEGATIVE = re.compile(r"\b([A-Za-z][A-Za-z0-9]*)-(?=(?:neg|negative)\b)", re.IGNORECASE)


def _status_before(m: re.Match[str]) -> str:
    # The term's clause ends with it: "IgM HAV negative, HBsAg+" denies nothing after the comma.
    return f"{m.group(1)}{'query' if m.group('unc') else 'no'} {m.group(2)};"


def stem(token: str) -> str:
    # Plural folding only: enough for "headaches"/"headache"; both sides of every match use it. Greek plurals in
    # "-oses" are "-osis" ("actinic keratoses", "venous thromboses", "stenoses"; "doses" is too short to be one).
    if len(token) > 7 and token.endswith("oses"):
        return token[:-2] + "is"
    if len(token) > 3 and token.endswith("s") and not token.endswith(_KEEP_S):
        return token[:-1]
    return token


# British spellings read as the American ones the ICD-10-CM descriptions use ("haematuria", "oedema", "coeliac",
# "hypercholesterolaemia", "tumour"): both the notes and the descriptions go through here, so a UK note matches.
_BRITISH = {
    "aem": "em", "aesth": "esth", "oedem": "edem", "oesoph": "esoph", "oestr": "estr", "coeli": "celi", "faec": "fec",
    "foet": "fet", "paed": "ped", "gynaec": "gynec", "caec": "cec", "aetiol": "etiol", "rrhoea": "rrhea",
    "pnoea": "pnea", "leucocyt": "leukocyt", "tumour": "tumor", "behaviour": "behavior", "colour": "color",
    "isation": "ization", "sulph": "sulf", "generalis": "generaliz", "localis": "localiz", "immunis": "immuniz",
    "hospitalis": "hospitaliz", "sensitis": "sensitiz", "counsell": "counsel",
}
_BRITISH_RE = re.compile("|".join(sorted(_BRITISH, key=len, reverse=True)))


# Signs and habits whose "non-" form says they are absent ("abdomen non-tender, non-distended", "non-smoker"): there
# "non" stays a negation cue.
_NON_ABSENT = frozenset((
    "tender", "distended", "palpable", "reactive", "smoker", "smoking", "drinker", "diabetic", "hypertensive",
    "febrile", "icteric", "edematous", "erythematous", "labored", "focal", "contributory",
))


def _join_prefixes(raw: list[str]) -> list[str]:
    """"non" and "pre" are prefixes joined to their words. "non" is mostly a prefix, not a negation of what follows: "non-small cell lung cancer" is lung cancer,
    "non-Hodgkin lymphoma" a lymphoma. It is joined to its word as ICD-10-CM writes such words ("nondisplaced",
    "nonalcoholic", "non-Hodgkin"), so "non-alcoholic" and "nonalcoholic" read alike; before a sign or habit it says is
    absent (``_NON_ABSENT``) it stays a negation cue."""
    if "non" not in raw and "pre" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        # "pre" too, always: "pre-existing" is no "PRES" (I67.83's inclusion term), "pre-diabetes" is "prediabetes".
        following = raw[i + 1] if i + 1 < len(raw) else ""
        if following.isalpha() and (raw[i] == "pre" or raw[i] == "non" and following not in _NON_ABSENT):
            out.append(raw[i] + following)
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return out


_POSSESSIVE = re.compile(r"'s\b")


# "Influenza A", "flu B": the capital letter names the virus's type (an article would be lowercase).
_FLU_TYPE = re.compile(r"\b((?i:influenza|flu))[ -]([AB])\b")
# A capital R or L before a word is its side: "R knee OA", "L ankle sprain", "Lac to R index finger", "L 5th toe".
# (Also at the end of a clause or an item, after what it qualifies: "Torus fx distal radius L, 3 wk recheck"; not after
# a number, where it is a litre: "2 L IVF".)
# "R>L", "L > R": both sides, one worse.
_BOTH_WORSE = re.compile(r"\b(?:R\s*>\s*L|L\s*>\s*R)\b")
# "R-sided sciatica", "L-sided hemiparesis": the side's letter before "-sided".
_SIDED_LETTER = re.compile(r"\b([RL])-(?=sided\b)")
_SIDE_LETTER = re.compile(r"\b([RL])\b\.?(?=[ \t]+(?:[A-Za-z]|[1-5](?:st|nd|rd|th)\b))|(?<!\d )(?<!\d)\b([RL])\b(?=\s*(?:[,;)]|\s[-–—]\s|$))")
# "Breast ca", "Hx of lung ca": cancer after its site (alone, "Ca" is calcium).
_SITE_CA = re.compile(r"\b((?i:breast|lung|prostate|colon|rectal|bladder|skin|ovarian|cervical|pancreatic|thyroid|renal"
                      r"|kidney|liver|gastric|stomach|endometrial|uterine|esophageal|colorectal)) ca\b", re.IGNORECASE)
# "Ca of bladder", "urothelial ca": cancer before its site, and a carcinoma after its cell type.
_CA_OF_SITE = re.compile(r"\bca(?= of (?:the )?(?:breast|lung|prostate|colon|rectum|bladder|skin|ovary|cervix|pancreas|"
                         r"thyroid|kidney|liver|stomach|endometrium|uterus|esophagus|tongue|larynx|bile duct)\b)",
                         re.IGNORECASE)
_CELL_CA = re.compile(r"\b((?i:urothelial|transitional cell|ductal|lobular|papillary|follicular|medullary|small cell|"
                      r"renal cell|hepatocellular|serous|mucinous|clear cell)) ca\b", re.IGNORECASE)
# "Conductive HL": a hearing loss where its kind says so ("HL" alone is also Hodgkin lymphoma).
_HEARING_LOSS = re.compile(r"\b(conductive|sensorineural|mixed)\s+HL\b", re.IGNORECASE)
_CA_WORD = re.compile(r"\bca\b", re.IGNORECASE)  # a cheap look before the three rewrites above
# "CAP" in capitals is community-acquired pneumonia ("cap" is a cap or a capsule).
_CAP = re.compile(r"\bCAP\b")
# "Both eyes", "both knees": the bilateral codes (the descriptions say "bilateral").
_BOTH_EYES = re.compile(r"\b(?:both|bilateral) (?:eyes|ears)\b", re.IGNORECASE)  # "Presbycusis, bilateral" H91.13
_BOTH = re.compile(r"\bboth (?=(?:eyes|ears|knees|hips|shoulders|legs|feet|hands|breasts|lungs|kidneys|ankles|wrists|"
                   r"elbows|lower|upper|1st|first|thumbs|great toes|big toes)\b)", re.IGNORECASE)


# "Burn, partial thickness -- see Burn, by site, second degree"; full thickness: third degree (only for burns: a
# pressure ulcer's "full thickness skin loss" is its stage).
_BURN_THICKNESS = re.compile(r"\b(partial|full)[- ]thickness\b", re.IGNORECASE)
_MATERNAL_AGE = re.compile(r"\bmaternal age\b", re.IGNORECASE)
_ACQUIRED_ABSENCE = re.compile(r"\bacquired absence\b", re.IGNORECASE)
# "MS" and "PE" are also mitral stenosis and the physical examination: read as multiple sclerosis and pulmonary embolism
# only after the words that name them so ("relapsing-remitting MS", "hx of PE", "saddle PE").
_MS_PE = re.compile(r"\b((?i:relapsing[- ]remitting|progressive|hx of|hx|history of|acute|recurrent|bilateral|saddle|provoked|unprovoked|"
                    r"massive|submassive|segmental|subsegmental)\s+)(MS|PE)\b")
_DVT_PE = re.compile(r"\b((?i:dvt)\s*(?:and|/|&|\+|,)\s*)PE\b")
# "RA" is rheumatoid arthritis, except as room air ("98% on RA", "RA sat 95%"), the right atrium ("RA enlargement",
# "dilated RA", "RA lead") or a receptor agonist ("GLP-1 RA").
_RA = re.compile(r"(?<![/\w])RA(?![/\w])")
_NOT_RA_BEFORE = re.compile(r"(?:\bon|%|\d|\bglp|\breceptor|\broom|\bdilated|\benlarged|\bthe|\bsat|\bsats|\bspo2|\bo2)\s*$", re.IGNORECASE)
_NOT_RA_AFTER = re.compile(r"^\s*(?:pressure|enlargement|size|dilat\w*|mass|thromb\w*|lead|sat\w*|and rv|/)",
                           re.IGNORECASE)


def _by_context(name: str, not_before: re.Pattern[str], not_after: re.Pattern[str] | None, *,
                after: int, unless_after: re.Pattern[str] | None = None) -> Callable[[re.Match[str]], str]:
    """An abbreviation's reading by the words around it: ``name`` unless the 12 characters before (where the ``after``
    after it do not match ``unless_after``) or the ``after`` after it say otherwise. (Lower case once read: a clause
    cut from its context is not read again.)"""
    def read(m: re.Match[str]) -> str:
        said_before, said_after = m.string[max(0, m.start() - 12) : m.start()], m.string[m.end() : m.end() + after]
        other = (not_before.search(said_before) and not (unless_after and unless_after.match(said_after))) or (
            not_after is not None and not_after.match(said_after))
        return m.group().lower() if other else name
    return read


_rheumatoid = _by_context("rheumatoid arthritis", _NOT_RA_BEFORE, _NOT_RA_AFTER, after=14)


# The rheumatoid factor as ICD-10-CM divides rheumatoid arthritis (M05 with it, M06.0- without it): the notes' and the
# descriptions' words both read as "seropositive" / "seronegative", so "without rheumatoid factor" is no default
# absence a note need not state, and "RA of left wrist" is no seronegative RA.
_RF_POSITIVE = re.compile(r"\b(?:with rheumatoid factor|(?:rheumatoid factor|rf)\s*(?:positive|pos\b|\+)|positive "
                          r"(?:rheumatoid factor|rf)\b|\+\s*rf\b)", re.IGNORECASE)
_RF_NEGATIVE = re.compile(r"\b(?:without rheumatoid factor|(?:rheumatoid factor|rf)\s*(?:negative|neg\b|-(?!\w))|"
                          r"negative (?:rheumatoid factor|rf)\b)", re.IGNORECASE)
# "OD" / "OS" (oculus dexter / sinister) are the right and left eye in a statement about the eyes ("OD" is also an
# overdose elsewhere).
_EYE_SIDE = re.compile(r"\b(OD|OS)\b")
_EYE_WORDS = re.compile(r"\b(?:eyes?|cataracts?|glaucoma|retina\w*|macula\w*|iop|cornea\w*|conjunctiv\w*|amd|armd|"
                        r"lens|pseudophakia|uveitis|iritis|keratitis|pterygium|chalazion|hordeolum|blephar\w*|vision|"
                        r"visual|ptosis|drusen|vitreous|floaters?|choroid\w*|optic|ocular|intraocular|va|rhegmatogenous|retinopexy|"
                        r"vitrectomy|phaco\w*|iol|amblyopia|strabismus|diplopia|keratoconus|dfe|oct|intravitreal|"
                        r"latanoprost|timolol|subconjunctival|conjunctival|retinopathy|npdr|pdr|anti-vegf|fovea\w*|geographic|iridocyclitis|"
                        r"crao|crvo|brvo|pinguecula|dendrit\w*|hyperopi\w*|myopi\w*|astigmatism|presbyopia|capsul\w*|poag|pacs?|pacg|"
                        r"ntg|lpi|slt|gonio\w*|bcva|esotropia|exotropia|dermatochalasis|meibomian|ppv|pciol|erm)\b", re.IGNORECASE)
# ... where PVD is the vitreous's posterior detachment (elsewhere peripheral vascular disease) and RD the retina's.
_EYE_NAMES = {"PVD": " posterior vitreous detachment ", "RD": " retinal detachment ", "CNV": " choroidal neovascularization ",
              "DME": " diabetic macular edema ", "PDR": " proliferative diabetic retinopathy "}
_EYE_ABBREV = re.compile(r"\b(?:PVD|RD|CNV|DME|PDR)\b")
# "ED" is erectile dysfunction only as a problem's name: never "in the ED", "ED visit", "to ED".
_ED = re.compile(r"(?<![/\w])ED(?![/\w&])(?!\s*&\s*C\b)")  # not "ED&C" (electrodesiccation and curettage)
_NOT_ED_BEFORE = re.compile(r"(?:\b(?:the|in|to|from|at|an|our|via|per|this|same|peds|pediatric|er|an)|/)\s*$",
                            re.IGNORECASE)
_NOT_ED_AFTER = re.compile(r"^\s*(?::|visits?|course|physician|provider|notes?|stay|presentation|eval\w*|triage|work\s*up|"
                           r"doc\w*|attending|admission|return|precautions|boarding|bed|staff|team|setting|/)", re.IGNORECASE)


_erectile = _by_context("erectile dysfunction", _NOT_ED_BEFORE, _NOT_ED_AFTER, after=16)
# "OA" is osteoarthritis ("OA R shoulder", "R hip primary OA"), but not where it is why a joint was replaced ("s/p L
# THA for OA": no osteoarthritis now).
# (A joint named after it keeps it: "Pre-op before R TKA for primary OA of R knee".)
_OA = re.compile(r"(?<![/\w])oa(?![/\w])", re.IGNORECASE)
_osteoarthritis = _by_context(
    "osteoarthritis", re.compile(r"\bfor\s+(?:primary\s+|severe\s+|end[- ]stage\s+)?$", re.IGNORECASE), None,
    after=12, unless_after=re.compile(r"\s*(?:of\b|,?\s*(?:r|l|right|left|bilat\w*)\b)", re.IGNORECASE))


# "PD" is Parkinson's disease in a statement about it (elsewhere peritoneal dialysis or progressive disease).
_PD = re.compile(r"(?<![/\w-])PD(?![/\w-])")
_PARKINSON_WORDS = re.compile(r"\b(?:levodopa|carbidopa|sinemet|dyskinesi\w*|bradykinesia|rigidity|resting tremor|"
                              r"wearing[- ]off|motor fluctuations?|entacapone|pramipexole|ropinirole|rasagiline|"
                              r"selegiline|safinamide|amantadine|dbs|deep brain|parkinson\w*|datscan|hoehn)\b",
                              re.IGNORECASE)


def _read_in_context(text: str) -> str:
    """"ED", "RA" and "OA" as their words around them read them, "PD" in a statement about Parkinson's disease, and
    OD / OS / PVD / RD ... in a statement about the eyes
    ("Dilated exam: Weiss ring, complete PVD OS": the eye words may be in another clause), in tokens and in a statement
    before its clauses cut it."""
    if "ED" in text:
        text = _ED.sub(_erectile, text)
    if "RA" in text:
        text = _RA.sub(_rheumatoid, text)
    if "OA" in text or "oa" in text:
        text = _OA.sub(_osteoarthritis, text)
    if "PD" in text and _PARKINSON_WORDS.search(text):
        text = _PD.sub("parkinson disease", text)
    if ("OD" in text or "OS" in text or "D" in text and _EYE_ABBREV.search(text)) and _EYE_WORDS.search(text):
        text = _EYE_SIDE.sub(lambda m: " right eye " if m.group() == "OD" else " left eye ", text)
        text = _EYE_ABBREV.sub(lambda m: _EYE_NAMES[m.group()], text)
    return text


_PADS = re.compile(r"\b[Pp]ads\b|(?:" + "|".join(f"(?<=[{w[0].upper()}{w[0]}]{w[1:]} )" for w in (
    "elbow", "heel", "knee", "heating", "gel", "foam", "ice", "gauze")) + r")pad\b")
# Words of an examination or of healing bone, not a disease: "scleral depression" (an exam technique), "bridging
# callus" (a healing fracture's, no skin callus L84).
# A tear's thickness is whether it is complete ("full-thickness supraspinatus tear" is a complete rotator cuff tear); a
# spontaneous perforation of the ear drum is its rupture (H66.01-); "RTC" before a tear or repair is the rotator cuff
# (elsewhere "return to clinic").
_TEAR_THICKNESS = re.compile(r"\b(full|partial)[- ]thickness(?=(?:\s+[\w-]+){0,2}\s+tears?\b)", re.IGNORECASE)
_EARDRUM_RUPTURE = re.compile(r"\bspontaneous (?:tm|tympanic membrane|ear ?drum) (?:perforation|rupture)\b", re.IGNORECASE)
_ROTATOR_CUFF = re.compile(r"\bRTC(?=\s+(?:tear|repair|tendinopathy|tendinitis|tendinosis|injury|strain)s?\b)")
# "Uveitis, anterior -- see Iridocyclitis".
_ANTERIOR_UVEITIS = re.compile(r"\banterior uveitis\b", re.IGNORECASE)
_NOT_A_FINDING = re.compile(r"\bscleral depression\b|\b(?:bridging|fracture|bony|bone|periosteal|early|abundant|"
                            r"interval|mature|healing) callus\b", re.IGNORECASE)
_FALLS_HISTORY = re.compile(r"\b(?:hx|h/o|history)\s+(?:of\s+)?(?:(?:recurrent|multiple|frequent|repeated)\s+)?fall(?:s|ing)\b",
                            re.IGNORECASE)
_NOT_A_FIT = re.compile(r"\b(coughing|sneezing|laughing|crying|anger|temper) fits?\b|\bfit(?=\s+(?:\w+\s+)?"
                        r"(?:hearing aids?|glasses|lens(?:es)?|contacts|brace|splint|boot|sling|pessary|device|cpap|mask))",
                        re.IGNORECASE)
# Session 20. The FIB-4 score is no fibrillation ("a fib"); "Paget's disease of bone -- see Osteitis, deformans" (M88.-,
# its site after it; not the breast's or the vulva's Paget disease); ribs fractured "7th-9th" or "5-7" are several
# ("Fracture, rib, multiple S22.4-").
_FIB4 = re.compile(r"\bfib[- ]?4\b", re.IGNORECASE)
_PAGET_OF_BONE = re.compile(r"\bpaget(?:'?s)? disease(?= of (?:the )?(?:bones?|skull|spine|vertebrae|pelvis|femur|tibia)\b)",
                            re.IGNORECASE)
_METASTATIC_TO = re.compile(r"\bmetastatic ((?:[a-z]+ ){0,2}?(?:carcinoma|adenocarcinoma|cancer|ca|melanoma|sarcoma|"
                           r"neoplasm|malignancy|disease)) (?=to\b)", re.IGNORECASE)  # "metastatic X to liver": X's
# "Pancreatitis, chronic, alcohol-induced K86.0", "acute, alcohol induced K85.2-": an alcoholic pancreatitis.
_ALCOHOLIC_PANCREATITIS = re.compile(r"\balcoholic (?=(?:acute |chronic )?pancreatitis\b)", re.IGNORECASE)
_VACCINES_CURRENT = re.compile(r"\b(?:immunizations?|vaccines?|vaccinations?|shots)\s+(?:are\s+|is\s+)?"
                               r"(?:up[- ]to[- ]date|utd|current)\b", re.IGNORECASE)
# "Abnormal findings" as one more word beside "abnormal": an examination "with abnormal findings" (Z00.01, Z01.411)
# needs both said, "normal findings" says neither.
_ABNORMAL_FINDING = re.compile(r"\babnormal findings?\b", re.IGNORECASE)
# Scores named after what they screen for are no finding of it: "GAD-7", "PHQ-9", "FIB-4" (above); grades or a weight
# "falling" are no falls (R29.6); a normal weight gain is no abnormal one (R63.5).
_SCORE_NAME = re.compile(r"\b(gad|phq)[- ]?(\d{1,2})\b", re.IGNORECASE)
_NOT_A_FALL = re.compile(r"\b(?:(weight|grades|growth|scores|hgb|hemoglobin|platelets|bp) )?falling\b"
                         r"(?(1)|(?=\s+(?:grades|behind|asleep|apart|percentiles?|from|off)\b))", re.IGNORECASE)
_NORMAL_GAIN = re.compile(r"\b(?:normal|appropriate|adequate|good|steady) weight gain\b", re.IGNORECASE)
# An annual exam of one organ is no annual general examination (Z00.00): "HCQ, annual eye exam", "annual foot exam".
_ORGAN_EXAM = re.compile(r"\b(?:annual|yearly|routine) ((?:dilated |diabetic |retinal |comprehensive )?(?:eye|foot|feet|skin|"
                         r"dental|retinal|ophthalmolog\w*|hearing|vision|breast|pelvic|prostate) exam(?:ination)?s?)\b",
                         re.IGNORECASE)
# "Depression, recurrent -- see Disorder, depressive, recurrent" (F33, "Major depressive disorder, recurrent"): a
# recurrent depression is the major one ("Depression, recurrent, mild" is F33.0, not F33.8's brief episodes).
_RECURRENT_DEPRESSION = re.compile(r"\bdepression(?=,?\s+recurrent\b)|(?<=\brecurrent )depression\b", re.IGNORECASE)
_PARTIAL_NEPHRECTOMY = re.compile(r"\bpartial nephrectomy\b", re.IGNORECASE)
_RIB_RANGE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s*(?:-|\u2013|to|through)\s*\d{1,2}(?:st|nd|rd|th)?(?=\s+ribs\b)",
                        re.IGNORECASE)
_PSORIATIC = re.compile(r"\bPsA\b")  # (case matters: "PSA" is the prostate-specific antigen)
_OLD_TEAR = re.compile(r"\bold ((?:bucket[- ]handle )?)tear\b", re.IGNORECASE)
_PRESSURE_INJURY = re.compile(r"\b(deep tissue )?pressure injur(?:y|ies)\b", re.IGNORECASE)
_UNKNOWN_PRIMARY = re.compile(r"\b(?:primary (?:site )?(?:is )?unknown|unknown primary(?: site)?)\b", re.IGNORECASE)
_CHEMICAL_BURN = re.compile(r"\b(?:chemical|caustic) burns?\b", re.IGNORECASE)
# "Concussion with LOC ~10 min": the duration of the loss of consciousness as the descriptions say it (S06.-X1- "of 30
# minutes or less", -X2- "of 31 minutes to 59 minutes").
_LOC_MINUTES = re.compile(r"\b(loc|loss of consciousness)\s*\(?\s*(?:of|for|x|~|about|approx\.?|approximately|<|under)?\s*"
                          r"~?\s*(\d+)\s*(s|secs?|seconds?|min|mins|minutes?)\b\)?", re.IGNORECASE)


def _loc_duration(m: re.Match[str]) -> str:
    minutes = int(m.group(2)) / (60 if m.group(3).lower().startswith("s") else 1)
    return ("loss of consciousness of 30 minutes or less" if minutes <= 30 else
            "loss of consciousness of 31 minutes to 59 minutes" if minutes < 60 else m.group(0))


# Epilepsy in the ILAE's words: drug-resistant is intractable ("pharmacoresistant" in G40.-1-), a focal aware seizure
# a simple partial one, a focal impaired awareness seizure a complex partial one.
_DRUG_RESISTANT = re.compile(r"\b(?:drug|medication|medically|treatment)[- ](?:resistant|refractory)\b", re.IGNORECASE)
_FOCAL_AWARENESS = re.compile(r"\bfocal (impaired )?aware(?:ness)?\b", re.IGNORECASE)
# Multiple sclerosis "with activity" (new or enhancing lesions, relapses) is the active form (G35.A1, G35.B1, G35.C1).
_MS_ACTIVITY = re.compile(r"\bwith (?:(?:radiologic|radiological|clinical|disease|new)\s+)?activity\b", re.IGNORECASE)
# "TM intact", "TMs clear": an ear drum examined and found normal is no disorder of it (H73.9-).
_NORMAL_EARDRUM = re.compile(r"\bTMs?\b(?:\s+(?:is|are|were|was))?\s+(?:intact|clear|normal|nl|wnl|pearly(?:\s+gr[ae]y)?)\b",
                             re.IGNORECASE)
_SITE_HTN = re.compile(r"\b(portal|pulmonary|pulm|intracranial|ocular|renovascular|secondary)\s+HTN\b", re.IGNORECASE)
# The thumb's basal joint is its carpometacarpal joint, the hand's first (M18 "... of first carpometacarpal joint").
_THUMB_BASE = re.compile(r"\bthumb (?:basal|base|cmc|carpometacarpal)(?: joint)?\b|\b(?:basal|cmc|carpometacarpal) joint "
                         r"of (?:the )?thumb\b", re.IGNORECASE)
# "Jones fracture -- see Fracture, metatarsal, fifth"; "5th MT" is the fifth metatarsal.
_FIFTH_METATARSAL = re.compile(r"\b(?:(5th|fifth)\s+MT\b|jones(?:'s?)?\s+fracture)", re.IGNORECASE)
_LUMBAR_LEVEL = re.compile(r"\b[Ll][1-5](?:\s*[-/]\s*(?:([Ss]1)|[Ll]?[1-5]))?\b")
_PACKS_PER_DAY = re.compile(r"\b(\d+(?:[./]\d+)?|half|one|two|three)\s*ppd\b", re.IGNORECASE)
# A drug named as the cause of a condition ("oxycodone-induced constipation", "hypotension due to amlodipine"): the
# word "drug" the descriptions of drug-induced conditions use follows it ("Drug induced constipation" K59.03,
# "Hypotension due to drugs" I95.2); services.coding.status codes the drug's adverse effect.
_DRUG_NAMES = "|".join(sorted((re.escape(t).replace(r"\ ", "[ -]") for ts in ADVERSE_EFFECTS.values() for t in ts
                               if t not in ("drug", "drugs")), key=len, reverse=True))
_DRUG_INDUCED = re.compile(rf"\b({_DRUG_NAMES})[ -](?:induced|related)\b", re.IGNORECASE)
# ("from" only where it names a cause: not "switched her from furosemide to torsemide", "weaned from steroids").
_DUE_TO_DRUG = re.compile(
    rf"\b(due to|secondary to|caused by|(?<!switched )(?<!changed )(?<!converted )(?<!weaned )(?<!tapered )from)\s+"
    rf"((?:(?:long[- ]term|chronic|high[- ]dose|prolonged)\s+)?(?:{_DRUG_NAMES}))\b(?![ -](?:drug|induced))(?!\s+to\b)", re.IGNORECASE)
_CAUSE_CUES = ("induced", "related", "due to", "secondary to", "caused by", "from ")
# A drug's name before an effect it is known for names it the cause as well: "statin myopathy", "ACE inhibitor
# angioedema", "opioid constipation" ("insulin pump", "steroid injection" name no effect).
_DRUG_EFFECTS = ("angioedema", "cough", "myopathy", "myalgia", "myalgias", "constipation", "rash", "hives", "urticaria",
                 "hyperglycemia", "hyponatremia", "hypokalemia", "hyperkalemia", "hypoglycemia", "diarrhea", "dermatitis",
                 "eruption", "neutropenia", "thrombocytopenia", "gastritis", "nephrotoxicity", "hepatotoxicity",
                 "ototoxicity", "pancreatitis", "bradycardia", "hypotension", "dyskinesia", "dystonia", "gynecomastia",
                 "photosensitivity", "nephropathy", "nausea", "pruritus", "edema")
_DRUG_EFFECT = re.compile(rf"\b({_DRUG_NAMES})\s+(?=(?:{'|'.join(_DRUG_EFFECTS)})\b)", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    low = text.lower()  # each rewrite only where its word occurs (they run on every statement and description)
    if "flu" in low:
        text = _FLU_TYPE.sub(r"\1 type \2", text)
    if "ca" in low and _CA_WORD.search(text):
        text = _CELL_CA.sub(r"\1 carcinoma", _CA_OF_SITE.sub("cancer", _SITE_CA.sub(r"\1 cancer", text)))
    if "CAP" in text:
        text = _CAP.sub("community acquired pneumonia", text)
    if "both " in low or "bilateral e" in low:
        text = _BOTH.sub("bilateral ", _BOTH_EYES.sub("bilateral", text))
    if "thickness" in low and ("burn" in low or "scald" in low):
        text = _BURN_THICKNESS.sub(lambda m: "second degree" if m.group(1).lower() == "partial" else "third degree", text)
    if " ms" in low or " pe" in low:
        text = _MS_PE.sub(lambda m: m.group(1) + ("multiple sclerosis" if m.group(2) == "MS" else "pulmonary embolism"),
                          text)
    if "dvt" in low and "pe" in low:  # "h/o DVT and PE", "DVT/PE": the embolism beside the thrombosis
        text = _DVT_PE.sub(r"\1pulmonary embolism", text)
    text = _read_in_context(text)
    if "PsA" in text:
        text = _PSORIATIC.sub("psoriatic arthritis", text)
    if "rheumatoid factor" in low or "rf" in low:
        text = _RF_NEGATIVE.sub(" seronegative ", _RF_POSITIVE.sub(" seropositive ", text))
    if "hl" in low:
        text = _HEARING_LOSS.sub(r"\1 hearing loss", text)
    if "pad" in low:  # "pads x2/day", "elbow pad": padding, not peripheral arterial disease (PAD)
        text = _PADS.sub("padding", text)
    if "thickness" in low and "tear" in low:
        text = _TEAR_THICKNESS.sub(lambda m: "complete" if m.group(1).lower() == "full" else "incomplete", text)
    if "spontaneous" in low:
        text = _EARDRUM_RUPTURE.sub("spontaneous rupture of ear drum", text)
    if "TM" in text:
        text = _NORMAL_EARDRUM.sub("normal ear exam", text)
    if ("epilep" in low or "seizure" in low) and ("resistant" in low or "refractory" in low or "aware" in low):
        text = _FOCAL_AWARENESS.sub(lambda m: "simple partial" if m.group(1) is None else "complex partial",
                                    _DRUG_RESISTANT.sub("pharmacoresistant", text))
    if "activity" in low and ("sclerosis" in low or " ms" in low):
        text = _MS_ACTIVITY.sub("active", text)
    if "htn" in low:  # "portal HTN" is portal hypertension (K76.6), no essential hypertension
        text = _SITE_HTN.sub(r"\1 hypertension", text)
    if "thumb" in low:
        text = _THUMB_BASE.sub("first carpometacarpal joint", text)
    if "jones" in low or " mt" in low:
        text = _FIFTH_METATARSAL.sub(lambda m: "fifth metatarsal" if m.group(1) else "fracture of fifth metatarsal bone", text)
    if "RTC" in text:
        text = _ROTATOR_CUFF.sub("rotator cuff", text)
    if "anterior uveitis" in low:
        text = _ANTERIOR_UVEITIS.sub("iridocyclitis", text)
    if "scleral" in low or "callus" in low:
        text = _NOT_A_FINDING.sub(lambda m: "scleral indentation" if "scleral" in m.group().lower() else "bone healing",
                                  text)
    if "fib" in low:
        text = _FIB4.sub("fib4", text)
    if "paget" in low:
        text = _PAGET_OF_BONE.sub("osteitis deformans", text)
    if "metastatic" in low:  # "metastatic adenocarcinoma to liver" is a secondary of the liver (C78.7)
        text = _METASTATIC_TO.sub(r"\1 metastatic ", text)
    if "alcoholic" in low:
        text = _ALCOHOLIC_PANCREATITIS.sub("alcohol induced ", text)
    if "ribs" in low:
        text = _RIB_RANGE.sub("multiple", text)
    if "fall" in low:  # "Hx falls", "history of falls": one word, as the history cue would make it a past fall's
        text = _FALLS_HISTORY.sub(" fallshistory ", text)
    if "fit" in low:  # "Fit NOS" is a convulsion (R56.9); a coughing fit or fitting hearing aids is none
        text = _NOT_A_FIT.sub(lambda m: f" {m.group(1)} spell " if m.group(1) else " fitting ", text)
    if "old" in low and "tear" in low:  # "Tear, meniscus, old -- see Derangement, knee, meniscus, due to old tear"
        text = _OLD_TEAR.sub(r"derangement old \1tear", text)
    if "date" in low or "utd" in low or "current" in low:  # "immunizations up to date": none given today (no Z23)
        text = _VACCINES_CURRENT.sub(" vaccinesuptodate ", text)
    if "abnormal finding" in low:
        text = _ABNORMAL_FINDING.sub("abnormal abnormalfinding", text)
    if "gad" in low or "phq" in low:
        text = _SCORE_NAME.sub(r"\1\2", text)
    if "falling" in low:
        text = _NOT_A_FALL.sub(lambda m: f"{m.group(1) or ''} declining", text)
    if "weight gain" in low:
        text = _NORMAL_GAIN.sub("normalweightgain", text)
    if "exam" in low:
        text = _ORGAN_EXAM.sub(r"\1 every year", text)
    if "recurrent" in low and "depression" in low:
        text = _RECURRENT_DEPRESSION.sub("major depression", text)
    if "partial nephrectomy" in low:  # "Acquired absence of kidney" (Z90.5) has no "[part of]", as Z90.3 has
        text = _PARTIAL_NEPHRECTOMY.sub("partialnephrectomy", text)
    if "acquired absence" in low:  # an organ or limb removed is a status (Z89, Z90), no denial: one word
        text = _ACQUIRED_ABSENCE.sub("acquiredabsence", text)
    if "maternal age" in low:  # the patient's own age (O09.5-), no mother's history: one word
        text = _MATERNAL_AGE.sub("maternalage", text)
    if "ppd" in low:  # "1 ppd", "1/2 ppd": packs (of cigarettes) per day; "PPD" alone is the tuberculin test
        text = _PACKS_PER_DAY.sub(r"\1 packs per day", text)
    if any(cue in low for cue in _CAUSE_CUES):
        text = _DUE_TO_DRUG.sub(r"\1 \2 drug", _DRUG_INDUCED.sub(r"\1 drug induced", text))
    if any(effect in low for effect in _DRUG_EFFECTS):
        text = _DRUG_EFFECT.sub(r"\1 drug induced ", text)
    if "injur" in low and "pressure" in low:  # NPIAP's "pressure injury" is the Index's pressure ulcer
        text = _PRESSURE_INJURY.sub(lambda m: "pressure induced deep tissue damage" if m.group(1) else "pressure ulcer", text)
    if "loc" in low or "consciousness" in low:
        text = _LOC_MINUTES.sub(_loc_duration, text)
    if "chemical burn" in low or "caustic burn" in low:  # a burn by a chemical is a corrosion (T20-T32, 5th character 4-7)
        text = _CHEMICAL_BURN.sub("corrosion", text)
    if "unknown" in low and "primary" in low:  # a primary site unknown (C80.1) names no primary "of" a site
        text = _UNKNOWN_PRIMARY.sub(" unknownprimary ", text)
    if "l" in low and _LUMBAR_LEVEL.search(text):  # "L4-5 HNP", "L1 compression fracture": the lumbar region
        text = _LUMBAR_LEVEL.sub(lambda m: " lumbosacral " if m.group(1) else " lumbar ", text)
    if "R" in text or "L" in text:
        text = _BOTH_WORSE.sub("bilateral", text)
        text = _SIDED_LETTER.sub(lambda m: "right " if m.group(1) == "R" else "left ", text)
        text = _SIDE_LETTER.sub(lambda m: "right" if (m.group(1) or m.group(2)) == "R" else "left", text)
    # A possessive is no word of its own: "Crohn disease" and "Crohn's disease" read alike, on both sides.
    text = _POSSESSIVE.sub("", text.lower().replace("’", "'"))
    if not text.isascii():
        # "Sjögren", "Ménière", "Guillain-Barré": as the notes spell them and as the descriptions do.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _BRITISH_RE.sub(lambda m: _BRITISH[m.group()], text)
    for abbrev, expansion in _SLASH_ABBREV.items():
        text = text.replace(abbrev, f" {expansion} ")
    raw = _join_prefixes(_TOKEN.findall(text))
    out: list[str] = []
    for i, tok in enumerate(raw):
        # "type II" / "stage three": numerals only after the words that take them.
        if tok in _NUMERALS and i > 0 and raw[i - 1] in ("type", "stage", "grade", "class"):
            tok = _NUMERALS[tok]
        if tok == "hx" and raw[i + 1 : i + 2] != ["of"]:
            out += ["history", "of"]  # "Hx DVT" is "history of DVT" ("hx of" is one "history of")
            continue
        if tok in _WORD_ABBREV:
            out.extend(stem(t) for t in _WORD_ABBREV[tok])
            continue
        out.append(stem(tok))
    if "type" not in out:
        return out
    # "type 1" is one word: "type" is a stop word of the descriptions, and a bare "1" ("1. Diabetes", "for 1 year")
    # must not read as "Type 1 diabetes" (E10.9).
    joined: list[str] = []
    for tok in out:
        if tok in ("1", "2") and joined and joined[-1] == "type":
            joined[-1] = "type" + tok
        else:
            joined.append(tok)
    return joined


def clauses(text: str) -> list[list[str]]:
    """The clauses of a statement as tokens (a fresh list: the lexicon, the description matcher, the learned model,
    the status codes and E/M all read the same statement)."""
    return [list(c) for c in _clauses_cached(text)]


@lru_cache(maxsize=8192)
def _clauses_cached(text: str) -> tuple[tuple[str, ...], ...]:
    text = _QUERY.sub(r"\1query ", _INITIAL.sub(r"\1 ", _ABBREVIATION_PERIOD.sub(r"\1", text)))
    text = _PLUS_BEFORE.sub(r"\1 positive for ", _NEW_SUBJECT.sub("; ", text))
    if "neg" in text:
        text = _JOINED_NEGATIVE.sub(r"\1 ", text)
    text = _STATUS_AFTER.sub(_status_before, _CUE_COLON.sub(r"\1\2 ", text))
    if "(" in text:
        text = _DENIED_ASIDE.sub(r"; \1; ", text)
    # Abbreviations read by their context, before the clause ends cut it ("ED: anaphylaxis ..." is the department).
    text = _read_in_context(text)
    if "?" in text:
        text = _QUESTION.sub(r"query \1.", text)
    found = [side for part in _CLAUSE_END.split(text) for item in _denied_list(part)
             for group in _side_groups(item) if (t := tokens(group)) for side in _by_side(t)]
    # A side and a site as a heading ("R knee: radial tear of the medial meniscus", "Left eye: mild NPDR") name where
    # the next clause's finding is.
    for i in range(len(found) - 1, 0, -1):
        if (not LATERAL.isdisjoint(found[i - 1]) and all(w in HEADING for w in found[i - 1])
                and LATERAL.isdisjoint(found[i])):
            found[i - 1 : i + 1] = [found[i - 1] + found[i]]
    return tuple(tuple(c) for c in found)


# A denial in parentheses is a clause of its own: "alcoholic cirrhosis (no ascites) with hepatic encephalopathy" denies
# the ascites only.
_DENIED_ASIDE = re.compile(r"\s*\(\s*((?:no|without|denies|negative for|neg for)\b[^()]*)\)", re.IGNORECASE)
_SIDE_WORD = re.compile(r"\b(?:right|left|r|l)\b", re.IGNORECASE)
ONE_SIDE = frozenset(("right", "left"))


def _side_groups(item: str) -> list[str]:
    """A clause that says, between commas, what is found on each side ("intermediate stage OD (large drusen, pigment
    changes), early stage OS") as one clause per side; what names no side stays with the side before."""
    if "," not in item or len(_SIDE_WORD.findall(item)) < 2:
        return [item]
    groups: list[list[str]] = []
    sides: list[set[str]] = []
    for piece in item.split(","):
        side = ONE_SIDE.intersection(tokens(piece))
        if len(side) > 1:
            return [item]
        if not groups or (side and sides[-1] and side != sides[-1]):
            groups.append([piece])
            sides.append(side)
        else:
            groups[-1].append(piece)
            sides[-1] |= side
    return [",".join(g) for g in groups]


def _by_side(toks: list[str]) -> list[list[str]]:
    """A clause that names two findings each with its own side ("right carpal tunnel syndrome and left cubital tunnel
    syndrome", "right tennis elbow and right trigger thumb", "bilateral POAG, mild stage, and bilateral nuclear
    cataracts") as one clause per finding, so that each side goes with its own finding; a part that names only a side
    and a site takes the condition of the part before ("OA right hip and right knee" is M16.11 and M17.11). Only in a
    clause that affirms all it says (what a cue denies or doubts stays in one scope); "right and left knee pain" is
    one finding."""
    if "and" not in toks or LATERAL.isdisjoint(toks) or any(cue_tokens(toks)):
        return [toks]
    parts: list[list[str]] = []
    start = 0
    for i, t in enumerate(toks):
        if t == "and" and toks[i + 1 : i + 2] and toks[i + 1] in LATERAL:
            before = toks[start:i]
            if not LATERAL.isdisjoint(before) and any(w not in _NOT_A_CONDITION for w in before):
                parts.append(before)
                start = i + 1
    if not parts:
        return [toks]
    parts.append(toks[start:])
    for k in range(1, len(parts)):
        if all(w in _NOT_A_CONDITION for w in parts[k]):
            parts[k] = [w for w in parts[k - 1] if w not in _NOT_A_CONDITION] + parts[k]
    return parts


# A review of systems denies a dozen findings at once ("Denies fever, chills, night sweats, weight loss, ..., dysuria or
# hematuria"): the commas that separate them are no clause ends, and a trigger's bounded scope would stop half way.
# A clause that opens with a denial followed only by a list of short items is read as one denial per item.
_DENIAL_HEAD = re.compile(r"^\s*(?:denies|denied|no|negative for|without|nil|absence of|free of)\s+(?=\S)", re.IGNORECASE)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|or\s+|nor\s+)?|\s+(?:and|or|nor)\s+|\s*/\s*", re.IGNORECASE)
_LIST_ITEM_WORDS = 4
_NOT_AN_ITEM = re.compile(r"\b(?:but|however|although|though|except|has|have|had|reports|endorses|complains|presents|positive|"
                          r"with|who|which|is|was|were|are)\b", re.IGNORECASE)


def _denied_list(part: str) -> list[str]:
    head = _DENIAL_HEAD.match(part)
    if head is None or "," not in part:
        return [part]
    items = [i for i in _LIST_SEPARATOR.split(part[head.end():].strip()) if i]
    # "HBsAg+" is a positive result among negative ones: such a list is no denial.
    if len(items) < 3 or any(len(i.split()) > _LIST_ITEM_WORDS or "+" in i or _NOT_AN_ITEM.search(i) for i in items):
        return [part]
    return [f"no {item}" for item in items]


# ---------------------------------------------------------------- assertion context (NegEx-style)
class _Phrases(list[tuple[str, ...]]):
    """Token phrases, longest first, also indexed by their first word (a cue list runs to hundreds of phrases and is
    tried at every token)."""

    def __init__(self, items: Iterable[tuple[str, ...]]) -> None:
        super().__init__(sorted(items, key=len, reverse=True))
        self.by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for phrase in self:
            self.by_first[phrase[0]].append(phrase)


def _phrases(*items: str) -> _Phrases:
    """Cue phrases as tokens, each once: spellings that stem alike ("red flag", "red flags") are one phrase."""
    return _Phrases(dict.fromkeys(tuple(tokens(i)) for i in items))


_PSEUDO = _phrases(
    "not well controlled", "not controlled", "not at goal", "not improved", "not improving", "no improvement", "no change",
    "not resolved", "no relief", "not only", "gram negative", "not been", "without complications",
    "not certain whether", "no increase", "not necessarily", "no further", "no doubt", "without doubt",
    "non healing",  # a non-healing ulcer is an ulcer
    # "2 falls past yr", "in the past month": recent, not a past condition's cue.
    *(f"past {n}{unit}" for n in ("", "few ", "several ", "2 ", "3 ", "6 ", "12 ")
      for unit in ("year", "years", "yr", "yrs", "month", "months", "mo", "week", "weeks", "wk", "wks", "day", "days")),
    # A drug kept on: "on clopidogrel long term - cardiology prefers not to hold".
    "not to hold", "not to stop", "not to discontinue", "not to interrupt", "do not hold", "do not stop",
    # What is missing is control, treatment or a cure, not the disease: "no complications from her diabetes", "never
    # had good control of his diabetes", "could not afford her diabetes medications", "no treatment yet for her
    # hypothyroidism", "denies improvement in her depression", "there is no question that this is pneumonia".
    "no complications from", "no complications of", "no complication from", "no complication of", "never had good control", "not afford", "cannot afford", "can t afford",
    "couldn t afford", "not on any medication for", "not on medication for", "not on treatment for", "no treatment for",
    "no treatment yet for", "not yet treated", "no medication for", "not taking medication for", "not taking any medication for",
    "denies improvement", "denies any improvement", "not getting better", "never stopped", "no question", "not serious",
    "not just", "no matter",
    # A missing treatment or an unknown cause is no missing disease: "no prior treatment for her hypertension", "no
    # cause identified for her anemia", "cough has not cleared up", "lacks insight into her schizophrenia".
    *(f"{no} {prior} {what} for" for no in ("no", "without") for prior in ("prior", "previous")
      for what in ("treatment", "therapy", "surgery", "medication", "workup", "work up")),
    *(f"no {what} {found}" for what in ("cause", "source", "trigger", "etiology", "precipitating factor", "precipitant")
      for found in ("identified", "found", "determined")),
    "not cleared", "never cleared", "not healed", "partially healed", "not cured", "lacks insight", "lacking insight",
    # Ongoing since then: "a cough since last year", "three admissions in the last year" (not "pneumonia last year").
    "since last year", "the last year",
    # "a 2-week history of cough" is how long the current complaint has lasted, not a past condition (years are left
    # as history: "a 3-year history of myocardial infarction" is an old infarction).
    "hour history of", "day history of", "days history of", "week history of", "month history of",
    "triple negative", "er negative", "pr negative", "her2 negative", "receptor negative", "rh negative",
    "hormone receptor negative", "estrogen receptor negative", "progesterone receptor negative",
    # "Fever without apparent focus, dry cough and anorexia", "headache with no apparent cause, nausea": the cause is
    # unknown, the findings after it are not denied.
    *(f"{no} {article}{seen} {what}" for no in ("without", "with no", "no") for article in ("", "a ", "an ", "any ")
      for seen in ("apparent", "obvious", "evident", "clear", "known", "identifiable")
      for what in ("focus", "cause", "source", "origin", "reason", "trigger", "etiology", "precipitant")),
)
# NegEx's probable negations: "unlikely to be appendicitis", "doubt gout", "less likely pneumonia"; they read both
# ways ("appendicitis is unlikely"): triggers, post-position cues, and _BOTH_WAYS.
_PROBABLE_NEGATIONS = ("unlikely", "not likely", "less likely", "doubtful")
_TRIGGERS: list[tuple[tuple[str, ...], Assertion]] = sorted(
    [(p, Assertion.NEGATED) for p in _phrases(
        "no", "nil", "not", "denies", "denied", "deny", "denying", "without", "negative for", "neg for", "free of",
        "absence of", "absent",
        "non", "never had", "never", "nor", "ruled out", "resolved", "no sign of", "no signs of", "no evidence of",
        # Not "rules out": it stems to "rule out", which is guideline IV.H's uncertain term ("rule out pneumonia").
        "unremarkable for", "ruling out", "excluded",
        # "MRI failed to show a stroke": what a study did not find ("failure to thrive" is no cue).
        "failed to show", "failed to reveal", "failed to demonstrate", "failed to detect", "failed to identify",
        # A negated history is no history: "no hx of CVA", "without a history of cancer", "no prior MI".
        "lack of", "lacks", "lacking", "outgrew", "outgrown",
        "no hx of", "no h o", "no prior", "no previous", "no past", "without history of", "without a history of",
        "without any history of", "without prior", "neither", "nothing to suggest", "nothing suggests",
        "nothing suggestive of", "no suggestion of", "not consistent with", "not compatible with", "not suggestive of",
        # A denied risk or warning sign stays denied ("no risk factors for TB", "without warning signs of bleeding").
        *(f"{no} {cue}" for no in ("no", "without", "with no", "not", "denies", "denied") for cue in (
            "risk factor for", "risk factors for", "known risk factors for", "warning signs of", "warning sign of",
            "warning signs", "warning sign", "signs or symptoms of", "signs and symptoms of", "risk of", "increased risk of",
            "high risk for")),
        # "no longer has headaches": gone ("has" would end the scope of a bare "no longer").
        "no history of", "no longer", "no longer has", "no longer have", "no longer having",
        # "did not present fever": "presents" ends a scope ("denies cough, presents with fever") and reads as "present".
        "not present", "not presenting", "not presented",
        "no family history of", "no personal history of", "denies any history of", "denies history of",
        "denies a history of", "no known history of", "no prior history of", "no past history of",
        # Contractions as the tokens split them ("doesn't" -> "doesn t"): patients speak in them.
        "doesn t", "don t", "didn t", "isn t", "aren t", "wasn t", "weren t", "hasn t", "haven t", "hadn t",
        *_PROBABLE_NEGATIONS, "doubt",
    )]
    + [(p, Assertion.UNCERTAIN) for p in _phrases(
        "rule out", "possible", "possibly", "probable", "probably", "suspected", "suspect", "suspicion of", "suspicious for",
        "likely", "questionable", "query", "concern for", "concerning for", "consider", "considering", "cannot exclude",
        "cannot rule out", "differential", "ddx", "may be", "may have", "might", "could be", "presumed", "presumptive",
        # "I suspect she has esophagitis": the subject and "has" (a terminator) are inside the suspicion.
        *(f"{verb} {that}{who} {has}" for verb in ("suspect", "suspected") for that in ("", "that ")
          for who in ("she", "he", "they", "the patient", "patient") for has in ("has", "have", "had", "may have")),
        "worried about", "concerned about", "concerned for", "concern about", "evaluate for", "to exclude", "at risk for", "risk of", "screening for", "screening of", "screen for", "if",
        "check for", "checking for", "test for", "testing for", "assess for", "look for", "monitor for", "watch for",
        # Guideline IV.H names "compatible with" and "consistent with" among the terms of an uncertain diagnosis.
        "consistent with", "compatible with", "suggestive of", "similar to", "could correspond to",
        "may correspond to", "might correspond to",
        # A test requested names what is looked for, not what was found: "serology for syphilis and HIV".
        "serology for", "serologies for", "serology against", "serological tests for", "serological test for",
        # "What appears to be a recurrent kidney stone" (guideline IV.H: a diagnosis not yet established).
        "appears to be", "appear to be", "appearing to be",
        # Hypothetical: "He will call should he develop any dyspnea", "in case of fever", "be aware of infections".
        "be aware of", "watch out for", "look out for", "red flag", "safety netting", "safety netted",
        "should he", "should she", "should they", "should you", "should the patient", "in case of", "in the event of",
        # What a treatment is to prevent, or what a condition can lead to, is not present: "a lidocaine solution to
        # prevent dehydration", "prophylaxis against pneumonia", "diabetes can lead to kidney disease".
        "prevent", "prevents", "preventing", "prevention of", "prophylaxis", "prophylactic", "can cause", "can lead to",
        "could lead to", "may lead to", "may cause", "can result in", "to avoid",
        # What a patient is taught, warned of or fears: "warning signs of stroke discussed", "educated on the signs of
        # hypoglycemia", "risk factors for stroke", "a side effect can be a rash", "anxious about a heart attack".
        "warning signs", "warning sign", "warning symptoms", "signs and symptoms of", "risk factors for", "risk factor for",
        "return precautions", "worsening advice", "side effect", "side effects", "protects against", "protect against",
        "protection against", "afraid of", "anxious about", "scared of", "high risk for", "high risk of",
        "increased risk of", "increased risk for", "chance of", "chances of",
        # Where to go if it happens, what to look for, what a finding might be: "seek care for signs of DVT", "to be
        # checked for high blood pressure", "findings may represent pneumonia or atelectasis".
        "seek care for", "seek medical care for", "seek medical attention for", "seek immediate care for", "seek help for",
        "checked for", "to be checked for", "get checked for", "may represent", "could represent", "might represent",
        "may reflect", "could reflect", "might reflect", "may indicate", "could indicate", "might indicate",
        "may suggest", "could suggest",
        # Tests, screening and vaccination name what is looked for or prevented: "wants to be tested for HIV",
        # "screened for HIV", "pretest counseling for HIV", "surveillance for colon cancer", "immune to hepatitis B".
        "tested for", "to be tested for", "screened for", "counseling for", "counselling for", "pretest counseling for",
        "surveillance for", "observe for", "in case", "immune to", "immunity to", "vaccinated against", "vaccinated for",
        "vaccine for", "vaccine against", "vaccination against", "vaccination for",
        # What might come, what it might be, what it only resembles, what it was wrongly called, what the patient believes:
        # "may develop lymphedema", "susceptible to urinary tract infections", "working diagnosis of lupus", "rash
        # resembles psoriasis", "misdiagnosed with asthma", "thinks he has the flu".
        "may develop", "could develop", "might develop", "can develop", "at risk of developing", "could progress to",
        "may progress to", "might progress to", "impending", "susceptible to", "predisposed to", "predisposition to",
        "susceptibility to",  # "BRCA1 carrier (genetic susceptibility to breast cancer)" has no breast cancer (Z15.01)
        "working diagnosis of", "considering a diagnosis of", "low suspicion for", "low suspicion of", "resembles",
        "resembling", "mimics", "mimicking", "atypical for", "rather than", "instead of", "thought to be",
        "initially thought to be", "misdiagnosed with", "misdiagnosed as", "misdiagnosis of", "previously labeled as",
        "labeled as", "told she had", "told he had", "was told she had", "was told he had", "thinks he has",
        "thinks she has", "thinks he had", "thinks she had", "believes he has", "believes she has", "worried that",
        "concerned that", "read about",
        *(f"{verb} {the}{what}" for verb in ("discussed", "reviewed", "explained", "taught") for the in ("", "the ")
          for what in ("signs of", "symptoms of", "signs and symptoms of", "warning signs of")),
        *(f"{verb} {prep} {the}{what}" for verb in ("educated", "counseled", "counselled", "instructed", "informed", "advised")
          for prep in ("on", "about", "regarding") for the in ("", "the ")
          for what in ("signs of", "symptoms of", "risk of", "risks of", "danger of", "dangers of")),
    )]
    + [(p, Assertion.HISTORY) for p in _phrases(
        "history of", "hx of", "h o", "past history of", "personal history of", "past medical history of", "prior", "previous",
        "previously", "remote", "status post", "former", "ex", "quit", "past", "used to",
        # Over now: "recovered from COVID-19 last month" (Z86.16), "old healed rib fracture" (Z87.81).
        "recovered from", "cured of", "healed", "old healed",
        # "Follow-up after completed treatment for pneumonia" (Z09 with the history code): treated and over.
        "completed treatment for", "completed treatment of", "completed therapy for",
    )]
    + [(p, Assertion.FAMILY) for p in _phrases(
        "family history of", "family history", "fh of", "fhx", "fh", "mother", "father", "brother", "sister", "sibling", "parent",
        "grandmother", "grandfather", "aunt", "uncle", "maternal", "paternal", "mom", "mum", "dad", "son", "daughter",
        "another child", "my child", "my children", "my kid", "my kids", "her child", "her children", "her kid", "her kids",
        "his child", "his children", "his kid", "his kids", "her baby", "his baby", "my baby", "her newborn", "my newborn",
        "her infant", "my infant",
    )]
    # Not the patient and not a blood relative ("the child" alone is mostly the patient, in paediatrics).
    + [(p, Assertion.OTHER) for p in _phrases(
        "husband", "wife", "spouse", "partner", "boyfriend", "girlfriend", "fiance", "roommate", "room mate", "coworker",
        "co worker", "colleague", "neighbor", "neighbour", "classmate", "friend", "donor", "some patients",
        "other patients", "many patients", "most patients",
        # An exposure is no disease of the patient's (ICD-10-CM's Z20 contact codes): "exposure to chickenpox at
        # school", "a sick contact with influenza".
        "exposure to", "exposed to", "sick contact", "sick contacts", "contact with a patient with", "contact with someone with",
        "contact with a person with", "contact with people with", "known contact with",
        "someone with", "somebody with", "anyone with", "people with", "source patient", "source pt", "source person", "secondhand smoke",
        "second hand smoke", "passive smoke", "passive smoking", "lives with a smoker", "client", "his cat", "her cat",
        "my cat", "his dog", "her dog", "my dog", "the cat", "the dog",
    )],
    key=lambda t: len(t[0]),
    reverse=True,
)
# Triggers by first word (longest first), so each token is checked against a handful of phrases, not all.
_TRIGGERS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Assertion]]] = defaultdict(list)
for _phrase, _assertion in _TRIGGERS:
    _TRIGGERS_BY_FIRST[_phrase[0]].append((_phrase, _assertion))
# Words that end a trigger's scope inside a clause.
_TERMINATORS = _phrases(
    "but", "however", "although", "though", "except", "now", "currently", "presents", "presenting", "presented", "who",
    "which", "complains", "reports", "endorses", "positive for", "has", "here for", "today", "aside from", "apart from",
    # A finding of the patient's own after the cue: "no history other than hypertension", "sore throat is present",
    # "admits to cocaine use" ("smokes" stems to "smoke": "used to smoke" is no end).
    "other than", "besides", "is present", "are present", "admits", "admits to",
)
_PROPOSITION = frozenset(_phrases("if", "whether", "in case", "in case of"))
_WITHOUT_ENDS, _WITHOUT = _phrases("with status", "intractable"), tuple(tokens("without"))
# A cause named after a denial or a doubt is the patient's: "high risk for falls due to Parkinson disease", "ruled out
# surgery because of her aortic stenosis" (a past or a relative's condition keeps its cause: "history of bleeding due to
# peptic ulcer", "a brother's death due to lung cancer").
_CAUSES = ("due to", "because of", "secondary to", "caused by")
_CAUSE = _phrases(*_CAUSES, "diagnosed")  # after a denial: "having excluded PE, we diagnosed pneumonia"
# What the patient owns is the patient's: "risks of anticoagulation for her atrial fibrillation", "afraid of her
# seizures", "her husband brought her in for her worsening COPD" end a doubt or another person's scope, as a cause does.
_OWN = _phrases("her", "his", "their", "given", "brought", *_CAUSES)
# A relative is the subject of what follows ("my mom has diabetes"): "has" ends no family scope, the patient does.
# Nor does "who": "a mother who had breast cancer", "another child who died of cardiac arrest".
_FAMILY_TERMINATORS = _Phrases([*(p for p in _TERMINATORS if p not in (("has",), ("who",))),  # also another person's
                                 *_phrases("he", "she", "i", "patient")])
# A diagnosis named after what a trigger denies is not denied: "no fever, diagnosis of pneumonia", "after ruling
# out a penetrating wound, a diagnosis of scleral rupture was made" (right after the trigger it is denied: "no
# diagnosis of diabetes", "never diagnosed with asthma").
_NAMES_A_DIAGNOSIS = _phrases("diagnosis of", "diagnosed with", "diagnosed as", "diagnosis was")
# Post-position triggers: they act on what came before them in the clause.
_POST = _phrases("ruled out", "was ruled out", "resolved", *_PROBABLE_NEGATIONS, "excluded", "is negative", "was negative",
                 "were negative", "are negative", "is also negative", "was also negative", "were also negative",
                 "are also negative", "within normal limits", "within normal range", "wnl", "unremarkable",
                 "within a normal limits", "within the normal limits", "within normal limit", "within the normal range",
                 "in the normal range", "within the reference range", "within reference range", "within reference limits",
                 "is normal", "was normal", "were normal", "are normal", "is gone", "are gone", "went away",
                 "has gone away", "have gone away",
                 # "Adenopathy, goiter or jugular vein engorgement is not present", "leukocytosis was not observed".
                 *(f"{be} {cue}" for be in ("is", "are", "was", "were") for cue in (
                     "not present", "absent", "not observed", "not seen", "not detected", "not found", "not identified",
                     "not visualized", "not evident", "not palpable", "not palpated", "not determined",
                     # The case reports' translation of "se descartó": "tuberculosis was dismissed".
                     "not measured", "discarded", "dismissed",
                     # "Transaminases were not elevated", "the spleen was not enlarged".
                     "not elevated", "not raised", "not increased", "not enlarged", "not dilated", "not abnormal")),
                 "has cleared", "have cleared", "cleared up", "spontaneously cleared", "cleared spontaneously", "is completely gone", "has healed", "have healed",
                 "is healed", "not suspected", "not considered likely", "has disappeared", "disappeared", "subsided",
                 "has subsided", "eradicated", "considered but unlikely", "considered unlikely", "criteria not met")
# Without the verb, as notes write it, a few words only: "pneumothorax not identified", "adenopathies not objectified"
# ("did not present" reads forward: "did not present fever").
_POST_BARE = _phrases("not identified", "not objectified", "not evidenced", "not seen", "not detected", "not observed",
                      "not visualized", "absent")
# "Source of anemia not identified": what was not found is the cause, not the anemia.
_SOUGHT = frozenset(tokens("source cause etiology origin trigger precipitant reason factor"))
_POST_BARE_REACH = 4
_EXAM_SIGNS = frozenset(tokens("monofilament sensation vibration reflex reflexes pulse pulses proprioception"))
# Post-position uncertainty: "pneumonia is suspected", "sepsis r/o", "meningitis cannot be excluded".
_POST_UNCERTAIN = _phrases(*(f"{be} {cue}" for be in ("is", "are", "was", "were") for cue in (
    "suspected", "possible", "probable", "likely", "questionable", "not excluded", "not ruled out",
    "to be ruled out", "to be excluded")), "cannot be excluded",
    "cannot be ruled out", "could not be excluded", "could not be ruled out", "not ruled out", "to be ruled out",
    "remains unclear", "is unclear", "was unclear", "remains uncertain", "is uncertain", "is pending", "remains to be seen",
    # "SIADH not confirmed": a doubt, not a denial.
    "not confirmed", "not yet confirmed", "unconfirmed", "to be confirmed")
# "Sepsis r/o", "Pneumonia, rule out": at the end of its clause "rule out" looks back (before a term it reads forward).
_POST_AT_END = _phrases("rule out")
# A post-position negation reaches back to the head of its clause, but not past a contrast: in "the film showed
# pneumonia but the culture was negative" only the culture is negative.
_CONTRAST = frozenset(("but", "however", "although", "though", "whereas", "while"))
# A bare "negative" after a test negates only the few words before it ("HIV negative", "strep test negative"); a
# receptor or stain status is no negation ("triple negative breast cancer", "ER negative", "Rh negative").
_POST_NEAR = _phrases("negative")
_PRE_TOO = _phrases("resolved")  # post-position cues that also negate forward from the head of a clause
# In the active voice these negate what follows as well: "CT ruled out a pulmonary embolism", "Ruled out pneumonia",
# "we excluded malignancy"; after a form of "be" (an adverb may come between) they are passive and look back only
# ("PE was ruled out", "hepatitis viruses were also ruled out").
_ACTIVE_TOO = _phrases("ruled out", "excluded")
_PASSIVE_BE = frozenset(tokens("is are was were be been being"))
# Probable negations read both ways anywhere: "appendicitis is unlikely", "he is unlikely to have appendicitis".
_BOTH_WAYS = frozenset(_phrases(*_PROBABLE_NEGATIONS, "prevention", "prophylaxis", "precautions"))
# What a treatment prevents, written before it: "aspirin for stroke prevention", "DVT prophylaxis".
# "seizure precautions"; "colon cancer screening", "hepatitis C screening": screened for, not found (the encounter's
# Z11-Z13 code comes from services.coding.status)
_POST_NEAR_UNCERTAIN = _phrases("prevention", "prophylaxis", "precautions", "screening", "screen",
                                # "HCC surveillance", "Flu/COVID PCR pending": looked for, not found; "declines COVID
                                # testing": a test, no finding (unless it says what the test found: _FOUND).
                                "surveillance", "pending", "testing")
_FOUND = frozenset(tokens("positive pos confirmed confirms detected showed shows revealed"))
_TREATS = frozenset(("for", "as", "with"))
_SCREENING = frozenset(("screening", "screen"))
# (Not a screening test's own name: "Screening colonoscopy showed two tubular adenomas" found them.)
_SCREENED_BY = frozenset(tokens("colonoscopy colonoscopies mammogram mammography ct ldct scan ultrasound us egd dexa dxa "
                                "exam examination visit labs lab test tests for of"))
_ORDERED = _phrases("ordered", "sent", "drawn", "requested")
_TEST_WORDS = frozenset(tokens("antibody antibodies antigen breath test testing tests lab labs serology panel rna pcr dna level "
                               "levels exam"))
_POST_NEAR_REACH = 2
# "a heart attack five years ago" is an old infarction (I25.2), not an acute one: months or years ago make the few
# words before them past history (weeks or days ago are the current episode).
POST_HISTORY_PHRASES = ("years ago", "year ago", "months ago", "month ago", "last year")
_POST_HISTORY = _phrases(*POST_HISTORY_PHRASES)
# What was taken out in a year past is over: "colon ca resected 2022" is a history (Z85.038), "adenomatous polyps
# removed 2022" too (not "polyp found and removed", "foreign body removed with a needle": this visit's).
_REMOVED = _phrases("resected", "was resected", "excised", "was excised", "removed", "was removed", "completely resected",
                    "completely excised")
_POST_HISTORY_REACH = 4
_WINDOW = 10  # tokens a pre-trigger reaches, as in NegEx's bounded scope
# Uncertainty triggers that cast doubt on both sides ("migraine versus tension headache") and on every item of a
# differential ("possible etiologies include GERD, dyspepsia, esophagitis and anxiety"); what the literature reports
# is no finding of the patient's.
_WHOLE_CLAUSE_UNCERTAIN = _phrases("versus", "vs", "differential diagnosis", "differential diagnoses",
                                   "differential includes", "etiologies include", "etiologies", "possible causes",
                                   "causes include", "in the literature",
                                   # A consent discussion lists what might happen: "the risks include ... numbness".
                                   "risks include", "risk include", "risks including", "risks are", "risks of",
                                   "complications include", "side effects include", "side effects including",
                                   "complications associated with", "risks associated with")
# (Or a choice of treatments: "molluscum - discussed watchful waiting vs curettage" keeps the molluscum.)
_CHOICES = frozenset(tokens("discussed discussing options option offered prefer prefers preference"))
_SWABS = _TEST_WORDS | frozenset(tokens("swab swabs culture cultures screen titer titers"))


def _tests_before(toks: list[str], i: int) -> int:
    """How far a "negative" after a list of tests reaches back: each test with its one-word subject ("COVID PCR and flu
    swab negative" denies both)."""
    j = i
    while j >= 2 and toks[j - 1] in _SWABS:
        k = j - 2  # the test and its subject
        if k >= 2 and toks[k - 1] in ("and", "or") and toks[k - 2] in _SWABS:
            j = k - 1
        else:
            return i - k
    return i - j


def phrase_starts(toks: Sequence[str], phrase: Sequence[str]) -> list[int]:
    """Where the token sequence ``phrase`` starts in ``toks``."""
    n, wanted = len(phrase), tuple(phrase)
    return [i for i in range(len(toks) - n + 1) if tuple(toks[i : i + n]) == wanted]


def _match_at(toks: list[str], i: int, phrases: _Phrases) -> tuple[str, ...] | None:
    """The longest of ``phrases`` that starts at token ``i``."""
    if i >= len(toks):
        return None
    for p in phrases.by_first.get(toks[i], ()):
        if tuple(toks[i : i + len(p)]) == p:
            return p
    return None


def _trigger_at(toks: list[str], i: int) -> tuple[tuple[str, ...], Assertion] | None:
    """The (longest) pre-position trigger starting at token ``i``, with its assertion."""
    return next(((p, a) for p, a in _TRIGGERS_BY_FIRST.get(toks[i], ()) if tuple(toks[i : i + len(p)]) == p), None)


# "Lack of" negates ("lack of fever"), except where the lack is itself the finding ICD-10-CM codes, or a response is
# meant: "lack of appetite" (R63.0), "lack of energy", "lack of coordination" (R27.9), "lack of response to". There
# "lack of" is no cue at all: its words belong to the finding.
_LACK_IS_FINDING = frozenset(tokens(
    "appetite energy coordination concentration sleep interest motivation response improvement effect efficacy "
    "effectiveness expected physical exercise adequate housing food water relaxation balance strength libido bladder "
    "bowel attention insight judgment judgement cooperation control pleasure sexual support access compliance adherence"))


# Vaccines named by the disease they prevent, then given: "MMR and varicella given", "flu and Tdap administered" (the
# visit's Z23 comes from the vaccination's own words).
_VACCINES = frozenset(tokens(
    "varicella mmr mmrv measles mumps rubella tdap dtap td tetanus diphtheria pertussis hpv hepatitis hep a b influenza "
    "flu pneumococcal pneumovax prevnar zoster shingles shingrix polio ipv rotavirus covid covid19 hib meningococcal "
    "menacwy menb and or"))
_ADMINISTERED = frozenset(tokens("given administered"))
_GIVEN_WHEN = frozenset(tokens("today in at this during x im intramuscularly per by left right deltoid thigh dose"))


_VACCINE_WORDS = frozenset(tokens("vaccine vaccines vaccination vaccinations immunization immunizations booster boosters"))
_VACCINE_NAMES = _VACCINES | frozenset(tokens("yellow fever typhoid vi rabies japanese encephalitis cholera polysaccharide "
                                              "conjugate chikungunya dengue"))
# ... and what a list of vaccines given may also hold: the products' own names, "vaccine(s)", "booster" and dose numbers
# ("DTaP-IPV-Hib-HepB, PCV, rotavirus given", "Shingrix #2 given").
_DOSE_NUMBERS = frozenset(str(n) for n in range(1, 24))  # "Shingrix #2", "DTaP #4"
_VACCINE_LIST = _VACCINE_NAMES | _VACCINE_WORDS | frozenset(tokens(
    "pcv pcv13 pcv15 pcv20 pcv21 ppsv23 hepa hepb menquadfi menveo bexsero gardasil boostrix adacel pentacel vaxelis "
    "pediarix kinrix tdvax fluzone flublok arexvy abrysvo beyfortus nirsevimab twinrix havrix vaqta engerix "
    "heplisav recombivax prevnar vaxneuvance capvaxive pneumovax priorix proquad varivax mmrii rotateq rotarix")) | _DOSE_NUMBERS


def _names_before(toks: list[str], i: int, names: frozenset[str]) -> int:
    """How many words just before ``i`` are ``names`` ("yellow fever + typhoid Vi vaccines", "MMR and varicella given")."""
    k = i - 1
    while k >= 0 and toks[k] in names:
        k -= 1
    return i - 1 - k


def _vaccines_given(toks: list[str], i: int) -> int:
    """How many words before a "given" at ``i`` name vaccines and their doses (0: none): "MMR, varicella, Hep A given",
    "Hepatitis A and typhoid vaccines given today", "Shingrix #2 given"; a list of only numbers names no vaccine."""
    if toks[i] not in _ADMINISTERED or i == 0 or toks[i - 1] in ("and", "or") or (
            i + 1 < len(toks) and toks[i + 1] not in _GIVEN_WHEN):
        return 0  # ("Varicella, given calamine lotion": what is given follows)
    reach = _names_before(toks, i, _VACCINE_LIST)
    named = toks[i - reach : i]
    return reach if any(t in _VACCINE_LIST and t not in ("and", "or") and not t.isdigit() for t in named) else 0


# A vaccine named by a vaccine word or a product's own name ("declines flu vaccine", "declined Shingrix").
_VACCINE_PRODUCTS = _VACCINE_LIST - _VACCINE_NAMES - _VACCINE_WORDS - _DOSE_NUMBERS
_VACCINE_NAMING = _VACCINE_WORDS | _VACCINE_PRODUCTS | frozenset(tokens(
    "shot shots tdap dtap mmr mmrv ipv shingrix pneumovax prevnar menacwy menb hib"))  # (names that are only vaccines)


def names_a_vaccine(toks: Sequence[str]) -> bool:
    return not _VACCINE_NAMING.isdisjoint(toks)


def vaccinations_given(toks: list[str]) -> int | None:
    """Where a clause lists vaccines given at the visit: the position of its "given" (the visit's Z23), or None."""
    return next((i for i in range(1, len(toks)) if _vaccines_given(toks, i)), None)


def _test_start(toks: list[str], i: int, words: frozenset[str] = _TEST_WORDS) -> int:
    """Where the test words just before ``i`` begin ("hep C antibody" before "ordered": at "antibody")."""
    j = i
    while j > 0 and toks[j - 1] in words:
        j -= 1
    return j


def _post_cue(toks: list[str], i: int) -> tuple[tuple[str, ...], Assertion | None, int] | None:
    """The cue at token ``i`` that is read in place or backwards: (its words, what it makes of the words before it,
    how many of them it reaches). A pseudo-trigger only ends there ("gram negative"); "years ago" makes the few words
    before it past; a post-position negation ("was ruled out") reaches back to the head of the clause, a bare
    "negative" two words, and never where a trigger starts ("negative for"). "Resolved" at the head of a clause reads
    forward, as a trigger."""
    if (p := _match_at(toks, i, _PSEUDO)) is not None:
        return p, None, 0
    if reach := _vaccines_given(toks, i):
        return (toks[i],), Assertion.NEGATED, reach  # prevented, not had
    if toks[i] in _VACCINE_WORDS and toks[i + 1 : i + 2] not in (["given"], ["administered"]) and (
            reach := _names_before(toks, i, _VACCINE_NAMES)):  # ("flu vaccine given" is the visit's Z23: the concept reads it)
        return (toks[i],), Assertion.NEGATED, reach  # "yellow fever and typhoid vaccines today": prevented, not had
    if (p := _match_at(toks, i, _POST_HISTORY)) is not None or (p := _in_year(toks, i)) is not None:
        return p, Assertion.HISTORY, _POST_HISTORY_REACH
    if (p := _match_at(toks, i, _REMOVED)) is not None and any(
            _in_year(toks, j) or _is_year(toks[j]) for j in range(i + len(p), min(i + len(p) + 2, len(toks)))):
        return p, Assertion.HISTORY, _POST_HISTORY_REACH  # ... in a year past ("resected 2022", "removed in 2019")
    if i == 0 and _match_at(toks, i, _PRE_TOO) is not None:
        return None
    if (p := _match_at(toks, i, _POST_UNCERTAIN)) is not None or (
            (p := _match_at(toks, i, _POST_AT_END)) is not None and i + len(p) == len(toks)):
        return p, Assertion.UNCERTAIN, i
    if (p := _match_at(toks, i, _POST)) is not None:
        last = i + len(p) - 1
        if (hit := _trigger_at(toks, last)) is not None and last + len(hit[0]) > i + len(p):
            return None  # "serology was negative for HIV": the longer trigger ("negative for") reads forward
        if "not" in p and _SOUGHT.intersection(toks[:i]):
            return p, None, 0  # "the cause of her fatigue was not identified"
        return p, Assertion.NEGATED, i
    if (p := _match_at(toks, i, _POST_NEAR)) is not None and _trigger_at(toks, i) is None:
        return p, Assertion.NEGATED, max(_POST_NEAR_REACH, _tests_before(toks, i))
    if (p := _match_at(toks, i, _POST_BARE)) is not None:
        if _SOUGHT.intersection(toks[max(0, i - _POST_BARE_REACH) : i]):
            return p, None, 0  # "the cause of her fatigue was not identified"
        # "polyneuropathy - monofilament absent": what is absent is the exam's sign, not the finding before it.
        signs = next((k for k in range(_POST_BARE_REACH) if i - k - 1 < 0 or toks[i - k - 1] not in _EXAM_SIGNS), 0)
        return p, Assertion.NEGATED, signs or _POST_BARE_REACH
    if (p := _match_at(toks, i, _POST_NEAR_UNCERTAIN)) is not None and (
            (hit := _trigger_at(toks, i)) is None or len(hit[0]) <= len(p)) and (  # "screening for" reads forward
            toks[i] != "testing" or _FOUND.isdisjoint(toks[i + 1 : i + 3])):
        # "Warfarin for stroke prevention": what is prevented comes after "for", the treatment before it. The test's
        # own words do not count ("hep C antibody screening" screens for hepatitis C).
        j = _test_start(toks, i)
        return p, Assertion.UNCERTAIN, i - _listed_tests(toks, j - _subject_words(toks, j))
    if (p := _match_at(toks, i, _ORDERED)) is not None and i > 0 and toks[i - 1] in _TEST_WORDS:
        # "Hep C antibody ordered": a test of it ordered, no finding ("pneumonia, CXR ordered" keeps the pneumonia:
        # only the test's own words and the two before them).
        j = _test_start(toks, i)
        return p, Assertion.UNCERTAIN, i - _listed_tests(toks, j - min(j, _POST_NEAR_REACH))
    return None


def _subject_words(toks: list[str], j: int) -> int:
    """How many words before a test's first word at ``j`` name what it looks for: at most two, and none past a "for"
    or "with", nor an "and" ("warfarin for stroke prevention": the stroke only)."""
    return next((k for k in range(1, _POST_NEAR_REACH + 1) if j - k < 0 or toks[j - k] in _TREATS
                 or toks[j - k] in ("and", "or")),
                _POST_NEAR_REACH + 1) - 1


def _listed_tests(toks: list[str], start: int) -> int:
    """Where a list of tests begins that ends with the one whose subject starts at ``start``: "hep C antibody and HIV
    screen ordered" orders both tests (neither hepatitis C nor HIV is a finding)."""
    while start >= 2 and toks[start - 1] in ("and", "or") and toks[start - 2] in _SWABS:
        j = _test_start(toks, start - 1, _SWABS)
        start = j - _subject_words(toks, j)
    return start


_MONTHS = frozenset(tokens("january february march april may june july august september october november december"))


def _in_year(toks: list[str], i: int) -> tuple[str, ...] | None:
    """"in 1999", "in March 2010": a dated event is past, as "years ago" is ("myocardial infarction in 1999" is an old
    infarction, I25.2; a chronic disease stays current, as with "years ago")."""
    if toks[i] != "in":
        return None
    j = i + 2 if i + 1 < len(toks) and toks[i + 1] in _MONTHS else i + 1
    return tuple(toks[i : j + 1]) if j < len(toks) and _is_year(toks[j]) else None


def _is_year(tok: str) -> bool:
    return len(tok) == 4 and tok.isdigit() and 1900 <= int(tok) <= 2099


def assertions(toks: list[str]) -> list[Assertion]:
    """One assertion per token of a clause."""
    return list(_assertions_cached(tuple(toks))[0])


def lends_no_words(status: Sequence[Assertion], *, codable: Collection[Assertion]) -> bool:
    """Whether a clause that negates anything, is someone else's, or (where not codable) doubts something should lend
    none of its words to statistical evidence: "MI unlikely given normal troponin" must not code chest pain from
    "troponin" (the learned votes and the neighbours' codable words both ask)."""
    return any(a in (Assertion.NEGATED, Assertion.OTHER) or (a is Assertion.UNCERTAIN and a not in codable) for a in status)


def cue_tokens(toks: list[str]) -> tuple[bool, ...]:
    """Which tokens of a clause belong to an assertion cue read there ("without complications", "should the
    patient"): context, not a qualifier of a finding."""
    return _assertions_cached(tuple(toks))[1]


@lru_cache(maxsize=4096)
def _assertions_cached(toks_t: tuple[str, ...]) -> tuple[tuple[Assertion, ...], tuple[bool, ...]]:
    # The same clause is read by the lexicon, the description matcher and the learned model.
    status, cue = _assertions(list(toks_t))
    return tuple(status), tuple(cue)


def _opens_screening(toks: list[str], i: int) -> bool:
    """A clause that opens with what it screens for reads forward too: "Screening HIV + syphilis drawn"."""
    return i == 0 and toks[0] in _SCREENING and len(toks) > 1 and toks[1] not in _SCREENED_BY


def _assertions(toks: list[str]) -> tuple[list[Assertion], list[bool]]:
    status = [Assertion.AFFIRMED] * len(toks)
    cue = [False] * len(toks)
    doubts: list[int] = []  # where the clause's forward uncertainty cues start
    i = 0
    while i < len(toks):
        if toks[i] == "lack" and toks[i + 1 : i + 2] == ["of"] and toks[i + 2 : i + 3] and toks[i + 2] in _LACK_IS_FINDING:
            i += 2  # the words of the finding ("Unspecified lack of coordination"), no cue
            continue
        if (post := _post_cue(toks, i)) is not None:
            p, assertion, reach = post
            if assertion is not None:
                for j in range(i - 1, max(0, i - reach) - 1, -1):
                    if toks[j] in _CONTRAST:
                        break
                    if status[j] is Assertion.AFFIRMED:
                        status[j] = assertion
            cue[i : i + len(p)] = [True] * len(p)
            active = p in _ACTIVE_TOO and not _PASSIVE_BE.intersection(toks[max(0, i - 2) : i])  # "were also ruled out"
            if p not in _BOTH_WAYS and not active and not _opens_screening(toks, i):
                i += len(p)
                continue
        hit = _trigger_at(toks, i)
        if hit is None and _opens_screening(toks, i):
            hit = (toks[0],), Assertion.UNCERTAIN
        if hit is None:
            i += 1
            continue
        phrase, assertion = hit
        if assertion is Assertion.UNCERTAIN:
            doubts.append(i)
        cue[i : i + len(phrase)] = [True] * len(phrase)
        # The cue words themselves ("family history of") are context, never findings.
        for k in range(i, i + len(phrase)):
            status[k] = Assertion.UNCERTAIN if status[k] is Assertion.AFFIRMED else status[k]
        j = i + len(phrase)
        end = min(len(toks), j + _WINDOW)
        someone_else = assertion in (Assertion.FAMILY, Assertion.OTHER)
        terminators = _FAMILY_TERMINATORS if someone_else else _TERMINATORS
        # What ends the scope from the second word after the trigger: a diagnosis named (not in a relative's or another
        # person's scope: "her mother was diagnosed with" stays the mother's), what the patient owns ("afraid of her seizures"; a whole proposition in doubt keeps its
        # possessives: "wonders if her fatigue is due to anemia"), a cause after a denial.
        later_ends = [e for e, applies in ((_NAMES_A_DIAGNOSIS, not someone_else),
                                           (_OWN, assertion in (Assertion.UNCERTAIN, Assertion.OTHER) and phrase not in _PROPOSITION),
                                           (_CAUSE, assertion is Assertion.NEGATED),
                                           # "without aura, intractable, with status migrainosus": both are said
                                           # (the axes of G40 and G43 codes)
                                           (_WITHOUT_ENDS, phrase == _WITHOUT)) if applies]
        while j < end and _match_at(toks, j, terminators) is None and not (
            j > i + len(phrase) and any(_match_at(toks, j, e) is not None for e in later_ends)
        ):
            # A later trigger takes over from here ("no fever, history of stroke").
            if j > i + len(phrase) and _trigger_at(toks, j) is not None:
                break
            status[j] = assertion
            j += 1
        i += len(phrase)
    # "versus" (and "or" between two candidate diagnoses) leaves the whole clause undecided; only where
    # the clause also holds an explicit uncertainty cue for "or", which is too common to trust alone. (A cue's own
    # words are marked uncertain as context: "denies fever or chills, however endorses cough" doubts nothing.)
    # A "versus" after a cue of doubt leaves undecided what follows the cue: "Melena x2 days - likely PUD vs gastritis"
    # keeps the melena, "epigastric pain, r/o PUD vs gastritis" the pain.
    versus = next((k for k in range(len(toks)) if _match_at(toks, k, _WHOLE_CLAUSE_UNCERTAIN)), None)
    if versus is not None or ("or" in toks and any(a is Assertion.UNCERTAIN and not c for a, c in zip(status, cue))):
        start = max((d for d in (*doubts, *(k for k, t in enumerate(toks) if t in _CHOICES)) if d < versus),
                    default=0) if versus is not None else 0
        status[start:] = [Assertion.UNCERTAIN if s is Assertion.AFFIRMED else s for s in status[start:]]
    return status, cue


# ---------------------------------------------------------------- lexicon matching
@dataclass(frozen=True)
class Mention:
    concept: Concept
    start: int  # token offsets within the clause
    end: int
    assertion: Assertion
    side: str | None  # "right" | "left" | "bilateral" | None


_SIDES = {"right": "right", "left": "left", "bilateral": "bilateral", "both": "bilateral", "rt": "right", "lt": "left"}
_IGNORED_IN_TERMS = frozenset({*_SIDES, "the", "a", "an", "his", "her", "my", "your"})


class Lexicon:
    def __init__(self, concepts: Iterable[Concept] = CONCEPTS) -> None:
        by_first: dict[str, list[tuple[tuple[str, ...], Concept]]] = defaultdict(list)
        for concept in concepts:
            for term in concept.terms:
                toks = tuple(t for t in tokens(term) if t not in _IGNORED_IN_TERMS)
                if toks:
                    by_first[toks[0]].append((toks, concept))
        for entries in by_first.values():
            entries.sort(key=lambda e: len(e[0]), reverse=True)
        self._by_first = dict(by_first)

    def mentions(self, toks: list[str]) -> list[Mention]:
        status = assertions(toks)
        # Match with laterality and articles set aside, so "osteoarthritis of the right knee" still reads as
        # "osteoarthritis of knee"; offsets map back to the clause for laterality and coverage.
        kept = [i for i, t in enumerate(toks) if t not in _IGNORED_IN_TERMS]
        words = [toks[i] for i in kept]
        found: list[Mention] = []
        i = 0
        while i < len(words):
            entry = next((e for e in self._by_first.get(words[i], ()) if tuple(words[i : i + len(e[0])]) == e[0]), None)
            if entry is None:
                i += 1
                continue
            term, concept = entry
            start, end = kept[i], kept[i + len(term) - 1] + 1
            # "Tdap given" is the immunization: its "given" gives the vaccine's disease to prevention (_post_cue), not
            # the visit's vaccination, which is read where the term ends ("no Tdap given" stays denied).
            at = end - 1 if concept.key == _GIVEN_VACCINE else start
            found.append(Mention(concept=concept, start=start, end=end, assertion=status[at], side=_side(toks, start, end)))
            i += len(term)  # longest match wins: "type 2 diabetes" is not also "diabetes"
        return found




_GIVEN_VACCINE = "immunization"  # services.coding.lexicon: the Z23 concept


def _side(toks: list[str], start: int, end: int) -> str | None:
    # Laterality words sit just before ("left knee pain"), inside ("arthritis of the right knee") or just
    # after ("knee pain, left"; "deep vein thrombosis of the left leg") the term.
    near = toks[max(0, start - 3) : end + 3]
    sides = {_SIDES[t] for t in near if t in _SIDES}
    if len(sides) == 1:
        return sides.pop()
    return "bilateral" if {"right", "left"} <= sides else None


# ---------------------------------------------------------------- fuzzy fallback over code descriptions
_STOP = frozenset(tokens(
    "of the and or with in to due by on at for a an as from unspecified other nos specified elsewhere classified not "
    "site side affecting type unsp part region without condition disorder disease initial encounter subsequent sequela use "
    # "the thyroid" is the thyroid gland ("Benign neoplasm of thyroid gland" for a thyroid adenoma)
    "gland "
    # everyday words of narrative text ("Hers disease" must not match every "her")
    "he she her hers his him it its was is were be been has had have this that which who patient year old after "
    "before also at no yes"
)) - {"2", "1"}
# Words that make a one-word description a vague catch-all ("Other hydronephrosis", "Other specified disorders of
# bladder").
_GENERIC = frozenset(tokens("disorder disease condition other specified abnormal abnormality problem"))
# A one-word description named by a disease word ("Celiac disease", "Liver disease, unspecified", "Hoarding
# disorder") keeps that word as a required one: "celiac disease" reaches K90.0, "celiac artery" does not. It is never
# evidence by itself.
_NAMING = frozenset(tokens("disease disorder condition"))


# Sites, as the neoplasm descriptions name them ("Malignant neoplasm of spinal cord"), and a few the joint disorders
# name: a description that is only sites and a disease word ("Disease of spinal cord, unspecified", "Unspecified
# temporomandibular joint disorder") says nothing but where.
_NEOPLASM_OF = re.compile(r"(?:secondary )?(?:malignant|benign) neoplasm of |carcinoma in situ of |"
                          r"neoplasm of uncertain behavior of ", re.IGNORECASE)
_NOT_A_SITE = frozenset(tokens("overlapping sites lesion neoplasm malignant benign secondary"))
_JOINT_SITES = frozenset(tokens("joint temporomandibular tmj"))

_NONESSENTIAL_PARTS = re.compile(r"\s*(?:\([^)]*\)|\[[^\]]*\])")
NONESSENTIAL_OPTIONAL = True  # off: the previous stop's matcher (the train-CV bench measures both)


def _bare(term: str) -> str:
    return _NONESSENTIAL_PARTS.sub("", term).strip()


# Two single words joined by "or" are alternatives a note names one of: "Malignant neoplasm of upper lobe, right
# bronchus or lung" is the right upper lobe's lung cancer, "Complete rotator cuff tear or rupture of right shoulder"
# a complete tear.
_ALTERNATIVES = re.compile(r"\b([A-Za-z]+) or ([A-Za-z]+)\b")


_SITE_PAIR = re.compile(r"\b([A-Za-z]+) and ([A-Za-z]+)\b")


def _alternatives(term: str) -> list[str]:
    """The term read with one of each pair of one-word alternatives (the first two pairs), and with one site of a pair
    of body sites ("Idiopathic gout, right ankle and foot" is the gout of the right great toe's foot)."""
    out: list[str] = []
    pairs = [*_ALTERNATIVES.finditer(term),
             *(m for m in _SITE_PAIR.finditer(term) if {m.group(1).lower(), m.group(2).lower()} <= _BODY_SITES)]
    for m in pairs[:2]:
        out += [term[: m.start()] + m.group(2) + term[m.end():], term[: m.start()] + m.group(1) + term[m.end():]]
    return out


LATERAL = frozenset({"right", "left", "bilateral"})
# Parts of the body surface: a description that names one the note does not, where the note names another, is about
# another place ("chronic ulcer of right great toe" is no ulcer of the right hand or of the neck, however much of the
# rest it covers).
_BODY_SITES = frozenset(tokens("hand finger thumb foot toe ankle heel knee hip thigh leg calf arm forearm elbow wrist "
                               "shoulder neck head face scalp back buttock chest abdomen trunk"))
# Words that name no condition: a clause part made only of them is a side and a site (clauses' _by_side).
_NOT_A_CONDITION = LATERAL | _BODY_SITES | _STOP
HEADING = _NOT_A_CONDITION | frozenset(tokens("eye ear"))  # "Left eye: ...", "R ear: ..."
# An injury or poisoning code (chapters S and T) names the kind of harm ("Other injury of celiac artery", "Laceration
# of axillary vein"): the note must say that word too, or "celiac artery stenosis" would read as an injury of it.
_HARM = frozenset(tokens(
    "injury fracture laceration contusion sprain strain dislocation subluxation burn corrosion wound abrasion puncture "
    "bite crushing amputation poisoning adverse underdosing toxic frostbite avulsion blister traumatic rupture"
))

# A named part of the face or head that its descriptions leave to an "other part" code: the note specifies the part,
# so "Laceration of chin" is S01.81- ("... of other part of head"), not S01.91- ("unspecified part").
_OTHER_PARTS = frozenset(("chin", "cheek", "forehead"))
# The trimester's words: services.coding.domain._pregnancy reads the trimester from the note's weeks or stated
# trimester (term_words drops them from the descriptions), so they belong to no pregnancy's condition.
_TRIMESTER = frozenset(tokens("first second third trimester"))

# The ICD-10-CM Alphabetic Index's "see" conventions, which the Tabular descriptions the matcher reads do not carry:
# "Carcinoma -- see Neoplasm, by site, malignant", "Metastasis -- see Neoplasm, secondary, by site", "Tumor -- see
# Neoplasm, unspecified behavior", "Lithiasis -- see Calculus". A clinician's word adds the description words it
# stands for (the site still has to be named for a site-specific code).
INDEX_TERMS: dict[str, tuple[str, ...]] = {
    # "Ulcer, toe -- see Ulcer, lower limb, toe" (L97.51-, "other part of foot"); a toe's fracture is of the foot too.
    "toe": ("foot",),
    # A lumbar level names the region ("L4-L5 disc herniation with radiculopathy" is lumbar, M51.16).
    **dict.fromkeys(("l1", "l2", "l3", "l4", "l5"), ("lumbar",)),
    **dict.fromkeys(("carcinoma", "adenocarcinoma", "cancer", "sarcoma", "carcinosarcoma", "malignancy"),
                    ("malignant", "neoplasm")),
    **dict.fromkeys(("metastasis", "metastase", "metastatic"), ("secondary", "malignant", "neoplasm")),
    **dict.fromkeys(("tumor", "tumour", "neoplasia"), ("neoplasm",)),
    # "Adenoma -- see also Neoplasm, benign, by site" (a prostate adenoma is hyperplasia: lexicon.INDEX_ENTRIES).
    "adenoma": ("benign", "neoplasm"),
    **dict.fromkeys(("lithiasis", "stone"), ("calculus",)),
    # "Detachment, retina, rhegmatogenous -- see Detachment, retina, with retinal break" (H33.0-); a horseshoe tear,
    # hole or dialysis of the retina is a retinal break (H33.3-: "Retinal breaks without detachment").
    "rhegmatogenous": ("with", "retinal", "break"), "horseshoe": ("break",),
    # A ligament's rupture is its tear ("ACL rupture" is S83.51-); the lateral malleolus is the fibula's, the medial
    # the tibia's ("Displaced fracture of lateral malleolus of left fibula").
    "rupture": ("tear",), "malleolus": ("fibula", "tibia"),
    # The rotator cuff's tendons are the rotator cuff ("supraspinatus tear" is a rotator cuff tear).
    "supraspinatus": ("rotator", "cuff"), "infraspinatus": ("rotator", "cuff"), "subscapularis": ("rotator", "cuff"),
    # "Amblyopia, anisometropic -- see Amblyopia, refractive"; "Hyperopia -- see Hypermetropia"; "Sinusitis, ethmoidal /
    # sphenoidal"; "Tendinopathy, tendinosis -- see Tendinitis"; a glenohumeral joint is the shoulder's; a vocal fold
    # is the vocal cord.
    "anisometropic": ("refractive",), "hyperopia": ("hypermetropia",), "hyperopic": ("hypermetropia",),
    "ethmoid": ("ethmoidal",), "sphenoid": ("sphenoidal",), "tendinopathy": ("tendinitis",),
    "tendinosis": ("tendinitis",), "glenohumeral": ("shoulder",), "fold": ("cord",),
    # "Degeneration, macula, age-related, wet (exudative) H35.32-; dry (nonexudative) H35.31-" (neovascular AMD is the
    # wet one, and its disciform scar the inactive scar).
    "wet": ("exudative",), "neovascular": ("exudative",), "dry": ("nonexudative",), "disciform": ("inactive",),
    "cholelithiasis": ("calculus", "gallbladder"), "nephrolithiasis": ("calculus", "kidney"),
    "urolithiasis": ("calculus", "urinary"), "choledocholithiasis": ("calculus", "bile", "duct"),
    **dict.fromkeys(("hypertransaminasemia", "hypertransaminemia"), ("elevated", "transaminase")),
    "transaminases": ("transaminase",),
    "cephalea": ("headache",), "cephalgia": ("headache",), "lumbalgia": ("low", "back", "pain"),
    "epigastralgia": ("epigastric", "pain"), "arthralgia": ("pain", "joint"),
    # "Hemiparesis -- see Hemiplegia" (and para-, quadri-, mono-); "Hypoacusis -- see Loss, hearing"; "Mastalgia
    # N64.4" (mastodynia). (Diaphoresis and emesis are curated terms: services/coding/lexicon.py.)
    "hemiparesis": ("hemiplegia",), "paraparesis": ("paraplegia",), "tetraparesis": ("quadriplegia",),
    "quadriparesis": ("quadriplegia",), "monoparesis": ("monoplegia",), "hypoacusis": ("hearing", "loss"),
    "mastalgia": ("mastodynia",), "spondyloarthritis": ("spondylitis",),
    # The word forms of the Index entries in services.coding.lexicon.INDEX_ENTRIES ("enlarged spleen", "dilated ureter").
    "enlarged": ("enlargement",), "dilated": ("dilatation",), "dilation": ("dilatation",),
    **dict.fromkeys(("increased", "raised", "high", "elevation"), ("elevated",)),
    "sprained": ("sprain",), "fractured": ("fracture",), "dislocated": ("dislocation",), "torn": ("tear",),
    # "Leg -- see also Limb, lower": "cellulitis of the right leg" is L03.115 (right lower limb).
    "leg": ("lower", "limb"), "extremity": ("limb",),
    # "Charcot's joint -- see also Arthropathy, neuropathic" (diabetic: E08-E13 with .610; tabetic A52.16 only where
    # syphilis is named); HbSS is sickle-cell disease; the pancreas's adjective; the mediastinum's nodes are
    # intrathoracic; a midshaft is a shaft, a scaphoid's waist its middle third; a DVT is
    # an embolism and thrombosis of a deep vein (by vein: I82.4- acute, I82.5- chronic); a breast is a female's unless
    # the note says otherwise (C50.-1- "female breast").
    "charcot": ("neuropathic",), "hbss": ("sickle", "cell"), "pancreatic": tuple(tokens("pancreas")),
    # An eponym said alone names its disease or syndrome ("Raynaud's", "Behcet's", "Peyronie's"); a recurrence is
    # recurrent ("C. diff, 2nd recurrence" is A04.71).
    "raynaud": ("syndrome",), "behcet": ("disease",), "peyronie": ("disease",), "graves": ("disease",),
    "meniere": ("disease",), "sjogren": ("syndrome",), "recurrence": ("recurrent",),
    "mediastinal": ("intrathoracic",), "midshaft": ("shaft",), "waist": ("middle", "third"),
    "dvt": ("embolism", "thrombosis", "deep", "vein"), "breast": ("female",),  # "cellulitis of RLE" (right lower extremity) is L03.115
    # "Fracture of fifth metatarsal bone, left foot": a metatarsal is a bone of the foot, a metacarpal one of the hand.
    "metatarsal": ("bone", "foot"), "metacarpal": ("bone", "hand"),
    # "Fracture, humerus, proximal end -- see Fracture, humerus, upper end" (distal: lower end).
    "proximal": ("upper", "end"), "distal": ("lower", "end"),
    # "Sprain (joint) (ligament)", "Strain -- see also Injury, muscle, by site, strain" (the descriptions: "Strain of
    # muscle, fascia and tendon of ..."), "Bruise -- see Contusion".
    "sprain": ("joint",), "strain": ("muscle", "fascia", "tendon"),
    **dict.fromkeys(("bruise", "bruised", "bruising"), ("contusion",)),
    # Sites the descriptions name by their region: the calf is the lower leg, the hamstrings the posterior muscle
    # group of the thigh, the chest wall the thorax's, an eyebrow the periocular area, the chin, cheek and forehead
    # parts of the face and head ("Laceration of chin" S01.81-, "Basal cell carcinoma of skin of cheek" C44.31-).
    "calf": ("lower", "leg"), "hamstring": ("posterior", "muscle", "group", "thigh"), "chest": ("thorax",),
    "eyebrow": ("eyelid", "periocular", "area"), **dict.fromkeys(_OTHER_PARTS, ("face", "head")),
    # "Arm -- see also Limb, upper": "melanoma of left upper arm" is C43.62 ("... left upper limb, including
    # shoulder"). (Not the thigh as the lower limb: "right thigh pain" is M79.651, no pain in the right leg.)
    **dict.fromkeys(("arm", "forearm"), ("upper", "limb")),
    # The Index's defaults by site: "Osteoarthritis, hand M19.04-" is primary, "Gout, ankle" idiopathic (M10.07-);
    # "tophaceous" gout is chronic gout "with tophus" (M1A.0-).
    "osteoarthritis": ("primary",), "gout": ("idiopathic",), "tophaceous": ("tophus", "chronic"),
    # Index entries by site and kind: "Fracture, ankle, bimalleolar S82.84-" (of the lower leg), "Fracture, scaphoid"
    # is the navicular [scaphoid] of the wrist, a boxer's fracture the fifth metacarpal's neck (S62.33-), "Paronychia
    # -- see also Cellulitis, digit", "Hordeolum (externum)", the sacrum's sacral region
    # (L89.15-), "Dyshidrosis", "Carcinoma, intraductal" (ductal carcinoma in situ, D05.1-).
    **dict.fromkeys(("bimalleolar", "trimalleolar"), ("lower", "leg")), "scaphoid": ("navicular", "bone", "wrist"),
    "boxer": ("fifth", "metacarpal", "bone", "neck", "hand"), "paronychia": ("cellulitis",),
    "hordeolum": ("externum",), "stye": ("hordeolum", "externum"),
    "sacrum": ("sacral", "region"), "lid": ("eyelid",),
    # "Scald -- see Burn"; "Bite(s) (animal) (human) -- see also Wound, open, by site, bite" (an insect's, superficial:
    # "Insect bite (nonvenomous)"); "Hematoma, subungual -- see Contusion, by site, with damage to nail".
    "scald": ("burn",), "bite": ("open",), **dict.fromkeys(("tick", "mosquito", "insect"), ("insect", "nonvenomous")),
    "subungual": ("contusion", "damage", "nail"),
    # "Sprain, ankle, talofibular (calcaneofibular) ligament S93.49-" ("other ligament of ankle"); glass or a splinter
    # in a wound is a foreign body ("Puncture wound with foreign body").
    **dict.fromkeys(("talofibular", "calcaneofibular"), ("other", "ligament")),
    **dict.fromkeys(("glass", "splinter"), ("foreign", "body")),
    # "Gallstone -- see Calculus, gallbladder"; the ileum is the small intestine ("Crohn's disease of small intestine"),
    # the tonsils' hypertrophy "Hypertrophy of tonsils", the testis the testicle, an MTP joint the foot's, "radial" /
    # "ulnar" the bone's, EBV the gammaherpesviral mononucleosis (B27.0-).
    "gallstone": ("calculus", "gallbladder"), **dict.fromkeys(("ileal", "ileum"), ("small", "intestine")),
    "tonsillar": ("tonsil",), **dict.fromkeys(("testis", "teste"), ("testicle",)),
    **dict.fromkeys(("mtp", "metatarsophalangeal"), ("foot",)), "radial": ("radius",), "ulnar": ("ulna",),
    "ebv": ("gammaherpesviral",), "wax": ("cerumen",), "earwax": ("cerumen",),
    "ureteric": ("ureteral",), "hiatus": ("hiatal",), "dyshidrotic": ("dyshidrosis",), "ductal": ("intraductal",),
    "melanoma": ("malignant",),  # "Melanoma (malignant)"
    # "Intractable ... (pharmacoresistant) (refractory (medically)) (treatment resistant)": the epilepsy and migraine
    # inclusion terms.
    "refractory": ("intractable",),
    # "Depression, major -- see Disorder, depressive, major": "major depression, recurrent, moderate" is F33.1.
    "depression": ("depressive", "disorder"),
    # One side named is one side: "post-traumatic osteoarthritis of right knee" is M17.31 ("Unilateral ..., right knee").
    "right": ("unilateral",), "left": ("unilateral",),
    # Session 20. "Embolus -- see Embolism"; "Glioblastoma (multiforme), unspecified site C71.9" (a lobe named: its
    # C71.-); the cervix is the Tabular's "cervix uteri"; "Postsurgical -- see Postprocedural" (E89.2 hypoparathyroidism);
    # the thoracic vertebrae as the S22.0- descriptions pair them ("wedge compression fx T12" is "... of T11-T12
    # vertebra"); "Bleeding -- see Hemorrhage" ("angiodysplasia of colon with bleeding" is K55.21).
    **dict.fromkeys(("embolus", "emboli"), ("embolism",)), "glioblastoma": ("malignant", "neoplasm", "brain"),
    "cervix": ("uteri",), **dict.fromkeys(("postsurgical", "postoperative"), ("postprocedural",)),
    **{f"t{n}": ("thoracic", "vertebra", *((f"t{n + 1}",) if n in (5, 7, 9, 11) else (f"t{n - 1}",) if n in (6, 8, 10, 12)
                                           else ())) for n in range(1, 13)},
    # "Mass, breast -- see Lump, breast" ("palpable mass, left breast, upper outer quadrant" is N63.21).
    "mass": ("lump",),
    "cirrhosis": ("liver",),  # "Cirrhosis, cirrhotic (hepatic) (liver) K74.60"
    "bleeding": ("hemorrhage",), **dict.fromkeys(("postpartum", "puerperal"), ("puerperium",)),
}
# Chapter 15's "<condition> complicating pregnancy" subcategories and the words that say only the pregnancy.
PREGNANCY_COMPLICATING = "O99"
_PREGNANCY_WORDS = frozenset(tokens("complicating pregnancy childbirth puerperium pregnant")) | _TRIMESTER
_CONVENTION_WORDS = frozenset(w for words in INDEX_TERMS.values() for w in words) | {"behavior"}
# "Tumor -- see Neoplasm, unspecified behavior, by site", unless the note says which behavior (or speaks of tumor
# markers, a laboratory test).
_TUMOR = frozenset({"tumor", "neoplasia"})
_NOT_A_TUMOR = frozenset({"marker"})
_BEHAVIOR_NAMED = frozenset({"malignant", "benign", "uncertain", "secondary", "situ", "carcinoid"})
# Organ adjectives and the nouns ICD-10-CM descriptions use for them ("acute renal failure" is "Acute kidney failure",
# "hepatic metastases" are "Secondary malignant neoplasm of liver"). One list for the two readers of it: the
# description matcher adds the noun for the adjective (ANATOMY_TERMS), the neighbour evidence reads the pair both ways
# (services.coding.neighbours).
ORGAN_PAIRS: tuple[tuple[str, str], ...] = (
    ("renal", "kidney"), ("hepatic", "liver"), ("pulmonary", "lung"), ("cardiac", "heart"), ("cerebral", "brain"),
    ("gastric", "stomach"), ("splenic", "spleen"), ("vesical", "bladder"), ("osseous", "bone"), ("jejunal", "jejunum"),
    ("ileal", "ileum"), ("duodenal", "duodenum"), ("esophageal", "esophagus"), ("pancreatic", "pancreas"),
    ("ureteral", "ureter"), ("urethral", "urethra"), ("prostatic", "prostate"), ("uterine", "uterus"),
    ("ovarian", "ovary"), ("testicular", "testis"), ("cerebellar", "cerebellum"), ("bronchial", "bronchus"),
    ("tracheal", "trachea"), ("laryngeal", "larynx"), ("pharyngeal", "pharynx"), ("nasal", "nose"),
    ("mandibular", "mandible"), ("maxillary", "maxilla"), ("femoral", "femur"), ("tibial", "tibia"),
    ("humeral", "humerus"), ("vertebral", "vertebra"), ("peritoneal", "peritoneum"), ("pericardial", "pericardium"),
    ("myocardial", "myocardium"), ("aortic", "aorta"), ("rectal", "rectum"), ("colonic", "colon"),
    ("intestinal", "intestine"), ("cutaneous", "skin"), ("ocular", "eye"), ("retinal", "retina"), ("corneal", "cornea"),
    ("orbital", "orbit"), ("palpebral", "eyelid"), ("axillary", "axilla"),
)
# What the matcher adds besides the organ nouns: "kidney" also for "renal" descriptions, lesion adjectives to the
# nouns the descriptions use ("hypoplastic uterus" is "Hypoplasia of uterus"), translation variants ("ulcus").
ANATOMY_TERMS: dict[str, tuple[str, ...]] = {
    **{adjective: (noun,) for adjective, noun in ORGAN_PAIRS}, "kidney": ("renal",), "liver": ("hepatic",),
    "hypoplastic": ("hypoplasia",), "aplastic": ("aplasia",), "dysplastic": ("dysplasia",), "atrophic": ("atrophy",),
    "necrotic": ("necrosis",), "ulcus": ("ulcer",), "ulcerated": ("ulcer",), "neoplastic": ("neoplasm",),
    "hemorrhagic": ("hemorrhage",), "ischemic": ("ischemia",), "thrombotic": ("thrombosis",), "infected": ("infection",),
    "febrile": ("fever",), "painful": ("pain",), "abdo": ("abdominal",),  # British shorthand: "lower abdo pain"
}
INDEX_TERMS_ON = True  # off: the previous stop's matcher (the train-CV bench measures both)
ANATOMY_TERMS_ON = True
ABSENCE_DROPPED = True  # off: words after "without" must be in the note too (the previous stop's matcher)


# "Diabetes, diabetic (mellitus)": the Index's nonessential modifier; "Type 2 diabetes with diabetic cataract" is E11.36.
_NONESSENTIAL = frozenset(("nontraumatic", "nonpressure", "mellitus"))
_NOT_IN_REMISSION = ("not", "having", "achieved", "remission")
_NOT_INTRACTABLE = (",", "not", "intractable")
_ABSENCE_GOES_ON = frozenset(("psychotic", "mood", "and", "or"))
_OPEN_FRACTURE_TYPE = ("open", "fracture", "type1", "or", "ii")
# Absences the injury descriptions name before the site ("Laceration without foreign body of left index finger",
# "Displaced fracture ... without intraarticular extension of left ulna"): only these words go, the site stays.
_ABSENCE_BEFORE_SITE = (("foreign", "body"), ("intraarticular", "extension"), ("intracondylar", "extension"),
                        ("intercondylar", "fracture"), ("complication",))  # E11.A: "... without complications in remission"


# What a description leaves out of its site or kind ("Malignant neoplasm of left kidney, except renal pelvis", "Serous
# conjunctivitis, except viral, right eye", "Unspecified rotator cuff tear or rupture of left shoulder, not specified
# as traumatic"), nor what it only takes in ("Malignant melanoma of left upper limb, including shoulder"): the note need
# not say it, up to the next comma or bracket. ("Generalized idiopathic epilepsy and epileptic syndromes" is the
# generalized idiopathic epilepsy a note names.)
_EXCEPT = re.compile(r"\b(?:except|excluding|not specified as|including)\b[^,\])]*|\band epileptic syndromes\b", re.IGNORECASE)


def _absences(toks: list[str]) -> tuple[list[str], list[list[str]]]:
    """A description's tokens without what "without" says the patient does not have, and those absences."""
    kept: list[str] = []
    absent: list[list[str]] = []
    i = 0
    while i < len(toks):
        if toks[i] != "without":
            kept.append(toks[i])
            i += 1
            continue
        phrase = next((p for p in _ABSENCE_BEFORE_SITE if tuple(toks[i + 1 : i + 1 + len(p)]) == p), None)
        if phrase is not None:
            absent.append(list(phrase))
            i += 1 + len(phrase)
            continue
        # What the patient does not have, up to the comma that ends it ("Spondylosis without myelopathy or
        # radiculopathy, cervical region", "... without macular edema, bilateral" keep their site and side),
        # or past it while a list of absences goes on ("without behavioral disturbance, psychotic disturbance,
        # mood disturbance, and anxiety").
        # A "with" after it names what the patient has again ("Diverticulosis of large intestine without
        # perforation or abscess with bleeding" is K57.31).
        start = i = i + 1
        while i < len(toks) and toks[i] != "with" and (
                toks[i] != "," or toks[i + 1 : i + 2] and toks[i + 1] in _ABSENCE_GOES_ON):
            i += 1
        absent.append(toks[start:i])
    return kept, absent


_NOT_SPECIFIED_AS = re.compile(r"\bnot specified as (\w+)", re.IGNORECASE)
_OLD = frozenset(("old",))


def absent_words(term: str) -> tuple[frozenset[str], ...]:
    """What a description says the patient does NOT have, one word set per absence ("Horseshoe tear of retina without
    detachment": {detachment}; "... without behavioral disturbance, psychotic disturbance, mood disturbance, and
    anxiety": four): a note that affirms one of them is no match for it, however many of its other words it says."""
    toks = [t for part in term.split(",") for t in (*tokens(part), ",")]
    # "... not specified as traumatic": a note that calls the tear traumatic is no match either; nor is a "current
    # injury" one that the note calls old ("Tear, meniscus, old -- see Derangement, knee, meniscus, due to old tear").
    out: list[frozenset[str]] = [frozenset(tokens(m.group(1))) for m in _NOT_SPECIFIED_AS.finditer(term)]
    if "current injury" in term:
        out.append(_OLD)
    for phrase in _absences(toks)[1]:
        item: list[str] = []
        for t in [*phrase, ","]:
            if t in (",", "or", "and"):
                if words := frozenset(item) - _STOP:
                    out.append(words)
                item = []
            else:
                item.append(t)
    return tuple(out)


def term_words(term: str) -> list[str]:
    """A description's tokens without what it says the patient does NOT have: "without ..." up to the next comma and
    "not having achieved remission" ("Calculus of gallbladder without cholecystitis without obstruction", "Chronic
    lymphocytic leukemia of B-cell type not having achieved remission"), which a note never states for the default
    code; an "except" clause goes too."""
    # "(nontraumatic)" and "(nonpressure)" are the Index's nonessential modifiers of these hemorrhages and chronic
    # ulcers: "subarachnoid hemorrhage" is I60.9, "chronic ulcer of right heel" L97.41-.
    # A comma is kept as a token of its own while the absences are read: what "without" names ends at it.
    toks = [t for part in _EXCEPT.sub(" ", term).split(",") for t in (*tokens(part), ",") if t not in _NONESSENTIAL]
    # Guideline I.C.6.a: a side documented without dominance is dominant on the right and nondominant on the left, so
    # "right dominant" and "left nondominant" ask only for the side; the other two pairings need the word.
    toks = [t for i, t in enumerate(toks)
            if not (i and (toks[i - 1], t) in (("right", "dominant"), ("left", "nondominant")))]
    # Guideline I.C.19.c.1: a fracture not documented as open or closed is coded as closed, and an open fracture whose
    # type is not documented as type I or II.
    toks = [t for i, t in enumerate(toks) if not (t == "closed" and toks[i + 1 : i + 2] == ["fracture"])]
    # ... and one not documented as displaced or not displaced is coded as displaced.
    toks = [t for t in toks if t != "displaced"]
    # "Tear, meniscus (current injury) S83.2-": a tear the note does not call old is a current injury ("old" is
    # M23.2-, its derangement due to old tear).
    toks = [t for i, t in enumerate(toks) if not ((t, toks[i + 1 : i + 2]) == ("current", ["injury"])
                                                  or (t == "injury" and toks[i - 1 : i] == ["current"]))]
    # A burn or corrosion of unspecified degree is one whose degree the note does not give: "burn of the left forearm".
    toks = [t for i, t in enumerate(toks) if not (t == "degree" and i and toks[i - 1] == "unspecified")]
    for i in phrase_starts(toks, _OPEN_FRACTURE_TYPE)[:1]:
        toks = toks[: i + 2] + toks[i + len(_OPEN_FRACTURE_TYPE) :]
    # Migraine "not intractable" is the default a note need not state; a chapter 15 code's trimester is read from the
    # note's weeks or stated trimester (services.coding.domain._pregnancy), not matched as words.
    for i in phrase_starts(toks, _NOT_INTRACTABLE)[:1]:
        toks = toks[:i] + toks[i + len(_NOT_INTRACTABLE) :]
    toks = [t for i, t in enumerate(toks) if not (t == "trimester" or toks[i + 1 : i + 2] == ["trimester"])]
    if ABSENCE_DROPPED:
        toks, _ = _absences(toks)
        for i in phrase_starts(toks, _NOT_IN_REMISSION)[:1]:
            toks = toks[:i]
    return [t for t in toks if t != ","]


def with_index_terms(words: set[str]) -> set[str]:
    """The words plus the description words the Alphabetic Index conventions make them stand for."""
    extra = {t for w in words for t in INDEX_TERMS.get(w, ())} if INDEX_TERMS_ON else set()
    if INDEX_TERMS_ON and words & _TUMOR and not (words | extra) & (_BEHAVIOR_NAMED | _NOT_A_TUMOR):
        extra.add("behavior")
    if ANATOMY_TERMS_ON:
        extra |= {t for w in words for t in ANATOMY_TERMS.get(w, ())}
    return words | extra if extra else words


_NEOPLASM_WORDS = frozenset({"secondary", "malignant", "neoplasm", "benign", "behavior", "uncertain", "situ",
                             "carcinoma", "primary", "overlapping", "sites", "lesion"})


def is_secondary_neoplasm(code: str) -> bool:
    """Secondary malignant neoplasms (C77-C79): metastases."""
    return "C77" <= code[:3] <= "C79"


def neoplasm_sites_agree(toks: Sequence[str], code: str, matched: Iterable[str]) -> bool:
    """Whether a malignant neoplasm match reads its site where the clause puts it. In "bladder cancer with bone
    metastases" each site belongs to the neoplasm word nearest to it (a tie to the primary one: "metastatic breast
    cancer" is a breast cancer that has spread): a secondary code (C77-C79) needs a site that belongs to the
    metastases, a primary one (C00-C76) a site that belongs to the cancer; so C67.9 and C79.51, not C79.11 and C41.9.
    Clauses without both kinds of neoplasm word, and codes of other kinds, always agree."""
    if not "C00" <= code[:3] <= "C79":
        return True
    read = [with_index_terms({t}) for t in toks]
    meta = [i for i, words in enumerate(read) if "secondary" in words]
    primary = [i for i, words in enumerate(read) if i not in meta and words & {"malignant", "neoplasm"}]
    sites = frozenset(matched) - _NEOPLASM_WORDS
    at = [i for i, words in enumerate(read) if words & sites and i not in meta and i not in primary]
    if not meta or not primary or not at:
        return True
    secondary = is_secondary_neoplasm(code)

    def owned_by_metastases(i: int) -> bool:
        return min(abs(i - j) for j in meta) < min(abs(i - j) for j in primary)

    return any(owned_by_metastases(i) == secondary for i in at)


def spread(toks: Sequence[str], words: Iterable[str]) -> tuple[int, int]:
    """(How many words the shortest stretch of the clause holding every one of ``words`` spans, how many of the words
    it holds): a word stands where a token reads as it, by itself or through the Index conventions; words the clause
    never says are left out, and so are its stop words and sides ("mass in the left kidney" spans two words)."""
    wanted = set(words)
    content = [t for t in toks if t not in _STOP and t not in _SIDES]
    at = [(i, w) for i, t in enumerate(content) for w in (with_index_terms({t}) & wanted)]
    need = {w for _, w in at}
    best, have, lo = len(toks), Counter(), 0
    for i, w in at:
        have[w] += 1
        while len(have) == len(need):
            best = min(best, i - at[lo][0] + 1)
            have[at[lo][1]] -= 1
            if not have[at[lo][1]]:
                del have[at[lo][1]]
            lo += 1
    return (best if need else 0), len(need)


def _query(words: Iterable[str]) -> set[str]:
    """The words a description match reads: no stop word, but the disease words some entries require."""
    return {w for w in words if w not in _STOP or w in _NAMING}


# The 7th character's words: the episode of care and the healing of a fracture are read from the note's cues
# (services.coding.domain._in_episode), never as what makes one description more specific than another.
_EPISODE = frozenset(tokens("initial subsequent sequela encounter routine delayed healing nonunion malunion"))


@dataclass(frozen=True)
class FuzzyMatch:
    code: str
    coverage: float  # share (idf-weighted) of the description's words found in the text
    matched: frozenset[str]


_INDEXES: weakref.WeakSet[DescriptionIndex] = weakref.WeakSet()  # whose per-note caches clear_note_caches empties


_COUNSELING = "Z71"  # "Persons encountering health services for other counseling and medical advice, NEC"


def clear_note_caches() -> None:
    """Forget what was read from notes: clauses, assertions and the description indexes' matches (all bounded LRU
    caches). A benchmark's repeat over the same notes is then as cold as a pass over new ones."""
    _clauses_cached.cache_clear()
    _assertions_cached.cache_clear()
    for index in list(_INDEXES):
        index._covered_by.cache_clear()


class DescriptionIndex:
    """Inverted index over billable codes' descriptions and inclusion terms."""

    def __init__(self, entries: Iterable[tuple[str, str]], *, min_coverage: float = 0.8) -> None:
        self._codes: list[str] = []
        self._words: list[frozenset[str]] = []
        self._harm: list[frozenset[str]] = []  # S/T codes: the kind-of-harm words, one of which the text must hold
        self._residual: list[bool] = []  # an "Other ..." entry: what sets it apart is no word a note can say
        self._vague: list[bool] = []  # "Disease of spinal cord", "Other disorders of lung": sites and a disease word
        self._some_site: list[bool] = []  # "... of unspecified finger", "of other finger": a site, whichever it is
        postings: dict[str, list[int]] = defaultdict(list)
        # The Tabular's nonessential modifiers (in parentheses) and alternative wordings (in brackets) need not be
        # said: "essential thrombocythemia" is "Essential (hemorrhagic) thrombocythemia", "toxic epidermal
        # necrolysis" is "Toxic epidermal necrolysis [Lyell]". Each such entry is also read without them: a variant,
        # for full matches only, which leaves the words' weights (idf over the entries as written) as they were.
        # Each alternative of an "X or Y" pair likewise ("bronchus or lung").
        entries = [(code, t, t != term) for code, term in entries
                   for t in dict.fromkeys((term, *(_bare(term),) * NONESSENTIAL_OPTIONAL, *_alternatives(term)))]
        sites = _JOINT_SITES | _BODY_SITES | {w for _, term, _ in entries if (m := _NEOPLASM_OF.match(term))
                                for w in term_words(term[m.end():]) if w not in _STOP} - _NOT_A_SITE
        self._variant: list[bool] = []
        residual: dict[str, bool] = {}
        for code, term, variant in entries:
            raw = term_words(term)
            words = frozenset(t for t in raw if t not in _STOP)
            # A single remaining word only stands for the whole code when nothing vague was stripped from it; a
            # disease word alone is not vague ("Celiac disease"): it stays, as a word the note must say too.
            if len(words) == 1 and _GENERIC & set(raw):
                if (_GENERIC - _NAMING) & set(raw):
                    continue
                words |= _NAMING & set(raw)
            # A variant that is only what an Index convention reads into a word ("Malignant (primary) neoplasm,
            # unspecified" without "primary" is every "cancer") is no entry of its own.
            if not words or (variant and (words == self._words[-1] or words <= _CONVENTION_WORDS)):
                continue
            idx = len(self._codes)
            self._variant.append(variant)
            self._codes.append(code)
            self._words.append(words)
            self._harm.append(words & _HARM if code[:1] in ("S", "T") else frozenset())
            # (An inclusion term of an "Other ..." code is one of its others: K09.8's "Epidermoid cyst" is the mouth's,
            # so a tie goes to L72.0's. A code's description is its first entry.)
            self._residual.append(residual.setdefault(code, "other" in raw) or "other" in raw)
            self._vague.append(bool(_NAMING & set(raw)) and words - LATERAL <= sites)
            self._some_site.append(any(t in ("unspecified", "other") and raw[i + 1 : i + 2]
                                       and raw[i + 1] in _BODY_SITES for i, t in enumerate(raw)))
            for w in words:
                postings[w].append(idx)
        n = max(1, self._variant.count(False))
        self._idf = {w: math.log(n / max(1, sum(not self._variant[i] for i in p))) for w, p in postings.items()}
        self._postings = {w: np.asarray(p, dtype=np.int32) for w, p in postings.items()}
        self._weight = [math.fsum(self._idf[w] for w in words) for words in self._words]
        self._max_idf = math.log(n)
        self._min_coverage = min_coverage
        self._by_code: dict[str, list[frozenset[str]]] | None = None
        # The postings give every candidate's covered weight at once (see _covered), so only the few entries that
        # can reach the coverage threshold are examined word by word.
        self._vocab = {w: i for i, w in enumerate(postings)}
        self._weight_arr = np.asarray(self._weight, dtype=np.float64)
        self._covered_by = lru_cache(maxsize=8192)(self._covered_uncached)
        _INDEXES.add(self)

    def entry_words(self, code: str) -> list[frozenset[str]]:
        """The words of each of ``code``'s entries (its description, inclusion terms and Index entries)."""
        if self._by_code is None:
            by_code: dict[str, list[frozenset[str]]] = defaultdict(list)
            for idx, c in enumerate(self._codes):
                by_code[c].append(self._words[idx])
            self._by_code = dict(by_code)
        return self._by_code.get(code, [])

    def idf(self, word: str) -> float:
        """How specific a word is among the descriptions (unknown words: as rare as any)."""
        return self._idf.get(word, self._max_idf)

    def _covered(self, words: set[str], *, min_coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """Entries the words may cover to ``min_coverage`` and their covered idf weight.

        The same words come back often (a clause is matched whole and in parts, and notes repeat themselves), so the
        answers are kept in a bounded cache, as read-only arrays."""
        return self._covered_by(frozenset(words), min_coverage)

    def _covered_uncached(self, words: frozenset[str], min_coverage: float) -> tuple[np.ndarray, np.ndarray]:
        # Only reasonably specific words nominate candidates; "pain" alone names thousands of codes.
        nominated = [self._postings[w] for w in words if self._idf.get(w, 0.0) >= 3.0]
        if not nominated:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        if len(nominated) == 1:
            cand = nominated[0]
        else:  # the union, in entry order (a mask over the entries is cheaper than sorting the postings)
            mask = np.zeros(len(self._codes), dtype=bool)
            for posting in nominated:
                mask[posting] = True
            cand = np.flatnonzero(mask)
        # Every entry's covered idf weight, added up word by word over the postings (cheaper than a sparse row
        # product over the candidates), in the index's word order so that the sums are the same in every process.
        weight = np.zeros(len(self._codes))
        for w in sorted((w for w in words if w in self._vocab), key=self._vocab.__getitem__):
            weight[self._postings[w]] += self._idf[w]
        covered = weight[cand]
        # A small tolerance: callers that need the exact (order-dependent) sum recompute it for the survivors.
        keep = covered >= min_coverage * self._weight_arr[cand] - 1e-9
        found, weights = cand[keep], covered[keep]
        found.flags.writeable = weights.flags.writeable = False
        return found, weights

    def _harm_named(self, idx: int, hit: frozenset[str]) -> bool:
        """An S/T entry's kind of harm is among the words it was matched by (any other entry: nothing to name)."""
        return not self._harm[idx] or bool(self._harm[idx] & hit)

    def _candidates(self, words: set[str]) -> Iterable[int]:
        return self._covered(words, min_coverage=self._min_coverage)[0].tolist()

    def best(self, words: set[str], *, allow: Callable[[str], bool] | None = None, site_is_disease: bool = True,
             ) -> FuzzyMatch | None:
        found: list[tuple[tuple[float, float, int, int, bool, str], FuzzyMatch, int]] = []  # (sort key, match, entry)
        named = bool(words & _NAMING)
        other_part = bool(words & _OTHER_PARTS)
        for idx in self._candidates(words):
            if self._vague[idx] and not (site_is_disease or named):
                continue
            entry = self._words[idx]
            hit = entry & words
            if not self._harm_named(idx, hit):
                continue
            # Laterality refines a match but is never evidence of one ("right ear" is not a diagnosis).
            core, core_hit = entry - LATERAL, hit - LATERAL
            # A side the note does not name is never read into it ("TMJ" is no left TMJ disorder).
            unnamed_side = len(entry) - len(core) != len(hit) - len(core_hit)
            one_rare_word = len(core) == 1 and bool(core_hit) and self._idf[next(iter(core))] >= 6.0
            if unnamed_side or not core or (len(core_hit) < 2 and not one_rare_word):
                continue
            if (entry & _BODY_SITES) - hit and ((words & _BODY_SITES) - entry or self._some_site[idx]):
                # ... nor the site "unspecified" descriptions name into a note that names none ("mosquito bite" is no
                # "Insect bite (nonvenomous) of unspecified finger").
                continue
            # fsum: a set's order follows string hashing, and a float sum in another order can break a tie
            # (H47.091 vs H47.092) differently from one process to the next.
            covered = math.fsum(self._idf[w] for w in hit)
            coverage = covered / self._weight[idx] if self._weight[idx] else 0.0
            code = self._codes[idx]
            if coverage < self._min_coverage or (allow is not None and not allow(code)):
                continue
            # Ties go to the unspecified code over an "Other ..." one with the same words ("Other viral enteritis"
            # and "Viral enteritis NOS": a note that names nothing more is the NOS code), then to the lowest code:
            # the 7th-character "A" (initial encounter) over "D"/"S", and reading order of the classification. (Where
            # the note names a part the descriptions leave to "other parts", the "Other ..." code goes first.)
            # A required disease word weighs less than a word of substance ("right TMJ disorder" is the right side's
            # code), but still names more than its absence ("cocaine use disorder" is the dependence, not "use").
            substance = math.fsum(self._idf[w] for w in hit - _NAMING)
            key = (-coverage, -substance, -len(hit), len(entry), self._residual[idx] != other_part, code)
            found.append((key, FuzzyMatch(code=code, coverage=coverage, matched=frozenset(hit)), idx))
        if not found:
            return None
        best = min(found, key=lambda f: f[0])
        # A description that holds every word the best one was matched by and more of the note's words is the more
        # specific code the note describes, even when a word of it goes unsaid: "adenocarcinoma of right upper lobe
        # of lung" is C34.11 ("... upper lobe, right bronchus or lung"), not C34.91 ("unspecified part of right
        # bronchus or lung"), which the note's words cover completely.
        # Within the best one's category only and never in chapter 15 (a condition's own code is not traded for a
        # pregnancy complication of it: services.coding.domain._pregnancy pairs the two), never for words of
        # laterality, trimester or the 7th character alone, and only where the note says more of it than it leaves
        # unsaid (idf-weighted): a "5th metatarsal fracture, nondisplaced" is no nondisplaced fracture of the *third*
        # metatarsal.
        while best[1].code[0] != "O" and (more := [
                f for f in found if f[1].code[:3] == best[1].code[:3] and f[1].matched > best[1].matched
                and self._says_more(f[2], f[1].matched, best[1].matched)]):
            best = min(more, key=lambda f: f[0])
        return best[1]

    def _says_more(self, idx: int, hit: frozenset[str], than: frozenset[str]) -> bool:
        """Entry ``idx``, matched by ``hit``, is matched by words of substance beyond ``than``, and they weigh more
        than the words of it the note leaves unsaid."""
        said = hit - than - LATERAL - _EPISODE
        # A word that only stands for what ``than`` was matched by says nothing more ("refractory" is "intractable").
        said = {w for w in said if not INDEX_TERMS.get(w) or not set(INDEX_TERMS[w]) <= than}
        return bool(said) and math.fsum(self._idf[w] for w in sorted(said)) > math.fsum(
            self._idf[w] for w in sorted(self._words[idx] - hit))

    def partial_matches(
        self, words: Iterable[str], *, min_coverage: float = 0.5, limit: int = 5,
        allow: Callable[[str], bool] | None = None,
    ) -> list[FuzzyMatch]:
        """Descriptions the words cover only in part (``min_coverage`` of their idf weight, below the full matcher's
        bar and without its two-word rule): "mild malabsorption" for "Intestinal malabsorption, unspecified",
        "nervousness" for "Nervousness". Candidates for a re-ranker to weigh, never suggestions by themselves: at
        most ``limit`` codes, best covered first, ties to the shorter (less specific) description, then the lowest
        code. A match needs a covered word other than laterality."""
        present = _query(words)
        cand, covered = self._covered(present, min_coverage=min_coverage)
        if not cand.size:
            return []
        # Hundreds of entries can pass at half coverage: order them with the product's sums (deterministic: the
        # matrix is built in entry order) and read only the best few word by word.
        coverage = covered / self._weight_arr[cand]
        sizes = np.asarray([len(self._words[i]) for i in cand.tolist()])
        codes = np.asarray([self._codes[i] for i in cand.tolist()])
        residual = np.asarray([self._residual[i] for i in cand.tolist()])
        out: dict[str, FuzzyMatch] = {}
        # np.lexsort: last key first. Best covered, then most weight, then the shorter description, then not an
        # "Other ..." entry, then the lowest code (as in best).
        for j in np.lexsort((codes, residual, sizes, -np.round(covered, 9), -np.round(coverage, 9))).tolist():
            idx = int(cand[j])
            code = self._codes[idx]
            if code in out or (allow is not None and not allow(code)):
                continue
            hit = self._words[idx] & present
            if self._variant[idx] or not hit - LATERAL - _NAMING or not self._harm_named(idx, hit):
                continue
            out[code] = FuzzyMatch(code=code, coverage=float(coverage[j]), matched=frozenset(hit))
            if len(out) >= limit:
                break
        return list(out.values())

    def matches(self, words: Iterable[str], *, limit: int = 3, allow: Callable[[str], bool] | None = None,
                site_is_disease: bool = True, shared: Callable[[str], frozenset[str]] | None = None,
                ) -> list[FuzzyMatch]:
        """The best full matches of the note's ``words`` (the Index conventions' words read in here), each on the
        words the previous ones left: a match uses up the words it matched and the note's words that stood for them,
        the fewest that do (a word that stands for more first). "Renal cell carcinoma with hepatic metastases" is two
        neoplasms: the metastases stand for the secondary malignant neoplasm of the liver, and the carcinoma is left
        to stand for its own; "prostate adenoma" read as hyperplasia leaves no "benign neoplasm" behind.
        ``site_is_disease=False``: a description that is only a disease word and a site ("Disease of spinal cord,
        unspecified") needs the disease word in the note too, or every mention of the site (a spinal cord
        stimulator) would read as its disease. ``shared(code)``: the words a match of ``code`` leaves for the partner
        its "use additional code" note asks for ("varicose veins of left leg with ulcer of ankle, fat layer exposed"
        is I83.023 and the ulcer's own L97.322)."""
        said = _query(words)
        out: list[FuzzyMatch] = []
        causes: set[str] = set()  # the external causes matched, whose words stay (each is matched once)

        def admissible(code: str) -> bool:
            return code not in causes and (allow is None or allow(code))

        while said and len(out) < limit:
            m = self.best(_query(with_index_terms(said)), allow=admissible, site_is_disease=site_is_disease)
            if m is None:
                break
            out.append(m)
            if is_external_cause(m.code):
                # An external cause is coded beside the injury it caused, never for it (guideline I.C.20): "dog bite
                # L forearm" is S51.852A with W54.0XXA, whose words stay for the injury.
                causes.add(m.code)
                continue
            used = said & m.matched
            if m.code.startswith(PREGNANCY_COMPLICATING):
                # "Obesity complicating pregnancy" is O99.21- *and* the obesity's own code (its "use additional code"
                # note): the condition's words stay for the next match.
                used &= _PREGNANCY_WORDS
            if shared is not None:
                used -= shared(m.code)
            if m.code.startswith(_COUNSELING):
                # "dietary and exercise counseling" is Z71.3 and Z71.82: one "counseling" serves each kind of it.
                used.discard("counseling")
            # (What a word it matched already stands for needs no other: "cirrhosis with hepatic encephalopathy" is
            # K74.60's cirrhosis "of liver" and leaves "hepatic" to K76.82.)
            implied = set(m.matched - said) - with_index_terms(used)
            while implied:
                stands = {w: (with_index_terms({w}) - {w}) & implied for w in sorted(said - used)}
                source = max(stands, key=lambda w: len(stands[w]), default=None)
                if source is None or not stands[source]:
                    break
                used.add(source)
                implied -= stands[source]
            said -= used
        return out

