"""Status codes from documented facts: long-term (current) drug use (Z79), dependence on dialysis, a wheelchair or
oxygen (Z99), drug and other allergy status (Z88, Z91.0), transplanted organs, implants, stomas and organs removed
(Z94, Z95, Z93, Z90; joint replacements by side) and the body mass index (Z68: adult values, a child's percentile).

These are the secondary codes ICD-10-CM's "use additional code" notes ask for (E11: "use additional code to identify
control using insulin (Z79.4), oral antidiabetic drugs (Z79.84)") and several carry risk-adjustment weight, yet no
diagnosis wording names them: a note says "takes metformin", not "long term use of oral hypoglycemic drugs". Each
rule reads every section of the note (medication lists and plans included), needs the fact affirmed (not negated,
doubted or past, not a stopped drug or an allergy), and keeps the statement it came from as evidence. Drugs that are
as often given for a few days as for years (systemic steroids, NSAIDs, opioids, heparins) need a long-term word in
the same clause ("daily", "chronic", "maintenance", "for years", "long-term"). An allergy status needs an allergy
word in the clause ("allergic to penicillin"; "no known drug allergies" is negated). A transplant, implant, stoma or
removed organ is a status whether the note says it now or as history ("status post cholecystectomy"), but not when it
is only planned or considered. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.coding.lexicon import ADVERSE_EFFECTS, POISONS, Concept, with_intent
from services.coding.matcher import (
    POST_HISTORY_PHRASES,
    Assertion,
    Lexicon,
    Mention,
    assertions,
    clauses,
    names_a_vaccine,
    phrase_starts,
    tokens,
    vaccinations_given,
)
from shared.contracts import Statement

CONF_STATUS = 0.75  # documented, rule-based: a suggestion, below a curated diagnosis


@dataclass(frozen=True)
class StatusRule:
    key: str
    code: str
    terms: tuple[str, ...]
    long_term_cue: bool = False  # only with a long-term word in the same clause
    in_use: bool = False  # only "on" the drug, on a schedule or with a long-term word (a dose given today is none)
    what: str = ""  # the fact, for the rationale
    lateral: tuple[str, str, str | None] | None = None  # (right, left, bilateral) codes where the note names the side


def _r(key: str, code: str, *terms: str, cue: bool = False, in_use: bool = False) -> StatusRule:
    return StatusRule(key=key, code=code, terms=terms, long_term_cue=cue, in_use=in_use,
                      what=f"current use of {key.replace('_', ' ')}")


def _fact(key: str, code: str, what: str, *terms: str, lateral: tuple[str, str, str | None] | None = None) -> StatusRule:
    return StatusRule(key=key, code=code, terms=terms, what=what, lateral=lateral)


def _cues(*phrases: str) -> tuple[tuple[str, ...], ...]:
    """Cue phrases as token tuples, for phrase_starts."""
    return tuple(tuple(tokens(p)) for p in phrases)


def _said(toks: list[str], cues: tuple[tuple[str, ...], ...], status: list[Assertion] | None = None) -> bool:
    """Whether one of ``cues`` is in the clause (affirmed, where ``status`` is given)."""
    return any(status is None or status[i] is not Assertion.NEGATED for cue in cues for i in phrase_starts(toks, cue))


# Also given for heart failure and kidney disease (domain: no Z79.84 without a diabetes in the note).
SGLT2_INHIBITORS = ("empagliflozin", "dapagliflozin", "canagliflozin", "ertugliflozin", "sotagliflozin", "bexagliflozin",
                    "jardiance", "farxiga", "invokana")

DRUGS: tuple[StatusRule, ...] = (
    _r("insulin", "Z79.4", "insulin", "insulin therapy", "insulin glargine", "insulin lispro", "insulin aspart",
       "insulin detemir", "nph insulin", "lantus", "humalog", "novolog", "levemir", "tresiba", "basaglar", "toujeo",
       # The insulins by their own names ("metformin + glargine 30 u" is Z79.4 and Z79.84, guideline I.C.4.a.3).
       "glargine", "lispro", "aspart", "detemir", "degludec", "glulisine", "humulin", "novolin", "semglee", "admelog",
       "apidra", "fiasp", "lyumjev"),
    _r("oral_antidiabetic", "Z79.84", "metformin", "glipizide", "glyburide", "glibenclamide", "glimepiride",
       "gliclazide", "sitagliptin", "saxagliptin", "linagliptin", "alogliptin", "vildagliptin", "pioglitazone",
       *SGLT2_INHIBITORS, "repaglinide", "nateglinide", "acarbose",
       "januvia", "janumet", "oral antidiabetic", "oral antidiabetics",
       "oral hypoglycemic", "oral hypoglycemics", "oral antidiabetic agents", "oral hypoglycemic agents",
       "oral semaglutide", "rybelsus"),  # (semaglutide by mouth is no injectable)
    _r("injectable_antidiabetic", "Z79.85", "liraglutide", "semaglutide", "dulaglutide", "exenatide", "tirzepatide",
       "lixisenatide", "victoza", "ozempic", "trulicity", "mounjaro", "byetta", "bydureon"),
    _r("anticoagulant", "Z79.01", "warfarin", "coumadin", "acenocoumarol", "sintrom", "phenprocoumon", "apixaban",
       "eliquis", "rivaroxaban", "xarelto", "dabigatran", "pradaxa", "edoxaban", "oral anticoagulation",
       "oral anticoagulant", "oral anticoagulants", "anticoagulated"),
    _r("heparin", "Z79.01", "enoxaparin", "heparin", "low molecular weight heparin", "dalteparin", "tinzaparin", cue=True),
    _r("antiplatelet", "Z79.02", "clopidogrel", "plavix", "prasugrel", "ticagrelor", "brilinta", "ticlopidine",
       "cilostazol", "antiplatelet therapy", "dual antiplatelet therapy", "antiplatelet agent", "antiplatelet agents",
       "antiplatelet", "antiaggregant", "antiaggregation", "antiplatelet aggregation"),
    _r("aspirin", "Z79.82", "aspirin", "baby aspirin", "low dose aspirin", "acetylsalicylic acid", "asa 81",
       "asa 81 mg", "asa 81mg"),
    _r("inhaled_steroid", "Z79.51", "inhaled corticosteroid", "inhaled corticosteroids", "inhaled steroid",
       "inhaled steroids", "symbicort", "advair", "flovent", "pulmicort", "qvar", "breo", "trelegy", "dulera",
       "asmanex", "arnuity", "budesonide formoterol", "fluticasone salmeterol", "fluticasone vilanterol",
       "mometasone formoterol", "fluticasone umeclidinium vilanterol", "budesonide glycopyrrolate formoterol",
       "beclomethasone", "ciclesonide", "breztri"),
    _r("systemic_steroid", "Z79.52", "prednisone", "prednisolone", "methylprednisolone", "dexamethasone",
       "hydrocortisone", "deflazacort", "corticosteroid", "corticosteroids", "steroids", "oral steroids",
       "systemic steroids", "corticotherapy", "corticosteroid therapy", "corticosteroid treatment", cue=True),
    _r("nsaid", "Z79.1", "nsaid", "nsaids", "ibuprofen", "naproxen", "diclofenac", "meloxicam", "celecoxib",
       "indomethacin", "anti inflammatories", "non steroidal anti inflammatories", "anti inflammatory drugs", cue=True),
    _r("opiate", "Z79.891", "opioid", "opioids", "opiate", "opiates", "morphine", "oxycodone", "hydrocodone",
       "fentanyl", "hydromorphone", "tapentadol", "tramadol", "codeine", cue=True),
    _r("serm", "Z79.810", "tamoxifen", "raloxifene", "toremifene"),
    _r("aromatase_inhibitor", "Z79.811", "anastrozole", "letrozole", "exemestane", "arimidex", "femara", "aromasin",
       "aromatase inhibitor", "aromatase inhibitors"),
    _r("bisphosphonate", "Z79.83", "alendronate", "risedronate", "ibandronate", "zoledronic acid", "fosamax",
       "bisphosphonate", "bisphosphonates"),
    # Drugs also given once or for a cycle (methotrexate for an ectopic pregnancy, a chemotherapy plan): in use only.
    _r("antimetabolite", "Z79.631", "methotrexate", in_use=True),
    _r("calcineurin_inhibitor", "Z79.621", "tacrolimus", "cyclosporine", "ciclosporin", in_use=True),
    _r("nucleotide_synthesis_inhibitor", "Z79.624", "mycophenolate", "mycophenolate mofetil", "azathioprine",
       in_use=True),
    _r("jak_inhibitor", "Z79.622", "tofacitinib", "baricitinib", "upadacitinib", "ruxolitinib", in_use=True),
    _r("mtor_inhibitor", "Z79.623", "sirolimus", "everolimus", in_use=True),
    # FY2024's Z79.6- by kind (the Tabular's inclusion terms name adalimumab, etanercept, infliximab; apremilast and
    # lenalidomide; hydroxyurea).
    _r("immunosuppressive_biologic", "Z79.620", "adalimumab", "humira", "etanercept", "enbrel", "infliximab", "remicade",
       "certolizumab", "cimzia", "golimumab", "simponi", "tocilizumab", "actemra", "abatacept", "orencia", "ustekinumab",
       "stelara", "secukinumab", "cosentyx", "ixekizumab", "taltz", "vedolizumab", "entyvio", "risankizumab", "skyrizi",
       "guselkumab", "tremfya", in_use=True),
    _r("immunomodulator", "Z79.61", "lenalidomide", "revlimid", "pomalidomide", "thalidomide", "apremilast", "otezla",
       in_use=True),
    _r("myelosuppressive", "Z79.64", "hydroxyurea", "hydrea", in_use=True),
    _r("contraceptive", "Z79.3", "oral contraceptive", "oral contraceptives", "birth control pill",
       "birth control pills", "combined oral contraceptive"),
    _r("hrt", "Z79.890", "hormone replacement therapy", "hrt"),
)
# Dependence on machines and devices: documented now.
DEPENDENCE: tuple[StatusRule, ...] = (
    _fact("dialysis", "Z99.2", "dependence on renal dialysis", "on dialysis", "on hemodialysis", "on peritoneal dialysis",
          "on hd", "hd mwf", "hd tts", "hd tiw", "hd three times weekly", "hd 3x weekly", "on pd", "ccpd", "capd",
          "chronic hemodialysis", "chronic dialysis", "maintenance hemodialysis", "maintenance dialysis",
          "dialysis dependent", "hemodialysis dependent", "dependent on dialysis", "dependent on hemodialysis",
          "hemodialysis program", "periodic hemodialysis", "peritoneal dialysis",
          "hemodialysis three times a week", "dialysis three times a week"),
    _fact("wheelchair", "Z99.3", "dependence on a wheelchair", "wheelchair bound", "wheelchair dependent",
          "uses a wheelchair", "confined to a wheelchair", "wheelchair user"),
    _fact("oxygen", "Z99.81", "dependence on supplemental oxygen", "home oxygen", "supplemental oxygen at home",
          "oxygen dependent", "on home oxygen", "chronic oxygen therapy", "long term oxygen therapy",
          "home oxygen therapy"),
)
# Other statuses documented now: a malignancy's resistance to hormone therapy (Z19.2, "castration-resistant prostate
# cancer"), a cancer gene carried (Z15.0-, "BRCA1 carrier"), a visit for a cycle of chemotherapy (Z51.11).
CURRENT: tuple[StatusRule, ...] = (
    _fact("hormone_resistant", "Z19.2", "a hormone-resistant malignancy", "castration resistant", "castrate resistant",
          "hormone refractory", "hormone resistant", "crpc", "mcrpc"),
    # (A carrier or a mutation, not the gene's name: "BRCA testing ordered" is no susceptibility.)
    _fact("brca", "Z15.01", "a genetic susceptibility to breast cancer", "brca1 carrier", "brca2 carrier",
          "brca carrier", "brca mutation", "brca1 mutation", "brca2 mutation", "brca positive", "brca1 positive",
          "brca2 positive"),
    _fact("chemotherapy_visit", "Z51.11", "an encounter for chemotherapy", "here for chemotherapy", "here for chemo",
          "cycle of chemotherapy", "chemotherapy cycle", "chemotherapy infusion", "chemo today", "chemotherapy today"),
    # A regimen named is a visit for it only where the clause says the cycle is given ("Here for cycle 3 FOLFOX"; "on
    # FOLFOX" is the patient's treatment, not this encounter's reason).
    _fact("chemotherapy_regimen", "Z51.11", "an encounter for chemotherapy", "folfox", "folfiri", "folfirinox",
          "capox", "xelox", "abvd", "r chop", "ac t", "carboplatin paclitaxel"),
)
_CYCLE_GIVEN = frozenset(tokens("cycle today infusion here given administered c1d1 c1d8 c2d1 c3d1 c4d1"))
_CYCLES_OVER = frozenset(tokens("after completed finished remission surveillance"))
# Encounters for screening (guideline I.C.21.c.5: a test of a person without signs or symptoms): the condition looked
# for is no diagnosis (services.coding.matcher reads "screening" as a cue), the screening is the Z11-Z13 code. Not when
# the clause says it was declined or is not due.
SCREENING: tuple[StatusRule, ...] = tuple(
    _fact(f"screening_{code}", code, f"a screening for {what}",
          *(f"{t}{test} {screening}" for t in terms for test in ("", " antibody", " test")
            for screening in ("screening", "screen")),
          *(f"{screening} {of}{t}" for screening in ("screening", "screen") for of in ("for ", "of ", "") for t in terms),
          *extra)
    for code, what, terms, extra in (
        ("Z12.11", "colon cancer", ("colon cancer", "colorectal cancer", "colon ca", "crc"),
         ("cologuard", "fit test", "screening colonoscopy")),
        ("Z12.31", "breast cancer", ("breast cancer",), ("screening mammogram", "screening mammography")),
        ("Z12.4", "cervical cancer", ("cervical cancer",), ("screening pap", "screening pap smear")),
        ("Z12.5", "prostate cancer", ("prostate cancer",), ("screening psa", "psa screening")),
        ("Z12.2", "lung cancer", ("lung cancer",), ("low dose ct for lung cancer screening",)),
        ("Z12.83", "skin cancer", ("skin cancer",), ()),
        ("Z13.1", "diabetes", ("diabetes", "diabetes mellitus"), ()),
        ("Z13.220", "lipid disorders", ("lipid", "lipids", "cholesterol", "hyperlipidemia"),
         ("screening lipid panel", "screening fasting lipid panel", "screening lipid profile", "screening lipids")),
        ("Z13.31", "depression", ("depression",), ()),
        ("Z13.6", "cardiovascular disorders", ("aaa", "abdominal aortic aneurysm"), ()),
        ("Z13.820", "osteoporosis", ("osteoporosis", "bone density"), ()),
        ("Z11.3", "sexually transmitted infections", ("sti", "std", "stis", "stds", "sexually transmitted infection",
                                                     "sexually transmitted infections", "gonorrhea and chlamydia",
                                                     "gc chlamydia", "gc ct", "chlamydia", "gonorrhea",
                                                     "chlamydia and gonorrhea", "gonorrhea chlamydia"), ()),
        ("Z11.4", "HIV", ("hiv",), ()),
        ("Z11.59", "hepatitis C", ("hepatitis c", "hcv"), ()),
        ("Z11.1", "tuberculosis", ("tb", "tuberculosis"), ()),
    ))
# ... and an infection named bare where the clause screens for it ("HIV + syphilis screens drawn", "Screening HIV, GC/CT"):
# read only where the screening cue left it undecided (services.coding.matcher).
SCREENED_FOR: tuple[StatusRule, ...] = tuple(
    _fact(f"screened_{code}", code, f"a screening for {what}", *terms) for code, what, terms in (
        ("Z11.3", "sexually transmitted infections", ("sti", "std", "stis", "stds", "gonorrhea", "chlamydia", "gc ct",
                                                      "syphilis")),
        ("Z11.4", "HIV", ("hiv",)), ("Z11.59", "hepatitis C", ("hepatitis c", "hcv")),
        ("Z11.1", "tuberculosis", ("tb", "tuberculosis"))))
_REFUSED_WORDS = ("declined", "declines", "refused", "refuses")  # (what a patient turns down)
# Underimmunization, Z28.21: a vaccine the patient declines ("Declines flu vaccine").
_VACCINE_REFUSED = _fact("vaccine_refused", "Z28.21", "an immunization not carried out because the patient refused")
_REFUSES = _cues(*_REFUSED_WORDS, "refusal")
_NOT_SCREENED = _cues(*_REFUSED_WORDS, "up to date", "utd", "not due", "deferred")
# Allergy status: the drug or substance in a clause that states an allergy to it.
ALLERGIES: tuple[StatusRule, ...] = (
    _fact("penicillin", "Z88.0", "an allergy to penicillin", "penicillin", "penicillins", "pcn", "amoxicillin", "ampicillin",
          "beta lactam", "beta lactams", "betalactam", "betalactams", "beta lactamic", "beta lactamics",
          "betalactamic", "betalactamics"),
    _fact("antibiotic", "Z88.1", "an allergy to an antibiotic", "cephalosporin", "cephalosporins", "cephalexin",
          "ceftriaxone", "erythromycin", "clarithromycin", "azithromycin", "macrolides", "ciprofloxacin",
          "levofloxacin", "quinolones", "tetracycline", "doxycycline", "vancomycin", "antibiotic", "antibiotics",
          "streptomycin", "gentamicin", "aminoglycosides", "clindamycin", "metronidazole"),
    _fact("anesthetic", "Z88.4", "an allergy to an anesthetic agent", "procaine", "lidocaine", "local anesthetics",
          "local anesthetic", "anesthetics", "mepivacaine", "bupivacaine"),
    _fact("sulfonamide", "Z88.2", "an allergy to sulfonamides", "sulfa", "sulfa drugs", "sulfonamide", "sulfonamides",
          "cotrimoxazole", "trimethoprim sulfamethoxazole", "bactrim"),
    _fact("narcotic", "Z88.5", "an allergy to a narcotic agent", "codeine", "morphine", "opioids", "opiates"),
    _fact("analgesic", "Z88.6", "an allergy to an analgesic", "nsaid", "nsaids", "aspirin", "ibuprofen", "naproxen",
          "metamizole", "dipyrone", "anti inflammatories", "acetylsalicylic acid", "salicylates", "pyrazolone",
          "pyrazolones", "paracetamol", "acetaminophen", "diclofenac"),
    _fact("contrast", "Z91.041", "an allergy to radiographic contrast", "iodinated contrast", "contrast dye",
          "contrast media", "contrast medium", "iodine contrast", "iodinated contrasts", "iodine",
          "iodinated contrast media", "contrast agent", "contrast agents", "contrast material",
          "radiological contrast", "radiographic contrast", "contrast", "iv contrast", "ct contrast"),
    _fact("latex", "Z91.040", "an allergy to latex", "latex"),
    _fact("bee", "Z91.030", "an allergy to bee stings", "bee", "bees", "bee sting", "bee stings", "bee venom"),
    _fact("insect", "Z91.038", "an allergy to insect stings", "wasp", "wasps", "hornet", "hornets", "yellow jacket",
          "insect sting", "insect stings", "insect venom"),
    _fact("peanut", "Z91.010", "an allergy to peanuts", "peanut", "peanuts"),
    _fact("shellfish", "Z91.013", "an allergy to seafood", "shellfish", "seafood", "shrimp", "crab", "lobster",
          "prawn", "prawns", "crustacean", "crustaceans"),
    _fact("fish", "Z91.013", "an allergy to seafood", "fish"),
    _fact("milk", "Z91.0110", "an allergy to milk products", "milk", "cow milk", "cows milk", "dairy",
          "milk protein"),
    _fact("egg", "Z91.0120", "an allergy to eggs", "egg", "eggs"),
    # The allergy as it reacts to the baked food (Z91.011-, Z91.012-): the unspecified code gives way.
    _fact("egg_baked_tolerated", "Z91.0121", "an allergy to eggs with tolerance to baked egg", "tolerates baked egg",
          "tolerating baked egg", "tolerant of baked egg", "baked egg tolerant"),
    _fact("egg_baked_reactive", "Z91.0122", "an allergy to eggs with reactivity to baked egg", "reacts to baked egg",
          "reactive to baked egg", "reacted to baked egg", "even baked egg"),
    _fact("milk_baked_tolerated", "Z91.0111", "an allergy to milk products with tolerance to baked milk",
          "tolerates baked milk", "tolerating baked milk", "tolerant of baked milk", "baked milk tolerant"),
    _fact("milk_baked_reactive", "Z91.0112", "an allergy to milk products with reactivity to baked milk",
          "reacts to baked milk", "reactive to baked milk", "reacted to baked milk", "even baked milk"),
    # Alpha-gal syndrome: an allergy to mammalian meat (Z91.014), acquired from tick bites.
    _fact("meat", "Z91.014", "an allergy to mammalian meats", "mammalian meat", "mammalian meats", "red meat",
          "alpha gal", "alpha gal syndrome", "beef", "pork"),
    _fact("food", "Z91.018", "an allergy to foods", "food", "foods", "tree nut", "tree nuts", "walnut", "walnuts",
          "cashew", "cashews", "almond", "almonds", "pecan", "pecans", "hazelnut", "wheat", "soy", "sesame"),
    _fact("drug_allergy", "Z88.9", "a drug allergy", "drug allergy", "drug allergies", "allergic to medication",
          "medication allergy"),
)
ALLERGY_CODES = frozenset(r.code for r in ALLERGIES)
# Transplants, implants, stomas and organs removed: a status whether the note says it as now or as history.
PRESENCE: tuple[StatusRule, ...] = (
    _fact("kidney_transplant", "Z94.0", "a kidney transplant", "kidney transplant", "renal transplant",
          "kidney transplantation", "renal transplantation", "kidney transplant recipient", "renal allograft"),
    _fact("heart_transplant", "Z94.1", "a heart transplant", "heart transplant", "cardiac transplant",
          "heart transplantation", "cardiac transplantation"),
    _fact("lung_transplant", "Z94.2", "a lung transplant", "lung transplant", "lung transplantation"),
    _fact("liver_transplant", "Z94.4", "a liver transplant", "liver transplant", "hepatic transplant",
          "liver transplantation", "hepatic transplantation", "orthotopic liver transplant"),
    _fact("marrow_transplant", "Z94.81", "a bone marrow transplant", "bone marrow transplant",
          "bone marrow transplantation"),
    _fact("pacemaker", "Z95.0", "a cardiac pacemaker", "pacemaker", "cardiac pacemaker", "permanent pacemaker", "ppm"),
    _fact("cabg", "Z95.1", "an aortocoronary bypass graft", "cabg", "coronary artery bypass graft",
          "coronary artery bypass grafting", "coronary bypass", "aortocoronary bypass"),
    _fact("valve", "Z95.2", "a prosthetic heart valve", "prosthetic heart valve", "mechanical heart valve",
          "mechanical valve", "valve replacement", "valve prosthesis", "mechanical aortic valve", "mechanical mitral valve",
          "tavr", "tavi", "transcatheter aortic valve replacement", "transcatheter aortic valve implantation", "savr"),
    _fact("defibrillator", "Z95.810", "an implantable cardiac defibrillator", "aicd", "implantable cardioverter defibrillator",
          "implantable defibrillator", "icd", "icd in place", "dual chamber icd", "single chamber icd"),
    _fact("stent", "Z95.5", "a coronary stent", "coronary stent", "coronary stents", "drug eluting stent",
          "stent in the lad", "coronary stenting"),
    _fact("tracheostomy", "Z93.0", "a tracheostomy", "tracheostomy", "tracheotomy"),
    _fact("gastrostomy", "Z93.1", "a gastrostomy", "gastrostomy", "peg tube"),
    _fact("ileostomy", "Z93.2", "an ileostomy", "ileostomy"),
    _fact("colostomy", "Z93.3", "a colostomy", "colostomy"),
    _fact("hysterectomy", "Z90.710", "an acquired absence of the uterus (hysterectomy)", "hysterectomy",
          "total hysterectomy", "abdominal hysterectomy", "hysterectomized"),
    # "Status, bariatric surgery Z98.84" (gastric banding, gastric bypass for obesity, obesity surgery): a sleeve
    # gastrectomy is obesity surgery, not the absence of a stomach.
    _fact("bariatric", "Z98.84", "a bariatric surgery status", "sleeve gastrectomy", "gastric sleeve",
          "bariatric surgery", "gastric bypass", "roux en y gastric bypass", "gastric banding", "lap band",
          "weight loss surgery"),
    _fact("gastrectomy", "Z90.3", "an acquired absence of the stomach (gastrectomy)", "gastrectomy",
          "total gastrectomy", "partial gastrectomy", "subtotal gastrectomy", "gastrectomized"),
    _fact("nephrectomy", "Z90.5", "an acquired absence of a kidney (nephrectomy)", "nephrectomy",
          "radical nephrectomy", "nephrectomized"),
    _fact("mastectomy", "Z90.10", "an acquired absence of a breast (mastectomy)", "mastectomy",
          lateral=("Z90.11", "Z90.12", "Z90.13")),
    _fact("lobectomy", "Z90.2", "an acquired absence of (part of) a lung", "lobectomy", "pneumonectomy",
          "lung resection"),
    _fact("cataract", "Z98.49", "a cataract extraction", "cataract surgery", "cataract extraction"),
    _fact("below_knee_amputation", "Z89.519", "an acquired absence of a leg below the knee", "below knee amputation",
          "below the knee amputation", "bka", "acquired absence of leg below knee", "amputation below knee",
          lateral=("Z89.511", "Z89.512", None)),
    _fact("above_knee_amputation", "Z89.619", "an acquired absence of a leg above the knee", "above knee amputation",
          "above the knee amputation", "acquired absence of leg above knee", "amputation above knee",
          lateral=("Z89.611", "Z89.612", None)),
    _fact("insulin_pump", "Z96.41", "an insulin pump", "insulin pump", "omnipod", "tandem pump"),
    _fact("lens", "Z96.1", "an intraocular lens", "pseudophakia", "intraocular lens", "lens implant"),
    _fact("knee_joint", "Z96.659", "an artificial knee joint", "knee replacement", "knee arthroplasty",
          "total knee replacement", "total knee arthroplasty", "knee prosthesis",
          lateral=("Z96.651", "Z96.652", "Z96.653")),
    _fact("hip_joint", "Z96.649", "an artificial hip joint", "hip replacement", "hip arthroplasty",
          "total hip replacement", "total hip arthroplasty", "hip prosthesis", lateral=("Z96.641", "Z96.642", "Z96.643")),
    _fact("shoulder_joint", "Z96.619", "an artificial shoulder joint", "shoulder replacement", "shoulder arthroplasty",
          "total shoulder replacement", "total shoulder arthroplasty", "reverse shoulder arthroplasty",
          "shoulder prosthesis", lateral=("Z96.611", "Z96.612", None)),
    _fact("splenectomy", "Z90.81", "an acquired absence of the spleen (splenectomy)", "splenectomy", "splenectomized"),
    _fact("cholecystectomy", "Z90.49", "an acquired absence of a digestive organ", "cholecystectomy",
          "appendectomy", "appendicectomy", "colectomy", "hemicolectomy", "cholecystectomized", "appendectomized"),
)

# Adverse effects of drugs in therapeutic use (T36-T50, initial encounter): the drug a clause names as the cause of a
# condition ("oxycodone-induced constipation", "hypotension due to amlodipine", "side effect of metformin"); the
# condition is coded from its own words (guideline I.C.19.e.5.a). Drugs that are only "drugs" name no drug.
ADVERSE: tuple[StatusRule, ...] = tuple(
    _fact(f"adverse_{code}", code, f"an adverse effect of {terms[0]} (the note names it as the cause)",
          *(t for t in terms if t not in ("drug", "drugs")))
    for code, terms in ADVERSE_EFFECTS.items())


# Poisoning (guideline I.C.19.e.5.b): a drug taken in overdose or in error, or one a child got into, is coded by its
# intent: accidental where the note says none (1), intentional self-harm (2), assault (3), undetermined only where the
# note says so (4). Underdosing (I.C.19.e.5.c): less of a prescribed drug taken than prescribed, the drug's underdosing
# code (character 6) with the noncompliance code that says why (Z91.12- intentional, Z91.13- unintentional, Z91.14-
# other); the condition it left uncontrolled is coded from its own words.
POISONING: tuple[StatusRule, ...] = tuple(
    _fact(f"poisoning_{code}", code, f"a poisoning by {terms[0]}", *(t for t in terms if t not in ("drug", "drugs")))
    for code, terms in {**{with_intent(c, "1"): t for c, t in ADVERSE_EFFECTS.items()}, **POISONS}.items())
UNDERDOSING: tuple[StatusRule, ...] = tuple(
    _fact(f"underdosing_{code}", with_intent(code, "6"), f"an underdosing of {terms[0]}",
          *(t for t in terms if t not in ("drug", "drugs", "medication", "medications")))
    for code, terms in ADVERSE_EFFECTS.items())


# (Not "intoxication": a substance's intoxication is its use disorder's code, F1x.-2-, no poisoning.)
_POISONED = _cues("overdose", "overdosed", "poisoning", "poisoned", "ingestion", "ingested", "od on", "corrosion")
# Words that tell of a poisoning only just before the drug: "ate several ibuprofen tabs", "got into grandma's
# metoprolol" ("ate lunch, then took metformin" is none).
_TOOK = _cues("ate", "swallowed", "got into", "took too many", "took too much", "accidentally took", "drank")
_TOOK_REACH = 4
_SOMEONE_ELSES = (Assertion.AFFIRMED, Assertion.FAMILY, Assertion.OTHER)
_TOOK_FILLER = frozenset(tokens(
    "a an the some several few many handful of his her their grandma grandmother grandpa grandfather mom mother dad "
    "father sister brother parent parents sibling bottle bottles pill pills tab tabs tablet tablets capsule capsules "
    "entire whole unknown number amount quantity"))
_INTENTS = (("2", _cues("intentional", "intentionally", "suicide", "suicidal", "self harm", "deliberate",
                        "deliberately", "on purpose")),
            ("3", _cues("assault", "assaulted", "poisoned by")), ("4", _cues("undetermined", "intent unknown")))
_CO_SOURCES = (("T58.01XA", _cues("exhaust", "car", "vehicle", "motor vehicle", "running car")),)
# Why a prescribed drug was taken short: the noncompliance code (Z91.12- intentional, Z91.13- unintentional, Z91.14-
# other; financial hardship .120 / .141, other reason .128 / .138 / .148).
_UNDERDOSED = _cues("skipping", "skipped", "skips", "skip", "ran out of", "run out of", "running out of",
                    "forgot to take", "forgets to take", "forgot to refill", "forgets to refill", "forgetting",
                    "missed doses of", "missing doses of", "missed doses", "not taking", "stopped taking",
                    "noncompliant with", "non compliant with", "nonadherent to", "non adherent to", "not adherent to",
                    "nonadherence to", "noncompliance with", "underdosing of", "underdosing", "rationing",
                    "taking less", "taking half", "cutting pills")
_UNINTENDED = _cues("forgot", "forgets", "forgetting", "forgetful", "missed", "missing", "ran out of", "run out of",
                    "running out of", "confused", "confusion")
_INTENDED = _cues("skipping", "skipped", "skips", "skip", "stopped taking", "rationing", "taking less", "taking half",
                  "cutting pills", "chose", "decided", "refuses", "refused")
_FINANCIAL = _cues("cost", "costs", "afford", "financial", "money", "expensive", "insurance", "copay")
_REACTION = frozenset(tokens("anaphylaxis anaphylactic"))
# Aftercare following joint replacement surgery (Z47.1, with the joint's Z96.6- status): "PT for aftercare s/p TKA".
_JOINTS = frozenset(("knee_joint", "hip_joint", "shoulder_joint"))
_AFTERCARE = _cues("aftercare", "rehab", "rehabilitation", "physical therapy", "outpatient pt", "home pt",
                   "progressing with pt", "pt progressing")
_JOINT_AFTERCARE = StatusRule(key="joint_aftercare", code="Z47.1", terms=(),
                              what="aftercare following a joint replacement")
# An anaphylaxis now (not an allergy's history): to a food, its T78.0- code; to a drug properly given, T88.6 with the
# drug's adverse effect (guideline I.C.19.e.5.a); the allergy status is not coded beside it.
_FOOD_ANAPHYLAXIS = {"peanut": "T78.01XA", "shellfish": "T78.02XA", "fish": "T78.03XA", "food": "T78.00XA",
                     "milk": "T78.07XA", "egg": "T78.08XA", "meat": "T78.09XA"}
_DRUG_ANAPHYLAXIS = "T88.6XXA"
REACTION_CODES = frozenset((*_FOOD_ANAPHYLAXIS.values(), _DRUG_ANAPHYLAXIS))


def _poisonings(toks: list[str], status: list[Assertion]) -> list[Mention]:
    """The drugs and substances a clause tells of a poisoning by (what a child swallowed may be a relative's: "her
    mother's atenolol")."""
    if _said(toks, _POISONED, status):
        return [m for m in _POISONING.mentions(toks) if m.assertion is Assertion.AFFIRMED]
    took = [i + len(cue) for cue in _TOOK for i in phrase_starts(toks, cue) if status[i] is Assertion.AFFIRMED]
    return [m for m in _POISONING.mentions(toks) if m.assertion in _SOMEONE_ELSES
            and any(0 <= m.start - end <= _TOOK_REACH and all(t in _TOOK_FILLER or t.isdigit() for t in toks[end : m.start])
                    for end in took)] if took else []


def poisoned(text: str) -> bool:
    """Whether a statement tells of a poisoning by a named drug or substance: a suicide attempt by one is coded by the
    poisoning's intent (T14.91, suicide attempt, is for an attempt whose nature is not stated)."""
    return any(_poisonings(toks, assertions(toks)) for toks in clauses(text))


def _noncompliance(toks: list[str]) -> str:
    financial = _said(toks, _FINANCIAL)
    if _said(toks, _UNINTENDED):
        return "Z91.138"
    if _said(toks, _INTENDED):
        return "Z91.120" if financial else "Z91.128"
    return "Z91.141" if financial else "Z91.148"


def _lexicon(rules: tuple[StatusRule, ...]) -> Lexicon:
    return Lexicon(Concept(key=r.key, code=r.code, terms=r.terms, lateral=r.lateral) for r in rules)


ALL_RULES = (*DRUGS, *DEPENDENCE, *CURRENT, *ALLERGIES, *PRESENCE)
_GROUP = {r.key: group for group, rules in (("drug", DRUGS), ("dependence", DEPENDENCE), ("current", CURRENT),
                                             ("allergy", ALLERGIES), ("presence", PRESENCE)) for r in rules}
_BY_KEY = {r.key: r for r in ALL_RULES}
ORAL_ANTIDIABETIC = _BY_KEY["oral_antidiabetic"]
# One pass over a clause for every rule; allergy terms are matched in their own pass (a drug name means an allergy
# there, not its use), which only runs for clauses that state an allergy.
_ALL, _ALLERGIES = _lexicon((*DRUGS, *DEPENDENCE, *CURRENT, *PRESENCE)), _lexicon(ALLERGIES)
_ADVERSE, _ADVERSE_BY_KEY = _lexicon(ADVERSE), {r.key: r for r in ADVERSE}
_POISONING, _POISONING_BY_KEY = _lexicon(POISONING), {r.key: r for r in POISONING}
_UNDERDOSING, _UNDERDOSING_BY_KEY = _lexicon(UNDERDOSING), {r.key: r for r in UNDERDOSING}
_NONCOMPLIANCE = StatusRule(key="noncompliance", code="Z91.148", terms=(),
                            what="a prescribed drug taken short, and why (noncompliance)")
_ANAPHYLAXIS = StatusRule(key="anaphylaxis", code=_DRUG_ANAPHYLAXIS, terms=(), what="an anaphylactic reaction now")
_SCREENING, _SCREENING_BY_KEY = _lexicon(SCREENING), {r.key: r for r in SCREENING}
_SCREENED, _SCREENED_BY_KEY = _lexicon(SCREENED_FOR), {r.key: r for r in SCREENED_FOR}
# services.coding.matcher.tokens writes "drug" after a drug named as a cause ("oxycodone drug induced", "due to
# amlodipine drug"); a drug after these words is named as one too.
_EFFECT_OF = _cues("side effect of", "side effects of", "adverse effect of", "adverse effects of", "adverse reaction to",
                   "adverse drug reaction to", "dystonic reaction to")
# A drug level or effect above the therapeutic range of a drug taken as prescribed is its adverse effect (a
# "supratherapeutic INR on warfarin" is R79.1 with T45.515A).
_SUPRATHERAPEUTIC = frozenset(tokens("supratherapeutic"))
_FIRST = frozenset(t for r in ALL_RULES for term in r.terms for t in tokens(term)[:1])
_ALLERGY_WORDS = frozenset(tokens("allergy allergies allergic hypersensitivity anaphylaxis"))
# A transplant or operation that is only planned or considered is no status yet.
_NOT_DONE = frozenset(tokens(
    "candidate candidacy evaluation evaluated waiting waitlist planned plan scheduled pending referral referred preop "
    "preoperative before upcoming "
    "consider considered indication indicated proposed awaiting recommend recommended recommends recommending "
    "discuss discussed options option would will booked book booking listed"
))
# An operation told as done in this episode ("underwent cholecystectomy", "a stent was placed") is the procedure,
# not yet a status; told as past ("history of", "status post", "previous", "years ago") it is one.
_PROCEDURE_NOW = frozenset(tokens(
    "underwent undergo undergoing performed performing placed placement implanted implantation inserted insertion "
    "surgery operated resection"
))
_PAST = frozenset(tokens("ago previous previously prior former earlier"))
# A drug started in this episode is long-term use only when the note says it will be ("start metformin 500 mg daily").
_ONCE = frozenset(tokens("given administered x1 once single dose today"))
_NEW_START = frozenset(tokens("start started starting initiated initiate instituted began begun introduced restarted"))
_LONG_TERM = _cues(
    "long term", "longterm", "chronic", "chronically", "maintenance", "for years", "for months", "dependent",
    "dependence", "dependency", "corticodependency", "corticodependence", "regular", "regularly", "usual", "usually",
    "home medication", "home medications", "indefinite", "indefinitely", "lifelong", "suppressive",
)
# ... of which "chronic" may be the disease's ("COPD exacerbation, prednisone 40 mg x5d"): beside a short course only
# the others say the drug goes on.
_LONG_TERM_BESIDE_SHORT = tuple(cue for cue in _LONG_TERM if cue not in _cues("chronic", "chronically"))
# A dosing schedule says a newly started drug is meant to go on ("start metformin 500 mg twice daily"); for a drug
# that is as often given for days (an NSAID "three times daily" for a sprain) it says nothing about how long.
_SCHEDULE = _cues("daily", "every day", "a day", "per day", "bid", "tid", "qd", "weekly", "once a week", "every week",
                  "maintenance")
_DURATION = frozenset(tokens("year month"))
_COUNT = frozenset(tokens("several many few two three four five six seven eight nine ten"))
# A drug in a clause that says it was stopped, is an allergy or was an overdose is not current use; "insulin
# resistance" or an insulin level is not a drug at all; a drug given for now is no long-term use ("temporary basal
# glargine until the infection resolves": guideline I.C.4.a.3, no Z79.4 for insulin given temporarily).
_NOT_CURRENT = frozenset(tokens(
    "temporary temporarily stopped stop discontinued discontinue suspended withdrawn withdrawal held hold allergy allergic intolerance "
    "intolerant overdose overdosed poisoning poisoned intoxication toxicity ingestion ingested swallowed previously formerly resistance resistant "
    "secretion antibodies antibody"
))
_ALLERGY_HEADING = re.compile(r"\s*(?:drug |medication |known )?allerg(?:y|ies)\s*:", re.IGNORECASE)
# "BMI at the 97th percentile", "BMI 97th percentile for age"; "BMI-for-age percentile of 97".
_BMI_PERCENTILES = (
    re.compile(r"\b(?:bmi|body mass index)\b[^0-9;\n]{0,30}?(\d{1,2}(?:\.\d)?)\s*(?:st|nd|rd|th)?\s*(?:percentile|centile)",
               re.IGNORECASE),
    re.compile(r"\b(?:bmi|body mass index)\b[^0-9;\n]{0,20}?(?:percentile|centile)\s+(?:of\s+)?(?:the\s+)?(\d{1,2}(?:\.\d)?)",
               re.IGNORECASE),
)
# A BMI to reach or a bound is no measurement: "surgery once BMI <35", "goal BMI under 30", "BMI target 25".
_BMI_THRESHOLD = re.compile(r"[<>≤≥]|\b(?:goal|target|under|below|less than|greater than|above|over|of at least)\b",
                            re.IGNORECASE)
_BMI = re.compile(r"\b(?:bmi|body mass index)\b[^0-9.;\n]{0,25}(\d{2}(?:[.,]\d{1,2})?)", re.IGNORECASE)


@dataclass(frozen=True)
class StatusFact:
    code: str
    statement_id: str
    turn_ids: tuple[str, ...]
    position: tuple[int, int]  # (clause, token) within the statement: reading order
    why: str


_PREVENTS = frozenset(tokens("prophylaxis prevention ppx"))
_PLANNED_USE = frozenset(tokens("recommend recommended plan planned will consider considered periop perioperative "
                                "postop postoperative"))
_NOT_TAKEN = _cues("not indicated", "not recommended", *_REFUSED_WORDS)
_SHORT = frozenset(tokens("taper tapering burst course day days week weeks"))


_TOPICAL = frozenset(tokens("drop drops eyedrops ophthalmic topical topically cream ointment gel lotion otic nasal "
                            "intranasal spray"))
_INHALED = "Z79.51"
_DAYS = re.compile(r"x?\d{1,2}d|x\d{1,2}")  # "x5d", "7d", "x5" (days, as prescriptions write them)


def _short_course(toks: list[str]) -> bool:
    """"for 5 days", "a 2-week course", "prednisone taper", "prednisone 40 mg x5d"."""
    return any(t in _SHORT or _DAYS.fullmatch(t) for t in toks)


def _long_term(toks: list[str]) -> bool:
    """A long-term word, or a duration of months or years ("for 3 years"; an age, "a 45-year-old", is not one)."""
    if _said(toks, _LONG_TERM):
        return True
    return any(t in _DURATION and i >= 2 and toks[i - 2] in ("for", "since", "over") and (toks[i - 1].isdigit() or toks[i - 1] in _COUNT)
               for i, t in enumerate(toks))


_AGO = _cues(*POST_HISTORY_PHRASES)


def _ago(toks: list[str]) -> bool:
    """"started metformin 2 years ago": a drug begun months or years ago and not stopped is long-term use (the
    matcher reads the words before "years ago" as past)."""
    return _said(toks, _AGO)


_DISORDER_AFTER = frozenset(tokens("dependence dependency abuse addiction withdrawal"))
_USE_DISORDER = tokens("use disorder")


def _names_a_disorder(toks: list[str], end: int) -> bool:
    """The drug word ends a substance disorder's name ("opioid dependence", "opioid use disorder")."""
    return (end < len(toks) and toks[end] in _DISORDER_AFTER) or toks[end : end + 2] == _USE_DISORDER


_OFF = frozenset(tokens("not no longer off never stopped stop held hold discontinued denies denied being was were "
                        "previously formerly"))
_IN_THE_PAST = tuple(tokens("in the past"))


def _on(toks: list[str], start: int) -> int | None:
    """Where "on" stands in the three words before the drug at ``start`` ("on long-term warfarin"), if it does."""
    before = toks[max(0, start - 3) : start]
    return start - len(before) + before.index("on") if "on" in before else None


def _off_it(toks: list[str], start: int) -> bool:
    """"on <drug>" that the words just before "on" deny or end ("not currently on", "denies being on", "no longer
    on", "was on"), or that the words after it put in the past ("on warfarin in the past")."""
    on = _on(toks, start)
    return on is not None and (not _OFF.isdisjoint(toks[max(0, on - 2) : on])
                               or bool(phrase_starts(toks[start : start + 6], _IN_THE_PAST)))


# Vaccines given at the visit, however many and however named ("MMR, varicella, Hep A given"): Z23 (the lexicon's
# immunization concept reads the wordings with "vaccine" and a single name).
_IMMUNIZATION = _fact("immunization", "Z23", "an encounter for immunization (vaccines given)")


def facts(statement: Statement) -> list[StatusFact]:
    """The long-term drug use, dependence, allergy and presence/absence statuses the statement documents, and the
    adverse effects of drugs it names as a cause."""
    out: list[StatusFact] = []

    def add(rule: StatusRule, c_idx: int, start: int, code: str | None = None) -> None:
        out.append(StatusFact(code=code or rule.code, statement_id=statement.statement_id,
                              turn_ids=tuple(statement.evidence_turn_ids), position=(c_idx, start),
                              why=f"status code: the note documents {rule.what}"))

    # An allergy list ("Allergies: sulfa drugs (rash)") states the allergy once for every clause after its heading.
    allergy_list = statement.kind == "allergy" or _ALLERGY_HEADING.match(statement.text) is not None
    for c_idx, toks in enumerate(clauses(statement.text)):
        if ("screening" in toks or "screen" in toks or "cologuard" in toks or "fit" in toks) and not _said(
                toks, _NOT_SCREENED):
            screened = set()
            for m in _SCREENING.mentions(toks):
                if m.assertion in (Assertion.AFFIRMED, Assertion.UNCERTAIN):
                    add(_SCREENING_BY_KEY[m.concept.key], c_idx, m.start)
                    screened.add(m.concept.code)
            for m in _SCREENED.mentions(toks):
                if m.assertion is Assertion.UNCERTAIN and m.concept.code not in screened:
                    add(_SCREENED_BY_KEY[m.concept.key], c_idx, m.start)
                    screened.add(m.concept.code)
        status = assertions(toks)
        if (given := vaccinations_given(toks)) is not None and status[given] is not Assertion.NEGATED:
            add(_IMMUNIZATION, c_idx, given)
        elif names_a_vaccine(toks) and _said(toks, _REFUSES):
            add(_VACCINE_REFUSED, c_idx, 0)
        # An anaphylaxis told as what happened, with no allergy word: "anaphylaxis to peanuts at school" (an allergy
        # list's or an allergy's "(anaphylaxis)" is how the allergy shows: its status).
        reaction = not allergy_list and any(t in _REACTION and a is Assertion.AFFIRMED for t, a in zip(toks, status)) \
            and not any(t in _ALLERGY_WORDS and t not in _REACTION and a is not Assertion.NEGATED
                        for t, a in zip(toks, status))
        supra = not _SUPRATHERAPEUTIC.isdisjoint(toks)
        if "drug" in toks or "effect" in toks or "reaction" in toks or reaction or supra:
            drugs = [m for m in _ADVERSE.mentions(toks) if m.assertion is Assertion.AFFIRMED and (reaction or supra or (
                toks[m.end : m.end + 1] == ["drug"] or any(toks[max(0, m.start - len(p)) : m.start] == list(p)
                                                           for p in _EFFECT_OF)))]
            for m in drugs:
                add(_ADVERSE_BY_KEY[m.concept.key], c_idx, m.start)
            if reaction and drugs:
                add(_ANAPHYLAXIS, c_idx, drugs[0].start)  # T88.6 before the drug's adverse effect
        if poisonings := _poisonings(toks, status):
            intent = next((i for i, cues in _INTENTS if _said(toks, cues, status)), "1")
            for m in poisonings:
                code = next((c for c, cues in _CO_SOURCES if m.concept.code.startswith("T58") and _said(toks, cues)),
                            m.concept.code)
                add(_POISONING_BY_KEY[m.concept.key], c_idx, m.start, with_intent(code, intent))
        elif _said(toks, _UNDERDOSED):
            drugs = [m for m in _UNDERDOSING.mentions(toks) if m.assertion is not Assertion.FAMILY]
            for m in drugs:
                add(_UNDERDOSING_BY_KEY[m.concept.key], c_idx, m.start)
            if drugs:
                add(_NONCOMPLIANCE, c_idx, drugs[0].start, _noncompliance(toks))
        if _FIRST.isdisjoint(toks):
            continue
        # An allergy word the clause denies states no allergy ("bee sting, local swelling only, no anaphylaxis").
        allergy = allergy_list or any(t in _ALLERGY_WORDS and a is not Assertion.NEGATED for t, a in zip(toks, status))
        if allergy:
            for m in _ALLERGIES.mentions(toks):
                if reaction and m.assertion is Assertion.AFFIRMED:
                    # An anaphylaxis now: to a food its T78.0- code (to a drug T88.6 and its adverse effect, above).
                    if (food := _FOOD_ANAPHYLAXIS.get(m.concept.key)) is not None:
                        add(_ANAPHYLAXIS, c_idx, m.start, food)
                # "a history of allergy to penicillin" is the allergy status today
                elif m.assertion in (Assertion.AFFIRMED, Assertion.HISTORY):
                    add(_BY_KEY[m.concept.key], c_idx, m.start)
        not_done = not _NOT_DONE.isdisjoint(toks)
        done_now = not _PROCEDURE_NOW.isdisjoint(toks) and _PAST.isdisjoint(toks)
        # (A stop the note says not to make is none: "cardiology prefers not to hold", "do not stop".)
        not_current = allergy or any(t in _NOT_CURRENT and "not" not in toks[max(0, k - 2) : k] for k, t in enumerate(toks)) \
            or _said(toks, _NOT_TAKEN)
        new_start = not _NEW_START.isdisjoint(toks)
        ago = _ago(toks)
        duration: tuple[bool, bool, bool] | None = None  # (long-term, scheduled, short course), read once a clause
        for m in _ALL.mentions(toks):
            rule, group = _BY_KEY[m.concept.key], _GROUP[m.concept.key]
            if group == "presence":
                if toks[m.start : m.end] == ["icd"] and m.assertion is not Assertion.HISTORY:
                    continue  # "ICD" alone is also the classification: the device only as "s/p ICD", "hx of ICD"
                if not not_done and (m.assertion is Assertion.HISTORY or (m.assertion is Assertion.AFFIRMED and not done_now)):
                    for code in m.concept.codes_for(m.side):  # a joint replacement by side
                        add(rule, c_idx, m.start, code)
                    if m.concept.key in _JOINTS and _said(toks, _AFTERCARE):
                        add(_JOINT_AFTERCARE, c_idx, m.start)
            elif group == "current":
                if m.concept.key == "chemotherapy_regimen" and (_CYCLE_GIVEN.isdisjoint(toks)
                                                                or not _CYCLES_OVER.isdisjoint(toks)):
                    continue
                if m.assertion is Assertion.AFFIRMED and not not_done:  # "resistant" here is the status's own word
                    add(rule, c_idx, m.start)
            elif _names_a_disorder(toks, m.end) or _off_it(toks, m.start) or toks[m.end : m.end + 1] == ["level"] or (
                    rule.code != _INHALED and not _TOPICAL.isdisjoint(toks[max(0, m.start - 2) : m.end + 3])):
                continue  # "opioid dependence", "opioid use disorder": a substance disorder, not the drug's use; an
                # "insulin level", "digoxin levels" are a lab value; "cyclosporine drops", "hydrocortisone cream" are
                # no systemic drug
            # "on <drug>" (not off it: above) is current use even where a cue before it gave the clause to the past
            # or denied something else: "Hx of PE, on long-term warfarin", "T2DM w/ hypoglycemia without coma, on
            # glipizide".
            elif not not_current and (m.assertion is Assertion.AFFIRMED or (m.assertion is Assertion.HISTORY and ago)
                                      or _on(toks, m.start) is not None
                                      # a drug given to prevent is taken: "VTE ppx - aspirin 81" (Z79.82)
                                      or (m.assertion is Assertion.UNCERTAIN and not _PREVENTS.isdisjoint(toks)
                                          and _PLANNED_USE.isdisjoint(toks))):
                if rule.in_use and not (_on(toks, m.start) is not None or _long_term(toks) or ago or (
                        _said(toks, _SCHEDULE) and not _short_course(toks) and _ONCE.isdisjoint(toks))):
                    continue
                if rule.long_term_cue or new_start:
                    if duration is None:
                        duration = (_long_term(toks) or ago, _said(toks, _SCHEDULE),
                                    _short_course(toks))
                    long_term, scheduled, short = duration
                    # For the drugs often given for days: a long-term word, or "on <drug>" on a schedule that is no
                    # short course ("on prednisone 5 mg daily", not "prednisone 40 mg for 5 days"). For a new start
                    # of any other drug: a long-term word or a schedule.
                    on_it = m.start > 0 and toks[m.start - 1] == "on" and scheduled and not short
                    if rule.long_term_cue and short and not _said(toks, _LONG_TERM_BESIDE_SHORT):
                        continue
                    if not (long_term or (on_it if rule.long_term_cue else scheduled)):
                        continue
                add(rule, c_idx, m.start)
    baked = {fact.code[:-1] for fact in out if fact.code in _BAKED}
    return [fact for fact in out if not (fact.code in _BAKED_UNSPECIFIED and fact.code[:-1] in baked)]


_BAKED = frozenset(("Z91.0111", "Z91.0112", "Z91.0121", "Z91.0122"))
_BAKED_UNSPECIFIED = frozenset(("Z91.0110", "Z91.0120"))


def bmi_code(value: float) -> str:
    """The adult BMI code (Z68.1-Z68.45) for a value."""
    if value < 20:
        return "Z68.1"
    if value < 40:
        return f"Z68.{int(value)}"
    for upper, code in ((45, "Z68.41"), (50, "Z68.42"), (60, "Z68.43"), (70, "Z68.44")):
        if value < upper:
            return code
    return "Z68.45"


def pediatric_bmi_code(percentile: float) -> str:
    """The pediatric BMI-for-age code (Z68.51-Z68.54) for a percentile; 120 % of the 95th percentile and above
    (Z68.55, Z68.56) is not a percentile, so a percentile of 95 or more is Z68.54."""
    for upper, code in ((5, "Z68.51"), (85, "Z68.52"), (95, "Z68.53")):
        if percentile < upper:
            return code
    return "Z68.54"


def bmi_facts(statement: Statement, *, patient_age: int | None) -> list[StatusFact]:
    """The body mass index the statement gives: adult values (Z68.1-Z68.45), or a child's BMI-for-age percentile
    (Z68.51-Z68.54). A bare number is no child's BMI (children's are coded by percentile): nothing for a patient
    under 20 without one."""
    percentiles = next((list(p.finditer(statement.text)) for p in _BMI_PERCENTILES if p.search(statement.text)), [])
    if percentiles:
        return [StatusFact(code=pediatric_bmi_code(float(m.group(1))), statement_id=statement.statement_id,
                           turn_ids=tuple(statement.evidence_turn_ids), position=(0, m.start()),
                           why="status code: the note documents the BMI-for-age percentile")
                for m in percentiles[:1]]
    if (patient_age is not None and patient_age < 20) or "percentile" in statement.text.lower():
        return []
    out = []
    for match in _BMI.finditer(statement.text):
        value = float(match.group(1).replace(",", "."))
        if 10 <= value <= 100 and not _BMI_THRESHOLD.search(match.group()):
            out.append(StatusFact(code=bmi_code(value), statement_id=statement.statement_id,
                                  turn_ids=tuple(statement.evidence_turn_ids), position=(0, match.start()),
                                  why="status code: the note documents the adult body mass index"))
    return out
