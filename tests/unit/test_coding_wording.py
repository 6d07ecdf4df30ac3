"""Wording the matcher must read as ICD-10-CM does: British spellings, one-word disease names, the default of a
leukemia's remission status, and lexicon entries as the Alphabetic Index sends them (session 5)."""

from __future__ import annotations

import pytest

from scribestream.evals.coding import as_draft
from services.coding.coder import code_note
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import (
    ALL_FINDINGS,
    OUTPATIENT,
    SUGGEST_MIN_CONFIDENCE,
    suggest_codes,
)
from services.coding.matcher import DescriptionIndex, clauses, term_words, tokens
from shared.contracts import ICD10CM_SYSTEM

pytestmark = pytest.mark.unit


def top(codeset: SimpleIcd10CmCodeSet, text: str, *, mode: str = OUTPATIENT) -> list[str]:
    """The suggestions (at or above the service's cut), best first."""
    got = suggest_codes(as_draft("t", text), codeset=codeset, mode=mode)
    return [s.code for s in got if s.confidence >= SUGGEST_MIN_CONFIDENCE]


@pytest.mark.parametrize(("british", "american"), [
    ("haematuria", "hematuria"), ("oedema", "edema"), ("coeliac", "celiac"), ("hypercholesterolaemia", "hypercholesterolemia"),
    ("ischaemic", "ischemic"), ("leukaemia", "leukemia"), ("tumour", "tumor"), ("paediatric", "pediatric"),
    ("oesophagitis", "esophagitis"), ("diarrhoea", "diarrhea"), ("dyspnoea", "dyspnea"), ("anaesthesia", "anesthesia"),
    ("faecal", "fecal"), ("hospitalisation", "hospitalization"),
])
def test_british_spellings_read_as_the_descriptions_american_ones(british: str, american: str) -> None:
    assert tokens(british) == tokens(american) == [american]


def test_a_one_letter_genus_abbreviation_is_no_clause_end() -> None:
    assert clauses("H. pylori and E.coli. Hepatitis C. Fever") == [["h", "pylori", "and", "e", "coli"], ["hepatitis", "c"], ["fever"]]


def test_words_that_merely_contain_the_letters_are_left_alone() -> None:
    assert tokens("aeruginosa aerobic does goes") == ["aeruginosa", "aerobic", "doe", "goe"]


