"""Small clinical vocabularies the grounded writer and the checker use to recognise clinical content.

They decide *whether* a sentence is clinical and *which* section it belongs to; they never supply note
text. Every word in a note still comes from the transcript. Lists are deliberately plain and short enough to
review; a term missing here only means a sentence is left out of the note, never that something is invented.
"""

from __future__ import annotations

import re

SYMPTOMS = frozenset(
    """
    ache aches aching pain pains painful hurt hurts hurting sore soreness tender tenderness headache headaches migraine
    migraines dizziness dizzy lightheaded vertigo nausea nauseous vomiting vomit diarrhea constipation bloating
    cramping cramps fever fevers chills sweats sweating fatigue tired tiredness weakness weak numbness numb tingling
    cough coughing wheezing wheeze congestion congested runny sneezing phlegm sputum breath breathing dyspnea
    palpitations racing swelling swollen edema rash itching itchy hives bruising bleeding blood discharge burning
    stiffness stiff spasm spasms insomnia sleep sleeping anxiety anxious depressed depression sad mood panic
    appetite weight thirst urination urinating urinary frequency urgency incontinence heartburn reflux indigestion
    blurry blurred vision seeing hearing ringing tinnitus earache throat hoarse hoarseness snoring falls fall fell
    injury injured sprain twisted cut wound lump mass bump seizure seizures tremor confusion memory forgetful
    syncope fainting fainted passed chest shortness cold flu sinus allergies pressure stress stressed
    """.split()
)

BODY_PARTS = frozenset(
    """
    head neck back shoulder shoulders arm arms elbow elbows wrist wrists hand hands finger fingers thumb chest
    heart lung lungs abdomen stomach belly side hip hips leg legs knee knees ankle ankles foot feet toe toes
    eye eyes ear ears nose sinuses mouth throat teeth tooth jaw skin spine joint joints muscle muscles kidney
    kidneys liver bladder bowel bowels thigh calf shin groin pelvis rib ribs forehead temple temples tongue
    gums breast breasts prostate thyroid lymph glands tendon
    """.split()
)

CONDITIONS = frozenset(
    """
    hypertension diabetes prediabetes asthma copd emphysema bronchitis pneumonia arthritis osteoarthritis
    gout osteoporosis hypothyroidism hyperthyroidism hyperlipidemia cholesterol obesity anemia cancer tumor
    infection infections sinusitis pharyngitis strep otitis cellulitis uti stroke afib fibrillation arrhythmia
    murmur failure chf cad angina infarction attack clot dvt embolism neuropathy sciatica radiculopathy
    fracture fractured sprained strain tear tendonitis bursitis eczema psoriasis acne dermatitis migraine
    gerd ulcer gastritis colitis crohn's ibs hepatitis cirrhosis pancreatitis kidney ckd transplant dialysis
    stones apnea depression anxiety bipolar schizophrenia adhd ptsd dementia alzheimer's parkinson's epilepsy
    concussion lupus covid virus viral bacterial hernia hemorrhoids polyps diverticulitis glaucoma cataracts
    allergy allergic hypertensive diabetic a1c sugar sugars glucose insulin thyroid lipids triglycerides
    """.split()
)

