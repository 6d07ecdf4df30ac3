"""Curated clinical lexicon: how clinicians and patients say common outpatient conditions, and their codes.

Terms are matched as whole token sequences after :func:`services.coding.matcher.tokens` normalisation, so
"high blood pressure", "HTN" and "hypertension" all reach I10. Every code here is checked against the real
code set by the unit tests (valid and billable), so the lexicon can never emit an invented code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["diagnosis", "symptom", "modifier"]


@dataclass(frozen=True)
class Concept:
    key: str
    code: str | None  # None for modifiers ("poorly controlled") that only steer combination codes
    terms: tuple[str, ...]
    kind: Kind = "diagnosis"
    # Clinicians say "history of hypertension" for a condition the patient still has.
    chronic: bool = False
    history_code: str | None = None  # Z85-Z87 personal history code when the condition is past
    family_code: str | None = None  # Z80-Z84 family history code
    lateral: tuple[str, str, str | None] | None = None  # (right, left, bilateral); no bilateral code: code both sides

    def codes_for(self, side: str | None) -> list[str | None]:
        """The codes of a mention on ``side`` (None: not named): the side's code where the concept has sides."""
        if self.lateral and side is not None:
            right, left, both = self.lateral
            if side == "bilateral":
                # Where ICD-10-CM has no bilateral code (joint pain), each side is coded.
                return [both] if both else [right, left]
            return [right if side == "right" else left]
        return [self.code]


def _c(key: str, code: str | None, *terms: str, **kw: object) -> Concept:
    return Concept(key=key, code=code, terms=terms, **kw)  # type: ignore[arg-type]


# Chronic kidney disease by stage (3a and 3b are their own codes since FY2021: N18.31, N18.32).
_CKD_STAGE_CODES = {"1": "N18.1", "2": "N18.2", "3": "N18.30", "3a": "N18.31", "3b": "N18.32", "4": "N18.4", "5": "N18.5"}


def _ckd_stage(stage: str, code: str) -> Concept:
    return _c(f"ckd{stage}", code, f"chronic kidney disease stage {stage}", f"ckd stage {stage}", f"ckd {stage}",
              f"stage {stage} chronic kidney disease", f"stage {stage} ckd", chronic=True)


def _joint_pain(joint: str, code: str, right: str, left: str) -> Concept:
    """Pain, joint, <joint> by side (no bilateral codes: each side is coded)."""
    return _c(f"{joint}_pain", code, f"{joint} pain", f"pain in {joint}", f"pain in the {joint}", f"{joint} joint pain",
              kind="symptom", lateral=(right, left, None))


_ULCER_SITES = (("gastric_ulcer", "K25", ("gastric", "stomach")), ("duodenal_ulcer", "K26", ("duodenal",)),
                 ("peptic_ulcer", "K27", ("peptic",)))
_ULCER_BLEEDING = ("{} ulcer with hemorrhage", "{} ulcer with bleeding", "bleeding {} ulcer", "hemorrhagic {} ulcer")
_ULCER_PERFORATED = ("{} ulcer with perforation", "perforated {} ulcer")
_ULCER_KINDS = (("", "9", ("{} ulcer", "{} ulcer disease")),
                # .4 / .5 are "chronic or unspecified" with hemorrhage / perforation, .0 / .1 acute with them; acute .3
                # and chronic .7 are "without hemorrhage or perforation".
                ("_bleeding", "4", (*_ULCER_BLEEDING, *(f"chronic {w}" for w in _ULCER_BLEEDING))),
                ("_perforated", "5", (*_ULCER_PERFORATED, *(f"chronic {w}" for w in _ULCER_PERFORATED))),
                ("_acute_bleeding", "0", tuple(f"acute {w}" for w in _ULCER_BLEEDING)),
                ("_acute_perforated", "1", tuple(f"acute {w}" for w in _ULCER_PERFORATED)),
                ("_acute", "3", ("acute {} ulcer",)), ("_chronic", "7", ("chronic {} ulcer",)))
ULCERS = tuple(f"{key}{suffix}" for key, _, _ in _ULCER_SITES for suffix, _, _ in _ULCER_KINDS)


def _ulcers() -> tuple[Concept, ...]:
    """Index: "Ulcer, gastric K25.9 / duodenal K26.9 / peptic (site unspecified) K27.9", each "with hemorrhage" .4 and
    "with perforation" .5, acute .0 / .1 / .3 and chronic .7: the bleeding is part of the ulcer's code, not R58 beside it. A past
    ulcer is Z87.11."""
    return tuple(_c(f"{key}{suffix}", f"{category}.{axis}", *(w.format(site) for site in sites for w in wordings),
                    history_code="Z87.11")
                 for key, category, sites in _ULCER_SITES for suffix, axis, wordings in _ULCER_KINDS)