@pytest.mark.parametrize(("text", "code"), [
    ("Haematuria.", "R31.9"), ("Leukaemia.", "C95.90"), ("Ischaemic heart disease.", "I25.9"),
    ("Hypercholesterolaemia.", "E78.00"), ("Coeliac disease.", "K90.0"),
])
def test_a_uk_note_is_coded_like_a_us_one(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


@pytest.mark.parametrize(("text", "code"), [
    ("Celiac disease.", "K90.0"), ("Liver disease.", "K76.9"), ("Crohn's disease.", "K50.90"), ("Prostate disorder.", "N42.9"),
])
def test_a_one_word_disease_name_reaches_its_code(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_the_disease_word_is_required_and_never_evidence_alone() -> None:
    index = DescriptionIndex([
        ("K90.0", "Celiac disease"), ("N42.9", "Disorder of prostate, unspecified"), ("N13.39", "Other hydronephrosis"),
        *((f"X{i:03d}", f"filler{i} thing{i}") for i in range(100)),
    ])
    assert [m.code for m in index.matches(set(tokens("celiac disease")))] == ["K90.0"]
    assert index.matches(set(tokens("celiac artery"))) == []  # the disease word is not said
    assert [m.code for m in index.matches(set(tokens("disorder of the prostate")))] == ["N42.9"]
    # "Other X" stays a vague catch-all: never reached by naming X.
    assert index.matches(set(tokens("hydronephrosis"))) == []
    # "disease" alone is no partial evidence for any "X disease".
    assert index.partial_matches(set(tokens("a rare disease"))) == []


def test_not_having_achieved_remission_is_the_default_not_a_requirement() -> None:
    assert term_words("Chronic lymphocytic leukemia of B-cell type not having achieved remission") == tokens(
        "Chronic lymphocytic leukemia of B-cell type")
    assert term_words("Chronic lymphocytic leukemia of B-cell type in remission") == tokens(
        "Chronic lymphocytic leukemia of B-cell type in remission")


@pytest.mark.parametrize(("text", "code"), [
    # ICD-10-CM Alphabetic Index defaults (the lexicon used to send these to a neighbouring code).
    ("High cholesterol.", "E78.00"), ("Hyperlipidemia.", "E78.5"), ("Emphysema.", "J43.9"), ("Sinusitis.", "J32.9"),
    ("Acute sinusitis.", "J01.90"), ("Bronchitis.", "J40"), ("Acute bronchitis.", "J20.9"), ("Hay fever.", "J30.1"),
    ("Sleep apnea.", "G47.30"), ("Obstructive sleep apnea.", "G47.33"), ("Heartburn.", "R12"), ("Acne.", "L70.9"),
    ("Numbness.", "R20.0"), ("Pulmonary tuberculosis.", "A15.0"), ("Rectal bleeding.", "K62.5"),
    ("Chronic lymphocytic leukemia.", "C91.10"),
])
def test_lexicon_follows_the_index(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert codeset.is_billable(code)
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert top(codeset, text, mode=mode)[:1] == [code]


def test_denied_celiac_disease_gives_no_code(codeset: SimpleIcd10CmCodeSet) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert "K90.0" not in [s.code for s in suggest_codes(as_draft("t", "Denies celiac disease."), codeset=codeset,
                                                             mode=mode, min_confidence=0.0)]


@pytest.mark.parametrize(("text", "code"), [
    # Guideline I.C.6.a: the side without dominance is dominant on the right, nondominant on the left.
    ("Left hemiparesis.", "G81.94"), ("Right hemiplegia.", "G81.91"),
    ("Hemiplegia affecting the right nondominant side.", "G81.93"),
    # Index "see" references and curated terms.
    ("Paraparesis.", "G82.20"), ("Hypoacusis.", "H91.90"), ("Diaphoresis.", "R61"), ("Emesis.", "R11.10"),
    ("Mastalgia.", "N64.4"),
])
def test_index_conventions_for_weakness_and_symptoms(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_dominance_is_only_required_against_the_default() -> None:
    assert "nondominant" not in term_words("Hemiplegia, unspecified affecting left nondominant side")
    assert "dominant" not in term_words("Hemiplegia, unspecified affecting right dominant side")
    assert "nondominant" in term_words("Hemiplegia, unspecified affecting right nondominant side")
    assert "dominant" in term_words("Hemiplegia, unspecified affecting left dominant side")


@pytest.mark.parametrize(("text", "code"), [
    # "Laceration without foreign body of left index finger ...": the absence before the site goes, the site stays.
    ("Laceration of the left index finger.", "S61.211A"),
    ("Puncture wound of the right great toe.", "S91.131A"),
    # Guideline I.C.19.c.1: a fracture not documented as open or closed is closed (initial encounter, not sequela);
    # an open fracture of undocumented type is type I or II.
    ("Displaced fracture of the olecranon process of the left ulna.", "S52.022A"),
    ("Open fracture of the left ulna olecranon process, displaced.", "S52.022B"),
])
def test_injury_descriptions_keep_their_site_and_defaults(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_an_injury_code_needs_the_kind_of_harm_in_the_note(codeset: SimpleIcd10CmCodeSet) -> None:
    # "Other injury of celiac artery" covered "celiac artery" but not "injury": a stenosis is no injury.
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert not [c for c in top(codeset, "Celiac artery stenosis.", mode=mode) if c.startswith(("S", "T"))]
    assert top(codeset, "Contusion of the left knee.")[:1] == ["S80.02XA"]


@pytest.mark.parametrize(("text", "code"), [
    # Alphabetic Index entries whose Tabular descriptions lack the clinician's word (lexicon.INDEX_ENTRIES).
    ("A renal mass was found.", "N28.89"), ("Mass in the left kidney.", "N28.89"), ("Pulmonary mass.", "R91.8"),
    ("Splenic enlargement.", "R16.1"), ("Enlarged liver.", "R16.0"), ("Enlarged heart on chest x-ray.", "I51.7"),
    ("Enlarged thyroid.", "E04.9"), ("Dilatation of the right ureter.", "N28.82"), ("Dilated bile duct.", "K83.8"),
    ("Thyroid nodule.", "E04.1"), ("Hiatal hernia.", "K44.9"), ("Anogenital warts.", "A63.0"),
    ("Liver metastases.", "C78.7"), ("Hepatic metastases.", "C78.7"), ("Chronic hepatitis C.", "B18.2"),
    ("Hepatitis C.", "B19.20"), ("Liver failure.", "K72.90"),
    # "Tumor -- see Neoplasm, unspecified behavior, by site", unless the behavior is documented.
    ("Kidney tumor.", "D49.519"), ("Bladder tumour.", "D49.4"), ("Benign tumor of the kidney.", "D30.00"),
])
def test_index_entries_beyond_the_tabular_wording(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_a_documented_behavior_keeps_a_tumor_out_of_the_unspecified_behavior_codes(codeset: SimpleIcd10CmCodeSet) -> None:
    assert not [c for c in top(codeset, "Malignant tumor of the bladder.") if c.startswith("D49")]
    assert not [c for c in top(codeset, "No renal mass.") if c == "N28.89"]


@pytest.mark.parametrize(("text", "code"), [
    # "Malignant neoplasm of left kidney, except renal pelvis": the "except" clause is not asked of the note.
    ("Clear cell carcinoma of the left kidney.", "C64.2"), ("Renal carcinoma.", "C64.9"),
    ("Carcinoma of the renal pelvis.", "C65.9"),
    # Same words, "Other ..." against unspecified/NOS: a note that names nothing more is the unspecified code.
    ("Viral enteritis.", "A08.4"), ("Bacterial infection.", "A49.9"), ("Tumor.", "D49.9"),
])
def test_except_clauses_and_residual_categories(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_a_tumor_whose_behavior_is_documented_at_that_site_is_not_also_unspecified_behavior(
    codeset: SimpleIcd10CmCodeSet,
) -> None:
    both = top(codeset, "Left kidney tumor. Pathology: clear cell carcinoma of the left kidney.")
    assert "C64.2" in both and not [c for c in both if c.startswith("D49")]
    # Another site's cancer says nothing of this tumor's behavior.
    assert {"C50.919", "D49.519"} <= set(top(codeset, "Kidney tumor. Carcinoma of the breast."))
    # Tumor markers are a laboratory test, not a tumor.
    assert not [c for c in top(codeset, "Tumor markers were within normal limits.") if c.startswith("D4")]


@pytest.mark.parametrize(("text", "code"), [
    # How long the presenting complaint has lasted is no past history ...
    ("A 2-week history of low back pain.", "M54.50"), ("3 days history of fever.", "R50.9"),
    ("She was admitted with a 2-month history of dry cough.", "R05.9"),
    # ... while years of it still read as an old condition, and "history of" alone as past history.
    ("A 3-year history of myocardial infarction.", "I25.2"), ("History of myocardial infarction.", "I25.2"),
])
def test_a_duration_before_history_of_is_the_current_complaint(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


@pytest.mark.parametrize(("text", "code"), [
    # Index "Elevated, elevation": what is raised, in the words notes use for it.
    ("Increased transaminases.", "R74.01"), ("Hypertransaminemia.", "R74.01"), ("Elevated LDH.", "R74.02"),
    ("Raised amylase.", "R74.8"), ("High triglycerides.", "E78.1"), ("Increased CRP.", "R79.82"),
    # "Infarct, myocardial, ST elevation (STEMI) I21.3; non-ST elevation (NSTEMI) I21.4" ("non" is no negation here).
    ("ST elevation myocardial infarction.", "I21.3"), ("Non-ST elevation myocardial infarction.", "I21.4"),
    ("NSTEMI.", "I21.4"), ("Myocardial infarction.", "I21.9"), ("History of STEMI.", "I25.2"),
])
def test_elevated_findings_and_myocardial_infarction_types(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


@pytest.mark.parametrize(("text", "code"), [
    # Everyday outpatient wording (Index entries and curated terms): the condition is named, the limb, ligament or
    # part of the intestine is not, or is named in other words.
    ("Carpal tunnel syndrome.", "G56.00"), ("Right carpal tunnel syndrome.", "G56.01"),
    ("Left rotator cuff tear.", "M75.102"), ("Ankle sprain.", "S93.409A"), ("Sprained right ankle.", "S93.401A"),
    ("Diverticulitis.", "K57.92"), ("Diverticulitis of the sigmoid colon.", "K57.32"), ("Sigmoid diverticulosis.", "K57.30"),
    ("Shingles.", "B02.9"), ("PTSD.", "F43.10"), ("SVT.", "I47.10"), ("PCOS.", "E28.2"), ("Ingrown toenail.", "L60.0"),
    ("Skin tag.", "L91.8"), ("Basal cell carcinoma.", "C44.91"), ("Melanoma.", "C43.9"),
    ("Acute lumbar strain.", "S39.012A"), ("Kidney disease.", "N28.9"), ("Polycystic kidney disease.", "Q61.3"),
    ("Difficulty urinating.", "R39.198"), ("Melanoma in situ.", "D03.9"), ("Left kidney cancer.", "C64.2"),
    ("Renal cell carcinoma of the left kidney.", "C64.2"),
    # Index "History, personal, malignant neoplasm": the site's own code, not the catch-all Z85.9.
    ("History of basal cell carcinoma.", "Z85.828"), ("History of skin cancer.", "Z85.828"),
    ("History of melanoma.", "Z85.820"), ("History of bladder cancer.", "Z85.51"), ("History of thyroid cancer.", "Z85.850"),
    ("History of cervical cancer.", "Z85.41"), ("History of kidney cancer.", "Z85.528"), ("History of pneumonia.", "Z87.01"),
])
def test_everyday_outpatient_wording(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


# Session 7: "non" is a prefix; prevention is not presence; a symptom word inside a diagnosis' description.
@pytest.mark.parametrize(("text", "code"), [
    ("Stage III non-small cell lung cancer.", "C34.90"), ("Non-Hodgkin lymphoma.", "C85.90"),
    ("Non-alcoholic fatty liver disease.", "K76.0"), ("Non-ischemic cardiomyopathy.", "I42.9"),
    ("Non-obstructive coronary artery disease.", "I25.10"), ("Non-insulin dependent diabetes mellitus.", "E11.9"),
    ("Non-productive cough.", "R05.9"), ("Non-toxic multinodular goiter.", "E04.2"),
])
def test_non_is_a_prefix_not_a_negation(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_non_joins_its_word_as_icd_10_cm_writes_it() -> None:
    assert tokens("non-alcoholic") == tokens("nonalcoholic") == ["nonalcoholic"]
    assert tokens("Non-Hodgkin lymphoma") == ["nonhodgkin", "lymphoma"]
    assert tokens("non 2") == ["non", "2"]


@pytest.mark.parametrize("text", [
    "Abdomen is soft, non-tender, non-distended.", "The patient is a non-smoker.", "Non-diabetic.",
])
def test_a_non_word_codes_nothing_of_its_stem(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert top(codeset, text) == []


@pytest.mark.parametrize("text", [
    "We will use a lidocaine solution to prevent dehydration.", "Prophylaxis against pneumonia.",
    "The solution will be beneficial in preventing dehydration.", "We discussed that diabetes can lead to kidney disease.",
])
def test_what_a_treatment_prevents_or_a_condition_can_cause_is_not_coded(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert not {"E86.0", "J18.9", "N28.9", "N18.9"} & set(top(codeset, text))


@pytest.mark.parametrize(("text", "code", "not_also"), [
    ("Gastrointestinal hemorrhage.", "K92.2", "R58"), ("Subarachnoid hemorrhage.", "I60.9", "R58"),
    ("Intracerebral hemorrhage.", "I61.9", "R58"), ("Right upper quadrant abdominal pain.", "R10.11", "R10.9"),
])
def test_a_diagnosis_whose_description_holds_the_symptom_word_replaces_the_symptom(
    codeset: SimpleIcd10CmCodeSet, text: str, code: str, not_also: str,
) -> None:
    got = top(codeset, text)
    assert got[:1] == [code] and not_also not in got


@pytest.mark.parametrize(("text", "code"), [("Hemorrhage.", "R58"), ("Chest pain.", "R07.9"), ("Headache.", "R51.9")])
def test_a_symptom_alone_keeps_its_code(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text) == [code]


def test_nontraumatic_is_a_nonessential_modifier() -> None:
    assert term_words("Nontraumatic subarachnoid hemorrhage, unspecified") == ["subarachnoid", "hemorrhage", "unspecified"]


@pytest.mark.parametrize(("text", "code"), [
    ("Patient presents with symptoms similar to a tension headache.", "G44.209"),
    ("Chest x-ray consistent with pneumonia.", "J18.9"), ("Findings compatible with appendicitis.", "K37"),
    ("We will start Flomax 0.4 mg at night to avoid dizziness.", "R42"),
])
def test_guideline_iv_h_uncertain_terms_are_not_coded_outpatient(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert code not in top(codeset, text)


@pytest.mark.parametrize(("text", "code", "not_also"), [
    ("Pulmonary hypertension.", "I27.20", "I10"), ("Portal hypertension.", "K76.6", "I10"),
    ("Secondary hypertension.", "I15.9", "I10"), ("Intracranial hypertension.", "G93.2", "I10"),
    ("Gestational diabetes.", "O24.419", "E11.9"), ("Steroid induced diabetes.", "E09.9", "E11.9"),
    ("Viral pneumonia.", "J12.9", "J18.9"), ("Aspiration pneumonia.", "J69.0", "J18.9"),
    ("Congenital hypothyroidism.", "E03.1", "E03.9"), ("Alcoholic hepatitis.", "K70.10", "K75.9"),
    ("Septic arthritis of the right knee.", "M00.9", "M17.11"), ("Psoriatic arthritis.", "L40.50", "M19.90"),
    ("Exercise induced asthma.", "J45.990", "J45.909"), ("COPD exacerbation.", "J44.1", "J44.9"),
    ("Low back pain with sciatica.", "M54.40", "M54.50"), ("Mild intermittent asthma.", "J45.20", "J45.909"),
])
def test_a_qualifier_the_curated_term_lacks_names_the_code(
    codeset: SimpleIcd10CmCodeSet, text: str, code: str, not_also: str,
) -> None:
    got = top(codeset, text)
    assert got[:1] == [code] and not_also not in got


@pytest.mark.parametrize(("text", "codes"), [
    ("Type 2 diabetes mellitus without complications.", ["E11.9"]), ("Fatty liver disease.", ["K76.0"]),
    ("Type 2 diabetes with chronic kidney disease.", ["E11.22", "N18.9"]), ("Hypertension.", ["I10"]),
    ("Malignant hypertension.", ["I10"]), ("Arthritis.", ["M19.90"]),
])
def test_a_description_that_only_restates_the_curated_term_changes_nothing(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "code"), [
    ("Reflux.", "K21.9"), ("Painful swallowing.", "R13.10"), ("Recurrent lung infections.", "J18.9"),
    ("Right patellofemoral pain syndrome.", "M22.2X1"), ("Right knee MCL strain.", "S83.411A"), ("Left ACL tear.", "S83.512A"),
    ("B12 deficiency.", "E53.8"),
])
def test_outpatient_problem_headings(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


@pytest.mark.parametrize(("text", "code"), [
    ("Urinary tract infection in pregnancy.", "O23.40"), ("Cellulitis of the right leg.", "L03.115"),
    ("Graves disease.", "E05.00"), ("Osteopenia.", "M85.80"), ("Parkinson's disease.", "G20.A1"),
    ("Deep vein thrombosis of the left leg.", "I82.402"), ("Anemia of chronic disease.", "D63.8"),
    ("Stress incontinence.", "N39.3"), ("Breast cancer of the left breast.", "C50.912"),
    ("Helicobacter pylori infection.", "A04.8"), ("HIV.", "B20"), ("HIV positive.", "Z21"),
    ("Hypertriglyceridemia.", "E78.1"), ("Diabetic foot ulcer.", "E11.621"), ("Hot flashes.", "R23.2"),
    ("Cluster headache.", "G44.009"), ("Benign paroxysmal positional vertigo.", "H81.10"),
    ("Ear infection in the right ear.", "H66.91"), ("Chest pain, atypical.", "R07.89"),
    ("Hashimoto thyroiditis.", "E06.3"), ("GERD with esophagitis.", "K21.00"),
])
def test_everyday_names_the_index_sends_elsewhere(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_hiv_negative_codes_nothing(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "HIV test was negative.") == []


@pytest.mark.parametrize("text", ["Flu vaccine given today.", "Influenza vaccine administered.", "COVID-19 vaccine booster."])
def test_a_vaccine_is_not_the_disease_it_prevents(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert not {"J11.1", "U07.1"} & set(top(codeset, text))


def test_screening_colonoscopy(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "Screening colonoscopy.") == ["Z12.11"]


def test_a_normal_result_is_no_finding_but_what_follows_it_may_be(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "His white blood cell count was within normal limits.") == []
    assert top(codeset, "His EKG was normal, but ejection fraction on echocardiogram was abnormal.") == ["R93.1"]


@pytest.mark.parametrize(("text", "codes"), [
    ("He used to smoke.", ["Z87.891"]), ("My mom has diabetes.", ["Z83.3"]), ("Father had a stroke.", ["Z82.3"]),
    ("Mother has diabetes and he has hypertension.", ["I10", "Z83.3"]), ("Denies any history of cancer.", []),
    ("We will check for anemia.", []), ("The chest pain is gone now.", []),
    ("I had a heart attack five years ago.", ["I25.2"]), ("He had pneumonia 2 years ago.", ["Z87.01"]),
    ("Chest pain started 2 weeks ago.", ["R07.9"]), ("Started metformin 2 years ago for diabetes.", ["E11.9", "Z79.84"]),
])
def test_how_patients_and_clinicians_say_past_family_and_gone(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_negation_cue_before_or_doubts_nothing_after_however(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "Denies fever or chills, however endorses cough.") == ["R05.9"]
    assert top(codeset, "Possible pneumonia or bronchitis.") == []


@pytest.mark.parametrize(("text", "code"), [
    ("Primary osteoarthritis of the left hip.", "M16.12"), ("Bilateral hip osteoarthritis.", "M16.0"),
    ("Fracture of the right wrist.", "S62.101A"), ("Frequent urination.", "R35.0"),
    ("Vaginal yeast infection.", "B37.31"), ("Bacterial vaginosis.", "N76.0"), ("Gallstones.", "K80.20"),
    ("Vitamin D insufficiency.", "E55.9"), ("Alcohol abuse.", "F10.10"), ("Cannabis use.", "F12.90"),
    ("Warts.", "B07.9"), ("Genital warts.", "A63.0"), ("Hives.", "L50.9"),
])
def test_common_outpatient_problems(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


@pytest.mark.parametrize(("text", "code"), [
    ("Aortic stenosis.", "I35.0"), ("Mitral regurgitation.", "I34.0"), ("Tricuspid regurgitation.", "I07.1"),
    ("Carotid artery stenosis.", "I65.29"), ("Pulmonary nodule.", "R91.1"), ("Lupus.", "M32.9"),
    ("Sjögren syndrome.", "M35.00"), ("Sjogren syndrome.", "M35.00"), ("Pernicious anemia.", "D51.0"),
    ("MGUS.", "D47.2"), ("Type 2 diabetes with diabetic nephropathy.", "E11.21"),
    ("History of colon polyps.", "Z86.0100"), ("Colon polyps.", "K63.5"), ("Congenital stenosis of aorta.", "Q25.1"),
])
def test_cardiology_rheumatology_and_history_wording(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text)[:1] == [code]


def test_accents_fold_as_the_descriptions_spell_them() -> None:
    assert tokens("Sjögren Ménière") == tokens("Sjogren Meniere") == ["sjogren", "meniere"]


@pytest.mark.parametrize(("text", "codes"), [
    ("Croup.", ["J05.0"]), ("Fifth disease.", ["B08.3"]), ("Head lice.", ["B85.0"]), ("Strep pharyngitis.", ["J02.0"]),
    ("Mononucleosis.", ["B27.90"]), ("Cold sore.", ["B00.1"]), ("Genital herpes.", ["A60.00"]),
    ("Chlamydia.", ["A74.9"]), ("Gonorrhea.", ["A54.9"]), ("Trichomonas.", ["A59.9"]),
    ("COVID-19 pneumonia.", ["J12.82", "U07.1"]), ("Long COVID.", ["U09.9"]), ("Post-COVID condition.", ["U09.9"]),
    ("History of COVID.", ["Z86.16"]),
])
def test_infections_of_primary_care(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize(("text", "codes"), [
    ("Opioid dependence on buprenorphine.", ["F11.20"]), ("Opioid use disorder.", ["F11.20"]),
    ("Nicotine dependence, cigarettes.", ["F17.210"]), ("Dry eye.", ["H04.129"]), ("Blepharitis.", ["H01.009"]),
    ("Sty.", ["H00.019"]), ("Drinks alcohol socially.", []),
])
def test_substance_use_and_eye_wording(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "code"), [
    ("White coat hypertension.", "R03.0"), ("Prehypertension.", "R03.0"), ("Venous insufficiency.", "I87.2"),
    ("Raynaud's phenomenon.", "I73.00"), ("Bee sting.", "T63.441A"), ("Frequent falls.", "R29.6"),
    ("Gait abnormality.", "R26.9"), ("Back spasm.", "M62.830"), ("Neck strain.", "S16.1XXA"),
    ("Right tennis elbow.", "M77.11"), ("Golfer's elbow.", "M77.00"), ("Left frozen shoulder.", "M75.02"),
])
def test_musculoskeletal_and_vascular_everyday_names(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert top(codeset, text) == [code]


@pytest.mark.parametrize(("text", "codes"), [
    ("Chronic bronchitis.", ["J42"]),  # J40 names "chronic" only as "not specified as acute or chronic"
    ("Bronchitis.", ["J40"]), ("Acute bronchitis.", ["J20.9"]),
    ("Ischemic heart disease.", ["I25.9"]), ("Ischemic cardiopathy.", ["I25.9"]),  # not atherosclerotic I25.10
    ("Coronary artery disease.", ["I25.10"]),
    ("Renoureteral colic.", ["N23"]), ("Left renal colic.", ["N23"]), ("Abdominal colic.", ["R10.83"]),
    ("Anemia secondary to chronic kidney disease.", ["D63.1", "N18.9"]),  # Index: Anemia, in chronic kidney disease
    ("Anemia of chronic kidney disease stage 4.", ["D63.1", "N18.4"]),
    ("Iron deficiency anemia. Chronic kidney disease.", ["D50.9", "N18.9"]),
    ("Diverticulosis.", ["K57.90"]), ("Diverticulosis of the colon.", ["K57.30"]), ("Peptic ulcer disease.", ["K27.9"]),
    ("Migraine without aura.", ["G43.009"]), ("Migraine with aura.", ["G43.109"]), ("Migraine.", ["G43.909"]),
    ("Clostridium difficile colitis.", ["A04.72"]), ("C. diff colitis.", ["A04.72"]),  # not K52.9
    ("H. pylori infection.", ["A04.8"]),  # "H." is no clause end
    ("Lumbar disc herniation.", ["M51.26"]), ("Herniated cervical disc.", ["M50.20"]),
    ("Otitis externa.", ["H60.90"]), ("Otitis externa of the left ear.", ["H60.92"]),  # no code before
    ("Cellulitis of the left foot.", ["L03.116"]),  # Index: Cellulitis, foot -- see lower limb (was L03.90)
    ("Abscess of the right axilla.", ["L02.411"]), ("Left axillary abscess.", ["L02.412"]),
    ("Menopause.", ["Z78.0"]), ("Symptomatic menopause.", ["N95.1"]), ("Uterine fibroids.", ["D25.9"]),
    ("Elevated PSA.", ["R97.20"]), ("PSA was normal.", []), ("Simple renal cyst.", ["N28.1"]),
    # "Disease, Alzheimer's G30.9 [F02.80]": the Index pairs the disease with its dementia (session 15; was G30.9 alone)
    ("Alzheimer disease.", ["G30.9", "F02.80"]), ("Alzheimer's disease.", ["G30.9", "F02.80"]),
    ("Cocaine use.", ["F14.90"]), ("Septic shock.", ["A41.9", "R65.21"]),  # was R57.9 (shock, unspecified)
    ("Septic shock due to pneumonia.", ["A41.9", "J18.9", "R65.21"]), ("No septic shock.", []),
    ("Annual physical exam.", ["Z00.00"]), ("Well child check.", ["Z00.129"]), ("Encounter for immunization.", ["Z23"]),
    ("Screening mammogram.", ["Z12.31"]), ("Medication refill.", ["Z76.0"]), ("Fall risk.", ["Z91.81"]),
    ("Advance care planning discussed.", ["Z71.89"]), ("Neuropathic pain.", ["M79.2"]), ("Muscle cramps.", ["R25.2"]),
    ("Blood in stool.", ["K92.1"]), ("No blood in stool.", []), ("Occult blood in stool.", ["R19.5"]),
    ("Ear pain, left.", ["H92.02"]), ("Right otalgia.", ["H92.01"]),
    ("Fracture of the right distal radius.", ["S52.501A"]), ("Hip fracture.", ["S72.009A"]),
    ("Multiple rib fractures on the left.", ["S22.42XA"]), ("Whiplash.", ["S13.4XXA"]), ("Teething.", ["K00.7"]),
    ("Bronchiolitis.", ["J21.9"]), ("Pinworms.", ["B80"]), ("Right cerumen impaction.", ["H61.21"]),
    ("Bilateral otitis media with effusion.", ["H65.93"]), ("No fracture.", []),
    ("Mitral valve prolapse.", ["I34.1"]), ("First degree AV block.", ["I44.0"]), ("Pericarditis.", ["I31.9"]),
    ("Acute pericarditis.", ["I30.9"]), ("Endocarditis.", ["I38"]), ("Infective endocarditis.", ["I33.0"]),
    ("Anemia due to blood loss.", ["D50.0"]), ("Acute blood loss anemia.", ["D62"]),  # not D64.9
    ("Latent tuberculosis.", ["Z22.7"]),  # not A15.9, active tuberculosis
    ("MRSA infection.", ["A49.02"]), ("MRSA colonization.", ["Z22.322"]),
    ("Pancreatic cancer.", ["C25.9"]), ("Liver cancer.", ["C22.9"]), ("Endometrial cancer.", ["C54.1"]),  # no code before
    ("Lymphoma.", ["C85.90"]), ("Hodgkin lymphoma.", ["C81.90"]), ("Diffuse large B-cell lymphoma.", ["C83.30"]),
    ("MALT lymphoma.", ["C88.40"]), ("History of lymphoma.", ["Z85.72"]), ("Melanoma of the back.", ["C43.59"]),
    ("Basal cell carcinoma of the nose.", ["C44.311"]), ("BRCA1 positive.", ["Z15.01"]),
    ("Bile duct cancer.", ["C24.9"]), ("Oral cancer.", ["C06.9"]), ("Bone cancer.", ["C41.9"]),
    ("Adrenal cancer.", ["C74.90"]), ("Vulvar cancer.", ["C51.9"]), ("Anal cancer.", ["C21.0"]),
    ("Sarcoma.", ["C49.9"]), ("Kaposi's sarcoma.", ["C46.9"]), ("Ewing sarcoma.", ["C41.9"]),
    ("Lupus nephritis.", ["M32.14"]), ("IgA nephropathy.", ["N02.8"]), ("Nephrotic syndrome.", ["N04.9"]),
    ("Glomerulonephritis.", ["N05.9"]), ("Membranous glomerulonephritis.", ["N05.2"]),
    ("Ankylosing spondylitis.", ["M45.9"]), ("Scleroderma.", ["M34.9"]), ("Vasculitis.", ["I77.6"]),
    ("ANCA vasculitis.", ["I77.82"]), ("Huntington disease.", ["G10"]), ("Amyotrophic lateral sclerosis.", ["G12.21"]),
    ("Encephalitis.", ["G04.90"]), ("Herpes encephalitis.", ["B00.4"]), ("Brain abscess.", ["G06.0"]),
    ("Subdural hematoma.", ["I62.00"]), ("Traumatic subdural hematoma.", ["S06.5X0A"]), ("Dysarthria.", ["R47.1"]),
    ("Gestational diabetes.", ["O24.419"]), ("History of gestational diabetes.", ["Z86.32"]),  # was E11.9
    ("Alcohol abuse.", ["F10.10"]), ("History of alcohol abuse.", ["F10.11"]),  # in remission
    ("Adrenal insufficiency.", ["E27.40"]), ("Cushing's syndrome.", ["E24.9"]), ("Failure to thrive.", ["R62.51"]),
    ("Adult failure to thrive.", ["R62.7"]), ("Developmental delay.", ["R62.50"]), ("Speech delay.", ["F80.9"]),
    ("Anaphylaxis.", ["T78.2XXA"]), ("Angioedema.", ["T78.3XXA"]), ("Jet lag.", ["G47.25"]),
    ("Pseudogout.", ["M11.20"]), ("De Quervain tenosynovitis.", ["M65.4"]), ("Right Baker's cyst.", ["M71.21"]),
    ("Meniscus tear of the right knee.", ["S83.206A"]), ("Osteomyelitis.", ["M86.9"]),
    ("Chronic osteomyelitis.", ["M86.60"]), ("TMJ disorder.", ["M26.609"]), ("Dupuytren contracture.", ["M72.0"]),
    ("Left bunion.", ["M20.12"]), ("Flat feet.", ["M21.40"]), ("Morton neuroma.", ["G57.60"]),
    ("Vertebral compression fracture.", ["M48.50XA"]), ("Osteoporotic fracture.", ["M80.00XA"]),
    ("Iron overload.", ["E83.119"]), ("B12 deficiency anemia.", ["D51.9"]), ("Coagulopathy.", ["D68.9"]),
    ("Vaginal bleeding.", ["N93.9"]), ("Heavy menstrual bleeding.", ["N92.0"]), ("Pelvic pain.", ["R10.20"]),
    ("Breast pain.", ["N64.4"]), ("Female infertility.", ["N97.9"]), ("Contraception counseling.", ["Z30.09"]),
    ("Pregnancy test positive.", ["Z32.01"]), ("Hyperemesis gravidarum.", ["O21.0"]), ("Pre-eclampsia.", ["O14.90"]),
    ("Postpartum hemorrhage.", ["O72.1"]), ("No vaginal bleeding.", []),  # was R58
])
def test_everyday_problem_names_read_as_the_index_sends_them(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize(("text", "codes"), [
    ("Gastric ulcer.", ["K25.9"]), ("Duodenal ulcer.", ["K26.9"]), ("PUD.", ["K27.9"]),  # no code before
    ("Gastric ulcer with hemorrhage.", ["K25.4"]), ("Bleeding duodenal ulcer.", ["K26.4"]),  # not R58 beside it
    ("Perforated peptic ulcer.", ["K27.5"]), ("History of peptic ulcer disease.", ["Z87.11"]),
    ("Gastritis.", ["K29.70"]), ("Atrophic gastritis.", ["K29.40"]), ("Chronic gastritis.", ["K29.50"]),
    ("H. pylori infection.", ["A04.8"]),
    ("Helicobacter pylori gastritis.", ["K29.70", "B96.81"]),  # the organism as the cause, after the gastritis
    ("Duodenal ulcer, H. pylori positive.", ["K26.9", "B96.81"]),
    ("No gastric ulcer.", []),
])
def test_ulcers_gastritis_and_helicobacter_as_their_cause(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    coded = code_note(as_draft("t", text), codeset=codeset)
    assert [s.code for s in coded.codes if s.system == ICD10CM_SYSTEM] == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Hypertension and chronic kidney disease stage 5.", ["I12.0", "N18.5"]),  # was I12.9 (stages 1-4)
    ("Hypertension and end stage renal disease.", ["I12.0", "N18.6"]),  # was I10 + N18.6 + N28.9
    ("End stage renal disease on dialysis.", ["N18.6", "Z99.2"]), ("ESRD.", ["N18.6"]),
    ("Hypertension, CKD stage 3.", ["I12.9", "N18.30"]),
    ("Hypertension, heart failure and CKD stage 4.", ["I13.0", "I50.9", "N18.4"]),  # not also I12.9 and I11.0
    ("Hypertension, heart failure and ESRD.", ["I13.2", "I50.9", "N18.6"]),
    ("Hypertension with heart failure.", ["I11.0", "I50.9"]),
    ("Type 2 diabetes with end stage renal disease.", ["E11.22", "N18.6"]),
    ("Type 2 diabetes with CKD stage 3 and peripheral arterial disease.", ["E11.22", "E11.51", "N18.30"]),
    # Stages 3a and 3b (N18.31, N18.32 since FY2021) were read as unstaged CKD, N18.9; so were stages 1 and 2 abbreviated.
    ("CKD stage 3a.", ["N18.31"]), ("CKD 3b.", ["N18.32"]), ("Chronic kidney disease stage IIIb.", ["N18.32"]),
    ("Hypertensive CKD stage 3b.", ["I12.9", "N18.32"]), ("T2DM with CKD stage 3a.", ["E11.22", "N18.31"]),
    ("Anemia in CKD stage 3b.", ["D63.1", "N18.32"]), ("CKD stage 2.", ["N18.2"]), ("CKD stage 1.", ["N18.1"]),
])
def test_the_most_specific_hypertension_combination_alone_and_end_stage_renal_disease(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_combination_cites_its_statements_in_reading_order(codeset: SimpleIcd10CmCodeSet) -> None:
    # The parts were gathered by iterating a set of concept keys, whose order changes with the process's hash seed.
    for text in ("Chronic kidney disease stage 3.\nType 2 diabetes.", "Type 2 diabetes.\nChronic kidney disease stage 3."):
        [combination] = [s for s in suggest_codes(as_draft("t", text), codeset=codeset, mode=OUTPATIENT) if s.code == "E11.22"]
        assert combination.evidence_statement_ids == ["s0", "s1"]


@pytest.mark.parametrize(("text", "codes"), [
    ("Loss of visual acuity of the left eye.", ["H54.62"]),
    ("Sudden vision loss in the right eye.", ["H54.61"]),
    ("Bilateral visual loss.", ["H54.3"]),
    ("Visual loss.", ["H54.7"]),
])
def test_visual_loss_takes_the_eye_the_note_names(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


def test_a_site_is_no_disease_of_it_in_an_outpatient_note(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "Spinal cord stimulation electrode in place.") == []
    assert top(codeset, "Spinal cord disease.") == ["G95.9"]
    # Case reports code the site's unspecified disorder as a candidate for the re-ranker to weigh.
    got = [s.code for s in suggest_codes(as_draft("t", "Spinal cord stimulation electrode in place."),
                                         codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0)]
    assert "G95.9" in got


def test_a_description_scattered_over_a_clause_names_no_finding(codeset: SimpleIcd10CmCodeSet) -> None:
    # "pulmonary" belongs to the auscultation, "edema" to the legs: no pulmonary edema (J81.1).
    assert top(codeset, "Crackles on pulmonary auscultation, lower limb edema.") == ["R60.0"]
    assert top(codeset, "Acute pulmonary edema.") == ["J81.0"]
    assert top(codeset, "Carcinoma of the head of the pancreas.") == ["C25.0"]


@pytest.mark.parametrize(("text", "codes"), [
    ("Right TMJ disorder.", ["M26.601"]),  # the side named wins over the disease word the unspecified entry needs
    ("TMJ disorder.", ["M26.609"]),
    ("TMJ examination revealed no pathological signs.", []),  # a side never named is never read in (M26.602)
    ("Mild keratosis pilaris on the cheeks.", ["L85.8"]),
    ("Functional impotence of the left lower limb.", ["R29.898"]),  # a limb's lost function, not N52.9
    ("Impotence.", ["N52.9"]),
    ("Vesicular murmur was conserved.", []),  # normal breath sounds, no heart murmur
    ("The child had suffered febrile seizures.", ["R56.00"]),  # Convulsions, febrile; not R50.9 beside a seizure
    ("Pancreatic cancer.", ["C25.9"]),  # not also C80.1: the Index reading of "cancer" restates the curated term
    ("He was evaluated by the infectious disease service.", []),  # a department is no disease (B99.9)
    ("Cannabis smoker.", ["F12.90"]), ("Smoker.", ["F17.200"]),  # a cannabis smoker smokes no tobacco
    ("Death donor site was established in another institution.", []),  # a deceased donor is no death (R99)
    ("At 3 years she presented absence seizures.", ["G40.A09"]),  # Seizure, absence -- see Epilepsy, absence
    ("Favorable anti-hypertensive evolution.", []), ("Hypertension on antihypertensives.", ["I10"]),
    ("Lupus nephropathy.", ["M32.14"]),
    ("Hearing aid holder.", []), ("AIDS.", ["B20"]),  # an aid is no AIDS
    ("He received recommendations to perform a low-sodium and fat diet.", []), ("Low sodium.", ["E87.1"]),
    ("The Intensive Care Unit contacted the dementia unit.", []), ("Dementia.", ["F03.90"]),
    ("Her mother who had breast cancer.", ["Z80.3"]), ("Her son has type 1 diabetes.", ["Z83.3"]),
    ("The patient reported having had another child who, due to cardiac arrest, died at 3 months of age.", []),
    ("Diet low in fat and simple sugars.", []), ("His sugars are high.", ["R73.9"]), ("He has sugar.", ["E11.9"]),
    ("Heart murmur.", ["R01.1"]),
    ("Thrombosis of the renal vein.", ["I82.3"]), ("Renal vein thrombosis.", ["I82.3"]),
    ("Actinic keratosis.", ["L57.0"]),
    ("Hypertransaminasemia.", ["R74.01"]), ("Mild hypertransaminemia.", ["R74.01"]),
    ("Hemodialysis dependent.", ["Z99.2"]),
])
def test_sides_named_and_never_read_in(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Essential thrombocythemia.", ["D47.3"]),  # Essential (hemorrhagic) thrombocythemia
    ("Toxic epidermal necrolysis.", ["L51.2"]),  # Toxic epidermal necrolysis [Lyell]
    ("Psoriatic spondyloarthritis.", ["L40.53"]),  # Spondyloarthritis -- see Spondylitis
])
def test_nonessential_modifiers_and_bracketed_wordings_need_not_be_said(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    # Hyperplasia, prostate, with LUTS; the symptom beside it, as N40.1's note names it (urinary retention R33.8)
    ("BPH with urinary retention.", ["N40.1", "R33.8"]),
    ("BPH with nocturia and weak stream.", ["N40.1", "R35.1", "R39.12"]),
    ("Benign prostatic hyperplasia with LUTS.", ["N40.1"]),
    ("BPH.", ["N40.0"]), ("Urinary urgency.", ["R39.15"]), ("Lower urinary tract symptoms.", ["R39.9"]),
    ("Actinic keratoses on the scalp.", ["L57.0"]),  # "-oses" is the plural of "-osis"
    ("Cocaine use disorder.", ["F14.20"]), ("Cannabis use disorder.", ["F12.20"]), ("Cocaine use.", ["F14.90"]),
    ("Opioid use disorder in remission.", ["F11.21"]), ("Alcohol use disorder in remission.", ["F10.21"]),
    ("Elevated liver enzymes.", ["R74.01"]), ("Abnormal liver function tests.", ["R94.5"]),
])
def test_prostate_symptoms_and_greek_plurals(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Autism.", ["F84.0"]), ("ADHD, combined type.", ["F90.2"]), ("ADHD, predominantly inattentive type.", ["F90.0"]),
    ("ADHD.", ["F90.9"]), ("Abscess of the left thigh.", ["L02.416"]), ("Left thigh pain.", ["M79.652"]),
    ("Fall at home.", ["W19.XXXA"]), ("A fall in hemoglobin.", []),
])
def test_developmental_names_thigh_and_falls(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


def test_an_external_cause_explains_no_symptom_and_is_never_first_listed(codeset: SimpleIcd10CmCodeSet) -> None:
    coded = code_note(as_draft("t", "Left hip pain after a fall at home."), codeset=codeset)
    icd = [c for c in coded.codes if c.system == ICD10CM_SYSTEM]
    assert [c.code for c in icd] == ["M25.552", "W19.XXXA"]
    assert "never first-listed" in icd[1].rationale


@pytest.mark.parametrize(("text", "codes"), [
    ("Well woman exam.", ["Z01.419"]), ("Pap smear.", ["Z12.4"]), ("Yeast infection.", ["B37.9"]),
    ("UTI in pregnancy.", ["O23.40"]), ("Polycystic ovaries.", ["E28.2"]), ("Dog bite of the right hand.", ["S61.451A"]),
    ("Burn of the left forearm.", ["T22.012A"]),  # a burn whose degree the note does not give
    ("Influenza A positive.", ["J10.1"]), ("Influenza.", ["J11.1"]),  # a positive test identifies the virus
    ("Second degree burn of the left forearm.", ["T22.212A"]), ("Frostbite.", ["T33.90XA"]),
])
def test_womens_health_visits_skin_injuries(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Myocardial infarction in 1999.", ["I25.2"]), ("Myocardial infarction in March 2010.", ["I25.2"]),
    ("Stroke in 2015 without residual deficits.", ["Z86.73"]),
    ("Diagnosed with type 2 diabetes in 2012.", ["E11.9"]),  # a chronic disease stays current
    ("Acute myocardial infarction.", ["I21.9"]), ("Pneumonia in the right lower lobe.", ["J18.9"]),
])
def test_a_dated_event_is_past(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Elevated blood pressure reading.", ["R03.0"]),  # no hypertension until a clinician says so
    ("Blood pressure elevated today without diagnosis of hypertension.", ["R03.0"]),
    ("Hypertension, blood pressure elevated today.", ["I10"]), ("High blood pressure.", ["I10"]),
    ("Ankle pain, bilateral.", ["M25.571", "M25.572"]), ("Right heel pain.", ["M79.671"]),
    ("Bilateral foot pain.", ["M79.671", "M79.672"]),
])
def test_raised_readings_and_ankle_and_heel_pain(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Tonsillitis.", ["J03.90"]), ("Chickenpox.", ["B01.9"]), ("Viral syndrome.", ["B34.9"]), ("GI bleed.", ["K92.2"]),
    ("Crohn disease.", ["K50.90"]), ("Crohn's disease.", ["K50.90"]),  # a possessive is no word of its own
    ("Bronchiolitis due to RSV.", ["J21.0"]), ("Varicella zoster virus infection.", ["B01.9"]),
    ("Herpes zoster.", ["B02.9"]), ("OCD.", ["F42.9"]), ("Vaping.", ["F17.290"]), ("Tobacco use.", ["Z72.0"]),
])
def test_primary_care_infections_and_possessives(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    # Guideline I.C.19.c.1: a fracture not documented as displaced or not is displaced; a metatarsal is of the foot.
    ("Fracture of the left fifth metatarsal.", ["S92.352A"]),
    ("Nondisplaced fracture of the left fifth metatarsal.", ["S92.355A"]),
    ("Metatarsalgia.", ["M77.40"]), ("Left Achilles tendinitis.", ["M76.62"]),
])
def test_foot_fractures_and_tendons(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    # Syndrome, irritable bowel, with diarrhea K58.0 / with constipation K58.1 / mixed K58.2: the habit is in the code.
    ("Irritable bowel syndrome with diarrhea.", ["K58.0"]), ("IBS with constipation.", ["K58.1"]),
    ("Mixed IBS.", ["K58.2"]), ("Irritable bowel syndrome.", ["K58.9"]),
    # Heart failure with reduced (preserved) ejection fraction -- see Failure, heart, systolic (diastolic): the acuity
    # is not assumed.
    ("HFrEF.", ["I50.20"]), ("Heart failure with preserved ejection fraction.", ["I50.30"]),
    ("Chronic HFrEF.", ["I50.22"]), ("Acute on chronic HFpEF.", ["I50.33"]),
    ("Chronic systolic heart failure.", ["I50.22"]),
    ("Photophobia.", ["H53.149"]), ("Photophobia of the right eye.", ["H53.141"]),
    ("Varicose veins of both legs.", ["I83.93"]), ("Varicose veins of the left leg.", ["I83.92"]),
    ("Menopause symptoms.", ["N95.1"]), ("Menopause.", ["Z78.0"]),
    ("Allergic to contrast agent.", ["Z91.041"]), ("Canker sore.", ["K12.0"]), ("Suture removal.", ["Z48.02"]),
    # "Without apparent focus" says the cause is unknown; the findings listed after it are not denied.
    ("Fever without apparent focus, dry cough and anorexia.", ["R50.9", "R05.9", "R63.0"]),
    ("Headache with no apparent cause, nausea.", ["R51.9", "R11.0"]),
])
def test_bowel_habits_heart_failure_acuity_and_unknown_causes(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize("text", [
    "Alzheimer dementia.", "Dementia due to Alzheimer disease.", "Alzheimer disease. Dementia.",
])
def test_the_dementia_of_alzheimer_disease_is_g30_with_f02(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    # Dementia, in (due to) Alzheimer's disease -- see Disease, Alzheimer's: G30.9 [F02.80], never F03.90.
    assert sorted(top(codeset, text)) == ["F02.80", "G30.9"]
    assert top(codeset, "Dementia.") == ["F03.90"]


@pytest.mark.parametrize(("text", "codes"), [
    # Each site goes with the neoplasm word nearest to it: the metastases are a neoplasm of their own, never the
    # primary's site read as secondary ("bladder cancer with bone metastases" was C79.11 + C41.9).
    ("Bladder cancer with bone metastases.", ["C67.9", "C79.51"]),
    ("Renal cell carcinoma with hepatic metastases.", ["C64.9", "C78.7"]),
    ("Breast cancer with liver metastases.", ["C50.919", "C78.7"]),
    ("Colon cancer metastatic to the liver.", ["C18.9", "C78.7"]),
    ("Lung adenocarcinoma with brain metastases.", ["C34.90", "C79.31"]),
    ("Metastatic breast cancer.", ["C50.919", "C79.9"]),  # spread from the breast: the primary, secondary site unknown
    ("Lung metastases.", ["C78.00"]),
    # Adenoma -- see Neoplasm, benign, by site ("the thyroid" is the gland); a prostate adenoma is hyperplasia.
    ("Pituitary adenoma.", ["D35.2"]), ("Thyroid adenoma.", ["D34"]), ("Prostate adenoma.", ["N40.0"]),
    ("Adenocarcinoma of the right lung.", ["C34.91"]), ("Right wrist Colles fracture.", ["S52.531A"]),
    ("Bitemporal hemianopia.", ["H53.47"]), ("Annual visit.", ["Z00.00"]),
    ("Right medial epicondylitis.", ["M77.01"]), ("Left lateral epicondylitis.", ["M77.12"]), ("IgA deficiency.", ["D80.2"]),
    # R03.0 is an elevated reading "without diagnosis of hypertension": none beside one.
    ("Elevated blood pressure of 180/95 in the emergency room. Hypertension.", ["I10"]),
    ("Elevated blood pressure reading.", ["R03.0"]),
    # Fracture, humerus, proximal end -- see upper end; breast cysts by side; a preprocedural examination.
    ("Right proximal humerus fracture.", ["S42.201A"]), ("Distal radius fracture of the left wrist.", ["S52.502A"]),
    ("Follow-up bilateral breast cysts.", ["N60.01", "N60.02"]), ("Preop examination.", ["Z01.818"]),
    # A refill given in a visit that treats problems is no refill-only encounter (Z76.0).
    ("Prescription refills for tadalafil. Erectile dysfunction.", ["N52.9"]), ("Medication refill.", ["Z76.0"]),
    ("Weight loss.", ["R63.4"]),
    # Disease, joint, degenerative -- see Osteoarthritis, by site; epicondylitis of both elbows is each elbow's code.
    ("Right hip degenerative joint disease.", ["M16.11"]), ("DJD of the left knee.", ["M17.12"]),
    ("Bilateral medial epicondylitis.", ["M77.01", "M77.02"]),
    ("ER/PR-positive invasive ductal carcinoma of the right breast.", ["C50.911", "Z17.0"]),
    # "Non-healing" is no negation; Diabetes, with, foot ulcer E11.621 and the ulcer's site (its "use additional code").
    ("Non-healing ulcer, right foot.", ["L97.519"]), ("Non-healing ulcer, right foot. Diabetes.", ["E11.621", "L97.519"]),
    ("Right knee posterior cruciate ligament strain.", ["S83.521A"]),
    ("Right foot pain, due to a Lisfranc fracture.", ["S92.901A"]),
    ("Deviated septum.", ["J34.2"]), ("Dry eye syndrome of both eyes.", ["H04.123"]),
    ("Social anxiety disorder.", ["F40.10"]), ("Pt reports intermittent chest tightness.", ["R07.89"]),
    # "Was negative for" negates what follows it, not what came before: only the gastritis is found.
    ("The biopsy was negative for malignancy but showed chronic gastritis.", ["K29.50"]),
    ("Flu swab was positive.", ["J10.1"]),  # a positive test identifies the virus
    # A diagnosis named after what a trigger denies is not denied (right after it, it is).
    ("No fever, diagnosis of pneumonia.", ["J18.9"]), ("Rule out pneumonia, diagnosed with bronchitis.", ["J40"]),
    ("No diagnosis of diabetes.", []), ("Never diagnosed with asthma.", []),
])
def test_neoplasms_read_at_their_own_sites(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text", [
    # Every item of a differential is uncertain, and a suspicion reaches past "she has".
    "Possible etiologies of her chest pain include GERD, dyspepsia, esophagitis and anxiety.",
    "Differential diagnosis includes pneumonia and bronchitis.",
    "Based on her history today, I suspect she has esophagitis.",
    "Congenital anomalies of the kidney have been reported in the literature.",
    "His abdominal x-ray demonstrates what appears to be a recurrent kidney stone.",
    "His white blood cell count was within a normal limits.",
    "I encouraged him to be aware of lingering infections or abdominal changes including diarrhea.",
    # A vaccine names what it prevents; weight loss as a goal is no abnormal weight loss.
    "He is fully vaccinated against COVID-19.",
    "She will continue working on weight loss, which should improve her liver enzymes.",
    # A concern is a suspicion; a consent discussion lists what might happen; a pandemic is a setting.
    "I am concerned about a torn MCL.",
    "The risks include but are not limited to continued pain, swelling, damage to nerves and blood vessels, numbness "
    "that could be permanent, and infection.",
    "I reviewed the risks of a steroid injection in the COVID setting.",
    "We discussed the complications associated with deferring surgery, including poor healing, arthritis and flat foot.",
])
def test_differentials_suspicions_and_the_literature_are_not_coded(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert top(codeset, text) == []


@pytest.mark.parametrize(("text", "codes"), [
    # Guideline I.C.6.b.1: a G89 code is assigned with the code of the pain's site when it says more (chronic), and
    # R52's "acute pain NOS" never stands for a pain whose site is named.
    ("He had chronic neck pain.", ["G89.29", "M54.2"]),
    ("Acute neck pain after the accident.", ["M54.2"]),
    ("Chronic pain.", ["G89.29"]), ("Acute pain.", ["R52"]), ("Chronic pain syndrome.", ["G89.4"]),
    ("Chronic low back pain.", ["G89.29", "M54.50"]), ("Chronic right knee pain.", ["G89.29", "M25.561"]),
    ("Low back pain.", ["M54.50"]), ("No chronic back pain.", []),
    # Condyloma A63.0 (acuminatum); latum A51.31.
    ("Multiple vulvoperineal condylomas were observed.", ["A63.0"]),
    ("Giant acuminated condyloma of Buschke-Lowenstein.", ["A63.0"]), ("Condyloma latum.", ["A51.31"]),
])
def test_pain_with_its_site_and_condylomas(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize(("text", "codes"), [
    # British GP shorthand (PriMock57 notes write it so).
    ("TATT for 3 months.", ["R53.83"]), ("SOBOE.", ["R06.02"]), ("N&V since yesterday.", ["R11.2"]),
    ("PR bleeding.", ["K62.5"]), ("Abdo pain.", ["R10.9"]), ("Lower abdo pain.", ["R10.30"]),
    ("Associated LLQ pain - crampy, intermittent.", ["R10.32"]), ("RUQ abdominal pain.", ["R10.11"]),
    ("Nil PR bleeding.", []), ("No N&V.", []), ("No RUQ pain.", []),
])
def test_british_shorthand(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "codes"), [
    # What the audit of session 12 kept coded beside the new cues: a treatment before "for ... prevention", a
    # relative's diagnosis as family history, a recovered condition as personal history, a test result after a
    # finding of its own, a receptor status, a child who is the patient, a question answered yes.
    ("Cough? Yes, productive.", ["R05.9"]), ("Do you have diabetes? I do, type 2.", ["E11.9"]),
    ("Doctor: Any chest pain? Patient: Yeah, it has been hurting since Monday.", ["R07.9"]),
    ("No complications from her diabetes.", ["E11.9"]),
    ("She has had a cough since last year.", ["R05.9"]),
    ("I had pneumonia last year but I'm fine now.", ["Z87.01"]),
    ("Lack of appetite.", ["R63.0"]), ("Lack of coordination.", ["R27.9"]),
    ("The patient denies fever, and the rash on her leg is spreading.", ["R21"]),
    # The second audit: a cause, a possession or a missing treatment named after the cue is the patient's.
    ("High risk for falls due to Parkinson disease.", ["G20.A1"]),
    ("Her husband brought her in for her worsening COPD.", ["J44.9"]),
    ("No past medical history other than hypertension.", ["I10"]),
    ("Source of anemia not identified.", ["D64.9"]), ("No prior treatment for her hypertension.", ["I10"]),
    ("Having excluded PE, we diagnosed pneumonia.", ["J18.9"]), ("Afraid of dying from her heart failure.", ["I50.9"]),
    ("No fevers, chills, + cough.", ["R05.9"]), ("Is her hypertension controlled? No, BP 168/100.", ["I10"]),
    ("Chest pain? No.", []),
    ("Warfarin for stroke prevention.", ["Z79.01"]),
    ("Her mother was diagnosed with breast cancer.", ["Z80.3"]),
    ("Recovered from COVID-19 last month.", ["Z86.16"]),
    ("Pneumonia, strep test negative.", ["J18.9"]),
    ("Hepatitis A IgM negative, hepatitis B surface antigen positive.", ["B19.10"]),
    ("Breast cancer, ER negative.", ["C50.919", "Z17.1"]),  # its receptor status (Z17, FY2025)
    ("No fever but has a cough.", ["R05.9"]),
    ("A 5-year-old child has a fever.", ["R50.9"]),
])
def test_findings_kept_beside_the_session_12_cues(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert top(codeset, text) == codes


@pytest.mark.parametrize(("text", "expected"), [
    ("HIV serology: negative.", [["no", "hiv", "serology"]]),
    ("Sepsis: r/o", [["query", "sepsis"]]),
    ("DM (-)", [["no", "dm"]]),
    ("Influenza A/B negative.", [["no", "influenza", "type", "a", "b"]]),  # "A" names the type
    ("Patient has pneumonia and HIV: negative", [["patient", "has", "pneumonia", "and", "hiv"], ["negative"]]),
    ("Rh negative.", [["rh", "negative"]]),
    ("Have you had a stroke?", [["query", "have", "you", "had", "a", "stroke"]]),
    # A denied list is one denial per item; a positive result among them is no denied list.
    ("Denies fever, chills, chest pain or dysuria.", [["no", "fever"], ["no", "chill"], ["no", "chest", "pain"], ["no", "dysuria"]]),
    ("No fever, but has a cough, wheezing and dyspnea.", [["no", "fever", "but", "has", "a", "cough", "wheezing", "and", "dyspnea"]]),
    ("IgM HAV negative, HBsAg+, antiHBs-, HBeAg+.", [["no", "igm", "hav"], ["hbsag", "antihb", "hbeag"]]),
])
def test_a_status_written_after_its_term_and_a_question(text: str, expected: list[list[str]]) -> None:
    # A status as a value after a short term reads before it; the term of a longer clause is not guessed at.
    assert clauses(text) == expected


@pytest.mark.parametrize(("text", "codes"), [
    # Codes that said something the note did not (session 13 specificity audit, ICD-10-CM FY2026 Index and Tabular).
    ("Old MI.", ["I25.2"]),  # was I21.9, an acute infarction
    ("Threatened miscarriage at 8 weeks.", ["O20.0", "Z3A.08"]),  # was O03.9, a spontaneous abortion
    # was E11.9 + I67.83: "PRES" read into "pre-existing"; chapter 15 first (guideline I.C.15.a.1), then E11
    ("Pre-existing type 2 diabetes in pregnancy.", ["O24.119", "E11.9"]),
    # was E11.9, type 2; E10 asks for no insulin code (E11 does), and the pump is Z96.41 (session 15)
    ("Type 1 DM on insulin pump.", ["E10.9", "Z96.41"]),
    ("Diabetic gastroparesis in type 1 diabetic.", ["E10.43", "K31.84"]),  # was E11.43
    ("Dementia with Lewy bodies.", ["G31.83", "F02.80"]),  # was F03.90, dementia of no named disease
    ("Parkinson's disease with dementia.", ["G20.A1", "F02.80"]), ("Family history of Parkinson's disease.", ["Z82.0"]),
    ("Seropositive rheumatoid arthritis.", ["M05.9"]), ("Seronegative rheumatoid arthritis.", ["M06.00"]),  # was M06.9
    ("Alcoholic cirrhosis with ascites.", ["K70.31"]),  # was K74.60, no alcoholic etiology
    ("Influenza A.", ["J10.1"]), ("Influenza A with pneumonia.", ["J10.00"]), ("Influenza with pneumonia.", ["J11.00"]),
    ("Had the flu a few days ago, now better.", ["J11.1"]),  # a lowercase "a" is an article, not the virus type
    ("Chronic migraine without aura, intractable.", ["G43.719"]),  # was G43.701, not intractable with status
    ("Intractable migraine.", ["G43.919"]), ("Migraine without aura, intractable.", ["G43.019"]),
    ("Glaucoma suspect, left eye.", ["H40.002"]),  # was H40.9, glaucoma
    ("Subconjunctival hemorrhage, right eye.", ["H11.31"]),  # was R58
    ("Concussion with loss of consciousness.", ["S06.0X9A"]),  # was S06.0X0A, without
    ("Post-concussion syndrome.", ["F07.81"]),  # was S06.0X0A, a current concussion
    ("Degenerative joint disease, left knee.", ["M17.12"]),  # was M25.862
    # Clinicians' abbreviations reach what the spelled-out names reach.
    ("MDD, recurrent, moderate.", ["F33.1"]), ("Acute systolic CHF.", ["I50.21"]), ("Persistent AF.", ["I48.19"]),
    ("PAF.", ["I48.0"]), ("Stage 4 CKD.", ["N18.4"]), ("ETOH use disorder, moderate.", ["F10.20"]),
    ("Type 2 diabetes with diabetic cataract.", ["E11.36"]),  # "mellitus" is nonessential in the Index
    ("R knee OA.", ["M17.11"]), ("AOM, left.", ["H66.92"]), ("BCC of nose.", ["C44.311"]),
    ("s/p R TKA, doing well.", ["Z96.651"]), ("Hx of breast ca, completed treatment.", ["Z85.3"]),
    ("R distal radius fx, routine healing, f/u visit.", ["S52.501D"]),
    ("Lac to R index finger, no nail involvement, initial encounter.", ["S61.210A"]),
    ("POAG both eyes, mild stage.", ["H40.1131"]), ("Osteoarthritis of both knees.", ["M17.0"]),
    # The episode of care the note names (guideline I.C.19.a): "D" for the healing phase, never the default "A".
    ("Left wrist sprain, subsequent encounter.", ["S63.502D"]), ("Concussion, no LOC, follow-up visit.", ["S06.0X0D"]),
    ("Left distal radius fracture, cast removed today, healing well.", ["S52.502D"]),
    ("Left wrist sprain.", ["S63.502A"]),
    # Combination codes (guideline I.C.9.b; J44.0 with its infection coded too).
    ("CAD with stable angina.", ["I25.118"]), ("Coronary artery disease with unstable angina.", ["I25.110"]),
    ("CAD with angina.", ["I25.119"]), ("COPD with pneumonia.", ["J44.0", "J18.9"]),
    ("COPD with acute bronchitis.", ["J44.0", "J20.9"]), ("PTSD, chronic.", ["F43.12"]),
    # Organisms in adjective form, sites, and names the Index carries.
    ("Pneumococcal pneumonia.", ["J13"]), ("MRSA pneumonia.", ["J15.212"]), ("Klebsiella pneumonia.", ["J15.0"]),
    ("Gout of right great toe.", ["M10.071"]), ("Gout flare, left knee.", ["M10.062"]),
    ("Cellulitis of right hand.", ["L03.113"]), ("Facial cellulitis.", ["L03.211"]),
    ("Pain in both hips.", ["M25.551", "M25.552"]), ("Pain in left ankle.", ["M25.572"]), ("Thoracic back pain.", ["M54.6"]),
    ("Postherpetic neuralgia.", ["B02.29"]), ("Eustachian tube dysfunction, bilateral.", ["H69.83"]),
    ("MASLD.", ["K76.0"]), ("Flu shot given today.", ["Z23"]), ("Tdap vaccine administered.", ["Z23"]),
    ("Declined flu shot.", ["Z28.21"]),  # (no Z23, no influenza: an immunization the patient refused)
    ("Traumatic tear of right rotator cuff, initial encounter.", ["S46.011A"]),  # was M75.101, not traumatic
    ("L4-L5 disc herniation with radiculopathy.", ["M51.16"]),  # was M54.10, which Excludes1 disc disorders
    ("Routine gynecologic exam with Pap smear, normal.", ["Z01.419"]),  # was Z12.4, which Excludes1 it
    # Pregnancy (guideline I.C.15.a): the weeks pick the trimester and are a Z3A code; none stated, none guessed.
    ("Gestational hypertension at 32 weeks.", ["O13.3", "Z3A.32"]),  # was O13.1, the first trimester
    ("Gestational hypertension.", ["O13.9"]), ("UTI in pregnancy at 16 weeks.", ["O23.42", "Z3A.16"]),
    ("Pregnant, 2nd trimester, gestational hypertension.", ["O13.2"]),
    ("Missed abortion at 9 weeks.", ["O02.1"]),  # no Z3A for an abortive outcome
    # A condition of a pregnant patient: chapter 15 first (I.C.15.a.1), its own code beside it; O10.01- includes I10.
    ("Anemia in pregnancy, 30 weeks.", ["O99.013", "D64.9", "Z3A.30"]),
    ("Obesity complicating pregnancy, 28 weeks.", ["O99.213", "E66.9", "Z3A.28"]),
    ("Hypertension; she is 20 weeks pregnant.", ["O10.012", "Z3A.20"]),
    ("Type 1 diabetes complicating pregnancy, third trimester.", ["O24.013", "E10.9"]),
    ("Pregnancy test negative, hypertension.", ["I10"]), ("Denies pregnancy. Asthma.", ["J45.909"]),
    ("Routine prenatal visit, 24 weeks.", ["Z34.92", "Z3A.24"]),
    ("Severe preeclampsia at 33 weeks.", ["O14.13", "Z3A.33"]), ("Mild preeclampsia, 35 weeks gestation.", ["O14.03", "Z3A.35"]),
    # Dementia in a disease classified elsewhere: F02 by severity and disturbance, never F03 (which Excludes1 it).
    ("Alzheimer's dementia, late onset, moderate, with agitation.", ["G30.1", "F02.B11"]),  # was G30.1 alone
    ("Early onset Alzheimer's disease with mild dementia.", ["G30.0", "F02.A0"]),
    ("Parkinson's disease with dementia, moderate, without behavioral disturbance.", ["G20.A1", "F02.B0"]),  # was F03.B0
    ("Alzheimer dementia, no agitation.", ["G30.9", "F02.80"]),
    # A description about another body site is no match however much else it covers; a toe's ulcer is the foot's.
    ("Type 2 DM with chronic ulcer of right great toe with fat layer exposed.", ["E11.621", "L97.512"]),  # was
    # E11.9 + L98.A312, an ulcer of the right hand
    ("T2DM with diabetic ulcer of left heel, limited to breakdown of skin.", ["E11.621", "L97.421"]),  # the depth
    ("Fracture of left fifth toe, initial encounter.", ["S92.912A"]),
    # "Type 1" is one word: a numbered problem ("1 Diabetes: not controlled") is no type 1 diabetes (was E10.9 once
    # "mellitus" became nonessential).
    ("1 Diabetes: not controlled, A1c 9.8.", ["E11.65"]), ("Diabetes for 1 year.", ["E11.9"]),
    ("Type 1 diabetes.", ["E10.9"]),
    # A family history heading keeps its cue across the colon; "mum" is a relative.
    ("FH: breast cancer.", ["Z80.3"]), ("FH: mum breast Ca, dad MI at 55.", ["Z80.3", "Z82.49"]),
])
def test_the_session_13_specificity_audit(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_capital_letter_is_a_side_or_a_virus_type_only_before_its_word() -> None:
    assert tokens("R knee, L ankle") == ["right", "knee", "left", "ankle"]
    # (A lumbar level is the lumbar region: "L4-L5 HNP" is a lumbar disc.)
    assert tokens("L4-L5, Ca 9.5, flu a week ago") == ["lumbar", "ca", "9", "5", "flu", "a", "week", "ago"]
    assert tokens("Breast ca, influenza B") == ["breast", "cancer", "influenza", "type", "b"]


@pytest.mark.parametrize(("text", "codes"), [
    # A description holding every word the best match was matched by and more is the more specific code, though a word
    # of it goes unsaid ("... upper lobe, right bronchus or lung"); one-word alternatives ("tear or rupture") need one.
    ("Adenocarcinoma of right upper lobe of lung.", ["C34.11"]),  # was C34.91, unspecified part
    ("Non-small cell lung cancer, left lower lobe.", ["C34.32"]),  # was C34.92
    ("Greenstick fracture of shaft of right radius, initial encounter.", ["S52.311A"]),  # was S52.301A
    ("Nontraumatic complete tear of right rotator cuff.", ["M75.121"]),  # was M75.101, incomplete not specified
    # ... but not for a word the note leaves out that weighs more: the 5th metatarsal is no third one; ordinals and a
    # side letter before them read as the descriptions spell them.
    ("F/u nondisplaced L 5th metatarsal fx, healing as expected.", ["S92.355D"]),
    # "Not specified as traumatic" is no word a note says: a traumatic tear is the injury (S46.01-), not M75.1-.
    ("Traumatic rotator cuff tear L shoulder after fall, initial eval.", ["S46.012A"]),
    # What "without" names ends at its comma: the site and side after it stay words of the code.
    ("Cervical spondylosis without myelopathy or radiculopathy.", ["M47.812"]),  # was M47.892, other spondylosis
    ("Seronegative rheumatoid arthritis, right knee.", ["M06.061"]),  # was M06.861, other specified RA
    # The Index's "Sprain (joint)", "Strain" of muscle, fascia and tendon, "Bruise -- see Contusion", and sites the
    # descriptions name by region (nothing was suggested for these).
    ("Sprain of right shoulder, initial encounter.", ["S43.401A"]),
    ("Strain of right hamstring, initial encounter.", ["S76.311A"]),
    ("Strain of left calf muscle, initial encounter.", ["S86.912A"]),
    ("Bruised right hip from fall, initial encounter.", ["S70.01XA"]),
    ("Contusion of left front chest wall, initial encounter.", ["S20.212A"]),
    ("Laceration of chin, initial encounter.", ["S01.81XA"]),  # a named part: "other part of head", not unspecified
    ("Laceration of right eyebrow, initial encounter.", ["S01.111A"]),
    # A chapter 15 "complicating pregnancy" code goes with the condition's own code, in the trimester of the weeks.
    ("Obesity complicating pregnancy, 28 weeks.", ["O99.213", "E66.9", "Z3A.28"]),
    ("Gestational hypertension at 32 weeks.", ["O13.3", "Z3A.32"]),
    # I83.02-'s "use additional code to identify severity of ulcer (L97.-)": the ulcer's words stay for L97.
    ("Varicose veins of left leg with ulcer of ankle, fat layer exposed.", ["I83.023", "L97.322"]),  # was I83.92 +
    # L97.902, then I83.023 alone
    # "Neuropathy, peripheral -- see also Polyneuropathy": with diabetes E11.42 (a neuropathy unqualified E11.40).
    ("Type 2 diabetes with peripheral neuropathy.", ["E11.42"]), ("T2DM with neuropathy.", ["E11.40"]),
    # The Index's defaults by site (primary osteoarthritis, idiopathic gout), one side named is "unilateral", an
    # "including" clause need not be said, the arm is the upper limb, and a pair of sites ("ankle and foot") is either.
    ("Osteoarthritis of right hand.", ["M19.041"]), ("Osteoarthritis of right ankle.", ["M19.071"]),
    ("Post-traumatic osteoarthritis of right knee.", ["M17.31"]), ("Gout of right great toe.", ["M10.071"]),
    ("Chronic tophaceous gout, left knee.", ["M1A.0621"]),
    ("Squamous cell carcinoma of skin of right forearm.", ["C44.622"]),  # was C44.92
    ("Right thigh pain.", ["M79.651"]),
    # Index entries by site and kind (S82.84-, the wrist's navicular [scaphoid], the boxer's fifth metacarpal neck,
    # paronychia as cellulitis of the digit, hordeolum externum, the sacral region, intraductal carcinoma in situ,
    # melanoma (malignant)); a term followed by "of" reaches to the end of its clause for what qualifies it.
    ("Closed bimalleolar fracture of left ankle, initial encounter.", ["S82.842A"]),  # nothing was suggested
    ("Right scaphoid fracture, initial encounter.", ["S62.001A"]),
    ("Boxer's fracture, right hand, initial encounter.", ["S62.336A"]),  # was S62.91XA
    ("Paronychia of left index finger.", ["L03.012"]), ("Hordeolum of right upper eyelid.", ["H00.011"]),
    ("Pressure ulcer of sacrum, stage 2.", ["L89.152"]),  # was L89.92
    ("Ductal carcinoma in situ of right breast.", ["D05.11"]),  # was D05.91
    ("Melanoma of left upper arm.", ["C43.62"]), ("Basal cell carcinoma of skin of left cheek.", ["C44.319"]),
    ("Breast abscess.", ["N61.1"]), ("Major depression, recurrent, moderate.", ["F33.1"]),  # was F32.9
    ("ECG showed ST-segment depression in V4-V6.", ["R94.31"]),  # was F32.A, a depressive disorder
    # Diabetes: in remission E11.A ("... without complications in remission": the absence is the complications
    # only), with gangrene E11.52, NPDR, and a side after what "without" denies (OU: both eyes).
    ("Type 2 diabetes mellitus, in remission.", ["E11.A"]), ("Type 2 diabetes with gangrene of left foot.", ["E11.52"]),
    ("Type 2 diabetes with severe NPDR with macular edema, left eye.", ["E11.3412"]),  # was E11.9
    ("Type 2 diabetes with proliferative diabetic retinopathy without macular edema, bilateral.", ["E11.3593"]),
    ("DM2 w/ mild NPDR without macular edema OU.", ["E11.3293"]), ("Gangrenous appendicitis.", ["K37"]),
    # Index entries: STEMI by wall, seasonal affective disorder, postablative hypothyroidism.
    ("Anterior wall STEMI 2 weeks ago, here for follow-up.", ["I21.09"]), ("Inferior STEMI.", ["I21.19"]),
    ("STEMI.", ["I21.3"]), ("Seasonal affective disorder.", ["F33.8"]),  # nothing was suggested
    ("Hypothyroidism after radioactive iodine ablation.", ["E89.0"]),  # was E03.9
    # Epilepsy by kind (focal impaired awareness / complex partial G40.2-, generalized idiopathic G40.3-, absence
    # G40.A-), intractable or not ("refractory" and "pharmacoresistant" are intractable; all were G40.909 / G40.919).
    ("Intractable focal epilepsy with impaired awareness seizures.", ["G40.219"]),
    ("Generalized idiopathic epilepsy, not intractable, without status.", ["G40.309"]),
    ("Complex partial seizures.", ["G40.209"]), ("Childhood absence epilepsy, refractory.", ["G40.A19"]),
    ("Refractory migraine without aura.", ["G43.019"]),  # was G43.009, not intractable
    # A term that shares with a description only words another term shares more of is not replaced by it.
    ("Hypertensive heart disease with chronic diastolic congestive heart failure.", ["I11.0", "I50.32"]),  # I11.0 lost
    # Gravidity chooses the normal first (Z34.0-) or other (Z34.8-) pregnancy and the elderly primigravida (O09.51-)
    # or multigravida (O09.52-); "advanced maternal age" is the patient's own (was read as a mother's history).
    ("Intrauterine pregnancy at 12 weeks, routine prenatal visit, first pregnancy.", ["Z34.01", "Z3A.12"]),
    ("G3P2 at 24w, normal pregnancy, routine prenatal visit.", ["Z34.82", "Z3A.24"]),  # was Z34.92, no weeks
    ("Supervision of high-risk pregnancy due to advanced maternal age, primigravida, 20 weeks.", ["O09.512", "Z3A.20"]),
    ("G3P2 at 36 weeks, advanced maternal age.", ["O09.523", "Z3A.36"]),  # nothing but the weeks was suggested
    ("Advanced maternal age, 30 weeks.", ["O09.93", "Z3A.30"]),  # gravidity unstated: high risk, unspecified
    # Gravidity alone says no pregnancy now: a multiparous woman's hypertension is I10 (was O10.019).
    ("Multiparous woman with hypertension.", ["I10"]), ("G2 with hypertension.", ["I10"]),
    # A body site with "joint" is no joint disorder in an outpatient note ("Other specified joint disorders, right hip").
    ("She would like to proceed with a cortisone injection into her right hip joint.", []),
    # A bacterium as the cause of the infection beside it is the B95-B96 code the infection's "use additional code"
    # note asks for; alone it is the infection of unspecified site; with pneumonia or sepsis their combination code.
    ("E. coli UTI.", ["N39.0", "B96.20"]), ("MRSA abscess, L axilla; I&D performed.", ["L02.412", "B95.62"]),
    ("MRSA cellulitis of right forearm.", ["L03.113", "B95.62"]), ("MRSA infection.", ["A49.02"]),
    ("E. coli sepsis.", ["A41.51"]), ("Staphylococcus aureus bacteremia.", ["R78.81", "B95.61"]),
    # Packs a day are cigarettes (Dependence, nicotine, cigarettes F17.210); "PPD" alone is the tuberculin test.
    ("Current every day smoker, 1 ppd.", ["F17.210"]), ("Smoker, 40 pack-year history.", ["F17.210"]),
    ("PPD positive.", ["R76.11"]),
])
def test_the_more_specific_description_the_note_supports(codeset: SimpleIcd10CmCodeSet, text: str,
                                                         codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_description_without_what_it_says_is_absent() -> None:
    assert term_words("Spondylosis without myelopathy or radiculopathy, cervical region") == [
        "spondylosis", "cervical", "region"]
    # A list of absences goes on past its commas.
    assert term_words("Vascular dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, "
                      "mood disturbance, and anxiety") == ["vascular", "dementia", "unspecified", "severity"]
    assert term_words("Unspecified rotator cuff tear or rupture of left shoulder, not specified as traumatic") == [
        "unspecified", "rotator", "cuff", "tear", "or", "rupture", "of", "left", "shoulder"]
    assert tokens("R 2nd metatarsal, 3rd degree") == ["right", "second", "metatarsal", "third", "degree"]


@pytest.mark.parametrize("text, codes", [
    # Guideline I.C.19.e.5.a: the nature of the adverse effect, then the drug (T36-T50, 5th/6th character 5); the
    # drug named as the cause is read as "drug induced", the words of the conditions' drug-induced codes.
    ("Oxycodone-induced constipation.", ["K59.03", "T40.2X5A"]),
    ("Hypokalemia due to HCTZ.", ["E87.6", "T50.2X5A"]),
    ("Atorvastatin-induced myopathy.", ["G72.0", "T46.6X5A"]),
    ("Chemotherapy-induced neutropenia.", ["D70.1", "T45.1X5A"]),
    # No cause named, or the drug only taken: no adverse effect.
    ("Constipation, on oxycodone.", ["K59.00"]), ("Exercise-induced asthma.", ["J45.990"]),
    ("CHF; we switched her from furosemide to torsemide.", ["I50.9"]),
    ("Discussed side effects of metformin.", []),
])
def test_a_drug_named_as_the_cause_is_its_adverse_effect(codeset: SimpleIcd10CmCodeSet, text: str,
                                                         codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Clinicians' abbreviations of the names the descriptions spell out.
    ("IPF.", ["J84.112"]), ("OAB.", ["N32.81"]), ("MCI.", ["G31.84"]), ("IDA.", ["D50.9"]), ("PMR.", ["M35.3"]),
    ("Pulmonary TB, sputum smear positive.", ["A15.0"]), ("Concussion with LOC under 30 minutes, initial visit.", ["S06.0X1A"]),
    # British spellings; what a description says the patient has after its absences ("... without perforation or
    # abscess with bleeding"); both ears are the bilateral code.
    ("Idiopathic generalised epilepsy, intractable.", ["G40.319"]),
    ("Diverticulosis of colon with bleeding.", ["K57.31"]), ("Presbycusis, both ears.", ["H91.13"]),
    # Statuses the note documents now: a hormone-resistant cancer, a cancer gene carried, a chemotherapy visit.
    ("Castration-resistant prostate cancer.", ["C61", "Z19.2"]), ("BRCA1 carrier.", ["Z15.01"]),
    ("BRCA testing ordered.", []),
    ("Here for cycle 3 FOLFOX for sigmoid colon cancer.", ["Z51.11", "C18.7"]),
    ("Hx of MRSA infection.", ["Z86.14"]), ("High fall risk.", ["Z91.81"]),
    # Each finding with its own side; a side and a site alone take the condition before them.
    ("Right carpal tunnel syndrome and left cubital tunnel syndrome.", ["G56.01", "G56.22"]),
    ("Right tennis elbow and right trigger thumb.", ["M77.11", "M65.311"]),
    ("OA right hip and right knee.", ["M16.11", "M17.11"]),
    ("Pain in right hip and left knee.", ["M25.551", "M25.562"]),
    ("Right and left knee pain.", ["M25.561", "M25.562"]),
])
def test_abbreviations_statuses_and_sides_of_specialty_notes(codeset: SimpleIcd10CmCodeSet, text: str,
                                                             codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_side_splits_a_clause_only_where_nothing_is_denied() -> None:
    assert clauses("OA right hip and right knee") == [["osteoarthritis", "right", "hip"], ["osteoarthritis", "right", "knee"]]
    assert len(clauses("denies pain in right knee and left hip")) == 1
    assert len(clauses("right and left knee pain")) == 1


@pytest.mark.parametrize("text, codes", [
    # "on <drug>" is current use after a history cue or a denial; "no longer on" is not.
    ("Hx of PE, on long-term warfarin.", ["Z86.711", "Z79.01"]), ("History of DVT, on long-term Xarelto.", ["Z86.718", "Z79.01"]),
    ("T2DM w/ hypoglycemia without coma, on glipizide.", ["E11.649", "Z79.84"]), ("No longer on warfarin.", []),
    ("Denies being on warfarin.", []), ("Not currently on warfarin.", []), ("Was on warfarin in the past.", []),
    ("S/p mechanical AVR, on warfarin, INR goal 2.5-3.5.", ["Z95.2", "Z79.01"]), ("CAD, s/p DES to LAD.", ["I25.10", "Z95.5"]),
    # An acquired absence is a status, not a denial; by side (no bilateral code: both sides).
    ("Acquired absence of left leg below knee, ambulating with prosthesis.", ["Z89.512"]),
    ("Bilateral BKA.", ["Z89.511", "Z89.512"]),
    # Burns: scald is a burn, partial thickness the second degree, full thickness the third; bites: an animal's is an
    # open bite, an insect's superficial; a subungual hematoma a contusion with damage to the nail.
    ("Scald, first degree, back of right hand, initial encounter.", ["T23.161A"]),
    ("Partial thickness burn of left upper arm, initial encounter.", ["T22.232A"]),
    ("Dog bite of left calf, initial encounter.", ["S81.852A"]), ("Tick bite, right thigh, initial encounter.", ["S70.361A"]),
    # A bite whose site the note does not give is no bite of an "unspecified" or "other" finger.
    ("Mosquito bite, no signs of dengue.", []),
    ("Subungual hematoma of right thumb, initial encounter.", ["S60.111A"]),
    ("Corneal abrasion, left eye, initial encounter.", ["S05.02XA"]),
    ("Cervical strain after motor vehicle collision, initial encounter.", ["S16.1XXA"]),
    # Z79.4 is not coded with O24.4- (whose insulin-controlled code says it) nor for type 1 diabetes; a pump is Z96.41.
    ("GDM on insulin, 32 wks.", ["O24.414", "Z3A.32"]), ("T1DM on insulin.", ["E10.9"]), ("T2DM on insulin.", ["E11.9", "Z79.4"]),
    ("Type 1 diabetes on insulin pump, without complications.", ["E10.9", "Z96.41"]),
    # An annual exam with a new finding is Z00.01; with a known, stable condition Z00.00.
    ("Annual physical exam; newly found elevated blood pressure reading.", ["Z00.01", "R03.0"]),
    ("Annual physical exam. HTN stable.", ["Z00.00", "I10"]),
    ("DM2 w/ PAD", ["E11.51"]), ("Infrarenal AAA, 4.2 cm, intact.", ["I71.43"]), ("WPW syndrome", ["I45.6"]),
    ("Mitral stenosis, moderate.", ["I05.0"]), ("Vit D deficiency.", ["E55.9"]),
])
def test_statuses_burns_bites_and_diabetes_control(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # "MS" and "PE" only where the words before them name the disease (they are also mitral stenosis and the exam).
    ("Relapsing-remitting MS.", ["G35.A"]), ("Hx of PE, on long-term warfarin.", ["Z86.711", "Z79.01"]),
    ("PE: normal.", []),
    # Index entries and conventions: gallstones, the ileum, hemorrhoids by grade, glue ear, newborn jaundice, an MTP
    # joint, EBV, "d/o".
    ("Symptomatic gallstones with chronic cholecystitis.", ["K80.10"]), ("Acute gallstone pancreatitis.", ["K85.10"]),
    ("Ileal Crohn's disease with intestinal obstruction.", ["K50.012"]), ("Grade III internal haemorrhoids.", ["K64.2"]),
    ("Glue ear, bilateral.", ["H65.33"]), ("Breast milk jaundice.", ["P59.3"]),
    ("Acute gout flare, right first MTP joint.", ["M10.071"]), ("EBV infectious mononucleosis.", ["B27.00"]),
    ("Schizoaffective d/o, bipolar type.", ["F25.0"]), ("Generalized osteoarthritis.", ["M15.9"]),
    # "Alzheimer's disease or dementia G30.9 [F02.80]"; a post COVID-19 condition explains no symptom away; the
    # dysphagia's phase stays beside I69.391, whose note asks for it.
    ("Alzheimer disease.", ["G30.9", "F02.80"]), ("Long COVID with persistent fatigue.", ["U09.9", "R53.83"]),
    ("Oropharyngeal dysphagia as a residual of previous cerebral infarction.", ["I69.391", "R13.12"]),
])
def test_index_entries_and_partners_of_specialty_notes(codeset: SimpleIcd10CmCodeSet, text: str,
                                                       codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # What is screened for is no diagnosis (it was C18.9, C61, E11.9, B20, B19.20, I71.40 before): the encounter for
    # screening is the Z11-Z13 code (guideline I.C.21.c.5); not when declined or up to date.
    ("Colon cancer screening.", ["Z12.11"]), ("Prostate cancer screening.", ["Z12.5"]), ("Diabetes screening.", ["Z13.1"]),
    ("HIV screening.", ["Z11.4"]), ("Hepatitis C screening.", ["Z11.59"]), ("AAA screening.", ["Z13.6"]),
    ("Screening for colon cancer.", ["Z12.11"]), ("Colon cancer screening up to date.", []),
    ("Declined hepatitis C screening.", []), ("PHQ-9 screening positive for depression.", ["F32.A"]),
    ("Mammogram for screening of breast cancer.", ["Z12.31"]),
    ("This is just a screening colonoscopy that she is overdue for.", ["Z12.11"]),
    ("Screening for colon cancer due to family history.", ["Z12.11"]),
    # "Prophylaxis" still reads backwards as it did before "screening" joined it ("screening for" reads forward).
    ("Malaria prophylaxis with atovaquone-proguanil before travel.", []),
    # An allergy to stings is a status; a sting without an allergy is the venom's toxic effect.
    ("Bee sting allergy, carries EpiPen.", ["Z91.030"]),
    ("Bee sting R hand, local swelling only, no anaphylaxis.", ["T63.441A"]),
])
def test_screening_is_no_diagnosis(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Encounters for contraceptive management (Z30.-; the encounter says the contraceptive's use, no Z79.3), for
    # desensitization, drug-level monitoring, counseling and sports examinations.
    ("Initial prescription of oral contraceptives.", ["Z30.011"]), ("OCP refill.", ["Z30.41"]),
    ("Depo-Provera injection.", ["Z30.42"]), ("IUD removal.", ["Z30.432"]), ("Emergency contraception.", ["Z30.012"]),
    ("Allergy shots.", ["Z51.6"]), ("INR check, on warfarin.", ["Z51.81", "Z79.01"]),
    ("Dietary counseling.", ["Z71.3"]), ("Sports physical.", ["Z02.5"]), ("Staple removal.", ["Z48.02"]),
    # Treatment completed is a history: Z87.01, not J18.9.
    ("Follow up after completed treatment for pneumonia.", ["Z09", "Z87.01"]),  # the visit (I.C.21.c.8), first
    ("Completed treatment for tuberculosis.", ["Z86.11"]),  # was A15.9, active tuberculosis
    ("Allergic rhinitis due to cat dander.", ["J30.81"]), ("Trichomonas vaginitis.", ["A59.01"]),
])
def test_encounters_of_outpatient_care(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Poisoning by its intent (guideline I.C.19.e.5.b): accidental unless the note says otherwise; a suicide attempt by
    # a drug is the drug's self-harm code (no T14.91), its manifestations coded beside it.
    ("Accidental overdose of oxycodone.", ["T40.2X1A"]), ("Cocaine overdose.", ["T40.5X1A"]),
    ("Intentional overdose of lorazepam.", ["T42.4X2A"]),
    ("Tylenol overdose, suicide attempt, with vomiting.", ["T39.1X2A", "R11.10"]),
    ("Child swallowed several of her mother's atenolol tablets.", ["T44.7X1A"]),
    ("Carbon monoxide poisoning from a running car in the garage.", ["T58.01XA"]),
    ("Naproxen overdose.", ["T39.311A"]),  # a propionic acid derivative, not "other NSAID"
    ("Denies overdose, takes oxycodone as prescribed.", []), ("Ate breakfast, then took metformin.", ["Z79.84"]),
    # Underdosing (I.C.19.e.5.c): the drug's character 6 and the noncompliance code that says why.
    ("Poorly controlled hypertension; ran out of lisinopril two weeks ago.", ["I10", "T46.4X6A", "Z91.138"]),
    ("Hypothyroid, not taking levothyroxine because she cannot afford it.", ["E03.9", "T38.1X6A", "Z91.141"]),
    ("Hypothyroidism uncontrolled, skipping levothyroxine due to cost.", ["E03.9", "T38.1X6A", "Z91.120"]),
    ("Skipping metoprolol doses on purpose.", ["T44.7X6A", "Z91.128"]),
    # An anaphylaxis told as what happened: to a food its T78.0- code, to a drug T88.6 with the drug's adverse effect;
    # an allergy's "(anaphylaxis)" or a past one is the allergy status.
    ("Anaphylaxis after eating crab at a restaurant.", ["T78.02XA"]),
    ("Anaphylactic reaction to IV cefuroxime in the infusion center.", ["T88.6XXA", "T36.1X5A"]),
    ("Allergies: penicillin (anaphylaxis).", ["Z88.0"]), ("Hx anaphylaxis to peanuts; carries EpiPen.", ["Z91.010"]),
    ("Cow's milk allergy, tolerates baked milk.", ["Z91.0111"]), ("Alpha-gal syndrome.", ["Z91.014"]),
    ("Allergic to iv contrast.", ["Z91.041"]),
    # A drug before an effect it is known for names it the cause.
    ("Statin myopathy.", ["G72.0", "T46.6X5A"]), ("Lisinopril cough.", ["R05.9", "T46.4X5A"]),
    ("Drug rash from phenytoin.", ["L27.0", "T42.0X5A"]),
])
def test_poisoning_underdosing_and_anaphylaxis(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # What a test did not find is not coded ("neg for"); "Hx X" is "history of X".
    ("LLQ pain, CT neg for diverticulitis.", ["R10.32"]), ("Hx PE, on apixaban.", ["Z86.711", "Z79.01"]),
    ("Hx R breast ca s/p R mastectomy.", ["Z85.3", "Z90.11"]),
    # A follow-up that is planned is no subsequent encounter; one that is this visit is.
    ("Closed fracture of left distal radius, splinted, ortho f/u.", ["S52.502A"]),
    ("Closed fracture of left distal radius, f/u in 1 week.", ["S52.502A"]),
    ("Closed fracture of left distal radius, cast check f/u.", ["S52.502D"]),
    # Vaccines given are prevented diseases, not had ones ("Varicella, given calamine" is chickenpox); the visit's
    # immunization is Z23.
    ("MMR and varicella given.", ["Z23"]), ("Varicella, given calamine lotion.", ["B01.9"]),
    # Index entries of gynecology, allergy, pain and substance use.
    ("Heavy periods.", ["N92.0"]), ("Irregular menses.", ["N92.6"]), ("CIN 1 on biopsy.", ["N87.0"]),
    ("Pap: HSIL.", ["R87.613"]), ("Right ovarian endometrioma.", ["N80.121"]),
    ("Subserosal fibroid.", ["D25.2"]), ("Lichen sclerosus of vulva.", ["N90.4"]),
    ("Annual gyn exam.", ["Z01.419"]), ("Hereditary angioedema.", ["D84.1"]), ("Cold urticaria.", ["L50.2"]),
    ("CVID.", ["D83.9"]), ("Myofascial pain syndrome of the neck.", ["M79.18"]), ("Coccydynia.", ["M53.3"]),
    ("Acute LBP.", ["M54.50"]), ("Shift work sleep disorder.", ["G47.26"]),
    ("Smokeless tobacco dependence.", ["F17.220"]), ("Benzodiazepine dependence.", ["F13.20"]),
    ("Left anterior shoulder dislocation.", ["S43.015A"]), ("Pleuritic chest pain.", ["R07.81"]),
    ("Genetic counseling.", ["Z71.83"]), ("Preop eval before right hip replacement.", ["Z01.818"]),
])
def test_negated_tests_history_episodes_and_index_entries(codeset: SimpleIcd10CmCodeSet, text: str,
                                                          codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Complications of care, by device, joint and side; the device's status is not coded beside its complication, nor
    # a stoma's beside attention to it (Excludes1); the organism named beside an infection of care is its cause.
    ("Deep incisional SSI after appendectomy.", ["T81.42XA", "Z90.49"]), ("Wound dehiscence.", ["T81.31XA"]),
    ("Infected left total knee arthroplasty, MRSA.", ["T84.54XA", "B95.62"]),
    ("Mechanical loosening of right hip replacement.", ["T84.030A"]),
    ("Dislodged pacemaker lead.", ["T82.120A"]), ("Infected colostomy site.", ["K94.02"]),
    ("Tracheostomy care.", ["Z43.0"]), ("Suprapubic catheter change.", ["Z43.5"]),
    ("Rehab after right total knee replacement.", ["Z47.1", "Z96.651"]),
    # A follow-up visit after completed treatment: Z08 / Z09 first (not one only planned, nor "no evidence of disease").
    ("Hx of colon cancer, surveillance visit.", ["Z08", "Z85.038"]),
    ("Hx of colon cancer, colonoscopy due next year.", ["Z85.038"]),
    ("History of kidney stones, follow-up visit.", ["Z09", "Z87.442"]),
    # A chronic ulcer's depth and a heel's ulcer (L97.4-); bone necrosis is the ulcer's depth, no osteonecrosis.
    ("T2DM with foot ulcer of the left heel, fat layer exposed.", ["E11.621", "L97.422"]),
    ("Chronic ulcer of right calf with necrosis of muscle.", ["L97.213"]),
    ("Diabetic foot ulcer of right great toe with bone necrosis.", ["E11.621", "L97.514"]),
    # Spine: a lumbar level names the region; HNP, DDD.
    ("L5 HNP with radiculopathy.", ["M51.16"]), ("Lumbar DDD.", ["M51.369"]),
    ("Lumbar degenerative disc disease with leg pain only.", ["M51.361"]),
    # Screening by its test's words; a test of the screened-for disease is no diagnosis of it.
    ("HCV antibody screening.", ["Z11.59"]), ("Chlamydia screen.", ["Z11.3"]), ("Depression screen.", ["Z13.31"]),
    # Abbreviations: OUD, hep C, mets, LLE.
    ("OUD on buprenorphine.", ["F11.20"]), ("Chronic hep B.", ["B18.1"]), ("Lung mets.", ["C78.00"]),
    ("Cellulitis of RLE.", ["L03.115"]),
    # NPIAP's pressure injury is a pressure ulcer; a concussion's minutes of lost consciousness; a chemical burn is a
    # corrosion, with the chemical's toxic effect; glass in a wound is a foreign body.
    ("Stage 3 pressure injury of the sacrum.", ["L89.153"]), ("Deep tissue pressure injury, right heel.", ["L89.616"]),
    ("Concussion with LOC for 5 minutes.", ["S06.0X1A"]), ("Concussion with LOC x 20 sec.", ["S06.0X1A"]),
    ("Chemical burn, first degree, right hand, from drain cleaner.", ["T23.501A", "T54.3X1A"]),
    ("Laceration of right index finger with glass in it.", ["S61.220A"]),
    # Insomnia due to a mental disorder; an INR above range on warfarin, a dystonic reaction to a drug (adverse effects).
    ("Insomnia secondary to major depressive disorder, recurrent, moderate.", ["F51.05", "F33.1"]),
    ("Supratherapeutic INR on warfarin.", ["R79.1", "T45.515A", "Z79.01"]),
    ("Acute dystonic reaction to metoclopramide.", ["G24.02", "T45.0X5A"]),
    ("Osteoporotic compression fracture, initial encounter.", ["M80.08XA"]), ("Newborn check.", ["Z00.110"]),
    ("Cancer pain.", ["G89.3"]),
    # Dependence absorbs use and abuse of the same substance (I.C.5.b.1); an intoxication is no poisoning.
    ("Alcohol dependence. Alcohol withdrawal delirium.", ["F10.231"]),
    ("Cocaine use disorder, severe. Cocaine abuse with intoxication.", ["F14.229"]),
    ("PCN allergy (hives as a child).", ["Z88.0"]),
])
def test_complications_aftercare_ulcer_depth_spine_and_screening(codeset: SimpleIcd10CmCodeSet, text: str,
                                                                 codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Pregnancy: gestational diabetes and hypertension are no pre-existing ones; the weeks of this pregnancy, not of a
    # past one; a specific high-risk supervision replaces the unspecified one; conditions in pregnancy by chapter 15.
    ("Gestational diabetes, diet controlled, 30 wks.", ["O24.410", "Z3A.30"]),
    ("Gestational HTN at 35 weeks.", ["O13.3", "Z3A.35"]),
    ("Hx of stillbirth at 36 wks; current IUP at 12 weeks.", ["O09.291", "Z3A.12"]),
    ("Twin gestation, mono-di, 20 weeks.", ["O30.032", "Z3A.20"]), ("Frank breech at 37 weeks.", ["O32.1XX0", "Z3A.37"]),
    ("Threatened abortion at 6 weeks.", ["O20.0", "Z3A.01"]), ("Lactational mastitis.", ["O91.23"]),
    ("Acute cystitis, 24 weeks pregnant.", ["O23.12", "Z3A.24"]),
    # Heart and kidney disease of hypertension is one I13 code by heart failure and stage.
    ("Hypertensive heart and chronic kidney disease, CKD stage 3b.", ["I13.10", "N18.32"]),
    ("Hypertensive heart and kidney disease with ESRD; chronic diastolic heart failure.", ["I13.2", "I50.32", "N18.6"]),
    # Cardiology: old infarction, pulmonary hypertension is no essential hypertension, coronary arteries by name,
    # devices, DVT by vein.
    ("CAD with old NSTEMI.", ["I25.10", "I25.2"]), ("Group 2 pulmonary HTN due to chronic HFrEF.", ["I27.22", "I50.22"]),
    ("s/p TAVR.", ["Z95.2"]), ("Chronic systolic HF, AICD.", ["I50.22", "Z95.810"]),
    ("Acute DVT of left femoral vein.", ["I82.412"]), ("AVNRT.", ["I47.19"]), ("Acute idiopathic pericarditis.", ["I30.0"]),
    # Endocrine and hematology/oncology names.
    ("T2DM in remission.", ["E11.A"]), ("T1DM with DKA without coma.", ["E10.10"]), ("SIADH.", ["E22.2"]),
    ("Prolactinoma.", ["D35.2"]), ("Iatrogenic Cushing syndrome due to long-term prednisone.", ["E24.2", "T38.0X5A", "Z79.52"]),
    ("T2DM with Charcot arthropathy of right foot.", ["E11.610"]),
    ("Anemia due to CLL.", ["C91.10", "D63.0"]), ("VWD type 1.", ["D68.01"]), ("Prostate adenoca.", ["C61"]),
    ("Pancreatic head adenocarcinoma.", ["C25.0"]), ("Liver mets, primary unknown.", ["C78.7", "C80.1"]),
    ("RUL solitary nodule.", ["R91.1"]), ("Left breast mass.", ["N63.20"]), ("Right breast DCIS.", ["D05.11"]),
    ("Left breast cancer, UOQ.", ["C50.412"]), ("Malunion of left Colles fracture.", ["S52.532P"]),
    # A breast malignancy's receptor statuses (Z17): each receptor given, combined only where given as one.
    ("Left breast IDC, ER+/PR-/HER2+.", ["C50.912", "Z17.0", "Z17.22", "Z17.31"]),
    ("Triple negative breast cancer, right breast.", ["C50.911", "Z17.421"]),
    ("Right breast cancer, HR positive, HER2 negative.", ["C50.911", "Z17.411"]),
    # A regimen is this visit's chemotherapy only where the cycle is given now; a resection in a year past is history;
    # the hypoglycemia level a diabetes code asks for stays beside it; an insulin level is no insulin use.
    ("Sigmoid colon cancer on FOLFOX.", ["C18.7"]), ("Cycle 4 FOLFOX today for sigmoid colon cancer.", ["Z51.11", "C18.7"]),
    ("DLBCL in remission after 6 cycles of R-CHOP.", ["C83.3A"]),
    ("Colon cancer resected 2021, no recurrence.", ["Z85.038"]), ("Polyp of sigmoid colon found and removed.", ["K63.5"]),
    ("Type 2 diabetic with hypoglycemia level 2.", ["E11.649", "E16.A2"]), ("Insulin level elevated.", []),
    ("HbSS disease on hydroxyurea.", ["D57.1", "Z79.64"]), ("Asymptomatic HIV infection, 20 weeks pregnant.",
                                                              ["O98.712", "Z21", "Z3A.20"]),
    ("Hypertensive heart and kidney disease, CKD 5, chronic diastolic heart failure.", ["I13.2", "I50.32", "N18.5"]),
    # A past pregnancy's outcome is the current pregnancy's supervision or scar code, only in a pregnancy's statement.
    ("Hx of molar pregnancy; current IUP at 9 weeks.", ["O09.A1", "Z3A.09"]),
    ("Hx of low transverse C-section, desires TOLAC; 34 wks.", ["O34.211", "Z3A.34"]),
    ("History of C-section.", []), ("History of stillbirth.", []),
    # "vs." and a decimal point end no clause (a doubt reaches past them); a side after what it qualifies; "ICD" is the
    # device only after "s/p" or a history cue.
    ("? TIA vs. migraine aura.", []), ("TSH 0.2 - possible hyperthyroidism vs. nonthyroidal illness.", []),
    ("Nursemaid's elbow R, reduced.", ["S53.031A"]), ("Chronic HFrEF, s/p ICD.", ["I50.22", "Z95.810"]),
    ("ICD-10 codes reviewed.", []),
    # Guideline I.B.13: a bilateral condition without a bilateral code is coded for each side (not where the family
    # has a bilateral code: "Bilateral primary OA of knees" is M17.0).
    ("Bilateral hallux valgus.", ["M20.11", "M20.12"]), ("Hallux valgus.", ["M20.10"]),
    ("Patellofemoral pain syndrome, bilateral.", ["M22.2X1", "M22.2X2"]), ("Bilateral primary OA of knees.", ["M17.0"]),
    # Index entries of sports medicine: a stress fracture (M84.3-), the ATFL (S93.49-), Osgood-Schlatter (M92.52-).
    ("Stress fracture of right 3rd metatarsal.", ["M84.374A"]), ("Left tibial stress fracture.", ["M84.362A"]),
    ("Left ankle sprain, ATFL.", ["S93.492A"]), ("Osgood-Schlatter disease, left knee.", ["M92.522"]),
    # An unspecified injury of a site says nothing beside the injury the statement names.
    ("Right ankle inversion injury, ATFL sprain.", ["S93.491A"]), ("Ankle injury.", ["S99.919A"]),
])
def test_pregnancy_cardiology_endocrine_and_oncology_wording(codeset: SimpleIcd10CmCodeSet, text: str,
                                                            codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A condition due to the cause its Excludes1 note names is coded as the cause; a doubted cause is not coded.
    ("Hyponatremia due to SIADH (Na 128); fluid restriction.", ["E22.2"]),
    ("Hyponatremia due to sertraline; SIADH not confirmed.", ["E87.1", "T43.225A"]),
    # "Diabetes, due to underlying condition E08.-": the condition its "code first" note names, then E08.
    ("DM due to chronic pancreatitis, on insulin.", ["K86.1", "E08.9", "Z79.4"]),
    ("Diabetes secondary to pancreatic cancer.", ["C25.9", "E08.9"]),
    ("T2DM, chronic pancreatitis due to alcohol.", ["E11.9", "K86.0"]),
    # Diabetes in remission (E11.A) says more than E11.9; a complication's combination code still takes it.
    ("T2DM in remission; A1c 5.6% off all diabetes meds.", ["E11.A"]),
    ("Type 2 diabetes in remission with stage 3a CKD.", ["E11.22", "N18.31"]),
    ("T2DM in remission s/p sleeve gastrectomy.", ["E11.A", "Z98.84"]),
    # E11.649 leaves the hypoglycemia's level to E16.A-, which its note asks for.
    ("T2DM with level 2 hypoglycemia.", ["E11.649", "E16.A2"]), ("T2DM with hypoglycemia.", ["E11.649"]),
    # One combination code takes every part that leads to it.
    ("Hyperemesis gravidarum with dehydration and ketonuria at 9 wks.", ["O21.1", "Z3A.09"]),
    ("Hyperemesis gravidarum at 8 weeks.", ["O21.0", "Z3A.08"]),
    ("Hashimoto's thyroiditis w/ hypothyroidism, on levothyroxine.", ["E06.3"]),
    # Atherosclerosis of the legs by what it causes and the side.
    ("Claudication due to atherosclerosis of native arteries of the right leg.", ["I70.211"]),
    ("Atherosclerosis of native arteries of L leg with rest pain.", ["I70.222"]),
    ("Atherosclerosis of both legs with intermittent claudication.", ["I70.213"]),
])
def test_named_causes_remission_partners_and_combinations(codeset: SimpleIcd10CmCodeSet, text: str,
                                                         codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_pre_eclampsia_on_chronic_hypertension_names_the_hypertension_type(codeset: SimpleIcd10CmCodeSet) -> None:
    # O11's note: "use additional code from O10 to identify the type of hypertension" (essential unless stated).
    assert sorted(top(codeset, "Superimposed preeclampsia on chronic HTN, 36 wks; labetalol increased.")) == [
        "O10.013", "O11.3", "Z3A.36"]


@pytest.mark.parametrize("text, codes", [
    # The rheumatoid factor divides rheumatoid arthritis (M05 with it, M06.0- without it): never the default absence.
    ("RA with positive RF, both hands, no organ involvement; on methotrexate 15 mg weekly.",
     ["M05.741", "M05.742", "Z79.631"]),
    ("Seropositive rheumatoid arthritis of right knee.", ["M05.761"]), ("Seronegative RA of the right hand.", ["M06.041"]),
    ("RA, multiple sites, RF positive.", ["M05.79"]), ("Hx RA, on methotrexate 15 mg weekly.", ["M06.9", "Z79.631"]),
    # "RA" as room air, the right atrium or a receptor agonist is no rheumatoid arthritis.
    ("Pneumonia, SpO2 98% on RA.", ["J18.9"]), ("Morbid obesity, BMI 41.6, discussed GLP-1 RA.", ["E66.01", "Z68.41"]),
])
def test_rheumatoid_factor_and_the_abbreviation_ra(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A meniscus tear is a current injury unless the note calls it old (M23.2-, derangement due to old tear).
    ("Acute bucket-handle tear medial meniscus, R knee - arthroscopy scheduled.", ["S83.211A"]),
    ("Old tear posterior horn medial meniscus L knee with mechanical symptoms.", ["M23.222"]),
    # Age-related cataracts by type, as notes name them; OD / OS are the eyes in a statement about the eyes.
    ("Nuclear sclerotic cataract OU, visually significant OD - refer for CE/IOL.", ["H25.13"]),
    ("PSC cataract OS.", ["H25.042"]), ("Cortical cataract, right eye.", ["H25.011"]),
    ("R TM perforation.", ["H72.91"]),
    # "ED" is erectile dysfunction only as a problem's name, never the emergency department.
    ("ED, likely vasculogenic; sildenafil 50 mg prn.", ["N52.9"]),
    ("ED: anaphylaxis after eating shrimp, IM epi x1.", ["T78.02XA"]),
    ("Anaphylaxis to peanuts at school, EpiPen given, ED eval.", ["T78.01XA"]),
    # A burst of steroids is no long-term use, whatever "chronic" the disease's name carries.
    ("COPD exacerbation - prednisone 40 mg x5d, doxycycline.", ["J44.1"]),
    ("PMR on prednisone 10 mg daily.", ["M35.3", "Z79.52"]),
])
def test_meniscus_cataracts_ear_erectile_dysfunction_and_steroid_bursts(codeset: SimpleIcd10CmCodeSet, text: str,
                                                                       codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, expected", [
    ("Seen in the ED for chest pain", "ed"), ("ED visit yesterday", "ed"), ("Presented to ED", "ed"),
    ("ED on tadalafil", "erectile"), ("Opioid OD", "od"), ("Cataract OD", "right"),
])
def test_abbreviations_read_by_their_context(text: str, expected: str) -> None:
    assert expected in tokens(text)


@pytest.mark.parametrize("text, codes", [
    # Abbreviations of ENT, eye, women's and men's health, rheumatology and infection notes.
    ("SSNHL L.", ["H91.22"]), ("TMJ arthralgia L.", ["M26.622"]), ("Cerumen impaction AU.", ["H61.23"]),
    ("RLS - ferritin 38.", ["G25.81"]), ("PMB x2 episodes.", ["N95.0"]), ("BV - clue cells. Metronidazole.", ["N76.0"]),
    ("Recurrent VVC.", ["B37.32"]), ("LTBI - QFT +, CXR neg.", ["Z22.7"]), ("GSM - vaginal dryness.", ["N95.2"]),
    ("Swimmer's ear L - canal edema.", ["H60.332"]),
    # In a statement about the eyes PVD is the vitreous's detachment; ocular hypertension is no essential hypertension.
    ("New floaters OS x3 d. DFE: Weiss ring, PVD OS, retina flat.", ["H43.812"]),
    ("Ocular HTN OU - IOP 26/27, start timolol.", ["H40.053"]), ("Combined cortical/nuclear cataract OD.", ["H25.811"]),
    # An eponym said alone names its disease; a recurrence is recurrent.
    ("Raynaud's fingers bilat.", ["I73.00"]), ("Peyronie's - 30 deg dorsal curvature.", ["N48.6"]),
    ("C. diff infection, 2nd recurrence - fidaxomicin.", ["A04.71"]),
    # What is looked for, pending, prevented or cleared is no diagnosis.
    ("Yellow fever + typhoid Vi vaccines today.", []), ("Flu vaccine given today.", ["Z23"]),
    ("Flu/COVID PCR pending - presumptive influenza, start oseltamivir.", []),
    ("HCC surveillance - RUQ US + AFP q6mo.", []), ("HCV Ab+, RNA neg x2 - spontaneously cleared.", []),
    ("TB exposure - coworker w/ active pulm TB. QFT neg, CXR clear.", ["Z20.1"]),
    # Lyme disease's erythema migrans; past falls; a provoked PE in the past; a coughing fit is no convulsion.
    ("Early Lyme - erythema migrans 8 cm L thigh.", ["A69.20"]), ("Hx falls (2 last yr), none in past 6 mo.", ["Z91.81"]),
    ("82F s/p mechanical fall at home 2 d ago, tripped on rug. Bruising R hip.", ["S70.01XA"]),
    ("Hx provoked PE 2021, off anticoagulation.", ["Z86.711"]), ("Subconjunctival heme OS after a coughing fit.", ["H11.32"]),
    # Status: immunosuppressants in use, not a dose given today or a topical one.
    ("HbSS disease without crisis, on hydroxyurea.", ["D57.1", "Z79.64"]),
    ("Right tubal ectopic pregnancy; methotrexate IM given, serial hCG.", ["O00.101"]),
    ("Psoriatic arthritis on adalimumab.", ["L40.50", "Z79.620"]),
    ("Sjogren's syndrome, dry eyes - cyclosporine drops.", ["M35.01"]),
    ("Iron deficiency anemia due to menorrhagia - ferrous sulfate.", ["D50.0", "N92.0"]),
])
def test_specialty_abbreviations_cues_and_drug_statuses(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_an_unspecified_code_becomes_the_one_a_kept_codes_note_names(codeset: SimpleIcd10CmCodeSet) -> None:
    # N40.1's "use additional code" note names urinary retention as R33.8.
    assert sorted(top(codeset, "Acute urinary retention 2/2 BPH - PVR 850, Foley placed.")) == ["N40.1", "R33.8"]
    assert top(codeset, "Urinary retention.") == ["R33.9"]


@pytest.mark.parametrize("text, codes", [
    # Gravida and para say a pregnancy goes on only where more pregnancies than have ended; "pads" are no PAD.
    ("G2P2, stress urinary incontinence, pads x2/day - pelvic floor PT referral.", ["N39.3"]),
    ("G3P2002 @ 29 wks, uncomplicated pregnancy.", ["Z34.83", "Z3A.29"]),
    # Both thumbs' first CMC joints; the visits women's health and Medicare name.
    ("Primary OA of both 1st CMC joints (thumb base), pinch pain.", ["M18.0"]),
    ("Medicare AWV, 78F, no new complaints.", ["Z00.00"]), ("Annual well-woman, 42F, no complaints.", ["Z01.419"]),
    ("Contraception - Nexplanon inserted L arm today.", ["Z30.017"]),
])
def test_gravida_para_pads_thumbs_and_visits(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # "Hypoxemic" and "hypercapnic" are the Tabular's "with hypoxia" / "with hypercapnia"; "resp" is respiratory.
    ("Chronic hypoxemic resp failure - 2 L NC continuous, SpO2 91%.", ["J96.11"]),
    ("Acute on chronic hypercapnic respiratory failure.", ["J96.22"]),
    # "Bilat" and "mod" say the side and the severity the descriptions spell out.
    ("Primary OA bilat knees, KL 3 - PT.", ["M17.0"]), ("T2DM w/ mod NPDR w/o DME OU.", ["E11.3393"]),
    # "Ca of bladder", "urothelial ca": cancer before its site and after its cell type; "CAP" is the pneumonia.
    ("High-grade urothelial ca of bladder s/p TURBT, on BCG maintenance.", ["C67.9"]),
    ("CAP, RLL infiltrate on CXR - amoxicillin + azithromycin.", ["J18.9"]),
    ("Serum Ca 10.9, mild hypercalcemia.", ["E83.52"]),
    # PDR and DME are the eye's in a statement about the eyes (not durable medical equipment elsewhere).
    ("T1DM w/ PDR + center-involving DME OS on anti-VEGF.", ["E10.3512"]), ("DME order for rolling walker.", []),
    # An unsteady gait is R26.81.
    ("Unsteady gait - PT referral.", ["R26.81"]),
])
def test_respiratory_failure_abbreviations_and_eye_statements(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Dementia by severity and disturbance in each category: wandering is "other behavioral disturbance" (its note
    # asks for Z91.83 beside it), psychotic features the psychotic disturbance.
    ("Dementia (type unspecified), moderate, w/ wandering - door alarms.", ["F03.B18", "Z91.83"]),
    ("Alzheimer dementia, moderate, wanders at night.", ["G30.9", "F02.B18"]),
    ("Mild dementia with psychotic features.", ["F03.A2"]), ("Vascular dementia, severe, with hallucinations.", ["F01.C2"]),
    ("Vascular dementia, mild, no behavioral sx.", ["F01.A0"]), ("Dementia.", ["F03.90"]),
])
def test_dementia_by_severity_and_disturbance(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A description's "without X" is no match where the note affirms X: a rhegmatogenous detachment is no
    # "horseshoe tear without detachment" (it is one with a single break), gallstones with cholecystitis no K80.20.
    ("Mac-on rhegmatogenous RD OD w/ single superior horseshoe tear - pneumatic retinopexy today.", ["H33.011"]),
    ("Retinal horseshoe tear OD, no detachment.", ["H33.311"]),
    ("Migraine with aura.", ["G43.109"]), ("Migraine without aura.", ["G43.009"]),
    ("Acute cystitis with hematuria.", ["N30.01"]), ("Lumbar spondylosis with radiculopathy.", ["M47.26"]),
])
def test_an_affirmed_absence_rules_its_description_out(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_absent_words_reads_each_absence_of_a_description() -> None:
    from services.coding.matcher import absent_words
    assert absent_words("Horseshoe tear of retina without detachment, right eye") == (frozenset({"detachment"}),)
    assert absent_words("Spondylosis without myelopathy or radiculopathy, lumbar region") == (
        frozenset({"myelopathy"}), frozenset({"radiculopathy"}))
    assert len(absent_words("Unspecified dementia, moderate, without behavioral disturbance, psychotic disturbance, "
                            "mood disturbance, and anxiety")) == 4
    assert absent_words("Essential (primary) hypertension") == ()


@pytest.mark.parametrize("text, codes", [
    # Abbreviations the descriptions spell out: APS, OHS, SSc, MTX, SNHL (not "cHL", a Hodgkin lymphoma).
    ("APS (triple-positive) - warfarin, INR goal 2-3.", ["D68.61", "Z79.01"]),
    ("OHS w/ chronic hypercapnic resp failure - BiPAP nightly.", ["E66.2", "J96.12"]),
    ("Limited cutaneous SSc (CREST) - nifedipine.", ["M34.1"]), ("Hodgkin lymphoma (cHL) in remission.", ["C81.9A"]),
    ("Bilateral SNHL - hearing aids.", ["H90.3"]), ("Mild conductive HL on audiogram.", ["H90.2"]),
    # Index entries: neurogenic bladder, ESBL resistance beside the organism, shift work disorder; tinnitus by side.
    ("Neurogenic bladder 2/2 RRMS - CIC q6h.", ["N31.9", "G35.A"]),
    ("Acute cystitis, UCx >100K ESBL E. coli - nitrofurantoin.", ["N30.00", "B96.20", "Z16.12"]),
    ("Shift work disorder - night-shift RN.", ["G47.26"]), ("Tinnitus R, nonpulsatile x6 mo.", ["H93.11"]),
    # Inhaled steroids by their generic pairs; latent TB and CIN have their own history codes.
    ("Mild persistent asthma, well controlled on budesonide-formoterol 160/4.5 2 puffs BID.", ["J45.30", "Z79.51"]),
    ("Hx latent TB, completed 4 mo rifampin 2022.", ["Z86.15"]), ("LTBI - start rifampin x4 mo.", ["Z22.7"]),
    ("Hx CIN 2 s/p LEEP 2021, cotests neg x2 since.", ["Z87.410"]), ("Hx CIN III s/p cone.", ["Z86.001"]),
    ("CIN 2 on colposcopic biopsy - LEEP.", ["N87.1"]),
])
def test_specialty_abbreviations_index_entries_and_histories(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A diabetic retinopathy whose statement names no type is type 2's, or type 1's in a note that names only type 1;
    # E10.9 then gives way to the specific code.
    ("1. Moderate NPDR, right eye, with center-involving DME - refer retina.\n2. Type 2 DM - metformin 1000 mg BID.",
     ["E11.3311", "Z79.84"]),
    ("1. PDR with DME, both eyes, s/p PRP OU - monthly ranibizumab OU.\n2. DM type 1, managed with insulin pump.",
     ["E10.3513", "Z96.41"]),
    ("Diabetes due to chronic pancreatitis.", ["K86.1", "E08.9"]),
    # Age-related macular degeneration: wet / neovascular is exudative, dry nonexudative; geographic atrophy is the
    # advanced atrophic stage; a disciform scar is the inactive scar.
    ("Wet AMD OD, active CNV - aflibercept.", ["H35.3211"]), ("Dry AMD OU, early stage.", ["H35.3131"]),
    ("Geographic atrophy OD involving the fovea.", ["H35.3114"]), ("Exudative AMD OS with disciform scar.", ["H35.3223"]),
    ("Dry cough x3 wk.", ["R05.9"]),
    # Retina, uvea, lens and refraction by their abbreviations and Index names.
    ("CRAO OD, onset ~36 h ago; cherry-red spot.", ["H34.11"]), ("CRVO OD with CME - start bevacizumab.", ["H34.8110"]),
    ("HSV epithelial keratitis OS - classic dendrite.", ["B00.52"]),
    ("Recurrent acute anterior uveitis, left eye.", ["H20.022"]), ("Amblyopia, anisometropic type - left eye.", ["H53.022"]),
    ("Hyperopia OS +4.50.", ["H52.02"]), ("Posterior capsular opacification OD - YAG.", ["H26.491"]),
])
def test_diabetic_eye_disease_amd_and_eye_abbreviations(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Stroke sequelae: the deficit's own side, the handedness the note gives, "late effect", an MCA infarct.
    ("R hemiparesis, residual from L MCA ischemic stroke (2023). Pt is right-handed.", ["I69.351"]),
    ("L-sided hemiparesis as a late effect of ischemic stroke (2021).", ["I69.354"]),
    ("Left hemiplegia following R MCA infarct 2 yrs ago - pt is left-handed.", ["I69.352"]),
    # Parkinson's disease by dyskinesia and fluctuations; headache, epilepsy, dementia and nerve abbreviations.
    ("Parkinson's disease with peak-dose dyskinesias and unpredictable OFF periods.", ["G20.B2"]),
    ("Parkinson's disease, no dyskinesias.", ["G20.A1"]),
    ("Chronic TTH, ~18 days/mo, not intractable.", ["G44.229"]),
    ("JME - seizure-free 3 yrs on lamotrigine. Not intractable.", ["G40.B09"]),
    ("Bilat CTS, R>L, moderate on EMG/NCS.", ["G56.03"]), ("L L5 radic from L4-5 HNP.", ["M51.16"]),
    ("Ulnar neuropathy at the elbow on the right side - elbow pad.", ["G56.21"]),
    ("Cervical spondylotic myelopathy (multilevel C5-7).", ["M47.12"]),
    # Orthopedics: sides written "R>L" and "R-sided", ruptures, malleoli, bursae, tendinopathy, OA of any joint.
    ("Bilateral primary OA of knees, R>L, KL grade 3 both.", ["M17.0"]),
    ("Low back pain with R-sided sciatica x3 wks.", ["M54.41"]), ("Acute ACL rupture, L knee.", ["S83.512A"]),
    ("Acute nondisplaced fracture lateral malleolus L, after misstep today.", ["S82.65XA"]),
    ("Greater trochanteric bursitis, right.", ["M70.61"]), ("Patellar tendinopathy, both knees.", ["M76.51", "M76.52"]),
    ("OA R shoulder.", ["M19.011"]), ("Isolated chronic sphenoid sinusitis, L.", ["J32.3"]),
    ("Unilateral vocal fold paralysis, left, idiopathic.", ["J38.01"]),
])
def test_stroke_sequelae_neurology_and_orthopedic_wording(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # What is prevented, planned, examined or healing is no diagnosis or status: DVT prophylaxis, a hip replacement
    # only booked, a scleral depression (an exam), a fracture's bridging callus, an elbow pad.
    ("2-wk post-op visit s/p R TKA. ASA 81 mg BID x 4 more weeks for DVT ppx.", ["Z96.651", "Z79.82"]),
    ("Severe end-stage primary OA, right hip - booked for R THA 6/12.", ["M16.11"]),
    ("Dilated exam with scleral depression: Weiss ring, no retinal tear.", []),
    ("6 wk f/u R Colles fx. XR: bridging callus - healing as expected.", ["S52.531D"]),
    ("Callus on plantar R foot - pared.", ["L84"]), ("PAD with claudication, on cilostazol.", ["I73.9", "Z79.02"]),
])
def test_prophylaxis_plans_exams_and_healing_are_no_diagnosis(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_an_unspecified_sensorineural_loss_gives_way_to_its_named_kind(codeset: SimpleIcd10CmCodeSet) -> None:
    assert top(codeset, "Presbycusis, both ears. Audiogram: sloping high-frequency SNHL.") == ["H91.13"]
    assert top(codeset, "Bilateral SNHL - hearing aids.") == ["H90.3"]
    assert top(codeset, "SNHL.") == ["H90.5"]


@pytest.mark.parametrize("text, codes", [
    # "Not specified as traumatic" and "current injury" are absences too: a traumatic tear is a strain of the rotator
    # cuff (S46.01-), an old meniscus tear a derangement (M23.2-); a tear's thickness says whether it is complete.
    ("Full-thickness supraspinatus tear, right shoulder, traumatic - FOOSH 3 weeks ago.", ["S46.011A"]),
    ("Chronic degenerative complete RTC tear L shoulder, no antecedent injury.", ["M75.122"]),
    ("Partial-thickness articular-sided supraspinatus tear, right shoulder, atraumatic.", ["M75.111"]),
    ("RTC 3 mo with OCT.", []), ("Partial thickness burn of left forearm.", ["T22.212A"]),
    ("Old tear of medial meniscus, right knee.", ["M23.203"]), ("Acute medial meniscus tear, right knee.", ["S83.241A"]),
    # Ears: a spontaneous perforation is the ear drum's rupture; hearing losses,
    # vestibular neuritis, tonsils and septum by their Index names.
    ("R AOM with spontaneous TM perforation - purulent otorrhea.", ["H66.011"]),
    ("Chronic suppurative otitis media, left ear, tubotympanic type.", ["H66.12"]),
    ("Chronic serous otitis media, bilateral.", ["H65.23"]),
    ("Bilateral SNHL, asymmetric (L worse than R).", ["H90.3"]),
    ("Noise-induced hearing loss, both ears - 4 kHz notch.", ["H83.3X3"]),
    ("Acute vestibular neuritis, left - continuous vertigo x 2 days.", ["H81.22"]),
    ("Pediatric OSA secondary to adenotonsillar hypertrophy; T&A scheduled.", ["G47.33", "J35.3"]),
    # A high ankle sprain; a narrow angle; PD where the statement is about Parkinson's disease only.
    ("High ankle sprain, right (AITFL), 4 days ago.", ["S93.431A"]), ("Narrow angle OD, no PAS, IOP 17.", ["H40.031"]),
    ("PD with motor fluctuations - wearing-off after each carbidopa-levodopa dose; no dyskinesias.", ["G20.A2"]),
    ("Restaging CT: PD in liver.", []),
])
def test_tears_ears_and_context_abbreviations(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # What each side has, said after the condition: in another sentence or clause, or between commas.
    ("Primary open-angle glaucoma. Right eye is severe stage with IOP above target; left eye remains mild stage.",
     ["H40.1113", "H40.1121"]),
    ("POAG OU, severe stage OD, mild stage OS.", ["H40.1113", "H40.1121"]),
    ("Dry ARMD OU: intermediate stage OD (large drusen, pigment changes), early stage OS.", ["H35.3112", "H35.3121"]),
    # A side's heading names where the next clause's finding is.
    ("R knee: radial tear posterior horn medial meniscus, acute - twisted knee playing soccer 10 days ago.", ["S83.241A"]),
    ("Left eye: mild NPDR, no macular edema on OCT.", ["E11.3292"]),
    # A side said to be normal, a procedure on one side, a side of its own condition refine nothing.
    ("Sudden idiopathic SNHL, right ear; left ear normal thresholds.", ["H91.21"]),
    ("Bilateral primary OA of knees, R>L. R knee CSI today.", ["M17.0"]),
    ("Combined cortical and nuclear age-related cataract OS, VA 20/70; OD pseudophakic.", ["H25.812"]),
    ("Pigmentary glaucoma, left eye, mild stage. The right eye shows pigment dispersion but no glaucomatous damage.",
     ["H40.1321"]),
    ("Asthma. Right lower lobe crackles.", ["J45.909"]),
    # Guideline I.B.13: one condition on both sides, coded side by side, is its bilateral code where there is one.
    ("Severe end-stage primary OA, right hip. Left hip: mild primary OA, asymptomatic.", ["M16.0"]),
    ("Carpal tunnel syndrome, right wrist. Carpal tunnel syndrome, left wrist.", ["G56.03"]),
])
def test_findings_said_side_by_side(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


def test_a_clause_per_side_between_commas() -> None:
    assert clauses("Dry AMD: intermediate stage OD (large drusen, pigment changes), early stage OS") == [
        ["dry", "age", "related", "macular", "degeneration"],
        ["intermediate", "stage", "right", "eye", "large", "drusen", "pigment", "change"],
        ["early", "stage", "left", "eye"]]
    assert clauses("Moderate NPDR, right eye, with center-involving DME") == [
        ["moderate", "nonproliferative", "diabetic", "retinopathy", "right", "eye", "with", "center", "involving",
         "diabetic", "macular", "edema"]]


@pytest.mark.parametrize("text, codes", [
    # Guideline I.B.5: a sign routinely part of a diagnosis the note establishes is not coded beside it, in whichever
    # statement it is said; beside an unrelated diagnosis it is.
    ("AOM R ear. 3 y/o w/ fever and ear tugging x2d. Amoxicillin high dose.", ["H66.91"]),
    ("BPPV, R posterior canal - positive Dix-Hallpike on the right with upbeating torsional nystagmus.", ["H81.11"]),
    ("Community-acquired pneumonia, RLL. Fever and productive cough x3 days.", ["J18.9"]),
    ("Acute cystitis. Dysuria and frequency x2 days.", ["N30.00"]),
    ("Migraine without aura. Headache x2 days with nausea.", ["G43.009"]),
    ("Acute otitis externa, left. Ear pain x3 days.", ["H60.92"]),
    ("Hypertension. Headache x2 days.", ["I10", "R51.9"]),
    ("Type 2 diabetes. Fever x2 days.", ["E11.9", "R50.9"]),
])
def test_signs_integral_to_an_established_diagnosis(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # "without" denies up to the next axis of the code ("without aura, intractable, with status migrainosus").
    ("Chronic migraine without aura, intractable, with status migrainosus.", ["G43.711"]),
    ("Migraine without aura, not intractable.", ["G43.009"]),
    # Index: "Headache, medication overuse G44.40"; the headache is part of it.
    ("Medication overuse headache from daily OTC ibuprofen - taper off over 2 wks.", ["G44.40"]),
    # A "negative" after a list of tests denies each test's subject, and no more than that.
    ("COVID PCR and flu swab negative. Acute bronchitis, supportive care.", ["J20.9"]),
    ("Hypertension, strep test negative.", ["I10"]),
    ("Acute continuous vertigo with nausea. Vestibular neuritis, left.", ["H81.22"]),
])
def test_without_scope_test_lists_and_headaches(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Index: "Fracture, Smith's S52.54-"; "Jones fracture -- see Fracture, metatarsal, fifth"; healing by its 7th character.
    ("Symptomatic malunion, left Smith's fracture (fall 8 mo ago).", ["S52.542P"]),
    ("L 5th MT Jones fracture, nondisplaced, delayed union.", ["S92.355G"]),
    ("Iron deficiency without anemia, ferritin 35 - ferrous sulfate 325 mg QOD with vit C.", ["E61.1"]),
])
def test_named_fractures_and_their_healing(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # An ear drum found normal is no disorder of it; bulging drums are part of the otitis media (I.B.5), as headache
    # and photophobia are of a concussion.
    ("Cerumen impaction R ear - irrigated, TM intact afterward.", ["H61.21"]),
    ("Recurrent AOM, both ears; bilateral bulging TMs with purulent effusion.", ["H66.93"]),
    ("Concussion w/ brief LOC (~1 min) playing hockey yesterday. HA, photophobia, no focal deficits.", ["S06.0X1A"]),
    # A drug the note keeps on; a BMI to reach is no measurement.
    ("CAD s/p PCI with DES 2023, on clopidogrel 75 mg daily long term - cardiology prefers not to hold.",
     ["I25.10", "Z95.5", "Z79.02"]),
    ("Hold clopidogrel for the procedure.", []),
    ("Class 2 obesity, BMI 37.4. Plan: discuss tonsillectomy once BMI <35.", ["E66.812", "Z68.37"]),
    # One Parkinson's disease: the statement naming its dyskinesia says more than the one naming it alone.
    ("1. Parkinson's disease with dyskinesia, no wearing-off. 2. Parkinson disease dementia, mild.", ["G20.B1", "F02.A0"]),
])
def test_normal_drums_kept_drugs_bmi_goals_and_one_parkinson(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Alzheimer's disease named with its dementia: G30 and its F02 code, no F03 rival under G30's Excludes1.
    ("Alzheimer's dementia, late onset, moderate stage (MMSE 15), with agitation - hitting caregiver.",
     ["G30.1", "F02.B11"]),
    ("Dementia, moderate, with agitation.", ["F03.B11"]),
    # An absent exam sign denies the sign, not the finding before it.
    ("Type 2 DM with peripheral sensory polyneuropathy - monofilament absent bilaterally at toes.", ["E11.42"]),
    # Shoulder replacements; MS with activity; epilepsy in the ILAE's words; the thumb's basal joint.
    ("Status post L total shoulder arthroplasty 2021, doing well.", ["Z96.612"]),
    ("Primary glenohumeral OA, R shoulder - plan anatomic TSA.", ["M19.011"]),
    ("Secondary progressive MS with activity: new gadolinium-enhancing lesion on today's MRI.", ["G35.C1"]),
    ("Focal epilepsy with focal impaired awareness seizures due to mesial temporal sclerosis - drug-resistant; no status.",
     ["G40.219", "G93.81"]),
    ("Right thumb CMC osteoarthritis.", ["M18.11"]),
])
def test_alzheimer_dementia_exam_signs_and_specialty_words(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Guideline I.C.15.a.1: a note that documents a current pregnancy makes each condition chapter 15's, in whichever
    # statement it is named; viral hepatitis in pregnancy is O98.4-.
    ("1. IUP at 30w.\n2. Iron deficiency anemia - Hgb 9.4; start ferrous sulfate.\n3. Chronic hepatitis B, start tenofovir.",
     ["O99.013", "D50.9", "O98.413", "B18.1", "Z3A.30"]),
    ("1. IUP 24w3d.\n2. Hypothyroidism - on levothyroxine 75 mcg, continue.", ["O99.282", "E03.9", "Z3A.24"]),
    # An SGLT2 inhibitor for heart failure, with no diabetes in the note, is no oral hypoglycemic's use.
    ("HFrEF, EF 30%. Continue GDMT: sacubitril/valsartan, carvedilol, spironolactone, dapagliflozin.", ["I50.20"]),
    ("T2DM on empagliflozin.", ["E11.9", "Z79.84"]),
])
def test_conditions_of_a_pregnancy_and_gliflozins(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Portal hypertension is no essential hypertension; Index entries of the liver, gallbladder, colon and thyroid.
    ("Portal HTN - continue carvedilol.", ["K76.6"]),
    ("EtOH cirrhosis w/ ascites.", ["K70.31"]),
    ("Chronic calculous cholecystitis.", ["K80.10"]),
    ("Ulcerative pancolitis.", ["K51.00"]),
    ("Hepatic encephalopathy.", ["K76.82"]),
    ("Toxic multinodular goiter without storm.", ["E05.20"]),
    ("HTN, controlled.", ["I10"]),
])
def test_liver_gut_and_thyroid_index_entries(codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A PE beside a DVT is the embolism; chorionicity abbreviations; an osteoporotic compression fracture is a
    # pathological one (M80.08-), with its episode of care.
    ("h/o L femoral DVT and PE 2021, completed 6 mo of anticoagulation, now off therapy.", ["Z86.718", "Z86.711"]),
    ("MCDA twins at 20 weeks.", ["O30.032", "Z3A.20"]),
    ("Age-related osteoporosis with pathologic compression fx L1 - 6 wk f/u, healing as expected.", ["M80.08XD"]),
    ("Age-related osteoporosis without current pathological fracture.", ["M81.0"]),
])
def test_embolism_beside_thrombosis_twins_and_osteoporotic_fractures(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Session 20. Crohn's disease and ulcerative colitis by their complication, leukemias by remission (C90-C95's
    # 5th / 6th characters); "Colitis, Crohn's" is the large intestine's; AML NOS is C92.0-.
    ("Crohn's disease of the terminal ileum with partial small bowel obstruction.", ["K50.012"]),
    ("Crohn's colitis with perianal fistula.", ["K50.113"]),
    ("Ulcerative pancolitis, moderate flare with rectal bleeding.", ["K51.011"]),
    ("Crohn disease without obstruction.", ["K50.90"]),
    ("CLL, B-cell type, in remission after FCR.", ["C91.11"]),
    ("CLL, not in remission.", ["C91.10"]),
    ("AML in complete remission after induction and consolidation.", ["C92.01"]),
    # Acuity of a peptic ulcer: acute .3, chronic .7, acute with hemorrhage .0; chronic with hemorrhage stays .4.
    ("Chronic gastric ulcer of the antrum without bleeding or perforation.", ["K25.7"]),
    ("Chronic gastric ulcer with haemorrhage.", ["K25.4"]),
    ("Acute bleeding gastric ulcer.", ["K25.0"]),
])
def test_bowel_disease_complications_remission_and_ulcer_acuity(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Index conventions: Embolus, Glioblastoma, cervix uteri, Postsurgical, thoracic vertebrae, Bleeding -- see
    # Hemorrhage; "metastatic X to liver" is the liver's secondary; Paget's disease of bone; ribs fractured by range.
    ("Glioblastoma, L frontal lobe, s/p resection.", ["C71.1"]),
    ("Squamous cell carcinoma of cervix.", ["C53.9"]),
    ("Postsurgical hypoparathyroidism after total thyroidectomy.", ["E89.2"]),
    ("Traumatic wedge compression fx T12, stable, initial.", ["S22.080A"]),
    ("Closed fractures of L 7th-9th ribs after fall down stairs, initial.", ["S22.42XA"]),
    ("Angiodysplasia of the ascending colon with bleeding.", ["K55.21"]),
    ("Metastatic adenocarcinoma to liver, primary site unknown.", ["C78.7", "C80.1"]),
    ("Paget's disease of bone, skull.", ["M88.0"]),
    ("Chronic alcoholic pancreatitis.", ["K86.0"]),
    ("High-grade serous carcinoma of R ovary with peritoneal carcinomatosis.", ["C56.1", "C78.6"]),
    ("Lymphedema L arm post-mastectomy.", ["I97.2", "Z90.12"]),
    ("Asymptomatic R ICA stenosis 70-79% on duplex.", ["I65.21"]),
    ("Bilat LE edema.", ["R60.0"]),
    ("Febrile neutropenia due to chemo.", ["D70.1", "T45.1X5A"]),
    # What is no finding: the FIB-4 score, ED&C (electrodesiccation and curettage), a breath test pending.
    ("Chronic hepatitis C, genotype 1a, FIB-4 1.1.", ["B18.2"]),
    ("SCC of skin, L dorsal hand - ED&C today.", ["C44.92"]),
    ("Epigastric pain x3 wks. H. pylori breath test pending.", ["R10.13"]),
])
def test_session_20_index_conventions_and_what_is_no_finding(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # The puerperium's code of a condition said to be postpartum; a cesarean wound's infection is the obstetric one;
    # "intrapartum" says a pregnancy goes on; insulins by their own names; missed AB; DCDA twin IUP.
    ("Postpartum preeclampsia w/ severe features.", ["O14.15"]),
    ("Superficial incisional SSI of C-section wound, 10 days s/p primary LTCS.", ["O86.01"]),
    ("GBS positive on rectovaginal culture at 36w - plan intrapartum penicillin.", ["O99.820", "Z3A.36"]),
    ("T2DM on metformin + glargine 30 u.", ["E11.9", "Z79.4", "Z79.84"]),
    ("T2DM on metformin; temporary basal glargine 10 u until infection resolves.", ["E11.9", "Z79.84"]),
    ("Missed AB at 9w by dates.", ["O02.1"]),
    ("Tdap given today.", ["Z23"]),
    ("No Tdap given today.", []),
    ("Flu and Tdap given today.", ["Z23"]),
    ("DCDA twin IUP at 32w.", ["O30.043", "Z3A.32"]),
    # An external cause leaves its words to the injury; a man's breast cancer is the male breast's; a partial
    # nephrectomy leaves a kidney.
    ("Dog bite L forearm, irrigated and left open.", ["S51.852A", "W54.0XXA"]),
    ("66M with carcinoma of R breast, central portion.", ["C50.121"]),
    ("54F with carcinoma of R breast, central portion.", ["C50.111"]),
    ("s/p partial nephrectomy 2021.", []),
    ("s/p radical nephrectomy 2021.", ["Z90.5"]),
])
def test_puerperium_obstetric_wounds_insulin_names_bites_and_men(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Session 20, primary care: an examination "with abnormal findings" where the note says so; vaccines given as a
    # list, by product name or with a dose number are Z23, immunizations up to date none; skin Index names; long-term
    # antibiotics.
    ("12-month well child visit - abnormal finding: Hgb 9.8 on screening.", ["Z00.121"]),
    ("Complete physical with abnormal finding: LDL 182.", ["Z00.01"]),
    ("Annual exam, normal.", ["Z00.00"]),
    ("Well adolescent visit, 15 y/o.", ["Z00.129"]),
    ("Shingrix #2 given.", ["Z23"]),
    ("MMR, varicella, Hep A given.", ["Z23"]),
    ("Immunizations up to date.", []),
    ("No vaccines given today.", []),
    ("Ibuprofen 2 given.", []),
    ("Verruca vulgaris, R index finger.", ["B07.8"]),
    ("Herpes labialis, recurrent.", ["B00.1"]),
    ("AKs x 6 on scalp.", ["L57.0"]),
    ("Irritated seborrheic keratosis, L flank.", ["L82.0"]),
    ("Long-term antibiotic use.", ["Z79.2"]),
    # Encounters and counseling by their Index names; scores and tests ordered are no findings; grades or a weight
    # "falling" no falls; a normal weight gain no abnormal one; nightmares are part of PTSD.
    ("Pre-travel consultation for a trip to Kenya. Hepatitis A and typhoid vaccines given today.", ["Z71.84", "Z23"]),
    ("Nicotine dependence, cigarettes. Counseled on cessation (8 min).", ["F17.210", "Z71.6"]),
    ("Uncomplicated bereavement after her husband's death.", ["Z63.4"]),
    ("Preop respiratory evaluation prior to right inguinal hernia repair.", ["Z01.811"]),
    ("Anxiety - possible GAD; GAD-7 at next visit.", ["F41.9"]),
    ("Falling grades in 3rd grade.", []),
    ("Infant colic, 6 wks; normal weight gain.", ["R10.83"]),
    ("Hep C antibody ordered.", []),
    ("Pneumonia, CXR ordered.", ["J18.9"]),
    ("PTSD, chronic - nightmares improved on prazosin.", ["F43.12"]),
])
def test_examinations_vaccinations_and_skin_index_names(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Session 21. A course said after the words the term's own code already holds still qualifies it; a recurrent
    # depression is the major one; ADHD by DSM-5's "presentation" or its bare type.
    ("MDD, single episode, now in full remission.", ["F32.5"]),
    ("Depression, recurrent, mild - stable on fluoxetine.", ["F33.0"]),
    ("Recurrent depression, moderate.", ["F33.1"]),
    ("ADHD, combined, 10 y/o - stable on guanfacine.", ["F90.2"]),
    ("ADHD, predominantly inattentive presentation.", ["F90.0"]),
    ("DM2 foot ulcer R great toe, skin breakdown only; offloading shoe.", ["E11.621", "L97.511"]),
    # Counseling by its kinds, one "counseling" each; cessation counseling for the substance the statement names.
    ("Spent 15 minutes on dietary counseling and exercise counseling.", ["Z71.3", "Z71.82"]),
    ("Counseled on nutrition and physical activity.", ["Z71.3", "Z71.82"]),
    ("Cannabis use disorder, mild; counseled on cessation.", ["F12.10", "Z71.51"]),
    ("Alcohol use disorder, moderate - counseled on cessation.", ["F10.20", "Z71.41"]),
    ("Nicotine dependence, cigarettes. Counselled on cessation.", ["F17.210", "Z71.6"]),
    # Index names: swimmer's ear; lipoma by site; an epidermoid cyst of the skin (the mouth's is K09.8); a Depo-Provera
    # shot; a breast mass by quadrant; a BRCA carrier, whose susceptibility is no cancer; a sports PE.
    ("Otitis externa, right ear (swimmer's ear) - otic drops.", ["H60.331"]),
    ("Lipoma, left forearm, 2 cm.", ["D17.22"]),
    ("Lipoma of upper back.", ["D17.1"]),
    ("Inflamed epidermoid cyst of upper back.", ["L72.0"]),
    ("Epidermoid cyst of floor of mouth.", ["K09.8"]),
    ("Depo-Provera 150 mg IM, due today, on schedule.", ["Z30.42"]),
    ("Start Depo-Provera today.", ["Z30.013"]),
    ("Palpable mass, left breast, upper outer quadrant.", ["N63.21"]),
    ("BRCA1 pathogenic variant carrier (genetic susceptibility to breast and ovarian cancer).", ["Z15.01"]),
    ("Sports PE for high school football - cleared.", ["Z02.5"]),
    # A list of tests ordered or screened for names no finding.
    ("Hep C antibody and HIV screen ordered.", ["Z11.4", "Z11.59"]),
])
def test_courses_counseling_kinds_and_index_names_of_session_21(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Session 21, continued. A "versus" after a cue of doubt (or a choice of treatments) leaves what came before it;
    # a denial in parentheses denies only itself; a word another already stood for stays for its own finding.
    ("Melena x2 days, Hgb stable - likely PUD from NSAID use vs gastritis. EGD tomorrow.", ["K92.1"]),
    ("Epigastric pain x3 wks, r/o PUD vs gastritis. Empiric PPI.", ["R10.13"]),
    ("CAP vs aspiration pneumonia.", []),
    ("Molluscum contagiosum, trunk - discussed watchful waiting vs curettage.", ["B08.1"]),
    ("Alcoholic cirrhosis (no ascites) with hepatic encephalopathy, grade 1. Lactulose.", ["K70.30", "K76.82"]),
    # Every complication of a diabetes is coded (guideline I.C.4.a): a description that said one more specifically
    # stands for the diabetes in the combinations of the others.
    ("T1DM with diabetic polyneuropathy and proliferative diabetic retinopathy with macular edema OU.",
     ["E10.42", "E10.3513"]),
    ("T2DM with moderate NPDR without macular edema OU. CKD stage 3a.", ["E11.22", "E11.3393", "N18.31"]),
    # An HIV result, a source patient's HIV and a screening that opens its clause are no HIV of the patient's.
    ("HIV-neg, on PrEP - continue.", []),
    ("PrEP f/u: TDF/FTC daily, adherent. HIV Ag/Ab neg today.", []),
    ("Needlestick ~2 h ago at work; source pt HIV+ on ART.", []),
    ("Screening HIV + syphilis drawn.", ["Z11.3", "Z11.4"]),
    # Aspirin taken to prevent is taken; one not indicated is not.
    ("VTE ppx - aspirin 81.", ["Z79.82"]),
    ("Aspirin for primary prevention - not indicated.", []),
    # An annual examination finds what is new or abnormal (Z00.01); an annual eye exam is no general examination.
    ("Annual physical, 47M.\nNew T2DM, A1c 6.9 - start metformin.", ["Z00.01", "E11.9"]),
    ("AWV, 81F.\nAge-related osteoporosis on alendronate since 2021, no fx.", ["Z00.00", "M81.0", "Z79.83"]),
    ("SLE - HCQ 200 bid, annual eye exam.", ["M32.9"]),
    # A malignancy excised, with no evidence of it and no treatment directed to it, is its history (I.C.2.d).
    ("Papillary thyroid ca s/p total thyroidectomy + RAI (2019), NED.", ["Z85.850"]),
    ("Breast cancer s/p lumpectomy, on anastrozole, NED.", ["C50.919", "Z79.811"]),
])
def test_doubt_scopes_diabetes_complications_hiv_results_and_excised_cancers(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # A treatment started for what a well-child visit's own statement names is a finding of the examination; a new
    # spacer for a known asthma is not; diet and exercise advice at a preventive examination is its own guidance.
    ("18 mo WCC; eczema on cheeks, start emollients.", ["Z00.121", "L30.9"]),
    ("1. WCC 4 yo - normal growth and development.\n2. Mild intermittent asthma - albuterol prn, new spacer.",
     ["Z00.129", "J45.20"]),
    ("Annual physical. Exam unremarkable. Counseled on exercise and diet.", ["Z00.00"]),
    # A code named compactly by one of its entries keeps it where another's words lie apart.
    ("Well adolescent visit, 15 y/o - normal exam.", ["Z00.129"]),
    ("Hypomagnesemia, Mg 1.2 - PPI-induced (omeprazole x8 yr).", ["E83.42", "T47.1X5A"]),
])
def test_examination_findings_counseling_and_compact_entries(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # Vaccines by their product names; an exposure is no disease; a pacemaker by its abbreviation and the
    # tachycardia-bradycardia syndrome; peritoneal dialysis; "past year" is recent, no history cue.
    ("HAV/HBV nonimmune - Twinrix #1 given today.", ["Z23"]),
    ("Hep A exposure at a restaurant. Havrix given today.", ["Z20.5", "Z23"]),
    ("TB exposure at work, IGRA pending.", ["Z20.1"]),
    ("PPM for tachy-brady syndrome - interrogation normal.", ["I49.5", "Z95.0"]),
    ("On PD (CCPD nightly) since 2023 for ESRD.", ["N18.6", "Z99.2"]),
    ("Fall screen: 2 falls past yr, unsteady gait - PT referral.", ["R26.81"]),
    ("Past history of DVT.", ["Z86.718"]),
])
def test_vaccine_products_exposures_devices_and_recent_time(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)


@pytest.mark.parametrize("text, codes", [
    # An infection named bare where the clause screens for it; a vaccine the patient declines (Z28.21); a test of a
    # disease is none unless it says what it found.
    ("HIV + syphilis screens drawn today.", ["Z11.3", "Z11.4"]),
    ("Hep C antibody and HIV screen ordered.", ["Z11.4", "Z11.59"]),
    ("Declines flu vaccine.", ["Z28.21"]),
    ("PCV20 given; declined COVID booster.", ["Z23", "Z28.21"]),
    ("Declines COVID testing.", []),
    ("COVID testing positive, day 3 of symptoms.", ["U07.1"]),
])
def test_screened_infections_refused_vaccines_and_tests(
        codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str]) -> None:
    assert sorted(top(codeset, text)) == sorted(codes)