# Common drugs by generic and brand name. Drug classes by stem catch the rest (see ``is_drug``).
DRUGS = frozenset(
    """
    lisinopril losartan valsartan irbesartan olmesartan amlodipine nifedipine diltiazem verapamil metoprolol
    atenolol carvedilol propranolol labetalol hydrochlorothiazide hctz chlorthalidone furosemide lasix
    bumetanide torsemide spironolactone eplerenone hydralazine clonidine enalapril ramipril benazepril
    atorvastatin simvastatin rosuvastatin pravastatin lipitor crestor zocor ezetimibe aspirin warfarin coumadin
    apixaban eliquis rivaroxaban xarelto dabigatran clopidogrel plavix heparin enoxaparin lovenox digoxin
    amiodarone nitroglycerin entresto metformin glipizide glyburide glimepiride insulin lantus humalog
    novolog jardiance empagliflozin farxiga dapagliflozin ozempic semaglutide trulicity victoza liraglutide
    januvia sitagliptin levothyroxine synthroid methimazole prednisone prednisolone methylprednisolone
    medrol dexamethasone hydrocortisone albuterol proair ventolin fluticasone flonase advair symbicort budesonide
    montelukast singulair tiotropium spiriva ibuprofen advil motrin naproxen aleve acetaminophen tylenol
    celecoxib celebrex meloxicam diclofenac tramadol oxycodone hydrocodone norco percocet morphine codeine
    gabapentin neurontin pregabalin lyrica cyclobenzaprine flexeril methocarbamol tizanidine baclofen
    sumatriptan imitrex rizatriptan topiramate topamax amitriptyline nortriptyline sertraline zoloft
    fluoxetine prozac citalopram escitalopram lexapro paroxetine paxil venlafaxine effexor duloxetine cymbalta
    bupropion wellbutrin mirtazapine trazodone buspirone lorazepam ativan alprazolam xanax clonazepam
    klonopin diazepam valium zolpidem ambien quetiapine seroquel aripiprazole abilify risperidone olanzapine
    lithium lamotrigine lamictal valproate depakote levetiracetam keppra phenytoin carbamazepine
    adderall methylphenidate ritalin omeprazole prilosec pantoprazole protonix esomeprazole nexium
    famotidine pepcid ranitidine ondansetron zofran metoclopramide loperamide imodium docusate miralax
    amoxicillin augmentin penicillin azithromycin zithromax z-pack doxycycline cephalexin keflex ciprofloxacin
    cipro levofloxacin bactrim sulfa nitrofurantoin macrobid clindamycin metronidazole flagyl vancomycin
    fluconazole diflucan valacyclovir valtrex acyclovir oseltamivir tamiflu cetirizine zyrtec loratadine
    claritin fexofenadine allegra diphenhydramine benadryl tamsulosin flomax finasteride sildenafil viagra
    tadalafil cialis oxybutynin allopurinol colchicine alendronate fosamax methotrexate hydroxychloroquine
    plaquenil humira adalimumab tacrolimus prograf mycophenolate cellcept cyclosporine estradiol
    progesterone testosterone contraceptive vitamin iron calcium magnesium potassium melatonin fish-oil
    codeine latex iodine contrast nsaids nsaid antibiotics antibiotic steroids steroid statin statins
    """.split()
)

# Stems of drug classes: a word ending like this is almost always a drug name.
_DRUG_SUFFIXES = (
    "pril", "sartan", "olol", "dipine", "statin", "formin", "gliptin", "gliflozin", "glutide", "prazole",
    "tidine", "cillin", "mycin", "micin", "floxacin", "cycline", "azole", "conazole", "vir", "mab", "nib",
    "triptan", "oxetine", "pram", "faxine", "tyline", "zepam", "zolam", "azepam", "barbital", "profen",
    "lukast", "terol", "sonide", "thasone", "olone", "semide", "thiazide", "parin", "xaban", "gatran", "grel",
)
_NOT_DRUGS = frozenset({"nib", "vir", "control", "patrol", "cholesterol", "glycerol", "steroid", "parole"})

LATERALITY = frozenset({"left", "right", "bilateral", "both"})
NEGATION_CUES = frozenset(
    {"no", "not", "never", "denies", "deny", "denied", "without", "none", "nothing", "negative", "n't", "nope",
     "neither", "nor", "don't", "doesn't", "didn't", "haven't", "hasn't", "isn't", "aren't", "wasn't", "can't",
     "cannot", "won't"}
)

_NEXT_VITAL = r"(?:blood pressure|heart rate|pulse|respirat|temperature|temp\b|oxygen|o2|sat|weigh)"
_GAP = rf"(?:(?!{_NEXT_VITAL})[^.?!\d]){{0,40}}?"
# Vital signs: the name as spoken (kept as the note's label, so the label is grounded too) and its value.
VITAL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(rf"\b(?P<name>{name}){_GAP}\b(?P<value>{value})", re.IGNORECASE)
    for name, value in (
        (r"blood pressure", r"\d{2,3}/\d{2,3}"),
        (r"heart rate|pulse rate|pulse(?! ox)", r"\d{2,3}\b"),
        (r"respiratory rate|respirations", r"\d{1,2}\b"),
        (r"temperature|temp", r"\d{2,3}(?:\.\d)?\b"),
        (r"oxygen saturation|oxygen level|o2 saturation|o2 sat|pulse ox|pulse oximetry|sats", r"\d{2,3}\b%?"),
        (r"weight", r"\d{2,3} (?:pounds|lbs|kg)\b"),
    )
)


def is_drug(word: str) -> bool:
    w = word.lower().strip(".,;:")
    if w in _NOT_DRUGS or len(w) < 4:
        return False
    return w in DRUGS or any(w.endswith(s) and len(w) > len(s) + 2 for s in _DRUG_SUFFIXES)


def is_clinical_word(word: str) -> bool:
    w = word.lower()
    return w in SYMPTOMS or w in BODY_PARTS or w in CONDITIONS or is_drug(w)