CONCEPTS: tuple[Concept, ...] = (
    # --- cardiovascular
    _c("htn", "I10", "hypertension", "htn", "high blood pressure", "essential hypertension",
       "hypertensive", "high bp", chronic=True, family_code="Z82.49"),
    # Index: "Hypertension, heart (disease) (conditions in I51.4-I51.9 due to hypertension) I11.9; with heart failure
    # I11.0": hypertension for the combinations below, I11.9 alone.
    _c("hhd", "I11.9", "hypertensive heart disease", "hypertensive cardiopathy", "hypertensive cardiomyopathy",
       chronic=True),
    # Elevated, blood pressure, reading (incidental) (isolated) (nonspecific), no diagnosis of hypertension R03.0: a
    # raised reading is no hypertension until a clinician says so (Excludes1 leaves I10 when one does).
    _c("elevated_bp", "R03.0", "elevated blood pressure", "elevated blood pressure reading", "blood pressure elevated",
       "elevated bp", "blood pressure was elevated", "blood pressure is elevated", kind="symptom"),
    _c("chf", "I50.9", "heart failure", "chf", "congestive heart failure", "congestive cardiac failure", "cardiac failure", chronic=True),
    # Failure, heart, with reduced (preserved) ejection fraction -- see Failure, heart, systolic (diastolic): I50.20
    # (I50.30) when the acuity is not documented; "chronic", "acute" qualify it through the descriptions (I50.22, …).
    _c("hfref", "I50.20", "systolic heart failure", "hfref", "heart failure with reduced ejection fraction", chronic=True),
    _c("hfpef", "I50.30", "diastolic heart failure", "hfpef", "heart failure with preserved ejection fraction", chronic=True),
    _c("afib", "I48.91", "atrial fibrillation", "afib", "a fib", "af", chronic=True),
    _c("cad", "I25.10", "coronary artery disease", "cad", "coronary disease", "atherosclerotic heart disease",
       chronic=True, family_code="Z82.49"),
    # Index: "Disease, heart, ischemic (chronic or with a stated duration of over 4 weeks) I25.9"; only its
    # "atherosclerotic" subterm is I25.10 (CodiEsp train: I25.9 in all 9 reports that say it).
    _c("ihd", "I25.9", "ischemic heart disease", "ischaemic heart disease", "ischemic cardiopathy", "ischemic heart condition",
       "chronic ischemic heart disease", chronic=True, family_code="Z82.49"),
    # Angina pectoris I20.9, unstable I20.0, stable ("other forms") I20.89; with coronary atherosclerosis they are one
    # combination code (I25.11-, guideline I.C.9.b), below.
    _c("angina", "I20.9", "angina", "angina pectoris"),
    _c("unstable_angina", "I20.0", "unstable angina", "unstable angina pectoris", "crescendo angina"),
    _c("stable_angina", "I20.89", "stable angina", "stable angina pectoris", "chronic stable angina"),
    _c("mi", "I21.9", "myocardial infarction", "heart attack", "mi", history_code="I25.2", family_code="Z82.49"),
    # Index: "Infarct, myocardial, healed or old I25.2" (the old infarct is no acute one).
    _c("old_mi", "I25.2", "old mi", "old myocardial infarction", "healed myocardial infarction", "old heart attack",
       "old nstemi", "old stemi", "old infarct",
       history_code="I25.2"),  # "remote MI" is the history cue "remote" before "mi": I25.2 as well
    # Index: "Infarct, myocardial, ST elevation (STEMI) I21.3; non-ST elevation (NSTEMI) I21.4".
    _c("stemi", "I21.3", "stemi", "st elevation myocardial infarction", "st elevation mi", "st segment elevation myocardial infarction",
       history_code="I25.2", family_code="Z82.49"),
    _c("nstemi", "I21.4", "nstemi", "non st elevation myocardial infarction", "non st elevation mi",
       "non st segment elevation myocardial infarction", history_code="I25.2", family_code="Z82.49"),
    _c("stroke", "I63.9", "stroke", "cva", "cerebrovascular accident", "cerebral infarction", "cerebral infarct",
       "mca infarct", "mca stroke", "ischemic stroke", history_code="Z86.73", family_code="Z82.3"),
    _c("tia", "G45.9", "transient ischemic attack", "tia", "mini stroke", history_code="Z86.73"),
    _c("dvt", "I82.409", "deep vein thrombosis", "dvt", "deep venous thrombosis", history_code="Z86.718",
       lateral=("I82.401", "I82.402", "I82.403")),
    _c("pe", "I26.99", "pulmonary embolism", history_code="Z86.711"),
    _c("hld", "E78.5", "hyperlipidemia", "hld", "dyslipidemia", chronic=True, family_code="Z83.42"),
    # ICD-10-CM Index: "Hypercholesterolemia (essential) (familial) (hereditary) (primary) (pure) E78.00", "Elevated,
    # cholesterol E78.00"; hyperlipidemia and dyslipidemia are E78.5.
    _c("high_cholesterol", "E78.00", "hypercholesterolemia", "high cholesterol", "elevated cholesterol", "pure hypercholesterolemia",
       chronic=True, family_code="Z83.42"),
    _c("palpitations", "R00.2", "palpitations", "heart racing", "heart pounding", kind="symptom"),
    _c("chest_pain", "R07.9", "chest pain", "chest discomfort", "chest pains", kind="symptom"),
    _c("syncope", "R55", "syncope", "fainting", "passed out", "fainted", kind="symptom"),
    _c("edema", "R60.0", "leg swelling", "ankle swelling", "pedal edema", "peripheral edema", "swollen ankles", kind="symptom"),
    # --- endocrine / metabolic
    _c("t2dm", "E11.9", "type 2 diabetes", "t2dm", "dm2", "type 2 diabetes mellitus", "diabetes mellitus type 2", "niddm",
       "diabetes type 2", "type 2 dm", "dm type 2", "type 2 diabetic", "sugar diabetes", "has sugar", "have sugar", "adult onset diabetes", chronic=True, family_code="Z83.3"),
    _c("t1dm", "E10.9", "type 1 diabetes", "t1dm", "dm1", "type 1 diabetes mellitus", "diabetes mellitus type 1", "diabetes type 1",
       "juvenile diabetes", "type 1 dm", "dm type 1", "type 1 diabetic", "iddm", "insulin dependent diabetes", chronic=True, family_code="Z83.3"),
    _c("dm", "E11.9", "diabetes", "diabetes mellitus", "dm", "diabetic", chronic=True, family_code="Z83.3"),
    # FY2026 "Type 2 diabetes mellitus without complications in remission" E11.A (a complication's combination code
    # still takes the diabetes: FAMILY below).
    _c("t2dm_remission", "E11.A", *(f"{name} in remission" for name in (
        "type 2 diabetes", "t2dm", "dm2", "type 2 diabetes mellitus", "type 2 dm", "diabetes", "diabetes mellitus")),
       chronic=True),
    # Diabetes complications the Index lists under "Diabetes, with" (guideline I.A.15 presumes the link): combined below.
    _c("diabetic_retinopathy", "E11.319", "diabetic retinopathy", chronic=True),  # type 2 when the type is not stated
    _c("gastroparesis", "K31.84", "gastroparesis", "diabetic gastroparesis", chronic=True),
    # A past pregnancy's outcome, in a pregnant patient's note, is the current pregnancy's supervision code (O09.21-
    # preterm labor, O09.29- other poor reproductive history, O09.A- molar pregnancy) or its maternal care for the
    # scar (O34.21-); services.coding.domain._pregnancy keeps them only in a pregnancy's statements. No code of their
    # own here (the current condition is coded from its words).
    _c("preterm_history", None, "preterm delivery", "spontaneous preterm delivery", "preterm birth",
       "spontaneous preterm birth", history_code="O09.219"),
    _c("molar_history", None, "molar pregnancy", "hydatidiform mole", history_code="O09.A0"),
    _c("stillbirth_history", None, "stillbirth", history_code="O09.299"),
    _c("cesarean_history", None, "c section", "cesarean section", "cesarean delivery", "cesarean",
       history_code="O34.219"),
    _c("low_transverse_history", None, "low transverse c section", "low transverse cesarean section",
       "low transverse cesarean", history_code="O34.211"),
    # Arthropathy, neuropathic (Charcot's joint) M14.6- (nonsyphilitic); diabetic: E08-E13 with .610 (below); tabetic
    # A52.16 only where syphilis is named.
    _c("charcot", "M14.60", "charcot arthropathy", "charcot joint", "charcot foot", "charcot neuroarthropathy",
       "neuropathic arthropathy", chronic=True),
    _c("pad", "I73.9", "pad", "peripheral arterial disease", "peripheral artery disease", "peripheral vascular disease",
       "peripheral angiopathy", "peripheral arterial occlusive disease", chronic=True),
    _c("prediabetes", "R73.03", "prediabetes", "prediabetic", "pre diabetes", "borderline diabetes"),
    # Articles are set aside in terms, so "the sugar" was a bare "sugar": every "sugar" read as diabetes ("a diet low in
    # simple sugars"); a patient "has sugar", and sugars that are high are hyperglycemia.
    _c("hyperglycemia", "R73.9", "hyperglycemia", "high blood sugar", "elevated blood sugar", "high sugars",
       "sugars are high", "sugar is high", "sugars were high", "sugar was high", "high sugar", "elevated sugars",
       kind="symptom"),
    _c("hypoglycemia", "E16.2", "hypoglycemia", "low blood sugar"),
    _c("hypothyroid", "E03.9", "hypothyroidism", "hypothyroid", "underactive thyroid", "low thyroid", chronic=True),
    # "Thyroiditis, autoimmune E06.3" (Hashimoto's): its hypothyroidism is the thyroiditis's own, no E03.9 beside it.
    _c("hashimoto", "E06.3", "hashimoto thyroiditis", "hashimoto disease", "hashimoto", chronic=True),
    _c("hyperthyroid", "E05.90", "hyperthyroidism", "overactive thyroid", chronic=True),
    _c("obesity", "E66.9", "obesity", "obese", chronic=True),
    _c("morbid_obesity", "E66.01", "morbid obesity", "severe obesity", "morbidly obese", chronic=True),
    _c("overweight", "E66.3", "overweight"),
    _c("vitd", "E55.9", "vitamin d deficiency", "low vitamin d"),
    _c("gout", "M10.9", "gout", chronic=True),
    _c("anemia", "D64.9", "anemia", "anaemia"),
    _c("iron_anemia", "D50.9", "iron deficiency anemia", "iron deficiency anaemia"),
    # --- respiratory
    _c("copd", "J44.9", "copd", "chronic obstructive pulmonary disease", "chronic obstructive lung disease", chronic=True),
    # Index: "Emphysema (atrophic) (bullous) (chronic) (lung) (obstructive) (pulmonary) J43.9".
    _c("emphysema", "J43.9", "emphysema", "pulmonary emphysema", chronic=True),
    _c("asthma", "J45.909", "asthma", "reactive airway disease", chronic=True, family_code="Z82.5"),
    _c("uri", "J06.9", "upper respiratory infection", "uri", "upper respiratory tract infection", "viral uri", "urti",
       "viral urti"),
    # The Index sends "Cold (common) (head)" and "Catarrh" to J00, acute nasopharyngitis, not to J06.9.
    _c("cold", "J00", "common cold", "head cold", "cold symptoms", "nasopharyngitis", "coryza", "catarrh", "catarrhal symptoms",
       "catarrhal process", "catarrhal syndrome"),
    _c("pneumonia", "J18.9", "pneumonia", "pna", history_code="Z87.01"),
    # Index: "Bronchitis J40" (not specified as acute or chronic), "acute or subacute J20.9", "Cold, chest -- see
    # Bronchitis"; "chronic J42" (J40's own wording names "chronic" only to say it is not specified); "Sinusitis
    # (chronic) J32.9", "acute J01.90", "Infection, sinus -- see Sinusitis".
    _c("acute_bronchitis", "J20.9", "acute bronchitis"),
    _c("chronic_bronchitis", "J42", "chronic bronchitis", chronic=True),
    _c("bronchitis", "J40", "bronchitis", "chest cold"),
    _c("acute_sinusitis", "J01.90", "acute sinusitis", "acute rhinosinusitis"),
    _c("sinusitis", "J32.9", "sinusitis", "sinus infection", "rhinosinusitis", "chronic sinusitis"),
    _c("pharyngitis", "J02.9", "pharyngitis", "sore throat", kind="diagnosis"),
    _c("strep", "J02.0", "strep throat", "streptococcal pharyngitis"),
    _c("allergic_rhinitis", "J30.9", "allergic rhinitis", chronic=True),
    # Index: "Fever, hay (allergic) J30.1" (due to pollen); seasonal allergic rhinitis otherwise J30.2.
    _c("hay_fever", "J30.1", "hay fever", chronic=True),
    _c("seasonal_rhinitis", "J30.2", "seasonal allergies", "seasonal allergic rhinitis", chronic=True),
    _c("influenza", "J11.1", "influenza", "flu"),
    # Index: "Influenza, due to identified influenza virus NEC J10.1": a named type identifies it.
    _c("influenza_typed", "J10.1", "influenza type a", "influenza type b", "flu type a", "flu type b"),
    # A positive test identifies the virus: Influenza, due to other identified influenza virus J10.1 ("influenza A
    # positive"; the letter is an article to the matcher).
    _c("influenza_identified", "J10.1", "influenza positive", "positive for influenza", "flu positive",
       "positive flu", "positive influenza", "influenza test positive", "flu test positive", "flu swab positive",
       "flu swab was positive", "positive flu swab", "influenza swab positive", "positive influenza swab"),
    _c("covid", "U07.1", "covid 19", "covid", "sars cov 2 infection", history_code="Z86.16"),
    # A past infection's lasting effects are U09.9, never U07.1 (which is a current infection).
    _c("post_covid", "U09.9", "long covid", "post covid", "post covid 19", "post covid condition", "post covid syndrome",
       "post covid 19 condition", "post acute sequelae of covid"),
    _c("osa", "G47.33", "obstructive sleep apnea", "osa", chronic=True),
    _c("sleep_apnea", "G47.30", "sleep apnea", chronic=True),  # Index: "Apnea, sleep G47.30"
    _c("cough", "R05.9", "cough", "coughing", kind="symptom"),
    _c("sob", "R06.02", "shortness of breath", "sob", "short of breath", "breathlessness", "trouble breathing",
       "soboe", "sob on exertion", kind="symptom"),
    _c("wheezing", "R06.2", "wheezing", "wheeze", kind="symptom"),
    _c("fever", "R50.9", "fever", "febrile", "fevers", "pyrexia", kind="symptom"),
    # --- digestive
    _c("colon_polyp", "K63.5", "colon polyp", "colonic polyp", "polyp of the colon", "polyp of colon",
       history_code="Z86.0100"),
    # Polyp, adenomatous -- see Neoplasm, benign, by site (colon D12.6); its personal history is Z86.0101.
    _c("colon_adenoma", "D12.6", "adenomatous colon polyp", "adenomatous polyp of colon", "adenomatous colonic polyp",
       "colon adenoma", "colonic adenoma", "tubular adenoma of colon", history_code="Z86.0101"),
    # Infection, Helicobacter pylori A04.8; as the cause of a gastritis or an ulcer it is B96.81 beside that code
    # (K29.- and K25-K28 say "use additional code to identify Helicobacter pylori (B96.81)").
    _c("h_pylori", "A04.8", "helicobacter pylori", "h pylori", "helicobacter pylori infection", "h pylori infection",
       "helicobacter infection"),
    _c("gastritis", "K29.70", "gastritis"),
    # Bacteria named as the cause of an infection coded elsewhere: alone, "Infection, <organism>" (A49.-); beside a
    # urinary tract infection, cystitis, cellulitis, osteomyelitis (whose notes say "use additional code (B95-B97) to
    # identify infectious agent") or bacteremia the B95-B96 code; with pneumonia or sepsis the organism's combination
    # code.
    _c("mrsa", "A49.02", "mrsa", "methicillin resistant staphylococcus aureus", "methicillin resistant staph aureus",
       history_code="Z86.14"),
    _c("mssa", "A49.01", "mssa", "methicillin susceptible staphylococcus aureus", "staphylococcus aureus",
       "staph aureus"),
    _c("e_coli", "A49.8", "e coli", "escherichia coli"),
    _c("pseudomonas", "A49.8", "pseudomonas", "pseudomonas aeruginosa"),
    _c("klebsiella", "A49.8", "klebsiella", "klebsiella pneumoniae"),
    _c("enterococcus", "A49.8", "enterococcus", "enterococcus faecalis", "enterococcal"),
    _c("bacteremia", "R78.81", "bacteremia"),
    *_ulcers(),
    _c("pud", "K27.9", "pud", history_code="Z87.11"),
    _c("gerd", "K21.9", "gerd", "gastroesophageal reflux disease", "acid reflux", "gastro esophageal reflux", chronic=True),
    _c("heartburn", "R12", "heartburn", kind="symptom"),  # Index: "Heartburn R12"
    _c("ibs", "K58.9", "irritable bowel syndrome", "ibs", chronic=True),
    # Syndrome, irritable bowel, with diarrhea K58.0, with constipation K58.1, mixed K58.2: the bowel habit is part of
    # the code, not R19.7 or K59.00 beside it.
    _c("ibs_diarrhea", "K58.0", "irritable bowel syndrome with diarrhea", "ibs with diarrhea", "ibs d",
       "diarrhea predominant irritable bowel syndrome", "diarrhea predominant ibs", chronic=True),
    _c("ibs_constipation", "K58.1", "irritable bowel syndrome with constipation", "ibs with constipation", "ibs c",
       "constipation predominant irritable bowel syndrome", "constipation predominant ibs", chronic=True),
    _c("ibs_mixed", "K58.2", "mixed irritable bowel syndrome", "mixed ibs", "ibs m",
       "irritable bowel syndrome with mixed bowel habits", "ibs with mixed bowel habits", chronic=True),
    _c("constipation", "K59.00", "constipation", "constipated", kind="symptom"),
    _c("diarrhea", "R19.7", "diarrhea", "diarrhoea", "loose stools", kind="symptom"),
    _c("nausea_vomiting", "R11.2", "nausea and vomiting", "nausea with vomiting", "n v", kind="symptom"),  # "N&V", "N/V"
    _c("nausea", "R11.0", "nausea", "nauseous", "nauseated", kind="symptom"),
    _c("vomiting", "R11.10", "vomiting", "throwing up", "emesis", kind="symptom"),
    _c("abd_pain", "R10.9", "abdominal pain", "abdo pain", "stomach pain", "belly pain", "tummy pain", "stomach ache", "abdominal discomfort",
       kind="symptom"),
    _c("gastroenteritis", "K52.9", "gastroenteritis", "stomach bug", "stomach flu"),
    _c("hemorrhoids", "K64.9", "hemorrhoids", "haemorrhoids", "piles"),
    _c("fatty_liver", "K76.0", "fatty liver", "nafld", "hepatic steatosis"),
    # --- genitourinary / renal
    _c("uti", "N39.0", "urinary tract infection", "uti", "utis", "bladder infection", history_code="Z87.440"),
    # "History of falling" Z91.81 also reads "at risk for falling"; repeated falls now are R29.6.
    _c("fall_risk", "Z91.81", "at risk for falls", "fall risk", "high fall risk", chronic=True),
    _c("repeated_falls", "R29.6", "repeated falls", "recurrent falls", "frequent falls", "multiple falls", kind="symptom"),
    # ... and past falls, as the note calls them so ("Hx falls (2 last yr)"); a fall days ago is coded by its injury.
    _c("falls", "Z91.81", "fallshistory"),  # one word: services.coding.matcher._FALLS_HISTORY
    # "Disease, Lyme A69.20": its erythema migrans is the Lyme disease's, not the erysipeloid's A26.0 (SUBSUMED_BY).
    _c("lyme", "A69.20", "lyme disease", "lyme", "early lyme", "lyme borreliosis"),
    _c("erythema_migrans", "A26.0", "erythema migrans"),
    _c("cystitis", "N30.90", "cystitis"),
    # Index: "Colic, renal N23", "Colic, ureter N23" (a colic named by its site is not R10.83).
    _c("renal_colic", "N23", "renal colic", "renoureteral colic", "reno ureteral colic", "nephritic colic", "ureteral colic",
       "kidney colic"),
    _c("ckd", "N18.9", "chronic kidney disease", "ckd", "chronic renal disease", "chronic renal insufficiency", "chronic renal failure",
       chronic=True),
    *(_ckd_stage(stage, code) for stage, code in _CKD_STAGE_CODES.items()),
    _c("esrd", "N18.6", "end stage renal disease", "end stage kidney disease", "esrd", chronic=True),
    _c("kidney_stone", "N20.0", "kidney stone", "kidney stones", "nephrolithiasis", "renal calculus", history_code="Z87.442"),
    _c("bph", "N40.0", "benign prostatic hyperplasia", "bph", "enlarged prostate", "prostatic hypertrophy", chronic=True),
    _c("ed", "N52.9", "erectile dysfunction"),
    _c("dysuria", "R30.0", "dysuria", "burning with urination", "painful urination", "burning urination", kind="symptom"),
    _c("hematuria", "R31.9", "hematuria", "blood in urine", "blood in the urine", kind="symptom"),
    # --- neurological / mental health
    _c("migraine", "G43.909", "migraine", "migraines", "migraine headache", chronic=True, family_code="Z82.0"),
    # Index: "Migraine, without aura G43.009" (common migraine); its "without" names the type, it negates nothing.
    _c("migraine_no_aura", "G43.009", "migraine without aura", "common migraine", chronic=True, family_code="Z82.0"),
    # The descriptions' "not intractable" and "without status migrainosus" are the defaults; "intractable" names the
    # intractable code, never one "not intractable, with status migrainosus" (the description matcher cannot tell).
    _c("migraine_intractable", "G43.919", "intractable migraine", "migraine intractable", chronic=True, family_code="Z82.0"),
    _c("migraine_no_aura_intractable", "G43.019", "intractable migraine without aura", "migraine without aura intractable",
       chronic=True, family_code="Z82.0"),
    _c("chronic_migraine", "G43.709", "chronic migraine", "chronic migraine without aura", "transformed migraine",
       chronic=True, family_code="Z82.0"),
    _c("chronic_migraine_intractable", "G43.719", "intractable chronic migraine", "chronic migraine intractable",
       "chronic migraine without aura intractable", "intractable chronic migraine without aura", chronic=True,
       family_code="Z82.0"),
    _c("tension_headache", "G44.209", "tension headache", "tension type headache"),
    _c("headache", "R51.9", "headache", "headaches", "head pain", "head ache", kind="symptom"),
    _c("dizziness", "R42", "dizziness", "dizzy", "lightheaded", "lightheadedness", "light headed", kind="symptom"),
    _c("vertigo", "R42", "vertigo", kind="symptom"),
    _c("seizure", "R56.9", "seizure", "seizures", kind="symptom"),
    # Seizure, absence -- see Epilepsy, absence G40.A-: not intractable, without status unless the note says so.
    _c("absence_seizure", "G40.A09", "absence seizure", "absence seizures", "absence epilepsy", chronic=True),
    # Convulsions, febrile R56.00 (not a fever and a seizure).
    _c("febrile_seizure", "R56.00", "febrile seizure", "febrile seizures", "febrile convulsion", "febrile convulsions",
       kind="symptom"),
    _c("epilepsy", "G40.909", "epilepsy", "seizure disorder", chronic=True, family_code="Z82.0"),
    # "Neuropathy, peripheral (nerve) -- see also Polyneuropathy": with diabetes E11.42, a neuropathy unqualified E11.40.
    _c("neuropathy", "G62.9", "neuropathy"),
    _c("polyneuropathy", "G62.9", "peripheral neuropathy", "polyneuropathy", "distal symmetric polyneuropathy",
       "peripheral polyneuropathy", "diabetic peripheral neuropathy"),
    _c("insomnia", "G47.00", "insomnia", "trouble sleeping", "difficulty sleeping", "can t sleep"),
    _c("depression", "F32.A", "depression", "depressed", "depressive disorder", chronic=True, family_code="Z81.8"),
    _c("mdd", "F32.9", "major depressive disorder", "mdd", "major depression", chronic=True, family_code="Z81.8"),
    _c("gangrene", "I96", "gangrene"),
    # "Depression, ST segment R94.31" (an abnormal ECG), no depressive disorder.
    _c("st_depression", "R94.31", "st depression", "st segment depression", "st-segment depression"),
    _c("anxiety", "F41.9", "anxiety", "anxious", "anxiety disorder", chronic=True, family_code="Z81.8"),
    _c("ptsd", "F43.10", "ptsd", "post traumatic stress disorder", "posttraumatic stress disorder", chronic=True),
    _c("pcos", "E28.2", "pcos", "polycystic ovary syndrome", "polycystic ovarian syndrome", "polycystic ovaries",
       chronic=True),
    _c("svt", "I47.10", "svt", "supraventricular tachycardia"),
    _c("shingles", "B02.9", "shingles", "herpes zoster", "zoster"),
    _c("gad", "F41.1", "generalized anxiety disorder", "gad", chronic=True, family_code="Z81.8"),
    _c("panic", "F41.0", "panic disorder", "panic attacks"),
    _c("ocd", "F42.9", "ocd", "obsessive compulsive disorder", chronic=True),
    _c("adhd", "F90.9", "adhd", "attention deficit hyperactivity disorder", "attention deficit disorder", chronic=True),
    # Disorder, attention-deficit hyperactivity, by type; Autism, autistic (childhood) (infantile) F84.0.
    # (DSM-5 says "presentation" where the Index says "type"; "ADHD, combined" names the type too.)
    *(_c(f"adhd_{kind}", code, *(f"{name} {kind}{word}" for name in ("adhd", "attention deficit hyperactivity disorder")
                                 for word in (" type", " presentation", "")),
         *(f"{name} {alias}" for name in ("adhd", "attention deficit hyperactivity disorder") for alias in aliases),
         chronic=True)
      for kind, code, aliases in (("combined", "F90.2", ()), ("inattentive", "F90.0", ("predominantly inattentive",)),
                                  ("hyperactive", "F90.1", ("predominantly hyperactive", "hyperactive impulsive")))),
    _c("autism", "F84.0", "autism", "autism spectrum disorder", "autistic disorder", "autistic", chronic=True),
    _c("dementia", "F03.90", "dementia", chronic=True, family_code="Z82.0"),
    # Index: "Dementia, with Lewy bodies G31.83 [F02.80]"; "Disease, Parkinson's G20.A1" with its dementia in F02.8-
    # (combined below, as Alzheimer's is).
    _c("lewy", "G31.83", "lewy body dementia", "dementia with lewy bodies", "lewy body disease", "lewy bodies",
       chronic=True),
    # Disease, Parkinson's G20.A1 (a curated term: its dementia is F02.80, below).
    _c("parkinson", "G20.A1", "parkinson disease", "parkinsons disease", "parkinson", "parkinsons", chronic=True,
       family_code="Z82.0"),
    # Disease, Alzheimer's G30.9; Dementia, in (due to) Alzheimer's disease -- see Disease, Alzheimer's: G30.9 with
    # F02.80 for the dementia (a combination below), never F03.90 "unspecified dementia".
    _c("alzheimer", "G30.9", "alzheimer disease", "alzheimers disease", "alzheimer", "alzheimers", chronic=True,
       family_code="Z82.0"),
    _c("alcohol", "F10.20", "alcohol dependence", "alcoholism", "alcohol use disorder", family_code="Z81.1"),
    # Packs a day are packs of cigarettes ("1 ppd": services.coding.matcher.tokens; "PPD" alone is the tuberculin test).
    _c("nicotine", "F17.210", "smokes cigarettes", "cigarette smoker", "cigarettes a day", "cigarettes per day",
       "packs per day", "pack per day", "packs a day", "pack a day", "pack year", "pack years", history_code="Z87.891"),
    # ICD-10-CM Index: "Smoker - see Dependence, drug, nicotine" (F17.200 when the product is not named); Z72.0 is
    # tobacco use that is not dependence.
    _c("smoker", "F17.200", "smoker", "smoking", "smokes", "nicotine dependence", "smoking habit", "tobacco dependence",
       history_code="Z87.891"),
    _c("tobacco", "Z72.0", "tobacco use", history_code="Z87.891"),
    # Dependence, nicotine, specified product NEC F17.29- (electronic cigarettes).
    _c("vaping", "F17.290", "vaping", "vapes", "vape", "e cigarette use", "e cigarettes", "electronic cigarettes",
       history_code="Z87.891"),
    # A cannabis smoker smokes no tobacco (F17.200): Use, cannabis F12.90.
    _c("cannabis_smoker", "F12.90", "cannabis smoker", "marijuana smoker", "smokes cannabis", "smokes marijuana",
       "smoking cannabis", "smoking marijuana"),
    _c("fatigue", "R53.83", "fatigue", "tired", "tiredness", "exhaustion", "low energy", "tatt", "tired all the time",
       kind="symptom"),
    # --- musculoskeletal
    _c("low_back_pain", "M54.50", "low back pain", "lower back pain", "lumbago", "lumbar pain", kind="symptom"),
    _c("back_pain", "M54.9", "back pain", "backache", "dorsalgia", kind="symptom"),
    # Pain, spine, thoracic M54.6 (not the back pain NOS M54.9).
    _c("thoracic_back_pain", "M54.6", "thoracic back pain", "thoracic spine pain", "mid back pain", "upper back pain",
       "pain in thoracic spine", kind="symptom"),
    _c("neck_pain", "M54.2", "neck pain", "cervicalgia", kind="symptom"),
    _joint_pain("knee", "M25.569", "M25.561", "M25.562"), _joint_pain("shoulder", "M25.519", "M25.511", "M25.512"),
    # Pain, joint, ankle M25.57-; Pain, heel -- see Pain, foot M79.67-.
    _joint_pain("hip", "M25.559", "M25.551", "M25.552"), _joint_pain("ankle", "M25.579", "M25.571", "M25.572"),
    _c("metatarsalgia", "M77.40", "metatarsalgia", kind="symptom", lateral=("M77.41", "M77.42", None)),
    # Tendinitis, Achilles M76.6- (not the unspecified enthesopathy M77.9).
    _c("achilles_tendinitis", "M76.60", "achilles tendinitis", "achilles tendonitis", "achilles tendinopathy",
       lateral=("M76.61", "M76.62", None)),
    _c("heel_pain", "M79.673", "heel pain", "foot pain", kind="symptom", lateral=("M79.671", "M79.672", None)),
    # Disease, joint, degenerative -- see Osteoarthritis (by site).
    _c("knee_oa", "M17.9", "osteoarthritis of the knee", "knee osteoarthritis", "arthritis in the knee", "arthritis of the knee",
       "degenerative joint disease of the knee", "knee degenerative joint disease", "djd of the knee", "knee djd",
       # "Degenerative joint disease, left knee", "R knee OA": the comma is no token, the side is set aside.
       "degenerative joint disease knee", "osteoarthritis knee", "djd knee", "knee oa", "oa of the knee", "oa knee",
       chronic=True, lateral=("M17.11", "M17.12", "M17.0")),
    # Index: "Arthritis, arthritic (acute) (chronic) (nonpyogenic) (subacute) M19.90"; a named kind ("septic",
    # "psoriatic") is matched by its description or Index entry, which replaces this one.
    _c("hip_oa", "M16.10", "osteoarthritis of the hip", "hip osteoarthritis", "arthritis of the hip", "arthritis in the hip",
       "primary osteoarthritis of the hip", "degenerative joint disease of the hip", "hip degenerative joint disease",
       "djd of the hip", "hip djd", "degenerative joint disease hip", "osteoarthritis hip",
       "djd hip", "hip oa", "oa of the hip", "oa hip", chronic=True, lateral=("M16.11", "M16.12", "M16.0")),
    # Epicondylitis, medial M77.0-, lateral M77.1-, by side (no bilateral code: each elbow).
    _c("medial_epicondylitis", "M77.00", "medial epicondylitis", lateral=("M77.01", "M77.02", None)),
    _c("lateral_epicondylitis", "M77.10", "lateral epicondylitis", lateral=("M77.11", "M77.12", None)),
    _c("oa", "M19.90", "osteoarthritis", "degenerative joint disease", "djd", "arthritis", chronic=True),
    _c("ra", "M06.9", "rheumatoid arthritis", chronic=True, family_code="Z82.61"),
    # Index: "Arthritis, rheumatoid, seropositive -- see Arthritis, rheumatoid, with rheumatoid factor" (M05.9);
    # "seronegative M06.0-" (M06.00 without a site).
    _c("ra_seropositive", "M05.9", "seropositive rheumatoid arthritis", "rheumatoid arthritis seropositive",
       "rf positive rheumatoid arthritis", "rheumatoid arthritis with rheumatoid factor", chronic=True),
    _c("ra_seronegative", "M06.00", "seronegative rheumatoid arthritis", "rheumatoid arthritis seronegative",
       "rheumatoid arthritis without rheumatoid factor", chronic=True),
    _c("osteoporosis", "M81.0", "osteoporosis", chronic=True, family_code="Z82.62"),
    _c("fibromyalgia", "M79.7", "fibromyalgia", chronic=True),
    # --- skin / eye / ear
    _c("cellulitis", "L03.90", "cellulitis"),
    _c("eczema", "L30.9", "eczema", "dermatitis", chronic=True),
    _c("atopic_dermatitis", "L20.9", "atopic eczema", "atopic dermatitis", chronic=True),
    _c("psoriasis", "L40.9", "psoriasis", chronic=True),
    _c("acne", "L70.9", "acne"),  # Index: "Acne L70.9"; "vulgaris L70.0"
    _c("acne_vulgaris", "L70.0", "acne vulgaris"),
    _c("rash", "R21", "rash", "skin rash", kind="symptom"),
    _c("conjunctivitis", "H10.9", "conjunctivitis", "pink eye"),
    _c("otitis_media", "H66.90", "otitis media", "ear infection", "middle ear infection", lateral=("H66.91", "H66.92", "H66.93")),
    _c("cerumen", "H61.20", "cerumen impaction", "impacted cerumen", "ear wax impaction", "impacted ear wax",
       lateral=("H61.21", "H61.22", "H61.23")),
    _c("glaucoma", "H40.9", "glaucoma", chronic=True, family_code="Z83.511"),
    # Index: "Glaucoma, suspect H40.00-" (preglaucoma): a glaucoma suspect has no glaucoma yet.
    _c("glaucoma_suspect", "H40.009", "glaucoma suspect", "preglaucoma", chronic=True,
       lateral=("H40.001", "H40.002", "H40.003")),
    # --- neoplasms (current vs history vs family)
    _c("breast_ca", "C50.919", "breast cancer", "breast carcinoma", "carcinoma of the breast", "malignant neoplasm of breast",
       history_code="Z85.3", family_code="Z80.3", lateral=("C50.911", "C50.912", None)),
    _c("colon_ca", "C18.9", "colon cancer", "colorectal cancer", "colon carcinoma", history_code="Z85.038", family_code="Z80.0"),
    _c("prostate_ca", "C61", "prostate cancer", "prostate carcinoma", history_code="Z85.46", family_code="Z80.42"),
    _c("lung_ca", "C34.90", "lung cancer", "lung carcinoma", history_code="Z85.118", family_code="Z80.1"),
    _c("ovarian_ca", "C56.9", "ovarian cancer", history_code="Z85.43", family_code="Z80.41"),
    # Index "History, personal, malignant neoplasm (of)": skin Z85.828, melanoma Z85.820, bladder Z85.51, thyroid
    # Z85.850, cervix Z85.41, kidney Z85.528 (each was the catch-all Z85.9, or nothing).
    _c("skin_ca", "C44.90", "skin cancer", "cancer of the skin", history_code="Z85.828", family_code="Z80.8"),
    _c("bcc", "C44.91", "basal cell carcinoma", "basal cell skin cancer", history_code="Z85.828", family_code="Z80.8"),
    _c("melanoma", "C43.9", "melanoma", "malignant melanoma", history_code="Z85.820", family_code="Z80.8"),
    _c("melanoma_in_situ", "D03.9", "melanoma in situ"),
    _c("bladder_ca", "C67.9", "bladder cancer", "bladder carcinoma", "carcinoma of the bladder", history_code="Z85.51",
       family_code="Z80.52"),
    _c("thyroid_ca", "C73", "thyroid cancer", "thyroid carcinoma", "carcinoma of the thyroid", history_code="Z85.850",
       family_code="Z80.8"),
    _c("cervical_ca", "C53.9", "cervical cancer", "cervical carcinoma", history_code="Z85.41", family_code="Z80.49"),
    _c("kidney_ca", "C64.9", "kidney cancer", "renal cancer", history_code="Z85.528", family_code="Z80.51",
       lateral=("C64.1", "C64.2", None)),
    # Pancreas, liver and endometrium by the Neoplasm Table (the bare "cancer" term held their description matches
    # back); "Lymphoma (malignant) C85.90".
    _c("pancreatic_ca", "C25.9", "pancreatic cancer", "pancreatic carcinoma", "pancreatic adenocarcinoma",
       "cancer of the pancreas", history_code="Z85.07", family_code="Z80.0"),
    _c("liver_ca", "C22.9", "liver cancer", "hepatic cancer", history_code="Z85.05", family_code="Z80.0"),
    _c("endometrial_ca", "C54.1", "endometrial cancer", "endometrial carcinoma", "endometrial adenocarcinoma",
       history_code="Z85.42", family_code="Z80.49"),
    _c("lymphoma", "C85.90", "lymphoma", "non hodgkin lymphoma", "nonhodgkin lymphoma", history_code="Z85.72",
       family_code="Z80.7"),
    _c("cancer", None, "cancer", "malignancy", family_code="Z80.9", history_code="Z85.9"),
    # Osteomyelitis M86.9 (its qualified forms, "chronic" or by site, are description matches that replace it)
    _c("osteomyelitis", "M86.9", "osteomyelitis"),
    # Diabetes, gestational O24.419 (history Z86.32, not the type 2 code); Abuse, alcohol F10.10 (a past abuse is
    # "in remission", F10.11).
    _c("gdm", "O24.419", "gestational diabetes", "gestational diabetes mellitus", "gdm", history_code="Z86.32"),
    _c("alcohol_abuse", "F10.10", "alcohol abuse", history_code="F10.11"),
    # --- signs, findings and inpatient-frequent conditions (standard index terms and common synonyms)
    _c("edema", "R60.9", "edema", "oedema", kind="symptom"),
    _c("localized_edema", "R60.0", "localized edema", "leg edema", "ankle edema", "lower limb edema", "lower extremity edema", kind="symptom"),
    _c("gen_edema", "R60.1", "generalized edema", "anasarca", kind="symptom"),
    _c("lymphadenopathy", "R59.9", "lymphadenopathy", "adenopathy", "adenopathies", "swollen lymph nodes", "enlarged lymph nodes", "lymph node enlargement", kind="symptom"),
    _c("loc_lymph", "R59.0", "localized lymphadenopathy", "cervical lymphadenopathy", "inguinal lymphadenopathy", "axillary lymphadenopathy", "cervical adenopathy", kind="symptom"),
    _c("asthenia", "R53.1", "asthenia", "generalized weakness", kind="symptom"),
    _c("weight_loss", "R63.4", "weight loss", "lost weight", "abnormal weight loss", "loss of weight", "slimming", kind="symptom"),
    _c("anorexia", "R63.0", "anorexia", "loss of appetite", "poor appetite", "decreased appetite", "lack of appetite", "hyporexia", kind="symptom"),
    _c("hemorrhage", "R58", "hemorrhage", "haemorrhage", kind="symptom"),
    # Index: "Hemorrhage, conjunctiva H11.3-" (subconjunctival), not the hemorrhage NEC R58.
    _c("subconjunctival_hemorrhage", "H11.30", "subconjunctival hemorrhage", "conjunctival hemorrhage",
       "subconjunctival haemorrhage", lateral=("H11.31", "H11.32", "H11.33")),
    _c("jaundice", "R17", "jaundice", "icterus", "mucocutaneous jaundice", kind="symptom"),
    _c("leukocytosis", "D72.829", "leukocytosis", "elevated white blood cell count", "elevated white count", kind="symptom"),
    # ICD-10-CM Index: "Dyspnea (nocturnal) (paroxysmal) R06.00"; "Shortness of breath R06.02".
    _c("dyspnea", "R06.00", "dyspnoea", "dyspnea", kind="symptom"),
    _c("pallor", "R23.1", "pallor", "pale skin", "cutaneous pallor", "mucocutaneous pallor", kind="symptom"),
    _c("paresthesia", "R20.2", "paresthesia", "paresthesias", "paraesthesia", "tingling", "pins and needles", kind="symptom"),
    _c("hypoesthesia", "R20.1", "hypoesthesia", kind="symptom"),
    _c("numbness", "R20.0", "numbness", kind="symptom"),  # Index: "Numbness R20.0"
    _c("proteinuria", "R80.9", "proteinuria", "protein in the urine", kind="symptom"),
    _c("hypotension", "I95.9", "hypotension", "low blood pressure"),
    _c("erythema", "L53.9", "erythema", "erythematous lesion", "erythematous lesions", kind="symptom"),
    _c("pruritus", "L29.9", "pruritus", "itching", "itchy skin", kind="symptom"),
    _c("diaphoresis", "R61", "diaphoresis", "excessive sweating", "profuse sweating", kind="symptom"),  # Index: "Diaphoresis (excessive) R61"
    _c("ascites", "R18.8", "ascites", kind="symptom"),
    # Index: "Threatened, abortion O20.0", "miscarriage O20.0" (not the spontaneous abortion O03.9).
    _c("threatened_abortion", "O20.0", "threatened miscarriage", "threatened abortion"),
    _c("splenomegaly", "R16.1", "splenomegaly", kind="symptom"),
    _c("hepatomegaly", "R16.0", "hepatomegaly", kind="symptom"),
    _c("hsm", "R16.2", "hepatosplenomegaly", kind="symptom"),
    _c("thrombocytopenia", "D69.6", "thrombocytopenia", "low platelets"),
    _c("neutropenia", "D70.9", "neutropenia"),
    # Index: "Leukemia, chronic lymphocytic, B-cell type C91.1-" (not in remission: C91.10).
    _c("cll", "C91.10", "chronic lymphocytic leukemia", "cll"),
    _c("pancytopenia", "D61.818", "pancytopenia"),
    _c("hep_c", "B19.20", "hepatitis c", "hcv infection", "hcv"),
    _c("hep_b", "B19.10", "hepatitis b", "hbv infection"),
    # Index: "Hepatitis, viral, type C, chronic B18.2; type B, chronic B18.1".
    _c("hep_c_chronic", "B18.2", "chronic hepatitis c", "chronic hcv infection", "chronic hcv", "chronic viral hepatitis c"),
    _c("hep_b_chronic", "B18.1", "chronic hepatitis b", "chronic hbv infection", "chronic hbv", "chronic viral hepatitis b"),
    _c("tb", "A15.9", "tuberculosis", history_code="Z86.11"),
    # "Tuberculosis, latent Z22.7"; FY2025's "Personal history of latent tuberculosis infection" Z86.15 (not Z86.11).
    _c("ltbi", "Z22.7", "latent tuberculosis", "latent tb", "latent tuberculosis infection", history_code="Z86.15"),
    # "Neoplasia, intraepithelial, cervix, grade I N87.0, grade II N87.1, grade III D06.9"; their history is a
    # cervical dysplasia's (Z87.410) or an in-situ neoplasm's (Z86.001, "personal history of CIN III").
    _c("cin1", "N87.0", "cin 1", "cin i", history_code="Z87.410"),
    _c("cin2", "N87.1", "cin 2", "cin ii", history_code="Z87.410"),
    _c("cin3", "D06.9", "cin 3", "cin iii", history_code="Z86.001"),
    _c("pulmonary_tb", "A15.0", "pulmonary tuberculosis", "tuberculosis of the lung", "lung tuberculosis",  # Index: A15.0
       history_code="Z86.11"),
    _c("cardiac_arrest", "I46.9", "cardiac arrest", "cardiorespiratory arrest"),
    _c("hypokalemia", "E87.6", "hypokalemia", "low potassium"),
    _c("hyponatremia", "E87.1", "hyponatremia", "low sodium"),
    _c("ketonuria", "R82.4", "ketonuria", "ketones in urine", "urine ketones", kind="symptom"),
    _c("electrolyte_imbalance", "E87.8", "electrolyte imbalance", "electrolyte abnormality", "electrolyte derangement"),
    # "Hyperemesis gravidarum (mild) O21.0; with metabolic disturbance O21.1" (its inclusion terms: carbohydrate
    # depletion, dehydration, electrolyte imbalance).
    _c("hyperemesis", "O21.0", "hyperemesis gravidarum", "hyperemesis"),
    _c("hyperkalemia", "E87.5", "hyperkalemia"),
    _c("dehydration", "E86.0", "dehydration", "dehydrated"),
    _c("aki", "N17.9", "acute kidney injury", "acute renal failure", "aki"),
    _c("sepsis", "A41.9", "sepsis", "septicemia"),
    # Shock, septic R65.21; guideline I.C.1.d.2: the systemic infection first, A41.9 when not further specified.
    _c("septic_shock", "R65.21", "septic shock"),
    _c("pleural_effusion", "J90", "pleural effusion"),
    _c("pneumothorax", "J93.9", "pneumothorax"),
    _c("ataxia", "R27.0", "ataxia", kind="symptom"),
    _c("dysphagia", "R13.10", "dysphagia", "difficulty swallowing", "trouble swallowing", kind="symptom"),
    _c("hemoptysis", "R04.2", "hemoptysis", kind="symptom"),
    _c("tachycardia", "R00.0", "tachycardia", kind="symptom"),
    _c("bradycardia", "R00.1", "bradycardia", kind="symptom"),
    _c("cirrhosis", "K74.60", "cirrhosis", "liver cirrhosis", "hepatic cirrhosis"),
    # Index: "Cirrhosis, alcoholic K70.30; with ascites K70.31" (combined below).
    _c("alcoholic_cirrhosis", "K70.30", "alcoholic cirrhosis", "alcoholic liver cirrhosis", "cirrhosis due to alcohol",
       "alcohol related cirrhosis", "alcoholic cirrhosis of liver"),
    _c("pancreatitis", "K85.90", "pancreatitis", "acute pancreatitis"),
    _c("cholecystitis", "K81.9", "cholecystitis"),
    _c("diplopia", "H53.2", "diplopia", "double vision", kind="symptom"),
    _c("blurred_vision", "H53.8", "blurred vision", "blurry vision", kind="symptom"),
    _c("frostbite", "T33.90XA", "frostbite"),
    # Tonsillitis (acute) J03.90; Varicella (chickenpox) B01.9; Syndrome, viral -- see Infection, virus B34.9;
    # Hemorrhage, gastrointestinal K92.2; Bronchiolitis, due to respiratory syncytial virus J21.0.
    _c("tonsillitis", "J03.90", "tonsillitis", "acute tonsillitis"),
    _c("varicella", "B01.9", "chickenpox", "chicken pox", "varicella", "varicella zoster", "varicella zoster virus"),
    _c("viral_syndrome", "B34.9", "viral syndrome", "viral illness", "viral infection"),
    _c("gi_bleed", "K92.2", "gi bleed", "gi bleeding", "gastrointestinal bleeding", "gastrointestinal bleed",
       "upper gi bleed", "lower gi bleed"),
    _c("rsv_bronchiolitis", "J21.0", "rsv bronchiolitis", "bronchiolitis due to rsv",
       "bronchiolitis due to respiratory syncytial virus"),  # Frostbite (superficial) T33.90, the site unnamed
    # Keratosis, pilaris L85.8 (not the actinic keratosis L57.0 its first word reads as).
    _c("keratosis_pilaris", "L85.8", "keratosis pilaris"),
    # "Impotencia funcional", as the translations of Spanish reports leave it: a limb that has lost its function, not
    # erectile dysfunction (N52.9).
    _c("functional_impotence", "R29.898", "functional impotence", kind="symptom"),
    _c("hearing_loss", "H91.90", "hearing loss", "hypoacusis", "hypoacusia", kind="symptom"),  # Index: "Hypoacusis -- see Loss, hearing"
    _c("tinnitus", "H93.19", "tinnitus", "ringing in the ears", kind="symptom"),
    _c("epistaxis", "R04.0", "epistaxis", "nosebleed", "nose bleed", kind="symptom"),
    _c("melena", "K92.1", "melena", "black stools", "tarry stools", kind="symptom"),
    _c("hematemesis", "K92.0", "hematemesis", "vomiting blood", kind="symptom"),
    _c("weight_gain", "R63.5", "weight gain", "gained weight", kind="symptom"),
    _c("polyuria", "R35.89", "polyuria", kind="symptom"),
    _c("oliguria", "R34", "oliguria", "anuria", kind="symptom"),
    _c("retention", "R33.9", "urinary retention", kind="symptom"),
    # Lower urinary tract symptoms: with benign prostatic hyperplasia the hyperplasia is N40.1 (combined below).
    _c("nocturia", "R35.1", "nocturia", kind="symptom"),
    _c("urinary_frequency", "R35.0", "urinary frequency", "frequent urination", "frequency of urination",
       "frequency of micturition", kind="symptom"),
    _c("urinary_urgency", "R39.15", "urinary urgency", "urgency of urination", "urgency to urinate", kind="symptom"),
    _c("hesitancy", "R39.11", "urinary hesitancy", "hesitancy", kind="symptom"),
    _c("weak_stream", "R39.12", "weak urinary stream", "weak stream", "poor urinary stream", "poor stream",
       kind="symptom"),
    _c("incomplete_emptying", "R39.14", "incomplete bladder emptying", "incomplete emptying", kind="symptom"),
    _c("luts", "R39.9", "lower urinary tract symptoms", "luts", kind="symptom"),
    _c("incontinence", "R32", "urinary incontinence", "incontinence", kind="symptom"),
    _c("myalgia", "M79.10", "myalgia", "myalgias", "muscle pain", "muscle aches", kind="symptom"),
    _c("arthralgia", "M25.50", "arthralgia", "arthralgias", "joint pain", kind="symptom"),
    _c("hypoxemia", "R09.02", "hypoxemia", "hypoxaemia", "low oxygen", kind="symptom"),
    # Index: "Bleeding, rectal K62.5"; "Hematochezia (see also Melena) K92.1".
    _c("rectal_bleeding", "K62.5", "rectal bleeding", "bleeding from the rectum", "pr bleeding", "bleeding pr", "pr bleed",
       kind="symptom"),
    _c("hematochezia", "K92.1", "hematochezia", kind="symptom"),
    _c("hypoalbuminemia", "E88.09", "hypoalbuminemia"),
    _c("hypercalcemia", "E83.52", "hypercalcemia"),
    _c("malnutrition", "E46", "malnutrition"),
    _c("convulsion", "R56.9", "convulsions", "convulsion", "convulsive seizures", kind="symptom"),
    _c("confusion", "R41.0", "confusion", "disorientation", "confused", kind="symptom"),
    _c("somnolence", "R40.0", "somnolence", "drowsiness", "drowsy", kind="symptom"),
    _c("coma", "R40.20", "coma", kind="symptom"),
    _c("hepatitis", "K75.9", "hepatitis"),
    _c("peritonitis", "K65.9", "peritonitis"),
    _c("skin_lesion", "L98.9", "skin lesion", "skin lesions", "cutaneous lesion", "cutaneous lesions", kind="symptom"),
    _c("heart_murmur", "R01.1", "heart murmur", "cardiac murmur", "murmur", "systolic murmur", kind="symptom"),
    _c("cyanosis", "R23.0", "cyanosis", kind="symptom"),
    _c("petechiae", "R23.3", "petechiae", "ecchymosis", "ecchymoses", "bruising", kind="symptom"),
    _c("hyperbilirubinemia", "E80.7", "hyperbilirubinemia"),
    _c("hydronephrosis", "N13.30", "hydronephrosis"),
    _c("renal_failure", "N19", "renal failure", "kidney failure", "renal insufficiency"),
    _c("respiratory_failure", "J96.90", "respiratory failure"),
    _c("shock", "R57.9", "shock"),
    _c("polyarthralgia", "M25.50", "polyarthralgia", kind="symptom"),
    # Ulcer, foot (non-pressure, chronic) L97.5- (other part of foot, unspecified severity), by side.
    _c("foot_ulcer", "L97.509", "foot ulcer", "ulcer of the foot", "ulcer foot", "non healing foot ulcer",
       "non healing ulcer of the foot", "non healing ulcer foot", "chronic foot ulcer",
       # Ulcer, toe -- see Ulcer, lower limb, toe: L97.5- (other part of foot).
       "toe ulcer", "ulcer of toe", "ulcer of the toe", "ulcer of great toe", "ulcer of the great toe",
       lateral=("L97.519", "L97.529", None)),
    # Ulcer, heel L97.4- (heel and midfoot), by side; with diabetes E11.621 as a foot ulcer.
    _c("heel_ulcer", "L97.409", "heel ulcer", "ulcer of heel", "ulcer of the heel", "diabetic heel ulcer",
       lateral=("L97.419", "L97.429", None)),
    # Cyst, breast (benign) (solitary) N60.0-: each side, bilateral ones too (no bilateral code).
    _c("breast_cyst", "N60.09", "breast cyst", "cyst of the breast", "cyst in the breast", lateral=("N60.01", "N60.02", None)),
    _c("abd_distension", "R14.0", "abdominal distension", "bloating", "abdominal bloating", kind="symptom"),
    _c("tenesmus", "R19.8", "tenesmus", kind="symptom"),
    # --- modifiers: no code of their own; they pick a combination code
    _c("poor_control", None, "poorly controlled", "uncontrolled", "out of control", "inadequately controlled", "not well controlled",
       "not controlled", "poor control", kind="modifier"),
    # A vaccine given at the visit is the encounter for immunization, Z23 (the longer term wins over the bare name below;
    # "declined the flu shot" stays no code).
    _c("immunization", "Z23", *(f"{disease} {shot} {given}"
                                for disease in ("flu", "influenza", "pneumococcal", "pneumonia", "shingles", "zoster",
                                                "covid", "covid 19", "hepatitis b", "hepatitis a", "tetanus", "hpv",
                                                "measles", "rsv", "tdap", "td", "dtap", "mmr", "varicella", "shingrix",
                                                "prevnar", "pneumovax")
                                for shot in ("vaccine", "vaccination", "shot", "immunization", "booster")
                                for given in ("given", "administered", "given today", "administered today")),
       *(f"{x} {given}" for x in ("tdap", "shingrix", "prevnar", "pneumovax", "gardasil")
         for given in ("given", "administered"))),
    # A vaccine names the disease it prevents, not one the patient has: "flu vaccine given" is no influenza (J11.1).
    _c("vaccine", None, *(f"{disease} {shot}" for disease in ("flu", "influenza", "pneumococcal", "pneumonia", "shingles",
                                                             "zoster", "covid", "covid 19", "hepatitis b", "hepatitis a",
                                                             "tetanus", "hpv", "measles", "rsv")
                          for shot in ("vaccine", "vaccination", "shot", "immunization", "booster")),
       *(f"{given} {against} {disease}" for disease in ("flu", "influenza", "pneumococcus", "pneumonia", "shingles",
                                                        "zoster", "covid", "covid 19", "hepatitis b", "hepatitis a",
                                                        "tetanus", "hpv", "measles", "rsv")
         for given in ("vaccinated", "immunized", "vaccine", "vaccination", "immunization") for against in ("against", "for")),
       kind="modifier"),
    # A pandemic is a setting, not the patient's infection: "steroids in the COVID setting" (U07.1).
    _c("pandemic", None, *(f"{name} {what}" for name in ("covid", "covid 19")
                           for what in ("setting", "pandemic", "era", "precautions", "restrictions", "protocol")),
       kind="modifier"),
    # Weight loss as a goal or a treatment is no abnormal weight loss (R63.4): "continue working on weight loss".
    _c("weight_goal", None, "working on weight loss", "work on weight loss", "weight loss study", "weight loss program",
       "weight loss goal", "weight loss goals", "weight loss surgery", "weight loss medication", "weight loss medications",
       "intentional weight loss", "encouraged weight loss", "recommended weight loss", "discussed weight loss",
       "weight loss counseling", "continue weight loss", "lose weight", kind="modifier"),
    # A drug class names what it treats, not that the note states it: "antihypertensive" (I10).
    _c("drug_class", None, "anti hypertensive", "anti hypertensives", "antihypertensive", "antihypertensives",
       "antidiabetic", "antidiabetics", "anti diabetic", "antiepileptic", "antiepileptics", "anti epileptic",
       "antiarrhythmic", "antiarrhythmics", kind="modifier"),
    # An aid is no AIDS ("hearing aid" reads "aid", as "AIDS" does once plurals are folded: B20); a diet is no deficit
    # ("low sodium diet": E87.1).
    _c("device_aid", None, "hearing aid", "first aid", "walking aid", kind="modifier"),
    _c("diet", None, *(f"low {what} {diet}" for what in ("sodium", "salt", "fat", "protein", "potassium", "sugar")
                       for diet in ("diet", "and fat diet")), kind="modifier"),
    # A deceased organ donor is no death of the patient (R99).
    _c("donor", None, "death donor", "deceased donor", "cadaveric donor", "cadaver donor", "brain dead donor",
       kind="modifier"),
    # A department is no disease: "evaluated by the infectious disease service" (B99.9).
    _c("department", None, *(f"{name} {unit}" for name in ("infectious disease", "dementia", "stroke", "pain")
                            for unit in ("service", "department", "unit", "team", "consultation", "specialist")),
       kind="modifier"),
    # "Murmullo vesicular conservado": the normal breath sounds of a lung examination, no heart murmur (R01.1).
    _c("vesicular_murmur", None, "vesicular murmur", "vesicular breath sounds", kind="modifier"),
)

# Combination codes (ICD-10-CM "with" convention: the link is presumed). Checked most specific first; the
# consumed concepts are replaced by the combination code, the others stay as additional codes.
@dataclass(frozen=True)
class Combination:
    needs: frozenset[str]
    code: str
    consumes: frozenset[str]


# A bacterium's concept and its code as the infectious agent of an infection coded elsewhere (B95-B96).
ORGANISM_AGENTS = {"mrsa": "B95.62", "mssa": "B95.61", "e_coli": "B96.20", "pseudomonas": "B96.5", "klebsiella": "B96.1",
                   "enterococcus": "B95.2"}


# Drugs by the Table of Drugs and Chemicals' adverse-effect code (T36-T50, 5th or 6th character 5, initial
# encounter): the drug a note names as the cause of a condition ("oxycodone-induced constipation" is K59.03 and
# T40.2X5A; guideline I.C.19.e.5.a: the nature of the adverse effect, then the drug). ``services.coding.status`` codes
# the drug where the note says it caused something; ``services.coding.matcher.tokens`` reads "<drug>-induced" as
# "drug induced", the words of the conditions' drug-induced codes ("Drug induced constipation").
ADVERSE_EFFECTS: dict[str, tuple[str, ...]] = {
    "T40.2X5A": ("oxycodone", "hydrocodone", "morphine", "codeine", "hydromorphone", "oxycontin", "percocet",
                 "opioid", "opioids", "opiate", "opiates", "narcotic", "narcotics"),
    "T40.3X5A": ("methadone",), "T40.415A": ("fentanyl",), "T40.425A": ("tramadol",),
    "T45.1X5A": ("chemotherapy", "chemo", "antineoplastic", "methotrexate", "cisplatin", "carboplatin", "oxaliplatin",
                 "paclitaxel", "docetaxel", "doxorubicin", "cyclophosphamide", "capecitabine", "fluorouracil",
                 "bortezomib", "imatinib", "gemcitabine", "vincristine", "etoposide"),
    "T45.AX5A": ("immunotherapy", "checkpoint inhibitor", "pembrolizumab", "nivolumab", "ipilimumab"),
    "T38.0X5A": ("steroid", "steroids", "corticosteroid", "corticosteroids", "glucocorticoid", "glucocorticoids",
                 "prednisone", "prednisolone", "methylprednisolone", "dexamethasone", "hydrocortisone"),
    "T46.6X5A": ("statin", "statins", "atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "lovastatin"),
    "T46.4X5A": ("ace inhibitor", "ace inhibitors", "acei", "lisinopril", "enalapril", "ramipril", "captopril"),
    # Ibuprofen and naproxen are propionic acid derivatives (T39.31-), not "other NSAID" (T39.39-).
    "T39.315A": ("ibuprofen", "naproxen", "ketoprofen", "advil", "motrin", "aleve"),
    "T39.395A": ("nsaid", "nsaids", "diclofenac", "meloxicam", "celecoxib", "indomethacin", "ketorolac"),
    "T39.015A": ("aspirin",), "T39.1X5A": ("acetaminophen", "paracetamol", "tylenol"),
    # The direct oral anticoagulants are anticoagulants (T45.51-); antiplatelet drugs are "antithrombotic" (T45.52-).
    "T45.515A": ("warfarin", "coumadin", "heparin", "enoxaparin", "anticoagulant", "anticoagulants",
                 "anticoagulation", "apixaban", "rivaroxaban", "dabigatran", "edoxaban", "eliquis", "xarelto"),
    "T45.525A": ("clopidogrel", "plavix", "ticagrelor", "prasugrel"),
    "T38.3X5A": ("insulin", "metformin", "glipizide", "glyburide", "glimepiride", "sulfonylurea"),
    "T43.225A": ("ssri", "ssris", "sertraline", "fluoxetine", "citalopram", "escitalopram", "paroxetine"),
    "T43.595A": ("antipsychotic", "antipsychotics", "risperidone", "olanzapine", "quetiapine", "aripiprazole"),
    "T43.4X5A": ("haloperidol",), "T43.015A": ("amitriptyline", "nortriptyline"),
    "T36.0X5A": ("penicillin", "amoxicillin", "augmentin", "ampicillin", "amoxicillin clavulanate"),
    "T36.1X5A": ("cephalosporin", "cephalexin", "keflex", "ceftriaxone", "cefuroxime"),
    "T36.3X5A": ("azithromycin", "clarithromycin", "erythromycin"), "T36.4X5A": ("doxycycline", "minocycline"),
    "T36.8X5A": ("ciprofloxacin", "levofloxacin", "fluoroquinolone", "clindamycin", "vancomycin"),
    "T37.0X5A": ("bactrim", "trimethoprim sulfamethoxazole", "sulfamethoxazole"),
    "T36.95XA": ("antibiotic", "antibiotics"),
    "T50.1X5A": ("furosemide", "lasix", "bumetanide", "torsemide", "loop diuretic"),
    "T50.2X5A": ("hydrochlorothiazide", "hctz", "thiazide", "chlorthalidone", "diuretic", "diuretics"),
    "T46.2X5A": ("amiodarone",), "T46.0X5A": ("digoxin",),
    "T44.7X5A": ("beta blocker", "beta blockers", "metoprolol", "atenolol", "propranolol", "carvedilol"),
    "T46.1X5A": ("amlodipine", "calcium channel blocker", "nifedipine", "diltiazem", "verapamil"),
    "T38.1X5A": ("levothyroxine",), "T42.0X5A": ("phenytoin",), "T42.1X5A": ("carbamazepine",),
    "T42.4X5A": ("benzodiazepine", "benzodiazepines", "lorazepam", "diazepam", "alprazolam", "clonazepam"),
    "T42.6X5A": ("gabapentin", "pregabalin"), "T50.8X5A": ("contrast", "contrast dye"),
    "T45.0X5A": ("metoclopramide", "reglan"),
    # "Antacids and anti-gastric-secretion drugs" (T47.1-): the proton pump inhibitors; "mineralocorticoids and their
    # antagonists" (T50.0-): spironolactone, eplerenone.
    "T47.1X5A": ("ppi", "ppis", "proton pump inhibitor", "omeprazole", "pantoprazole", "esomeprazole", "lansoprazole"),
    "T50.0X5A": ("spironolactone", "eplerenone"),
    "T50.905A": ("medication", "medications", "drug", "drugs"),
}
# Substances with a poisoning code and no adverse effect in therapeutic use (the accidental code, initial encounter;
# guideline I.C.19.e.5.b): heroin has no therapeutic use, carbon monoxide is a toxic effect (T51-T65).
POISONS: dict[str, tuple[str, ...]] = {
    "T40.1X1A": ("heroin",), "T40.5X1A": ("cocaine",), "T43.621A": ("methamphetamine", "amphetamine", "amphetamines"),
    "T58.91XA": ("carbon monoxide", "co"), "T54.3X1A": ("lye", "sodium hydroxide", "drain cleaner", "oven cleaner"),
    "T54.91XA": ("bleach",),
}


def with_intent(code: str, intent: str) -> str:
    """A T36-T65 code with another intent (its last digit before the 7th character: 1 accidental, 2 intentional
    self-harm, 3 assault, 4 undetermined, 5 adverse effect, 6 underdosing): T40.2X5A -> T40.2X1A, T36.95XA -> T36.91XA."""
    body = code[:-1]
    i = max(j for j, ch in enumerate(body) if ch.isdigit())
    return body[:i] + intent + body[i + 1 :] + code[-1]


def _combo(code: str, needs: set[str], consumes: set[str]) -> Combination:
    return Combination(needs=frozenset(needs), code=code, consumes=frozenset(consumes))


def _diabetes(subcode: str, complication: str, *, keeps_complication: bool = False) -> tuple[Combination, ...]:
    """One complication's combination for type 2, type-unstated (coded as type 2, guideline I.C.4.a.2) and type 1
    diabetes: E11.<subcode>, E11.<subcode>, E10.<subcode>. ``keeps_complication``: the complication keeps its own code
    beside the combination (CKD's stage, gastroparesis)."""
    return tuple(
        _combo(f"{category}.{subcode}", {diabetes, complication},
               {diabetes} if keeps_complication else {diabetes, complication})
        for diabetes, category in (("t2dm", "E11"), ("dm", "E11"), ("t1dm", "E10"))
    )


COMBINATIONS: tuple[Combination, ...] = (
    # Stage 5 or end stage renal disease takes the .2 / .0 codes, stages 1-4 or unstated the .0 / .9 ones.
    *(_combo("I13.2", {"htn", late, "chf"}, {"htn"}) for late in ("ckd5", "esrd")),
    _combo("I13.0", {"htn", "ckd", "chf"}, {"htn"}),
    _combo("I11.0", {"htn", "chf"}, {"htn"}),
    # Arteriosclerosis, coronary, native vessel, with angina pectoris I25.11- (unstable .110, other forms .118).
    _combo("I25.110", {"cad", "unstable_angina"}, {"cad", "unstable_angina"}),
    _combo("I25.118", {"cad", "stable_angina"}, {"cad", "stable_angina"}),
    _combo("I25.119", {"cad", "angina"}, {"cad", "angina"}),
    # Disease, lung, obstructive, with acute lower respiratory infection J44.0; its note: code also the infection.
    *(_combo("J44.0", {"copd", infection}, {"copd"}) for infection in ("pneumonia", "acute_bronchitis")),
    *(_combo("I12.0", {"htn", late}, {"htn"}) for late in ("ckd5", "esrd")),
    _combo("I12.9", {"htn", "ckd"}, {"htn"}),
    *(_combo("B96.81", {"h_pylori", site}, {"h_pylori"}) for site in ("gastritis", "pud", *ULCERS)),
    *(_combo(agent, {organism, infection}, {organism}) for organism, agent in ORGANISM_AGENTS.items()
      for infection in ("uti", "cystitis", "cellulitis", "osteomyelitis", "bacteremia")),
    # Pneumonia due to MRSA J15.212, MSSA J15.211, E. coli J15.5, Pseudomonas J15.1, Klebsiella J15.0; Sepsis due to
    # MRSA A41.02, MSSA A41.01, E. coli A41.51, Pseudomonas A41.52.
    *(_combo(code, {organism, disease}, {organism, disease}) for disease, organism, code in (
        ("pneumonia", "mrsa", "J15.212"), ("pneumonia", "mssa", "J15.211"), ("pneumonia", "e_coli", "J15.5"),
        ("pneumonia", "pseudomonas", "J15.1"), ("pneumonia", "klebsiella", "J15.0"), ("sepsis", "mrsa", "A41.02"),
        ("sepsis", "mssa", "A41.01"), ("sepsis", "e_coli", "A41.51"), ("sepsis", "pseudomonas", "A41.52"))),
    _combo("A41.9", {"septic_shock"}, set()),
    # The dementia of Alzheimer's disease: G30.9, then F02.80 (its "code first" note sequences them).
    _combo("G30.9", {"alzheimer", "dementia"}, {"alzheimer"}),
    _combo("F02.80", {"alzheimer", "dementia"}, {"dementia"}),
    # Dementia with Lewy bodies, in Parkinson's disease: the disease, then F02.80 for the dementia (never F03.90).
    _combo("F02.80", {"lewy"}, set()),
    _combo("F02.80", {"parkinson", "dementia"}, {"dementia"}),
    _combo("K70.31", {"alcoholic_cirrhosis", "ascites"}, {"alcoholic_cirrhosis", "ascites"}),
    *(_combo("O21.1", {"hyperemesis", disturbance}, {"hyperemesis", disturbance}) for disturbance in (
        "dehydration", "ketonuria", "electrolyte_imbalance", "hypokalemia", "hyponatremia")),
    # Influenza, with, pneumonia J11.00; due to identified influenza virus, with pneumonia J10.00.
    _combo("J11.00", {"influenza", "pneumonia"}, {"influenza", "pneumonia"}),
    _combo("J10.00", {"influenza_typed", "pneumonia"}, {"influenza_typed", "pneumonia"}),
    # Index: "Hyperplasia, prostate, with lower urinary tract symptoms (LUTS) N40.1"; its note: use additional code for
    # the symptoms (kept), which a bare "LUTS" then needs no code of its own for.
    *(_combo("N40.1", {"bph", symptom}, {"bph", "luts"} if symptom == "luts" else {"bph"})
      for symptom in ("luts", "retention", "nocturia", "urinary_frequency", "urinary_urgency", "hesitancy",
                      "weak_stream", "incomplete_emptying", "incontinence")),
    # "Pneumonia due to COVID-19" J12.82, beside U07.1 (which its note says to code first).
    _combo("J12.82", {"covid", "pneumonia"}, {"pneumonia"}),
    *_diabetes("22", "ckd", keeps_complication=True),
    # Index: "Anemia, in (due to) (with) chronic kidney disease D63.1"; its note: code first the CKD (kept).
    _combo("D63.1", {"anemia", "ckd"}, {"anemia"}),
    *_diabetes("51", "pad"),
    # "Diabetes, with, gangrene E11.52" (the peripheral angiopathy with gangrene; I96 is gangrene NEC).
    *_diabetes("52", "gangrene"),
    *_diabetes("319", "diabetic_retinopathy"),
    # Gastroparesis stays beside the combination: K31.84 says "code first ... diabetes (E11.43)".
    *_diabetes("43", "gastroparesis", keeps_complication=True),
    *_diabetes("40", "neuropathy"),
    *_diabetes("42", "polyneuropathy"),
    *_diabetes("610", "charcot"),
    *_diabetes("65", "hyperglycemia"),
    *_diabetes("65", "poor_control"),
    # (The hypoglycemia stays: E11.649 asks for its level, E16.A-; an unspecified one, E16.2, is excluded by E16's
    # Excludes1 note.)
    *_diabetes("649", "hypoglycemia", keeps_complication=True),
    # Diabetes, with, foot ulcer E11.621; its note: use additional code to identify the site of the ulcer (kept).
    *_diabetes("621", "foot_ulcer", keeps_complication=True),
    *_diabetes("621", "heel_ulcer", keeps_complication=True),
)

_CKD_STAGES = (*(f"ckd{stage}" for stage in _CKD_STAGE_CODES), "esrd")
# The migraines the Index names by type, intractability and chronicity (each also a headache).
_MIGRAINES = ("migraine_no_aura", "migraine_intractable", "migraine_no_aura_intractable", "chronic_migraine",
              "chronic_migraine_intractable")

# Concepts that a more specific concept in the same statement makes redundant ("type 2 diabetes" also
# contains "diabetes"; "ckd stage 3" contains "ckd").
SUBSUMED_BY: dict[str, frozenset[str]] = {
    "dm": frozenset({"t2dm", "t1dm", "prediabetes", "gdm", "t2dm_remission"}),
    "tb": frozenset({"ltbi"}),
    "t2dm": frozenset({"t2dm_remission"}),
    "ckd": frozenset(_CKD_STAGES),
    "chf": frozenset({"hfref", "hfpef"}),
    "depression": frozenset({"mdd"}),
    "hypothyroid": frozenset({"hashimoto"}),
    "erythema_migrans": frozenset({"lyme"}),
    "anxiety": frozenset({"gad", "panic"}),
    "obesity": frozenset({"morbid_obesity"}),
    "oa": frozenset({"knee_oa", "hip_oa"}),
    "cancer": frozenset({"breast_ca", "colon_ca", "prostate_ca", "lung_ca", "ovarian_ca", "skin_ca", "bladder_ca",
                         "pancreatic_ca", "liver_ca", "endometrial_ca",
                         "thyroid_ca", "cervical_ca", "kidney_ca"}),
    "nausea": frozenset({"nausea_vomiting"}),
    "vomiting": frozenset({"nausea_vomiting"}),
    "back_pain": frozenset({"low_back_pain", "thoracic_back_pain"}),
    "headache": frozenset({"migraine", "tension_headache", *_MIGRAINES}),
    "migraine": frozenset(_MIGRAINES),
    "glaucoma": frozenset({"glaucoma_suspect"}),
    "hemorrhage": frozenset({"subconjunctival_hemorrhage"}),
    "mi": frozenset({"old_mi"}),
    "angina": frozenset({"unstable_angina", "stable_angina"}),
    "cirrhosis": frozenset({"alcoholic_cirrhosis"}),
    "ra": frozenset({"ra_seropositive", "ra_seronegative"}),
    "dementia": frozenset({"lewy"}),
    "influenza": frozenset({"influenza_typed"}),
    **{key: frozenset({f"{key}_bleeding", f"{key}_perforated"}) for key, _, _ in _ULCER_SITES},
    "pharyngitis": frozenset({"strep"}),
    "anemia": frozenset({"iron_anemia"}),
    "stroke": frozenset({"tia"}),
    "tobacco": frozenset({"nicotine", "smoker"}),
    "smoker": frozenset({"nicotine"}),
}

# A specific concept still counts as its general one when a combination code needs it.
FAMILY: dict[str, str] = {**dict.fromkeys(_CKD_STAGES, "ckd"), "hfref": "chf", "hfpef": "chf", "hhd": "htn",
                          "t2dm_remission": "t2dm"}

# Alphabetic Index entries whose code's Tabular description does not carry the clinician's word: "Mass, kidney
# N28.89" ("Other specified disorders of kidney and ureter"), "Enlargement, spleen -- see Splenomegaly", "Dilatation,
# ureter N28.82" (Megaloureter), "Nodule, thyroid E04.1". The description matcher reads them as extra terms of their
# codes (site adjectives fold to the nouns, "renal mass" is "mass of kidney"), so they are matched, scored and guarded
# like the Tabular's own words; every code is checked against the code set by the unit tests.
def _sided(names: str | tuple[str, ...], unspecified: str, right: str, left: str,
           bilateral: str | None = None) -> tuple[tuple[str, str], ...]:
    """An Index entry (or several names of it) and its codes by side: the side the note names picks the code, none
    the unspecified one."""
    return tuple(entry for term in ((names,) if isinstance(names, str) else names)
                 for entry in ((unspecified, term), (right, f"right {term}"), (left, f"left {term}"),
                               *(((bilateral, f"bilateral {term}"),) if bilateral else ())))


def _joint_complications() -> tuple[tuple[str, str], ...]:
    """Infection (T84.5-) and mechanical loosening (T84.03-) of a joint prosthesis, by joint and side, as notes write
    them ("infected right total hip prosthesis", "aseptic loosening of left TKA")."""
    joints = {"hip": ("total hip arthroplasty", "hip arthroplasty", "total hip prosthesis", "hip prosthesis",
                      "hip replacement", "total hip replacement"),
              "knee": ("total knee arthroplasty", "knee arthroplasty", "total knee prosthesis", "knee prosthesis",
                       "knee replacement", "total knee replacement")}
    infection = {("hip", "right"): "T84.51XA", ("hip", "left"): "T84.52XA", ("knee", "right"): "T84.53XA",
                 ("knee", "left"): "T84.54XA", ("hip", ""): "T84.50XA", ("knee", ""): "T84.50XA"}
    loosening = {("hip", "right"): "T84.030A", ("hip", "left"): "T84.031A", ("knee", "right"): "T84.032A",
                 ("knee", "left"): "T84.033A", ("hip", ""): "T84.039A", ("knee", ""): "T84.039A"}
    out: list[tuple[str, str]] = []
    for (joint, side), code in infection.items():
        at = f"{side} " if side else ""
        for name in joints[joint]:
            out += [(code, f"infected {at}{name}"), (code, f"infection of {at}{name}"),
                    (code, f"{at}{name} infection"), (code, f"periprosthetic infection of {at}{name}")]
    for (joint, side), code in loosening.items():
        at = f"{side} " if side else ""
        for name in joints[joint]:
            out += [(code, f"{kind} of {at}{name}") for kind in ("loosening", "aseptic loosening", "mechanical loosening")]
            out += [(code, f"{at}{name} loosening")]
    out += [("T84.50XA", "prosthetic joint infection"), ("T84.50XA", "periprosthetic joint infection")]
    return tuple(out)

INDEX_ENTRIES: tuple[tuple[str, str], ...] = (
    # Mass
    ("R19.00", "abdominal mass"), ("R19.00", "pelvic mass"), ("N28.89", "mass of kidney"), ("R91.8", "mass of lung"),
    ("R16.0", "mass of liver"), ("R16.1", "mass of spleen"), ("R22.2", "mass of chest"),
    ("J98.59", "mass of mediastinum"),
    # Enlargement, enlarged -- see also Hypertrophy
    ("R16.0", "enlargement of liver"), ("R16.1", "enlargement of spleen"), ("R16.2", "enlargement of liver and spleen"),
    ("I51.7", "enlargement of heart"), ("I51.7", "dilatation of heart"), ("E04.9", "enlargement of thyroid"),
    ("N28.81", "enlargement of kidney"), ("J35.1", "enlargement of tonsils"), ("J35.2", "enlargement of adenoids"),
    ("N85.2", "enlargement of uterus"), ("N62", "enlargement of breast"), ("K11.1", "enlargement of salivary gland"),
    ("K11.1", "enlargement of parotid"), ("E32.0", "enlargement of thymus"),
    # Dilatation
    ("N28.82", "dilatation of ureter"), ("K83.8", "dilatation of bile duct"), ("N32.89", "dilatation of bladder"),
    ("K59.39", "dilatation of colon"),
    # Nodule
    ("E04.1", "nodule of thyroid"), ("N63.0", "nodule of breast"), ("R22.9", "subcutaneous nodule"),
    # Elevated, elevation (what is raised is named in the note; "increased", "raised", "high" read as "elevated")
    ("R74.01", "elevated transaminase"), ("R74.01", "elevated liver enzyme"), ("R94.5", "abnormal liver function test"),
    ("R74.01", "elevated sgot"), ("R74.01", "elevated sgpt"),
    ("R74.01", "hypertransaminemia"), ("R74.02", "elevated ldh"), ("R74.02", "elevated lactate dehydrogenase"),
    ("R74.8", "elevated alkaline phosphatase"), ("R74.8", "elevated amylase"), ("R74.8", "elevated lipase"),
    ("R74.8", "elevated creatine kinase"), ("R74.8", "elevated cpk"), ("R79.82", "elevated crp"),
    ("R79.89", "elevated liver function test"), ("E78.1", "elevated triglyceride"), ("R73.9", "elevated glucose"),
    # Hernia, hiatal; Condyloma (acuminatum); Wart, anogenital (venereal)
    ("K44.9", "hiatal hernia"), ("A63.0", "anogenital warts"), ("A63.0", "genital warts"),
    ("A63.0", "condyloma acuminatum"), ("A63.0", "condyloma"), ("A63.0", "acuminated condyloma"),
    # Syndrome, carpal tunnel; Sprain, ankle; Tear, rotator cuff (nontraumatic); Diverticulitis, Diverticulosis;
    # Ingrowing nail; Tag, skin: the condition is named, the limb, ligament or part of the intestine is not.
    *_sided("carpal tunnel syndrome", "G56.00", "G56.01", "G56.02", "G56.03"),
    *_sided("sprain of ankle", "S93.409A", "S93.401A", "S93.402A"),
    # "Cataract, senile, nuclear (sclerosis) H25.1-; cortical H25.01-; posterior subcapsular polar H25.04-": notes leave
    # out "age-related".
    *_sided(("nuclear sclerotic cataract", "nuclear sclerosis cataract", "nuclear cataract", "nuclear sclerosis of lens"),
            "H25.10", "H25.11", "H25.12", "H25.13"),
    *_sided(("cortical cataract", "cortical senile cataract"), "H25.019", "H25.011", "H25.012", "H25.013"),
    *_sided(("posterior subcapsular cataract", "psc cataract"), "H25.049", "H25.041", "H25.042", "H25.043"),
    *_sided(("combined cortical and nuclear cataract", "combined cortical nuclear cataract", "combined cataract",
             "mixed cataract"), "H25.819", "H25.811", "H25.812", "H25.813"),
    # "Detachment, vitreous (body) H43.81-"; "Hypertension, ocular H40.05-" (no essential hypertension); "Hemorrhage,
    # subconjunctival H11.3-".
    *_sided(("posterior vitreous detachment", "vitreous detachment"), "H43.819", "H43.811", "H43.812", "H43.813"),
    *_sided(("ocular hypertension", "ocular htn"), "H40.059", "H40.051", "H40.052", "H40.053"),
    *_sided(("subconjunctival hemorrhage", "subconjunctival heme"), "H11.30", "H11.31", "H11.32", "H11.33"),
    # "Arteriosclerosis, extremities, native arteries, leg, with intermittent claudication I70.21-; with rest pain (and
    # claudication) I70.22-": the Tabular says "extremities" where notes say the leg.
    *_sided(tuple(f"atherosclerosis of {vessel}leg with {kind}claudication" for vessel in ("", "native arteries of ")
                  for kind in ("", "intermittent ")), "I70.219", "I70.211", "I70.212", "I70.213"),
    *_sided(("atherosclerosis of leg with rest pain", "atherosclerosis of native arteries of leg with rest pain"),
            "I70.229", "I70.221", "I70.222", "I70.223"),
    *_sided("rotator cuff tear", "M75.100", "M75.101", "M75.102"),
    ("K57.92", "diverticulitis"), ("K57.32", "diverticulitis of colon"), ("K57.32", "diverticulitis of sigmoid"),
    ("K57.30", "diverticulosis of colon"), ("K57.30", "diverticulosis of sigmoid"), ("K57.90", "diverticulosis"),
    ("K57.31", "diverticulosis of colon with bleeding"), ("K57.33", "diverticulitis of colon with bleeding"),
    ("L60.0", "ingrown nail"),
    ("L60.0", "ingrown toenail"), ("L91.8", "skin tag"),
    # Ulcer, peptic (site unspecified); Migraine, without aura (common) / with aura (classical)
    # Gastritis, atrophic K29.40
    ("K29.40", "atrophic gastritis"), ("G43.109", "migraine with aura"),
    # Index: "Encephalopathy, hepatic K76.82" (FY2023); "Cirrhosis, alcoholic K70.30" ("EtOH cirrhosis"); "Goiter,
    # multinodular, toxic E05.20"; "Cholecystitis, chronic, with calculus K80.10"; "Pancolitis K51.00".
    # "Collapse, vertebra, in osteoporosis M80.08": a compression fracture in osteoporosis is a pathological one.
    ("M80.08XA", "osteoporosis with compression fracture"), ("M80.08XA", "osteoporosis with pathologic compression fracture"),
    ("K76.82", "hepatic encephalopathy"), ("K70.30", "alcohol cirrhosis"), ("K70.31", "alcohol cirrhosis with ascites"),
    ("E05.20", "toxic multinodular goiter"), ("E05.20", "toxic nodular goiter"),
    ("K80.10", "chronic calculous cholecystitis"), ("K80.00", "acute calculous cholecystitis"),
    ("K51.00", "ulcerative pancolitis"), ("K51.00", "pancolitis"),
    # Index: "Headache, medication overuse G44.40", "rebound G44.40" (drug-induced headache NEC).
    ("G44.40", "medication overuse headache"), ("G44.40", "rebound headache"), ("G44.40", "analgesic overuse headache"),
    # Reasons for the visit: Examination, annual (adult) Z00.00, child (routine) Z00.129; Vaccination Z23; Screening,
    # mammogram Z12.31; Prescription, repeat Z76.0; At risk for falling Z91.81; Counseling, tobacco Z71.6, advance
    # care planning Z71.89. Symptoms: Pain, neuropathic (neuralgia) M79.2; Cramp, muscle R25.2; Blood, in, feces K92.1,
    # occult R19.5; Otalgia (ear pain) H92.0-.
    # Concussion, with loss of consciousness (of unspecified duration) S06.0X9-; Syndrome, postconcussional F07.81.
    ("S06.0X9A", "concussion with loss of consciousness"), ("S06.0X9A", "concussion with loc"),
    ("F07.81", "post concussion syndrome"), ("F07.81", "postconcussion syndrome"),
    ("F07.81", "postconcussional syndrome"),
    ("Z00.00", "annual physical exam"), ("Z00.00", "annual physical"), ("Z00.00", "annual wellness visit"),
    ("Z00.00", "annual visit"), ("Z00.00", "annual examination"), ("Z00.00", "annual exam"),
    ("Z00.00", "routine physical"), ("Z00.00", "general medical examination"),
    # Examination, pre-procedural (pre-operative) Z01.818
    ("Z01.818", "preop examination"), ("Z01.818", "preoperative examination"), ("Z01.818", "preop evaluation"),
    ("Z01.818", "preoperative evaluation"), ("Z01.818", "pre operative evaluation"),
    ("Z00.129", "well child check"), ("Z00.129", "well child visit"), ("Z23", "encounter for immunization"),
    ("Z12.31", "screening mammogram"), ("Z76.0", "medication refill"), ("Z76.0", "prescription refill"),
    ("Z91.81", "fall risk"), ("Z91.81", "at risk for falls"), ("Z71.6", "smoking cessation counseling"),
    ("Z71.6", "tobacco cessation counseling"), ("Z71.89", "advance care planning"), ("M79.2", "neuropathic pain"),
    ("R25.2", "muscle cramps"), ("R25.2", "muscle cramp"), ("K92.1", "blood in stool"), ("K92.1", "bloody stool"),
    ("R19.5", "occult blood in stool"), ("R19.5", "positive fecal occult blood"),
    *_sided(("ear pain", "otalgia"), "H92.09", "H92.01", "H92.02", "H92.03"),
    # Examination, gynecological (routine) Z01.419; Screening, neoplasm, cervix (Pap smear) Z12.4; Infection, yeast --
    # see Candidiasis B37.9; Pregnancy, complicated by, infection, urinary tract O23.4-; Frostbite (superficial)
    # T33.90; Bite, dog -- see Bite, by site, open (and W54.0 for the dog).
    ("Z01.419", "well woman exam"), ("Z01.419", "well woman examination"), ("Z01.419", "gynecological examination"),
    ("Z01.419", "annual gynecologic exam"), ("Z12.4", "pap smear"), ("Z12.4", "cervical cancer screening"),
    ("B37.9", "yeast infection"), ("O23.40", "uti in pregnancy"), ("O23.40", "urinary tract infection in pregnancy"),
    ("W54.0XXA", "dog bite"),
    *_sided(("dog bite of hand", "bite of hand"), "S61.459A", "S61.451A", "S61.452A"),
    # Abscess, thigh -- see Abscess, lower limb L02.41-.
    *_sided(("abscess of thigh", "thigh abscess"), "L02.419", "L02.415", "L02.416"),
    # Fall, falling (accidental) W19: what the note says of a fall it treats, not a fall in a laboratory value.
    ("W19.XXXA", "mechanical fall"), ("W19.XXXA", "fall at home"), ("W19.XXXA", "fell at home"),
    ("W19.XXXA", "ground level fall"), ("W19.XXXA", "fall from standing"),
    # Thrombosis, vein, renal I82.3.
    ("I82.3", "renal vein thrombosis"), ("I82.3", "thrombosis of renal vein"),
    # Loss, vision, visual H54.7; one eye H54.6-; both eyes H54.3.
    *_sided(("visual loss", "vision loss", "loss of vision", "loss of visual acuity"), "H54.7", "H54.61", "H54.62",
            "H54.3"),
    # Fracture, radius, distal end (lower end) S52.50-; hip -- see Fracture, femur, neck S72.00-; rib S22.3-,
    # multiple S22.4-; Whiplash injury S13.4; Teething (syndrome) K00.7; Bronchiolitis (acute) J21.9; Pinworm
    # (enterobiasis) B80; Impaction, cerumen H61.2-; Otitis, media, with effusion -- see nonsuppurative H65.9-.
    *_sided(("fracture of distal radius", "distal radius fracture"), "S52.509A", "S52.501A", "S52.502A"),
    *_sided(("hip fracture", "fracture of hip"), "S72.009A", "S72.001A", "S72.002A"),
    *_sided("rib fracture", "S22.39XA", "S22.31XA", "S22.32XA"),
    *_sided("multiple rib fractures", "S22.49XA", "S22.41XA", "S22.42XA", "S22.43XA"),
    ("S13.4XXA", "whiplash"), ("S13.4XXA", "whiplash injury"), ("K00.7", "teething"), ("J21.9", "bronchiolitis"),
    ("B80", "pinworms"), ("B80", "pinworm infection"), ("B80", "enterobiasis"),
    *_sided(("cerumen impaction", "earwax impaction", "impacted cerumen"), "H61.20", "H61.21", "H61.22", "H61.23"),
    *_sided("otitis media with effusion", "H65.90", "H65.91", "H65.92", "H65.93"),
    # Melanoma, skin, back C43.59; Carcinoma, basal cell, skin of nose C44.311; Susceptibility, genetic, to neoplasm,
    # breast (BRCA) Z15.01
    ("C43.59", "melanoma of back"), ("C43.59", "melanoma of the back"), ("C44.311", "basal cell carcinoma of nose"),
    ("C88.40", "malt lymphoma"), ("C24.9", "bile duct cancer"), ("C06.9", "oral cancer"), ("C06.9", "mouth cancer"),
    ("C41.9", "bone cancer"), ("C74.90", "adrenal cancer"), ("C51.9", "vulvar cancer"), ("C21.0", "anal cancer"),
    ("C49.9", "sarcoma"), ("C49.9", "soft tissue sarcoma"), ("C46.9", "kaposi sarcoma"), ("C41.9", "ewing sarcoma"),
    ("C41.9", "osteosarcoma"),
    # Infarct, myocardial, ST elevation (STEMI), anterior (wall) I21.09, inferior (wall) I21.19, lateral / posterior
    # (wall) I21.29; Disorder, seasonal affective F33.8; Hypothyroidism, postablative / postsurgical /
    # postirradiation E89.0.
    *(("I21.09", f"anterior {w}stemi") for w in ("", "wall ")), *(("I21.19", f"inferior {w}stemi") for w in ("", "wall ")),
    *(("I21.29", f"{s} {w}stemi") for s in ("lateral", "posterior") for w in ("", "wall ")),
    ("F33.8", "seasonal affective disorder"),
    # Epilepsy, localization-related (focal), symptomatic, with simple partial seizures G40.1- (ILAE 2017: focal aware),
    # with complex partial seizures G40.2- (focal impaired awareness); absence epileptic syndrome G40.A-: each kind
    # intractable or not, with status epilepticus or without.
    *((f"{base}{int(tract)}{1 if status else 9}",
       f"{'intractable ' if tract else ''}{kind} {noun}{' with status epilepticus' if status else ''}")
      for base, kinds in (("G40.1", ("focal aware", "simple partial", "focal onset aware")),
                          ("G40.2", ("focal impaired awareness", "complex partial", "focal onset impaired awareness")),
                          ("G40.A", ("absence",)))
      for kind in kinds for noun in ("epilepsy", "seizures") for tract in (False, True) for status in (False, True)),
    *(("E89.0", t) for t in ("postablative hypothyroidism", "postsurgical hypothyroidism", "postprocedural hypothyroidism",
                             "hypothyroidism after radioactive iodine", "hypothyroidism after thyroidectomy",
                             "hypothyroidism status post thyroidectomy", "hypothyroidism after radioiodine")),
    ("Z15.01", "brca1 positive"), ("Z15.01", "brca2 positive"), ("Z15.01", "brca mutation"),
    ("Z15.01", "brca1 mutation"), ("Z15.01", "brca2 mutation"),
    # Lupus, systemic, with kidney involvement M32.14; Nephropathy, IgA N02.8; Syndrome, nephrotic N04.9;
    # Glomerulonephritis N05.9; Spondylitis, ankylosing M45.9; Scleroderma M34.9; Vasculitis I77.6; Disease,
    # Huntington's G10; Sclerosis, amyotrophic lateral G12.21; Encephalitis G04.90; Abscess, brain G06.0; Hematoma,
    # subdural (nontraumatic) I62.00; Dysarthria R47.1.
    ("M32.14", "lupus nephritis"), ("M32.14", "lupus nephropathy"), ("N02.8", "iga nephropathy"),
    ("N04.9", "nephrotic syndrome"),
    ("N05.9", "glomerulonephritis"), ("M45.9", "ankylosing spondylitis"), ("M34.9", "scleroderma"),
    ("M34.9", "systemic sclerosis"), ("I77.6", "vasculitis"), ("G10", "huntington disease"),
    ("G10", "huntington chorea"), ("G12.21", "amyotrophic lateral sclerosis"), ("G04.90", "encephalitis"),
    ("G06.0", "brain abscess"), ("G06.0", "cerebral abscess"), ("I62.00", "subdural hematoma"), ("R47.1", "dysarthria"),
    # ... their subterms: Encephalitis, herpes(viral) B00.4; Hematoma, subdural, traumatic S06.5X-; Glomerulonephritis,
    # membranous N05.2; Vasculitis, ANCA I77.82
    ("B00.4", "herpes encephalitis"), ("B00.4", "herpetic encephalitis"), ("B00.4", "herpes simplex encephalitis"),
    ("S06.5X0A", "traumatic subdural hematoma"), ("S06.5X0A", "traumatic subdural hemorrhage"),
    ("N05.2", "membranous glomerulonephritis"), ("I77.82", "anca vasculitis"), ("I77.82", "anca associated vasculitis"),
    # Insufficiency, adrenal E27.40; Syndrome, Cushing's E24.9; Failure, to thrive (child) R62.51, adult R62.7; Delay,
    # development R62.50, speech F80.9; Anaphylaxis T78.2XXA; Angioedema T78.3XXA; Jet lag G47.25
    ("E27.40", "adrenal insufficiency"), ("E24.9", "cushing syndrome"), ("E24.9", "cushings syndrome"),
    ("R62.51", "failure to thrive"), ("R62.7", "adult failure to thrive"), ("R62.50", "developmental delay"),
    ("F80.9", "speech delay"), ("T78.2XXA", "anaphylaxis"), ("T78.2XXA", "anaphylactic reaction"),
    ("T78.3XXA", "angioedema"), ("G47.25", "jet lag"),
    # Musculoskeletal names by the Index: Pseudogout -- see Chondrocalcinosis M11.2-; Tenosynovitis, de Quervain M65.4;
    # Cyst, Baker's M71.2-; Tear, meniscus (current injury) S83.20-; Disorder, temporomandibular
    # joint M26.60-; Contracture, Dupuytren's M72.0; Hallux valgus M20.1-; Flat foot M21.4-; Neuroma, Morton's G57.6-;
    # Fracture, compression (not due to trauma) -- see Collapse, vertebra M48.5-; Osteoporosis with pathological fracture
    # M80.0-.
    ("M11.20", "pseudogout"), ("M65.4", "de quervain tenosynovitis"), ("M65.4", "de quervain tendinitis"),
    *_sided("baker cyst", "M71.20", "M71.21", "M71.22"),
    *_sided(("meniscus tear", "meniscal tear"), "S83.209A", "S83.206A", "S83.207A"),
    *_sided(("tmj disorder", "temporomandibular joint disorder"), "M26.609", "M26.601", "M26.602", "M26.603"),
    ("M72.0", "dupuytren contracture"), *_sided(("hallux valgus", "bunion"), "M20.10", "M20.11", "M20.12"),
    *_sided(("flat feet", "pes planus"), "M21.40", "M21.41", "M21.42"), *_sided("morton neuroma", "G57.60", "G57.61", "G57.62"),
    ("M48.50XA", "compression fracture of spine"), ("M48.50XA", "vertebral compression fracture"),
    ("M80.00XA", "osteoporotic fracture"),
    # Women's health by the Index: Bleeding, vaginal N93.9; Menorrhagia N92.0; Pain, pelvic R10.2-; Mastodynia N64.4;
    # Infertility, female N97.9, male N46.9; Counseling, contraceptive Z30.09; Pregnancy test, positive Z32.01;
    # Sickness, morning and Hyperemesis gravidarum (mild) O21.0; Pre-eclampsia O14.9-; Hemorrhage, postpartum O72.1
    ("N93.9", "vaginal bleeding"), ("N92.0", "heavy menstrual bleeding"), ("N92.0", "menorrhagia"),
    ("R10.20", "pelvic pain"), ("N64.4", "breast pain"), ("N97.9", "female infertility"), ("N46.9", "male infertility"),
    ("Z30.09", "contraception counseling"), ("Z30.09", "contraceptive counseling"), ("Z32.01", "positive pregnancy test"),
    ("Z32.01", "pregnancy test positive"), ("O21.0", "morning sickness"), ("O21.0", "hyperemesis gravidarum"),
    ("O14.90", "preeclampsia"), ("O14.90", "pre eclampsia"), ("O72.1", "postpartum hemorrhage"),
    # Overload, iron E83.119; Anemia, vitamin B12 deficiency D51.9; Coagulopathy D68.9
    ("E83.119", "iron overload"), ("D51.9", "b12 deficiency anemia"), ("D51.9", "vitamin b12 deficiency anemia"),
    ("D68.9", "coagulopathy"),
    # Prolapse, mitral (valve) I34.1; Block, atrioventricular, first degree I44.0; Pericarditis I31.9, acute I30.9;
    # Endocarditis (valve unspecified) I38, infective / bacterial I33.0; Thrombophlebitis I80.9; Anemia, blood loss
    # (chronic) D50.0, acute D62; Infection, MRSA A49.02, carrier Z22.322.
    ("I34.1", "mitral valve prolapse"), ("I44.0", "first degree av block"), ("I44.0", "first degree heart block"),
    ("I44.0", "first degree atrioventricular block"), ("I31.9", "pericarditis"), ("I30.9", "acute pericarditis"),
    ("I38", "endocarditis"), ("I33.0", "infective endocarditis"), ("I33.0", "bacterial endocarditis"),
    ("I80.9", "thrombophlebitis"), ("I80.9", "superficial thrombophlebitis"), ("D50.0", "anemia due to blood loss"),
    ("D50.0", "chronic blood loss anemia"), ("D62", "acute blood loss anemia"), ("A49.02", "mrsa infection"), ("Z22.322", "mrsa carrier"), ("Z22.322", "mrsa colonization"),
    # Menopause (asymptomatic) Z78.0; Fibroid, uterus D25.9; Elevated, prostate specific antigen R97.20; Cyst, kidney
    # (acquired) N28.1; Disease, Alzheimer's G30.9 (written without the "'s")
    ("Z78.0", "menopause"), ("Z78.0", "postmenopausal status"), ("N95.1", "symptomatic menopause"),
    ("N95.1", "menopause symptoms"), ("N95.1", "symptoms of menopause"),
    *_sided("varicose veins", "I83.90", "I83.91", "I83.92", "I83.93"),  # Varix, leg I83.9-, by side
    ("I83.93", "varicose veins both legs"),
    # Fracture, Colles' S52.53-; Hemianop(s)ia, heteronymous (bitemporal) H53.47, homonymous H53.46-; Adenoma,
    # prostate -- see Hyperplasia, prostate (other adenomas are benign neoplasms by site: matcher.INDEX_TERMS)
    *_sided("colles fracture", "S52.539A", "S52.531A", "S52.532A"),
    *_sided(("smith fracture", "smiths fracture"), "S52.549A", "S52.541A", "S52.542A"),  # Fracture, Smith's S52.54-
    # "Malignant neoplasm of ... bronchus or lung": either organ names it ("lung adenocarcinoma" is C34.90).
    *_sided(("malignant neoplasm of lung", "malignant neoplasm of bronchus"), "C34.90", "C34.91", "C34.92"),
    ("C34.90", "bronchogenic carcinoma"),
    # Sprain (strain, tear) of the posterior cruciate ligament S83.52- (the anterior one is above); a Lisfranc fracture read as a fracture of the
    # foot, unspecified (its bones are seldom named).
    *_sided(("posterior cruciate ligament strain", "posterior cruciate ligament sprain", "pcl strain", "pcl sprain",
             "pcl tear"), "S83.529A", "S83.521A", "S83.522A"),
    *_sided("lisfranc fracture", "S92.909A", "S92.901A", "S92.902A"),
    # Deficiency, immunoglobulin A (selective) D80.2; Status, estrogen receptor positive Z17.0 (use additional code
    # of C50), negative Z17.1
    ("Z17.0", "er positive"), ("Z17.0", "estrogen receptor positive"), ("Z17.0", "er pr positive"),
    ("Z17.0", "hormone receptor positive"), ("Z17.1", "estrogen receptor negative status"),
    ("D80.2", "iga deficiency"), ("D80.2", "selective iga deficiency"), ("D80.2", "immunoglobulin a deficiency"),
    ("H53.47", "bitemporal hemianopia"), ("H53.47", "heteronymous hemianopia"),
    *_sided("homonymous hemianopia", "H53.469", "H53.461", "H53.462"),
    ("N40.0", "prostate adenoma"), ("N40.0", "prostatic adenoma"), ("N40.0", "adenoma of the prostate"),
    # Canker sore -- see Ulcer, aphthous K12.0; Removal, sutures Z48.02
    ("K12.0", "canker sore"), ("K12.0", "aphthous ulcer"), ("K12.0", "aphthous stomatitis"),
    ("Z48.02", "suture removal"), ("Z48.02", "removal of sutures"), ("Z48.02", "stitches removal"),
    ("D25.9", "uterine fibroid"),
    ("D25.9", "fibroid uterus"), ("D25.9", "uterine leiomyoma"), ("R97.20", "elevated psa"), ("N28.1", "kidney cyst"),
    ("N28.1", "renal cyst"),
    # Use, cocaine F14.90 / methamphetamine F15.90 (use without abuse or dependence; "opioid use" is mostly the
    # prescribed long-term use, Z79.891, left to the status rules)
    ("F14.90", "cocaine use"), ("F15.90", "methamphetamine use"),
    # Otitis, externa H60.9-; Cellulitis, foot -- see Cellulitis, lower limb; Abscess, axilla L02.41-
    *_sided("otitis externa", "H60.90", "H60.91", "H60.92", "H60.93"),
    *_sided("cellulitis of foot", "L03.119", "L03.115", "L03.116"),
    *_sided("abscess of axilla", "L02.419", "L02.411", "L02.412"),
    ("G43.109", "classical migraine"),
    # Enterocolitis due to Clostridium difficile A04.72; Herniation, disc -- see Displacement, intervertebral disc
    ("A04.72", "clostridium difficile colitis"), ("A04.72", "c difficile colitis"), ("A04.72", "c diff colitis"),
    ("A04.72", "clostridioides difficile colitis"), ("A04.72", "clostridium difficile infection"),
    ("A04.72", "c diff infection"),
    *(("A04.71", f"recurrent {term}") for term in ("clostridium difficile colitis", "c difficile colitis", "c diff colitis",
                                                    "clostridium difficile infection", "c diff infection")),
    # Neutropenia, drug-induced D70.2, due to cancer chemotherapy D70.1 (services.coding.matcher.tokens writes "drug"
    # after the drug named as its cause).
    # Candidiasis, mouth B37.0 (thrush), vulva and vagina B37.31 (acute), chronic B37.32; Enteritis, rotaviral A08.0;
    # Polyp, colon, adenomatous: personal history Z86.0101.
    ("B37.0", "oral candidiasis"), ("B37.0", "oral thrush"), ("B37.0", "thrush"), ("B37.0", "candidiasis of mouth"),
    ("B37.31", "vulvovaginal candidiasis"),
    ("B37.31", "yeast vaginitis"), ("B37.31", "candidal vulvovaginitis"), ("B37.32", "chronic vulvovaginal candidiasis"),
    ("B37.32", "recurrent vulvovaginal candidiasis"), ("A08.0", "rotavirus gastroenteritis"),
    ("A08.0", "rotavirus enteritis"), ("A08.11", "norovirus gastroenteritis"), ("A08.4", "viral gastroenteritis"),
    # Abrasion, cornea S05.0-; Strain / Sprain, neck (cervical) S16.1 / S13.4, low back (lumbar) S39.012 / S33.5,
    # thoracic S29.012 / S23.3; Anemia, pernicious D51.0; Esophagitis, reflux, with bleeding K21.01; Stenosis, mitral
    # I05.0 (rheumatic unless stated otherwise); Wolff-Parkinson-White syndrome I45.6; Aftercare, joint replacement Z47.1.
    *_sided("corneal abrasion", "S05.00XA", "S05.01XA", "S05.02XA"),
    ("S16.1XXA", "cervical strain"), ("S13.4XXA", "cervical sprain"),
    ("S13.4XXA", "neck sprain"), ("S39.012A", "low back strain"),
    ("S33.5XXA", "lumbar sprain"), ("S29.012A", "thoracic strain"), ("S23.3XXA", "thoracic sprain"),
    ("K21.01", "reflux esophagitis with bleeding"), ("I05.0", "mitral stenosis"),
    ("I45.6", "wolff parkinson white syndrome"), ("I45.6", "wpw syndrome"), ("I45.6", "wpw"),
    ("Z47.1", "aftercare following joint replacement"), ("Z47.1", "aftercare following knee arthroplasty"),
    ("Z47.1", "aftercare following hip arthroplasty"), ("Z47.1", "aftercare following knee replacement"),
    ("Z47.1", "aftercare following hip replacement"),
    # Hemorrhoids by grade (degree); Incontinence, stress (female) N39.3; Factor V Leiden D68.51; Postpolio syndrome;
    # Otitis media, chronic, mucoid (glue ear) H65.3-; Jaundice, newborn P59.9, from breast milk P59.3;
    # Sickle-cell disease with crisis D57.00; Pancreatitis, acute, biliary (gallstone)
    # K85.10; Hydronephrosis with ureteral calculus N13.2; Menopause, symptomatic N95.1; encounters for IUD insertion
    # and the routine postpartum visit.
    *((f"K64.{n - 1}", f"grade {n} hemorrhoids") for n in range(1, 5)),
    *((f"K64.{n - 1}", f"grade {n} internal hemorrhoids") for n in range(1, 5)),
    ("N39.3", "stress urinary incontinence"), ("D68.51", "factor v leiden"), ("D68.51", "factor v leiden mutation"),
    ("G14", "post polio syndrome"), *_sided("glue ear", "H65.30", "H65.31", "H65.32", "H65.33"),
    ("P59.9", "jaundice of newborn"), ("P59.9", "neonatal jaundice"), ("P59.9", "physiological jaundice of newborn"),
    ("P59.9", "physiologic jaundice"), ("P59.3", "breast milk jaundice"),
    ("D57.00", "sickle cell disease with crisis"), ("D57.00", "sickle cell crisis"),
    ("D57.00", "vaso occlusive crisis"), ("D57.00", "sickle cell pain crisis"), ("K85.10", "gallstone pancreatitis"),
    ("K85.10", "biliary pancreatitis"), ("N13.2", "ureteral calculus with hydronephrosis"),
    ("N13.2", "ureteral stone with hydronephrosis"), ("N13.2", "kidney stone with hydronephrosis"),
    ("N95.1", "menopausal hot flashes"), ("Z30.430", "iud insertion"),
    ("Z30.430", "insertion of iud"), ("Z39.2", "routine postpartum visit"), ("Z39.2", "routine postpartum follow up"),
    # Encounters: desensitization to allergens Z51.6; contraceptive management Z30.- (initial prescription, surveillance,
    # IUD and implant, emergency contraception); surgical dressing and staples Z48.0-; therapeutic drug level
    # monitoring Z51.81; follow-up after completed treatment Z09. Allergic rhinitis due to animal dander J30.81;
    # Trichomoniasis, vagina A59.01.
    ("Z71.3", "dietary counseling"), ("Z71.3", "nutrition counseling"), ("Z71.3", "diet counseling"),
    ("Z71.82", "exercise counseling"), ("Z71.82", "physical activity counseling"), ("Z02.5", "sports physical"),
    ("Z02.5", "sports physical exam"), ("Z02.5", "sports pe"), ("Z02.5", "sports preparticipation exam"),
    ("Z02.1", "pre employment physical"), ("Z02.1", "employment physical"),
    ("Z51.6", "allergy shots"), ("Z51.6", "allergy shot"), ("Z51.6", "allergen immunotherapy"),
    ("Z51.6", "allergy immunotherapy"), ("Z51.6", "desensitization to allergens"),
    ("Z30.011", "initial prescription of oral contraceptives"), ("Z30.011", "starting oral contraceptives"),
    ("Z30.011", "start oral contraceptives"), ("Z30.41", "refill of oral contraceptives"),
    ("Z30.41", "oral contraceptives refill"), ("Z30.41", "surveillance of oral contraceptives"),
    ("Z30.42", "depo provera"), ("Z30.42", "depo provera injection"), ("Z30.42", "depo injection"), ("Z30.42", "depo shot"),
    ("Z30.013", "first depo provera"), ("Z30.013", "starting depo provera"), ("Z30.013", "start depo provera"), ("Z30.432", "iud removal"), ("Z30.432", "removal of iud"),
    ("Z30.431", "iud check"), ("Z30.431", "iud string check"), ("Z30.433", "iud removal and reinsertion"),
    ("Z30.433", "iud replacement"), ("Z30.017", "nexplanon insertion"), ("Z30.46", "nexplanon removal"),
    ("Z30.46", "nexplanon check"), ("Z30.012", "emergency contraception"), ("Z30.012", "plan b"),
    ("Z48.01", "surgical dressing change"), ("Z48.01", "post op dressing change"), ("Z48.02", "staple removal"),
    ("Z48.02", "removal of staples"), ("Z51.81", "inr check"), ("Z51.81", "inr monitoring"),
    ("Z51.81", "therapeutic drug monitoring"), ("Z51.81", "drug level monitoring"), ("Z51.81", "coumadin clinic"),
    ("Z09", "follow up after completed treatment"), ("Z09", "follow up examination after completed treatment"),
    ("J30.81", "allergic rhinitis due to cat dander"), ("J30.81", "allergic rhinitis due to dog dander"),
    ("J30.81", "allergic rhinitis due to animal dander"), ("A59.01", "trichomonas vaginitis"),
    ("A59.01", "trichomonal vaginitis"), ("A59.01", "vaginal trichomoniasis"),
    # Dysphagia, by phase: oral R13.11, oropharyngeal R13.12, pharyngeal R13.13, pharyngoesophageal R13.14.
    ("R13.11", "oral phase dysphagia"), ("R13.12", "oropharyngeal dysphagia"), ("R13.13", "pharyngeal dysphagia"),
    ("R13.14", "pharyngoesophageal dysphagia"),
    ("D70.1", "chemotherapy drug induced neutropenia"), ("D70.1", "neutropenia due to chemotherapy drug"),
    ("D70.1", "chemo drug induced neutropenia"), ("D70.2", "drug induced neutropenia"), ("M51.26", "lumbar disc herniation"), ("M51.26", "herniated lumbar disc"),
    ("M51.26", "lumbar herniated disc"), ("M51.27", "lumbosacral disc herniation"),
    ("M50.20", "cervical disc herniation"), ("M50.20", "herniated cervical disc"),
    # Strain, back / lumbar; Disease, kidney; Difficulty, micturition
    ("S39.012A", "lumbar strain"), ("S39.012A", "back strain"), ("N28.9", "kidney disease"),
    ("R39.198", "difficulty urinating"), ("R39.198", "difficulty with urination"),
    # Neoplasm Table, liver, secondary (the description adds "and intrahepatic bile duct")
    ("C78.7", "secondary malignant neoplasm of liver"),
    # Problem headings of outpatient notes (ACI-Bench) the Tabular wording misses: Reflux K21.9;
    # Odynophagia R13.10; Infection, lung -- see also Pneumonia; Syndrome, patellofemoral M22.2X-; Tear, ligament --
    # see Sprain (anterior / medial collateral ligament of knee, initial encounter).
    ("K21.9", "reflux"), ("R13.10", "odynophagia"), ("R13.10", "painful swallowing"),
    ("J18.9", "lung infection"), *_sided("patellofemoral pain syndrome", "M22.2X9", "M22.2X1", "M22.2X2"),
    *(entry for harm in ("tear", "sprain", "strain")
      for entry in (*_sided(f"acl {harm}", "S83.509A", "S83.511A", "S83.512A"),
                    *_sided(f"mcl {harm}", "S83.419A", "S83.411A", "S83.412A"))),
    # A qualifier the curated term does not carry names another code ("pulmonary hypertension" is I27.20 by its
    # description; these by the Index): Diabetes, gestational O24.419; Diabetes, due to drug or chemical E09.9;
    # Hypertension, intracranial (benign) G93.2; Asthma, exercise induced J45.990; Arthritis, septic -- see Arthritis,
    # pyogenic M00.9; Arthritis, gouty M10.9, psoriatic L40.50, reactive M02.9; Hepatitis, drug-induced -- see Disease, liver, toxic K71.6;
    # Conjunctivitis, allergic (acute) -- see Conjunctivitis, acute, atopic H10.1-.
    ("E09.9", "steroid induced diabetes"), ("E09.9", "drug induced diabetes"),
    ("G93.2", "intracranial hypertension"), ("J45.990", "exercise induced asthma"),
    ("J45.990", "exercise induced bronchospasm"), ("M00.9", "septic arthritis"), ("M10.9", "gouty arthritis"),
    ("L40.50", "psoriatic arthritis"), ("M02.9", "reactive arthritis"), ("K71.6", "drug induced hepatitis"),
    *_sided("allergic conjunctivitis", "H10.10", "H10.11", "H10.12", "H10.13"),
    # Lumbago with sciatica M54.4-; Disease, lung, obstructive (chronic), with exacerbation J44.1; Deficiency,
    # vitamin B12 E53.8.
    *_sided("low back pain with sciatica", "M54.40", "M54.41", "M54.42"), ("M54.40", "lumbago with sciatica"),
    ("J44.1", "copd exacerbation"), ("J44.1", "copd with acute exacerbation"), ("E53.8", "b12 deficiency"),
    ("E53.8", "vitamin b12 deficiency"),
    # Everyday names the Index sends to a code whose description says it otherwise: Disease, Graves' E05.00;
    # Osteopenia M85.8-; Anemia, in (due to) chronic disease D63.8;
    # Incontinence, stress N39.3, urge N39.41; Infection, Helicobacter pylori A04.8; Human immunodeficiency virus
    # (HIV) disease B20, asymptomatic status Z21; Hypertriglyceridemia E78.1; Diabetes, with, foot ulcer E11.621;
    # Flushing (hot flashes) R23.2; Menopause, symptomatic N95.1; Headache, cluster G44.009; Vertigo, benign
    # paroxysmal (positional) H81.1-; Pain, chest, atypical R07.89; Thyroiditis, Hashimoto's E06.3; Pregnancy,
    # complicated by, infection, urinary tract O23.4-; Reflux, gastroesophageal, with esophagitis K21.0-; Screening,
    # neoplasm, colon Z12.11.
    ("E05.00", "graves disease"), ("M85.80", "osteopenia"),
    ("D63.8", "anemia of chronic disease"), ("N39.3", "stress incontinence"), ("N39.41", "urge incontinence"),
    ("B20", "hiv"), ("B20", "aids"),
    ("Z21", "hiv positive"), ("Z21", "asymptomatic hiv"), ("E78.1", "hypertriglyceridemia"),
    ("E11.621", "diabetic foot ulcer"), ("R23.2", "hot flashes"), ("N95.1", "menopausal symptoms"),
    ("G44.009", "cluster headache"), ("H81.10", "benign paroxysmal positional vertigo"),
    *_sided("bppv", "H81.10", "H81.11", "H81.12", "H81.13"),
    ("R07.89", "atypical chest pain"), ("E06.3", "hashimoto thyroiditis"), ("E06.3", "hashimoto disease"),
    ("K21.00", "gerd with esophagitis"), ("Z12.11", "screening colonoscopy"),
    # Fracture, wrist S62.10-; Frequency, micturition R35.0; Candidiasis, vagina B37.31; Vaginosis -- see Vaginitis
    # N76.0; Cholelithiasis K80.20; Insufficiency, vitamin D E55.9; Abuse, alcohol F10.10; Use, cannabis F12.90;
    # Wart (viral) B07.9; Hives -- see Urticaria L50.9.
    *_sided("fracture of wrist", "S62.109A", "S62.101A", "S62.102A"),
    ("R35.0", "frequent urination"), ("R35.0", "urinary frequency"), ("B37.31", "vaginal yeast infection"),
    ("B37.31", "vaginal candidiasis"), ("N76.0", "bacterial vaginosis"), ("K80.20", "gallstone"),
    ("E55.9", "vitamin d insufficiency"), ("F12.90", "cannabis use"),
    ("F12.90", "marijuana use"), ("B07.9", "wart"), ("L50.9", "hives"),
    # Stenosis, aortic (valve) I35.0; Insufficiency (regurgitation), aortic I35.1, mitral I34.0, tricuspid I07.1;
    # Stenosis, carotid I65.2-; Nodule, lung R91.1; Lupus (erythematosus) (systemic) M32.9; Gammopathy, monoclonal
    # D47.2; Nephropathy, diabetic E11.21; Anemia, pernicious D51.0.
    # ("aorta" too: it ties with Q25.1's congenital "stenosis of aorta", which the organ pair also reads; NOS is I35.0.)
    ("I35.0", "aortic stenosis aorta"), ("I35.1", "aortic regurgitation"), ("I35.1", "aortic insufficiency"),
    ("I34.0", "mitral regurgitation"), ("I34.0", "mitral insufficiency"), ("I07.1", "tricuspid regurgitation"),
    ("I65.29", "carotid artery stenosis"), *_sided("carotid stenosis", "I65.29", "I65.21", "I65.22", "I65.23"),
    ("R91.1", "pulmonary nodule"),
    ("R91.1", "lung nodule"), ("M32.9", "lupus"), ("M32.9", "sle"), ("D47.2", "mgus"),
    ("D47.2", "monoclonal gammopathy"), ("E11.21", "diabetic nephropathy"), ("D51.0", "pernicious anemia"),
    # Croup J05.0; Fifth disease B08.3; Lice, head B85.0; Pharyngitis, streptococcal J02.0; Mononucleosis B27.90;
    # Sore, cold B00.1; Herpes, genital A60.00; Chlamydia A74.9; Gonorrhea A54.9; Trichomoniasis A59.9.
    ("J05.0", "croup"), ("B08.3", "fifth disease"), ("B85.0", "head lice"), ("J02.0", "strep pharyngitis"),
    ("J02.0", "streptococcal pharyngitis"), ("B27.90", "mononucleosis"), ("B00.1", "cold sore"),
    ("A60.00", "genital herpes"), ("A74.9", "chlamydia"), ("A54.9", "gonorrhea"), ("A59.9", "trichomonas"),
    ("A59.9", "trichomoniasis"),
    # Dependence, opioid F11.20 (use disorder, moderate or severe); Dependence, nicotine, cigarettes F17.210 (the
    # "uncomplicated" default, not "with unspecified nicotine-induced disorders"); Dry eye syndrome H04.12-; Blepharitis H01.00-;
    # Stye / hordeolum H00.01-.
    ("F11.20", "opioid dependence"), ("F17.210", "nicotine dependence cigarettes"),
    # A use disorder (moderate or severe, or of unstated severity) is the dependence, in remission too; "use" alone
    # is F1x.9- (the description "Opioid use, unspecified, in remission" read "use disorder in remission" as F11.91).
    *((f"{code}.2{tail}", f"{drug} use disorder{words}") for code, drug in (
        ("F10", "alcohol"), ("F11", "opioid"), ("F12", "cannabis"), ("F14", "cocaine"), ("F13", "sedative"),
        ("F15", "stimulant")) for tail, words in (("0", ""), ("1", " in remission"))),
    *_sided("photophobia", "H53.149", "H53.141", "H53.142", "H53.143"),  # Photophobia H53.14-
    # Failure, heart, systolic (diastolic), acute I50.21 (I50.31), chronic .22 (.32), acute on chronic .23 (.33): the
    # acuity qualifies the ejection-fraction names as it does "systolic heart failure".
    *((f"I50.{kind}{digit}", f"{acuity} {name}") for kind, names in (
        ("2", ("hfref", "heart failure with reduced ejection fraction")),
        ("3", ("hfpef", "heart failure with preserved ejection fraction")))
      for digit, acuity in (("1", "acute"), ("2", "chronic"), ("3", "acute on chronic")) for name in names),
    *_sided(("dry eye", "dry eye syndrome", "dry eyes"), "H04.129", "H04.121", "H04.122", "H04.123"),
    ("H04.123", "dry eyes both eyes"), ("H04.123", "dry eye syndrome both eyes"),
    # Deviation, septum (nasal) J34.2; Disorder, social anxiety -- see Phobia, social F40.10
    ("R07.89", "chest tightness"), ("R07.89", "tightness in the chest"),  # Tightness, chest R07.89
    ("J34.2", "deviated septum"), ("J34.2", "deviated nasal septum"), ("J34.2", "septal deviation"),
    ("F40.10", "social anxiety disorder"), ("F40.10", "social anxiety"), ("F40.10", "social phobia"), ("H01.009", "blepharitis"), ("H00.019", "sty"),
    ("H00.019", "stye"),
    # Hypertension, white coat R03.0 (a lay "high blood pressure" stays I10); Insufficiency,
    # venous I87.2; Raynaud's phenomenon I73.00; Sting, bee T63.441A; Falls, repeated R29.6; Abnormal gait R26.9;
    # Spasm, muscle, back M62.830; Strain, neck S16.1XXA; Epicondylitis, lateral (tennis elbow) M77.1-, medial
    # (golfer's elbow) M77.0-; Capsulitis, adhesive (frozen shoulder) M75.0-.
    ("R03.0", "white coat hypertension"), ("R03.0", "prehypertension"), ("I87.2", "venous insufficiency"),
    ("I73.00", "raynaud phenomenon"), ("I73.00", "raynaud syndrome"), ("T63.441A", "bee sting"),
    ("R29.6", "frequent falls"), ("R29.6", "repeated falls"), ("R29.6", "recurrent falls"), ("R26.9", "gait abnormality"),
    ("R26.9", "abnormal gait"),
    # "Bladder, neurogenic NOS -- see Dysfunction, bladder, neuromuscular N31.9"; "Resistance, organism, to drug,
    # extended spectrum beta lactamase (ESBL) Z16.12"; "CR(E)ST syndrome M34.1" (limited cutaneous systemic
    # sclerosis).
    ("N31.9", "neurogenic bladder"), ("Z16.12", "extended spectrum beta lactamase"), ("M34.1", "crest syndrome"),
    ("M34.1", "limited cutaneous systemic sclerosis"), ("M34.1", "limited cutaneous scleroderma"),
    # "Tinnitus, right ear H93.11": the side without the ear ("Tinnitus R"); "Loss, hearing, sudden (idiopathic)
    # H91.2-".
    *_sided("tinnitus", "H93.19", "H93.11", "H93.12", "H93.13"),
    *_sided(("sudden sensorineural hearing loss", "sudden hearing loss"), "H91.20", "H91.21", "H91.22", "H91.23"),
    # "Pterygium H11.00-" (progressive H11.05-); "Opacity, posterior capsule -- see Cataract, secondary (after-cataract)
    # H26.49-"; "Bursitis, trochanteric M70.6-, prepatellar M70.4-"; "Myelopathy, spondylogenic, cervical M47.12";
    # "Keratitis, herpetic, herpes simplex B00.52".
    *_sided("pterygium", "H11.009", "H11.001", "H11.002", "H11.003"),
    *_sided(("progressive pterygium", "pterygium progressive"), "H11.059", "H11.051", "H11.052", "H11.053"),
    *_sided(("posterior capsular opacification", "posterior capsule opacification", "posterior capsular opacity"),
            "H26.499", "H26.491", "H26.492", "H26.493"),
    *_sided(("greater trochanteric bursitis", "trochanteric bursitis"), "M70.60", "M70.61", "M70.62"),
    *_sided("prepatellar bursitis", "M70.40", "M70.41", "M70.42"),
    ("M47.12", "cervical spondylotic myelopathy"), ("M47.16", "lumbar spondylotic myelopathy"),
    ("B00.52", "herpes simplex keratitis"), ("B00.52", "herpetic keratitis"),
    # "Narrow angle H40.03-" (a primary angle-closure suspect); "Noise effects on inner ear H83.3X-" (noise-induced
    # hearing loss); "Neuritis, vestibular -- see Neuronitis, vestibular H81.2-"; "Loss, vision, transient H53.12-";
    # "Sprain, ankle, tibiofibular ligament S93.43-" (a high ankle sprain); an acute rotator cuff tear is a traumatic
    # one (S46.01-).
    *_sided(("narrow angle", "anatomical narrow angle", "primary angle closure suspect", "occludable angle"),
            "H40.039", "H40.031", "H40.032", "H40.033"),
    *_sided(("noise induced hearing loss", "noise related hearing loss"), "H83.3X9", "H83.3X1", "H83.3X2", "H83.3X3"),
    *_sided(("vestibular neuritis", "acute vestibular neuritis"), "H81.20", "H81.21", "H81.22", "H81.23"),
    *_sided(("transient vision loss", "transient visual loss", "transient monocular vision loss"),
            "H53.129", "H53.121", "H53.122", "H53.123"),
    *_sided(("high ankle sprain", "syndesmotic sprain", "syndesmosis sprain"), "S93.439A", "S93.431A", "S93.432A"),
    *_sided("acute rotator cuff tear", "S46.019A", "S46.011A", "S46.012A"),
    # "Hypertrophy, tonsils and adenoids J35.3" (adenotonsillar), tonsils J35.1; "Hypertrophy, turbinate (nasal)
    # J34.3"; "Obesity, class 1 / 2 / 3 E66.811-E66.813".
    ("J35.3", "adenotonsillar hypertrophy"), ("J35.1", "tonsillar hypertrophy"), ("J34.3", "turbinate hypertrophy"),
    ("J34.3", "inferior turbinate hypertrophy"),
    ("E66.811", "obesity class 1"), ("E66.812", "obesity class 2"), ("E66.813", "obesity class 3"),
    # Geographic atrophy is dry AMD's advanced atrophic stage (H35.31-, 7th character 3; 4 with subfoveal involvement).
    *_sided("geographic atrophy", "H35.3193", "H35.3113", "H35.3123", "H35.3133"),
    *_sided(("geographic atrophy involving the fovea", "geographic atrophy with subfoveal involvement",
             "subfoveal geographic atrophy", "center involving geographic atrophy"),
            "H35.3194", "H35.3114", "H35.3124", "H35.3134"),
    # "Wandering in diseases classified elsewhere Z91.83" (dementia's "use additional code, if applicable").
    ("Z91.83", "wandering"),
    # "Unsteadiness on feet R26.81": an unsteady gait.
    ("R26.81", "unsteady gait"), ("R26.81", "gait instability"), ("R26.81", "unstable gait"), ("R26.81", "gait unsteadiness"),
   ("M62.830", "back spasm"), ("S16.1XXA", "neck strain"),
    *_sided("tennis elbow", "M77.10", "M77.11", "M77.12"), *_sided("golfer elbow", "M77.00", "M77.01", "M77.02"),
    *_sided("frozen shoulder", "M75.00", "M75.01", "M75.02"),
    # Session 13's specificity audit. Pneumonia, by organism in adjective form (the descriptions name the organism
    # "due to"): pneumococcal J13, Klebsiella J15.0, Pseudomonas J15.1, staphylococcal J15.20, MSSA J15.211, MRSA
    # J15.212, streptococcal J15.4, E. coli J15.5, Mycoplasma J15.7.
    ("J13", "pneumococcal pneumonia"), ("J15.0", "klebsiella pneumonia"), ("J15.1", "pseudomonas pneumonia"),
    ("J15.20", "staphylococcal pneumonia"), ("J15.211", "mssa pneumonia"), ("J15.212", "mrsa pneumonia"),
    ("J15.4", "streptococcal pneumonia"), ("J15.5", "e coli pneumonia"), ("J15.7", "mycoplasma pneumonia"),
    # Gout by site (Gout, idiopathic M10.0-: shoulder, elbow, wrist, hand, hip, knee, ankle and foot); Podagra M10.07-.
    *(entry for site, digit in (("shoulder", "1"), ("elbow", "2"), ("wrist", "3"), ("hand", "4"), ("hip", "5"),
                                ("knee", "6"), ("ankle", "7"), ("foot", "7"), ("toe", "7"))
      for entry in _sided(f"gout {site}", f"M10.0{digit}9", f"M10.0{digit}1", f"M10.0{digit}2")),
    *_sided("podagra", "M10.079", "M10.071", "M10.072"),
    # Cellulitis, hand / finger (not the nail) -- see Cellulitis, upper limb L03.11-; face L03.211.
    *_sided("cellulitis hand", "L03.119", "L03.113", "L03.114"), ("L03.211", "facial cellulitis"),
    # Neuralgia, postherpetic B02.29; Tinea capitis B35.0; Dysfunction, Eustachian tube H69.8-; Syndrome, cubital
    # tunnel G56.2-; Perforation, tympanum H72.9-; Abscess, buttock L02.31; Paronychia L03.01-; Steatosis, liver,
    # metabolic dysfunction-associated (MASLD) K76.0; NASH K75.81; Low HDL E78.6.
    ("B02.29", "postherpetic neuralgia"), ("B02.29", "post herpetic neuralgia"), ("B35.0", "tinea capitis"),
    *_sided("eustachian tube dysfunction", "H69.80", "H69.81", "H69.82", "H69.83"),
    *_sided(("cubital tunnel syndrome", "ulnar neuropathy", "ulnar neuropathy at the elbow"),
            "G56.20", "G56.21", "G56.22", "G56.23"),
    *_sided("perforated tympanic membrane", "H72.90", "H72.91", "H72.92", "H72.93"),
    *_sided("tympanic membrane perforation", "H72.90", "H72.91", "H72.92", "H72.93"),
    ("L02.31", "buttock abscess"), ("L02.31", "abscess of buttock"), ("K76.0", "masld"), ("K75.81", "nash"),
    ("E78.6", "low hdl"),
    # Tear, rotator cuff, traumatic -- see Strain, rotator cuff S46.01- (M75.1- is "not specified as traumatic");
    # Herniation, disc, lumbar, with radiculopathy M51.16 (M54.1- Excludes1 radiculopathy with a disc disorder);
    # Examination, gynecological (routine) Z01.419, as notes shorten it (Z12.4 Excludes1 a Pap smear within it).
    *_sided("traumatic rotator cuff tear", "S46.019A", "S46.011A", "S46.012A"),
    *_sided("traumatic tear rotator cuff", "S46.019A", "S46.011A", "S46.012A"),
    ("M51.16", "lumbar disc herniation with radiculopathy"), ("M51.16", "herniated lumbar disc with radiculopathy"),
    ("Z01.419", "gynecologic exam"),
    # Supervision (of) (for), pregnancy, normal Z34.9-, first Z34.0- (the trimester follows the weeks).
    # Pre-eclampsia, severe O14.1-, mild to moderate O14.0- (the trimester follows the weeks).
    ("O14.10", "severe preeclampsia"), ("O14.00", "mild preeclampsia"), ("O14.00", "moderate preeclampsia"),
    ("Z34.90", "routine prenatal visit"), ("Z34.90", "routine prenatal care"), ("Z34.90", "normal pregnancy"),
    ("Z34.90", "supervision of normal pregnancy"), ("Z34.00", "supervision of normal first pregnancy"),
    ("Z34.00", "normal first pregnancy"),
    # Pregnancy, supervision, elderly mother (35 or over at delivery): primigravida O09.51-, multigravida O09.52- (the
    # gravidity and the trimester follow the note: services.coding.domain._pregnancy).
    *(("O09.519", t) for t in ("advanced maternal age", "elderly primigravida", "high risk pregnancy due to advanced "
                                "maternal age", "supervision of elderly primigravida")),
    *(("O09.529", t) for t in ("elderly multigravida", "supervision of elderly multigravida")),
    # Pain, chest, pleuritic R07.81; Urticaria, cold L50.2; Angioedema, hereditary D84.1; Immunodeficiency, common
    # variable D83.9; Eruption, drug (generalized) (taken internally) L27.0, localized L27.1; Phototoxic response to drug
    # L56.0; Syndrome, myofascial pain M79.18; Coccydynia M53.3; Disorder, sleep, shift work G47.26.
    ("R07.81", "pleuritic chest pain"), ("R07.81", "pleuritic pain"), ("R07.81", "pleurodynia"),
    ("L50.2", "cold urticaria"), ("D84.1", "hereditary angioedema"), ("D84.1", "c1 esterase inhibitor deficiency"),
    ("D84.1", "c1 inh deficiency"), ("D83.9", "common variable immunodeficiency"), ("D83.9", "cvid"),
    ("L27.0", "drug eruption"), ("L27.0", "generalized drug eruption"), ("L27.0", "drug rash"),
    ("L27.1", "localized drug eruption"), ("L27.1", "fixed drug eruption"), ("L56.0", "phototoxic rash"),
    ("L56.0", "phototoxic reaction"), ("L56.0", "drug phototoxicity"), ("L56.0", "phototoxicity"),
    ("M79.18", "myofascial pain syndrome"), ("M79.18", "myofascial pain"), ("M53.3", "coccydynia"),
    ("M53.3", "coccygodynia"), ("G47.26", "shift work sleep disorder"), ("G47.26", "shift work disorder"),
    # Gynecology: Menorrhagia, heavy menses with a regular cycle N92.0; Menstruation, irregular N92.6; Endometrioma,
    # ovary -- see Endometriosis, ovary, deep N80.12-; Neoplasia, intraepithelial, cervix, grade I N87.0, II N87.1,
    # III D06.9; Pap smear findings R87.61-; high-risk HPV DNA test positive, cervix R87.810; Leiomyoma, uterus,
    # submucous D25.0, intramural D25.1, subserosal D25.2; Infertility, female, associated with anovulation N97.0;
    # Lichen sclerosus, vulva N90.4.
    ("N92.0", "heavy menses"), ("N92.0", "heavy periods"),
    ("N92.6", "irregular menses"), ("N92.6", "irregular periods"), ("N92.6", "irregular menstruation"),
    ("N92.6", "irregular menstrual cycles"), ("N92.6", "irregular cycles"),
    *_sided(("ovarian endometrioma", "endometrioma of ovary", "endometrioma"), "N80.129", "N80.121", "N80.122",
            "N80.123"),
    ("R87.612", "lsil"), ("R87.613", "hsil"), ("R87.610", "asc us"), ("R87.610", "ascus"),
    ("R87.611", "asc h"), ("R87.810", "positive high risk hpv"), ("R87.810", "high risk hpv positive"),
    ("R87.810", "hr hpv positive"), ("R87.810", "positive hr hpv"),
    ("D25.0", "submucosal fibroid"), ("D25.0", "submucous fibroid"), ("D25.0", "submucosal leiomyoma"),
    ("D25.1", "intramural fibroid"), ("D25.2", "subserosal fibroid"), ("D25.2", "subserous fibroid"),
    ("D25.9", "uterine fibroids"),
    ("N97.0", "anovulation"), ("N97.0", "anovulatory infertility"), ("N97.0", "infertility due to anovulation"),
    ("N90.4", "vulvar lichen sclerosus"),
    # "Osteoarthritis, primary, carpometacarpal joint, first M18.-" as "OA of the thumb base" (CMC) by side.
    *_sided(("primary oa of first carpometacarpal joint", "oa of first carpometacarpal joint",
             "primary oa of first carpometacarpal joints", "oa of first carpometacarpal joints"),
            "M18.9", "M18.11", "M18.12", "M18.0"), ("N90.4", "lichen sclerosus of vulva"),
    ("Z30.430", "iud inserted"), ("Z30.430", "iud placed"), ("Z30.430", "iud placement"),
    ("Z01.419", "gyn exam"), ("Z01.419", "annual gyn exam"),
    ("Z01.419", "well woman visit"),
    # Encounters: examination, child (routine) Z00.129, as notes shorten it ("WCC", "well child check");
    # counseling, genetic Z71.83; examination, preprocedural Z01.818.
    ("Z00.129", "wcc"),
    ("Z00.129", "well baby check"), ("Z00.129", "well baby visit"), ("Z71.83", "genetic counseling"),
    ("Z01.818", "preop eval"),
    ("Z01.818", "preop clearance"), ("Z01.818", "preoperative clearance"),
    # Dislocation, shoulder, anterior S43.01-; Dependence, nicotine, chewing tobacco F17.220, benzodiazepine F13.20.
    *_sided(("anterior shoulder dislocation", "anterior dislocation of shoulder"), "S43.016A", "S43.014A", "S43.015A"),
    ("F17.220", "chewing tobacco dependence"), ("F17.220", "smokeless tobacco dependence"),
    ("F13.20", "benzodiazepine dependence"), ("Z91.014", "alpha gal syndrome"), ("Z91.014", "alpha gal allergy"),
    # Complications of care: Infection, surgical site (following a procedure) T81.4-, superficial incisional T81.41,
    # deep incisional T81.42, organ and space T81.43; Dehiscence, wound, operation, external T81.31; Infection, joint
    # prosthesis T84.5- and Loosening, prosthetic joint T84.03- (by joint and side); Displacement, cardiac electrode
    # (pacemaker lead) T82.120; Infection, gastrostomy K94.22, colostomy K94.02, enterostomy K94.12, tracheostomy J95.02.
    ("T81.40XA", "surgical site infection"), ("T81.40XA", "ssi"), ("T81.40XA", "postoperative wound infection"),
    ("T81.40XA", "infected surgical wound"), ("T81.40XA", "postop wound infection"),
    ("T81.41XA", "superficial incisional surgical site infection"), ("T81.41XA", "superficial incisional ssi"),
    ("T81.41XA", "superficial surgical site infection"), ("T81.42XA", "deep incisional surgical site infection"),
    ("T81.42XA", "deep incisional ssi"), ("T81.43XA", "organ space surgical site infection"),
    ("T81.43XA", "organ space ssi"), ("T81.31XA", "dehiscence of incision"), ("T81.31XA", "incisional dehiscence"),
    ("T81.31XA", "dehiscence of surgical wound"), ("T81.31XA", "surgical wound dehiscence"),
    ("T81.31XA", "wound dehiscence"), ("T81.31XA", "dehiscence of abdominal incision"),
    *_joint_complications(),
    ("T82.120A", "pacemaker lead dislodgement"), ("T82.120A", "pacemaker lead displacement"),
    ("T82.120A", "dislodged pacemaker lead"), ("T82.120A", "lead dislodgement"), ("T82.120A", "lead displacement"),
    ("T82.110A", "pacemaker lead fracture"),
    *((code, f"{what} {where}") for code, names in (("K94.22", ("gastrostomy", "g tube", "peg")),
                                                     ("K94.02", ("colostomy",)), ("K94.12", ("ileostomy", "enterostomy")),
                                                     ("J95.02", ("tracheostomy",)))
      for name in names for what, where in (("infected", f"{name} site"), ("infection of", f"{name} site"),
                                            (f"{name} site", "infection"), (f"{name} site", "cellulitis"),
                                            ("cellulitis around", f"{name} site"), ("cellulitis around", name),
                                            ("infected", name), (name, "infection"))),
    # Attention to artificial openings Z43.- (care, cleaning, changing a tube), aftercare following joint replacement
    # (services.coding.status adds Z47.1 for "aftercare" beside a replaced joint).
    *((code, f"{name} {care}") for code, names in (("Z43.0", ("tracheostomy", "trach")),
                                                    ("Z43.1", ("gastrostomy", "g tube", "peg tube")),
                                                    ("Z43.2", ("ileostomy",)), ("Z43.3", ("colostomy",)),
                                                    ("Z43.5", ("cystostomy", "suprapubic catheter")))
      for name in names for care in ("care", "replacement", "change", "exchange", "tube change", "revision")),
    # A level of the spine names its region (matcher.INDEX_TERMS); a herniated disc (HNP) with radiculopathy is a disc
    # disorder with radiculopathy, lumbar M51.16; degenerative disc disease is disc degeneration, lumbar M51.36- (by pain).
    ("M51.16", "lumbar hnp with radiculopathy"), ("M51.16", "lumbar herniated disc with radiculopathy"),
    ("M51.26", "lumbar hnp"), ("M51.369", "lumbar ddd"),
    ("M51.369", "lumbar degenerative disc disease"), ("M51.369", "degenerative disc disease of lumbar spine"),
    # Pressure-related: Findings, abnormal, coagulation (prolonged INR) R79.1; Pain, neoplasm related G89.3;
    # Osteoporosis with current pathological fracture, vertebra M80.08 (an osteoporotic compression fracture);
    # Disorder, <substance> use, mild (abuse) F1x.10, moderate or severe (dependence) F1x.20 (DSM-5 as ICD-10-CM
    # indexes it); Examination, newborn, under 8 days Z00.110 (8 to 28 days: services.coding.domain).
    ("R79.1", "supratherapeutic inr"), ("R79.1", "elevated inr"), ("R79.1", "high inr"), ("R79.1", "prolonged inr"),
    ("R79.1", "inr elevated"), ("G89.3", "cancer pain"), ("G89.3", "cancer related pain"),
    ("G89.3", "neoplasm related pain"), ("G89.3", "tumor related pain"), ("G89.3", "pain from bone metastases"),
    ("M80.08XA", "osteoporotic compression fracture"), ("M80.08XA", "osteoporotic vertebral fracture"),
    ("M80.08XA", "osteoporotic vertebral compression fracture"),
    *((f"{category}.{severity}0", f"{degree} {substance} use disorder")
      for category, names in (("F10", ("alcohol",)), ("F11", ("opioid", "opiate")), ("F12", ("cannabis", "marijuana")),
                              ("F13", ("sedative", "benzodiazepine")), ("F14", ("cocaine",)),
                              ("F15", ("stimulant", "methamphetamine", "amphetamine")))
      for substance in names for degree, severity in (("mild", "1"), ("moderate", "2"), ("severe", "2"))),
    # Lump, breast N63.0, by side N63.1- / N63.2- (quadrant unspecified); Lymphadenopathy, generalized R59.1; Anemia
    # due to antineoplastic chemotherapy D64.81; Neoplasm, unknown primary site C80.1; Adenoma, pituitary D35.2;
    # Syndrome, inappropriate secretion of antidiuretic hormone E22.2; Diabetes, due to underlying condition E08.-;
    # Diabetes, type 2, in remission E11.A; Hypoglycemia level 1-3 E16.A-; Pericarditis, acute idiopathic I30.0;
    # Tachycardia, atrioventricular nodal reentrant I47.19; Cardiomyopathy, dilated I42.0; Hypertension, pulmonary
    # I27.20, group 2 (due to left heart disease) I27.22, group 3 I27.23 (no essential hypertension: I10 is not them).
    *_sided(("mass of breast", "breast mass", "breast lump", "lump in breast"), "N63.0", "N63.10", "N63.20"),
    ("R59.1", "generalized lymphadenopathy"), ("D64.81", "chemo drug induced anemia"),
    ("D64.81", "chemotherapy drug induced anemia"), ("D64.81", "anemia due to chemotherapy drug"),
    ("D64.81", "anemia due to chemo drug"), ("C80.1", "unknownprimary"), ("C80.1", "cancer of unknownprimary"), ("D35.2", "prolactinoma"),
    ("D35.2", "pituitary adenoma"), ("D35.2", "pituitary microadenoma"), ("D35.2", "pituitary macroadenoma"),
    ("E22.2", "siadh"), ("E08.9", "diabetes due to underlying condition"),
    # "Sjögren syndrome, with keratoconjunctivitis M35.01" (keratoconjunctivitis sicca: the dry eye of Sjögren's).
    ("M35.01", "sjogren syndrome with dry eyes"), ("M35.01", "sjogren syndrome with dry eye"),
    ("M35.01", "sjogren syndrome with keratoconjunctivitis sicca"), ("M35.01", "sjogren with dry eyes"),
    # Infections, ENT, urology, neurology and women's health as notes name them: "Mononucleosis, infectious B27.90; Epstein-Barr B27.00",
    # "Exposure to tuberculosis Z20.1", "Graves' disease E05.00", "Nodule, vocal cord J38.2", "Incontinence, functional
    # R39.81", Parkinson's disease with (motor) fluctuations G20.A2, "Hypogonadism, male E29.1", menopausal
    # vasomotor symptoms N95.1.
    ("B27.00", "ebv mononucleosis"), ("B27.00", "ebv mono"), ("B27.00", "epstein barr mononucleosis"),
    ("B27.90", "infectious mononucleosis"), ("Z20.1", "tb exposure"), ("Z20.1", "exposure to tb"),
    ("Z20.1", "tuberculosis exposure"), ("E05.00", "graves hyperthyroidism"),
    # Visits: "Examination, annual (adult) (wellness)": Medicare's annual wellness visit Z00.00; the well-woman
    # gynecological examination Z01.419; a contraceptive implant inserted Z30.017.
    ("Z00.00", "medicare awv"), ("Z00.00", "medicare annual wellness visit"), ("Z01.419", "annual well woman"),
    ("Z30.017", "nexplanon inserted"), ("Z30.017", "nexplanon placed"), ("Z30.017", "contraceptive implant inserted"),
    ("J38.2", "vocal fold nodules"), ("J38.2", "nodules of vocal folds"), ("J38.2", "vocal cord nodules"),
    ("R39.81", "functional incontinence"), ("R39.81", "functional urinary incontinence"),
    ("G20.A2", "parkinson disease with wearing off"), ("G20.A2", "parkinson disease with motor fluctuations"),
    ("E29.1", "low testosterone"), ("E29.1", "male hypogonadism"), ("E29.1", "low t"),
    ("N95.1", "vasomotor symptoms of menopause"), ("N95.1", "menopausal vasomotor symptoms"),
    ("N95.1", "menopausal vms"), ("N95.1", "vasomotor sx of menopause"),
    ("N95.2", "genitourinary syndrome of menopause"),
    ("E16.A1", "level 1 hypoglycemia"), ("E16.A2", "level 2 hypoglycemia"), ("E16.A3", "level 3 hypoglycemia"),
    ("E24.2", "iatrogenic cushing syndrome"), ("E24.2", "iatrogenic cushing"), ("E24.2", "steroid induced cushing"),
    ("I30.0", "acute idiopathic pericarditis"), ("I30.0", "idiopathic pericarditis"), ("I47.19", "avnrt"),
    ("I47.19", "av nodal reentrant tachycardia"), ("I47.19", "atrioventricular nodal reentrant tachycardia"),
    ("I42.0", "dilated cmp"), ("I42.0", "nonischemic dilated cmp"), ("I42.0", "nonischemic dilated cardiomyopathy"),
    ("I27.20", "pulmonary htn"), ("I27.22", "group 2 pulmonary hypertension"), ("I27.22", "group 2 pulmonary htn"),
    ("I27.22", "group 2 ph"), ("I27.22", "pulmonary hypertension due to left heart disease"),
    ("I27.23", "group 3 pulmonary hypertension"), ("I27.23", "group 3 pulmonary htn"),
    *_sided(("achilles tendon rupture", "ruptured achilles tendon", "achilles rupture"), "S86.019A", "S86.011A",
            "S86.012A"),
    # Fracture, stress -- see Fracture, fatigue M84.3- (a metatarsal's: of the foot; a tibia's); Sprain, ankle,
    # talofibular ligament S93.49- ("other ligament"); Osgood-Schlatter disease: juvenile osteochondrosis of the tibia
    # tubercle M92.52-.
    *_sided(("stress fracture of metatarsal", "metatarsal stress fracture", "stress fracture of foot",
             *(f"stress fracture of {n} metatarsal bone foot" for n in ("first", "second", "third", "fourth", "fifth"))),
            "M84.376A", "M84.374A", "M84.375A"),
    *_sided(("stress fracture of tibia", "tibial stress fracture"), "M84.369A", "M84.361A", "M84.362A"),
    *_sided(("sprain of anterior talofibular ligament", "anterior talofibular ligament sprain",
             "sprain of talofibular ligament"), "S93.499A", "S93.491A", "S93.492A"),
    *_sided(("osgood schlatter disease", "osgood schlatter"), "M92.529", "M92.521", "M92.522", "M92.523"),
    # Pregnancy (the trimester follows the weeks: services.coding.domain._pregnancy): Diabetes, gestational, diet
    # controlled O24.410 (A1), unspecified control O24.419 (A2: the drug sets it); Hypertension, gestational
    # (pregnancy-induced) O13.-; Pre-eclampsia superimposed on pre-existing hypertension O11.-; Pregnancy, resulting
    # from assisted reproductive technology (IVF) O09.81-; Pregnancy, twin O30.0- by chorionicity; Incompetence,
    # cervix O34.3-; Abortion, threatened O20.0; Presentation, breech O32.1XX0; Postpartum follow-up Z39.2; Mastitis,
    # lactational (nonpurulent) O91.23; Isoimmunization, anti-D O36.01-; Pregnancy, supervision, history of molar
    # pregnancy O09.A-, of preterm labor O09.21-; Scar, cesarean, low transverse O34.211; Pregnancy, normal Z34.-.
    ("O24.410", "gdm a1"), ("O24.410", "a1gdm"), ("O24.410", "diet controlled gestational diabetes"),
    ("O24.410", "gestational diabetes diet controlled"), ("O24.410", "diet controlled gdm"), ("O24.410", "gdm diet controlled"),
    ("O24.419", "gdm a2"), ("O24.419", "a2gdm"), ("O24.419", "gestational dm"), ("O24.419", "gestational diabetes"),
    ("O13.9", "gestational hypertension"), ("O13.9", "gestational htn"), ("O13.9", "pregnancy induced hypertension"),
    ("O13.9", "pih"), ("O11.9", "superimposed preeclampsia"), ("O11.9", "preeclampsia superimposed on chronic hypertension"),
    ("O11.9", "superimposed preeclampsia on chronic htn"), ("O11.9", "superimposed preeclampsia on chronic hypertension"),
    ("O09.819", "ivf pregnancy"), ("O09.819", "pregnancy resulting from ivf"), ("O09.819", "ivf conception"),
    ("O30.049", "di di twin gestation"), ("O30.049", "di di twins"), ("O30.049", "dichorionic diamniotic twin gestation"),
    ("O30.049", "dichorionic diamniotic twin pregnancy"), ("O30.039", "mono di twin gestation"),
    ("O30.039", "mono di twins"), ("O30.039", "monochorionic diamniotic twin gestation"),
    ("O30.019", "mono mono twins"), ("O30.019", "monochorionic monoamniotic twin gestation"),
    ("O30.009", "twin gestation"), ("O30.009", "twin pregnancy"), ("O30.009", "twin iup"),
    ("O34.30", "cervical insufficiency"), ("O34.30", "incompetent cervix"), ("O34.30", "cervical incompetence"),
    ("O20.0", "threatened abortion"), ("O20.0", "threatened ab"), ("O20.0", "threatened miscarriage"),
    ("O32.1XX0", "breech presentation"), ("O32.1XX0", "frank breech"), ("O32.1XX0", "complete breech"),
    ("O32.1XX0", "footling breech"), ("Z39.2", "postpartum exam"), ("Z39.2", "postpartum check"),
    ("Z39.2", "postpartum visit"), ("O91.23", "lactational mastitis"), ("O91.23", "mastitis while breastfeeding"),
    ("O36.0190", "anti d alloimmunization"), ("O36.0190", "rh alloimmunization"), ("O36.0190", "anti d antibodies"),
    ("O36.0190", "rh isoimmunization"), ("O34.211", "low transverse cesarean scar"),
    ("Z34.90", "uncomplicated pregnancy"),
    ("Z34.90", "uncomplicated iup"),
    # Carrier, group B streptococcus Z22.330 (in pregnancy O99.820: services.coding.domain._in_pregnancy).
    ("Z22.330", "gbs positive"), ("Z22.330", "group b strep positive"), ("Z22.330", "gbs carrier"),
    ("Z22.330", "group b streptococcus carrier"), ("Z22.330", "gbs colonization"),
    ("Z00.110", "newborn well visit"), ("Z00.110", "newborn visit"), ("Z00.110", "newborn check"),
    ("Z00.110", "newborn exam"), ("Z00.110", "well newborn visit"),
    # Session 20. "Abortion, missed O02.1"; "Twin, dichorionic/diamniotic O30.04-" said of an IUP; "Colitis, Crohn's --
    # see Enteritis, regional, large intestine" (K50.10; its complications by services.coding.domain._by_their_axes);
    # "Leukemia, myeloid, acute C92.0-" (AML NOS), "chronic myeloid, BCR/ABL-positive C92.1-"; "Carcinomatosis,
    # peritonei C78.6"; "Insufficiency, adrenal, primary E27.1"; "Lymphedema, postmastectomy I97.2".
    ("O02.1", "missed ab"), ("O30.049", "dichorionic diamniotic twin iup"), ("O30.039", "monochorionic diamniotic twin iup"),
    ("O30.019", "monochorionic monoamniotic twin iup"), ("K50.10", "crohn colitis"), ("K50.10", "crohns colitis"),
    # "Exposure (to) ... viral hepatitis Z20.5" (a contact, no hepatitis).
    *(("Z20.5", f"hepatitis {kind} exposure") for kind in ("a", "b", "c")),
    # "Syndrome, tachycardia-bradycardia I49.5" (sick sinus).
    ("I49.5", "tachy brady syndrome"), ("I49.5", "tachycardia bradycardia syndrome"),
    ("K50.00", "crohn ileitis"), ("K50.00", "crohns ileitis"),  # "Ileitis, regional -- see Enteritis, regional, small"
    ("C92.00", "acute myeloid leukemia"), ("C92.00", "aml"), ("C92.10", "chronic myeloid leukemia"), ("C92.10", "cml"),
    ("C91.10", "chronic lymphocytic leukemia"), ("C78.6", "peritoneal carcinomatosis"),
    ("C78.6", "carcinomatosis peritonei"), ("E27.1", "primary adrenal insufficiency"),
    ("I97.2", "postmastectomy lymphedema"), ("I97.2", "post mastectomy lymphedema"),
    *((f"I65.2{digit}", f"stenosis of {side} carotid artery") for digit, side in (("1", "right"), ("2", "left"))),
    ("I65.23", "stenosis of bilateral carotid arteries"),
    # "Verruca vulgaris" is the common wart (B07.8), "herpes labialis" herpes simplex labialis (B00.1), "AKs" actinic
    # keratoses, an epidermal inclusion cyst the epidermal cyst (L72.0; "epidermoid cyst" is also K09.8's), an irritated seborrheic keratosis
    # the inflamed one (L82.0); a well adolescent visit a routine child health examination (Z00.129, to age 17);
    # long-term antibiotics Z79.2, other long-term drug therapy Z79.899.
    ("B07.8", "verruca vulgaris"), ("B00.1", "herpes labialis"), ("L57.0", "aks"), ("L72.0", "epidermal inclusion cyst"), ("L82.0", "irritated seborrheic keratosis"),
    ("Z00.129", "well adolescent visit"), ("Z00.129", "well adolescent exam"), ("Z00.129", "adolescent well visit"),
    ("Z79.2", "long term antibiotic use"), ("Z79.2", "long term antibiotic therapy"),
    ("Z79.899", "long term stimulant therapy"), ("Z79.899", "long term stimulant use"),
    # Travel counseling Z71.84; tobacco cessation counseling Z71.6; "Bereavement (uncomplicated) Z63.4"; preprocedural
    # cardiovascular (Z01.810) and respiratory (Z01.811) examinations.
    ("Z71.84", "pre travel consultation"), ("Z71.84", "travel consultation"), ("Z71.84", "travel counseling"),
    ("Z71.6", "counseled on smoking cessation"), ("Z71.6", "counseled on cessation"), ("Z71.6", "cessation counseling"),
    ("Z63.4", "bereavement"),
    # Session 21. "Swimmer's ear H60.33-" (an otitis externa named so); "Lipoma, skin, limb D17.2-, trunk D17.1, face
    # and neck D17.0"; "Cyst, epidermoid (see also Cyst, skin) L72.0" (K09.8 is the mouth's).
    *_sided(("swimmer's ear otitis externa", "otitis externa swimmer's ear"), "H60.339", "H60.331", "H60.332", "H60.333"),
    *_sided(("lipoma of upper limb", "lipoma of arm"), "D17.20", "D17.21", "D17.22"),
    *_sided(("lipoma of lower limb", "lipoma of leg"), "D17.20", "D17.23", "D17.24"),
    *(("D17.1", f"lipoma of {site}") for site in ("trunk", "back", "chest wall", "abdominal wall", "flank", "shoulder")),
    *(("D17.0", f"lipoma of {site}") for site in ("neck", "face", "scalp", "forehead")),
    # "Susceptibility to disease, genetic, malignant neoplasm, breast Z15.01": a BRCA carrier (the mutation above).
    *(("Z15.01", f"{gene} {what}") for gene in ("brca", "brca1", "brca2")
      for what in ("carrier", "mutation carrier", "pathogenic variant")),
    # "Examination, medical, adult, periodic (annual) (routine) Z00.0-": a Medicare annual wellness visit (AWV), the
    # initial preventive physical examination (IPPE, "Welcome to Medicare"), a preventive visit.
    *(("Z00.00", term) for term in ("awv", "awv subsequent", "awv initial", "annual wellness", "ippe", "welcome to medicare",
                                    "initial preventive physical examination", "preventive visit", "preventive exam",
                                    "wellness exam", "wellness visit", "annual preventive visit")),
    ("Z00.129", "well visit"),  # a pediatric note's "2 mo well visit" (an adult's is an annual or wellness visit)
    ("L72.0", "epidermoid cyst"), ("K09.8", "epidermoid cyst of mouth"), ("K09.8", "oral epidermoid cyst"),
    *((code, f"{pre} {system} {kind}") for code, system in (("Z01.810", "cardiovascular"), ("Z01.811", "respiratory"))
      for pre in ("preoperative", "preop") for kind in ("exam", "evaluation")),
    *((code, f"{ddd} with {pain}") for ddd in ("lumbar ddd", "lumbar degenerative disc disease")
      for code, pains in (("M51.360", ("discogenic back pain only", "discogenic back pain", "back pain only")),
                          ("M51.361", ("leg pain only", "lower extremity pain only", "radiating leg pain")),
                          ("M51.362", ("back and leg pain", "discogenic back pain and leg pain")))
      for pain in pains),
)

# An examination's "with abnormal findings" code where the note says so ("12-month well child visit - abnormal finding:
# Hgb 9.8", "complete physical with abnormal finding"): its "without" code's words and the finding (the "without"
# code's description excludes itself there, matcher.absent_words).
WITH_ABNORMAL_FINDINGS = {"Z00.00": "Z00.01", "Z00.129": "Z00.121", "Z01.419": "Z01.411"}
INDEX_ENTRIES += tuple((WITH_ABNORMAL_FINDINGS[code], f"{term} abnormal finding") for code, term in INDEX_ENTRIES
                       if code in WITH_ABNORMAL_FINDINGS)
