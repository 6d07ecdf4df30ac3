"""FHIR R4 (R4B models) for a coded note: a ``document`` Bundle, and the ``transaction`` Bundle that
posts the same resources to a FHIR server with conditional create.

Pure and deterministic: ids come from ``derive_id(encounter id, note version, kind, ...)``, and the only
input that varies between runs is ``now``, so a redelivered NoteCoded with the same ``now`` gives a
byte-identical document. ``content_fingerprint`` ignores the ``now``-derived timestamps, which lets a
destination tell "same note again" from "different note".
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from services.ehr_sink.domain import (
    ASSESSMENT_AND_PLAN_LOINC,
    CHARGE_ID_SYSTEM,
    CONDITION_ID_SYSTEM,
    ENCOUNTER_TAG_SYSTEM,
    NOTE_ID_SYSTEM,
    SECTION_LOINC,
    TRANSCRIPT_ID_SYSTEM,
    UNVERIFIED_MARK,
    CodedCondition,
    NoteLayout,
    coded_conditions,
    condition_note,
    em_suggestions,
    has_document,
    note_identifier,
    render_note_text,
    section_narrative,
)
from shared.contracts import (
    CPT_SYSTEM,
    ICD10CM_SYSTEM,
    CodeSuggestion,
    NoteCoded,
    NoteDrafted,
    ResourceRef,
    Section,
    Statement,
    SummarySection,
    derive_id,
)
from shared.stage import StageError

LOINC = "http://loinc.org"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DOCREF_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
FORMAT_CODE = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
MIME_SUFFICIENT = {"system": FORMAT_CODE, "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                   "display": "mimeType Sufficient"}

SOFTWARE_NAME = "scribestream"

# The patient-facing after-visit summary: its own DocumentReference (identified apart from the note, so it is
# never taken for an older note version) and a section of the Composition.
SUMMARY_ID_SYSTEM = "urn:scribestream:after-visit-summary"
SUMMARY_LOINC = ("34133-9", "Summary of episode note")
SUMMARY_TITLE = "After-visit summary (for the patient)"

# Fields set from ``now``; everything else is a function of the NoteCoded and the software version.
_VOLATILE: dict[str, tuple[str, ...]] = {
    "Composition": ("date",),
    "DocumentReference": ("date",),
    "Provenance": ("recorded",),
}


class BundleBuildError(StageError, ValueError):
    """The resources did not validate. The message holds field paths and error types, never values."""


def _validated(model: type[Resource], data: dict[str, Any]) -> Resource:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        # pydantic's own message echoes input values, which here are note text.
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}:{e['type']}" for e in err.errors()[:5])
        raise BundleBuildError(f"invalid {model.__name__}: {where}") from None


def _instant(now: datetime) -> str:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (FHIR instants carry a zone)")
    return now.isoformat(timespec="seconds")


def _urn(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def _device(local_id: str, *, name: str, version: str = "", kind: str) -> dict[str, Any]:
    device: dict[str, Any] = {
        "resourceType": "Device",
        "id": local_id,
        "deviceName": [{"name": name, "type": "user-friendly-name"}],
        "type": {"text": kind},
    }
    if version:
        device["version"] = [{"value": version}]
    return device


def _scribestream_device(software_version: str) -> dict[str, Any]:
    return _device("scribestream", name=SOFTWARE_NAME, version=software_version, kind="clinical documentation software")


def build_document_bundle(
    coded: NoteCoded, *, software_version: str, now: datetime, layout: NoteLayout | None = None
) -> dict[str, Any]:
    """The coded note as a FHIR ``document`` Bundle (JSON-ready dict). Raises ValueError for a note
    without content (check ``has_document`` first): there is nothing to document."""
    if not has_document(coded):
        raise ValueError(f"encounter {coded.encounter_id} has no note to document")
    layout = layout or NoteLayout()
    draft = coded.draft
    ctx = draft.context
    enc, ver = coded.encounter_id, draft.note_version
    note_id = note_identifier(enc, ver)
    instant = _instant(now)
    tag = [{"system": NOTE_ID_SYSTEM, "code": note_id}, {"system": ENCOUNTER_TAG_SYSTEM, "code": enc}]
    note_type = _note_type(draft, layout)

    def rid(kind: str, *more: object) -> str:
        return derive_id(enc, ver, kind, *more)

    comp_id, doc_id, prov_id = rid("Composition"), rid("DocumentReference"), rid("Provenance")
    subject = {"reference": ctx.patient_ref, "type": "Patient"} if ctx.patient_ref else None
    encounter = {"reference": ctx.encounter_ref, "type": "Encounter"} if ctx.encounter_ref else None

    # Without a named practitioner the software is the author; a contained Device keeps the document
    # self-contained (no Device resource to create on the server per note).
    contained_author = ctx.practitioner_ref is None
    author = (
        [{"reference": ctx.practitioner_ref, "type": "Practitioner"}]
        if ctx.practitioner_ref
        else [{"reference": "#scribestream", "type": "Device", "display": SOFTWARE_NAME}]
    )

    conditions = coded_conditions(coded)
    condition_ids = {c.code: rid("Condition", c.code) for c in conditions}
    charges = em_suggestions(coded)
    charge_ids = {s.code: rid("ChargeItem", s.code) for s in charges}

    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": comp_id,
        "meta": {"tag": tag},
        "identifier": {"system": NOTE_ID_SYSTEM, "value": note_id},
        "status": "preliminary",
        "type": {"coding": [note_type]},
        "date": instant,
        "author": author,
        "title": note_type["display"],
        "section": _sections(coded, layout=layout, condition_urls=[_urn(condition_ids[c.code]) for c in conditions],
                             condition_codes=[c.code for c in conditions]),
    }
    if draft.after_visit_summary:
        composition["section"].append(_summary_section(draft.after_visit_summary))
    if contained_author:
        composition["contained"] = [_scribestream_device(software_version)]
    if subject:
        composition["subject"] = subject
    if encounter:
        composition["encounter"] = encounter

    condition_resources = [
        _condition(c, cid=condition_ids[c.code], note_id=note_id, tag=tag, subject=subject, encounter=encounter,
                   docref_urn=_urn(doc_id))
        for c in conditions
    ]
    charge_resources = [
        _charge_item(s, cid=charge_ids[s.code], note_id=note_id, tag=tag, subject=subject, encounter=encounter,
                     docref_urn=_urn(doc_id), author=author, software_version=software_version,
                     contained_author=contained_author)
        for s in charges
    ]
    validated_composition = _validated(Composition, composition)
    validated_conditions = [_validated(Condition, c) for c in condition_resources]

    text = render_note_text(coded).encode("utf-8")
    # The structured form of the same note: Composition and Conditions as a document Bundle of their own,
    # so a reader of the DocumentReference alone gets sections and codes, not only the text.
    structured = _structured_attachment(
        bundle_id=rid("StructuredBundle"), note_id=note_id, instant=instant,
        resources=[validated_composition, *validated_conditions],
    )
    docref: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": doc_id,
        "meta": {"tag": tag},
        "identifier": [{"system": NOTE_ID_SYSTEM, "value": note_id}],
        "status": "current",
        "docStatus": "preliminary",  # until a clinician signs it in the EHR
        "type": {"coding": [note_type]},
        "category": [{"coding": [{"system": DOCREF_CATEGORY, "code": "clinical-note", "display": "Clinical Note"}]}],
        "date": instant,
        "author": author,
        "content": [
            {"attachment": _attachment(text, content_type="text/plain; charset=utf-8",
                                       title=f"{note_type['display']} (preliminary)"),
             "format": MIME_SUFFICIENT},
            {"attachment": _attachment(structured, content_type="application/fhir+json",
                                       title=f"{note_type['display']} (preliminary, FHIR document)"),
             "format": MIME_SUFFICIENT},
        ],
        "context": {"related": [{"reference": _urn(comp_id), "type": "Composition"}]},
    }
    if contained_author:
        docref["contained"] = [_scribestream_device(software_version)]
    if subject:
        docref["subject"] = subject
    if encounter:
        docref["context"]["encounter"] = [encounter]
    summary_docs = []
    if draft.after_visit_summary:
        summary = {**copy.deepcopy(docref), "id": rid("AfterVisitSummary"),
                   "identifier": [{"system": SUMMARY_ID_SYSTEM, "value": note_id}],
                   "type": {"coding": [{"system": LOINC, "code": SUMMARY_LOINC[0], "display": SUMMARY_LOINC[1]}]},
                   "content": [{"attachment": _attachment(_summary_text(draft), content_type="text/plain; charset=utf-8",
                                                          title=f"{SUMMARY_TITLE} (preliminary)"),
                                "format": MIME_SUFFICIENT}],
                   # Derived from the note: a reader of either finds the other.
                   "relatesTo": [{"code": "transforms", "target": {"reference": _urn(doc_id), "type": "DocumentReference"}}]}
        summary_docs.append(summary)

    provenance = _provenance(
        coded,
        prov_id=prov_id,
        tag=tag,
        instant=instant,
        software_version=software_version,
        targets=[("Composition", comp_id), ("DocumentReference", doc_id)]
        + [("DocumentReference", d["id"]) for d in summary_docs]
        + [("Condition", condition_ids[c.code]) for c in conditions]
        + [("ChargeItem", charge_ids[s.code]) for s in charges],
    )

    resources = [
        validated_composition,
        *validated_conditions,
        *(_validated(ChargeItem, c) for c in charge_resources),
        _validated(DocumentReference, docref),
        *(_validated(DocumentReference, d) for d in summary_docs),
        _validated(Provenance, provenance),
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": rid("Bundle"),
        "identifier": {"system": NOTE_ID_SYSTEM, "value": note_id},
        "type": "document",
        "timestamp": instant,
        "entry": [{"fullUrl": _urn(r.id), "resource": r} for r in resources],
    }
    return _validated(Bundle, bundle).model_dump(mode="json")


def _note_type(draft: NoteDrafted, layout: NoteLayout) -> dict[str, str]:
    """The note's LOINC document type: the one its template names, else the sink's configured default."""
    if draft.loinc_code:
        return {"system": LOINC, "code": draft.loinc_code,
                "display": draft.loinc_display or draft.template_id or layout.type_display}
    return {"system": LOINC, "code": layout.type_code, "display": layout.type_display}


def _summary_section(sections: list[SummarySection]) -> dict[str, Any]:
    """The after-visit summary as one Composition section with a sub-section per heading."""
    return {
        "title": SUMMARY_TITLE,
        "code": {"coding": [{"system": LOINC, "code": SUMMARY_LOINC[0], "display": SUMMARY_LOINC[1]}]},
        "section": [{"title": s.title, "text": {"status": "generated", "div": section_narrative(s.statements)}}
                    for s in sections],
    }


def _summary_text(draft: NoteDrafted) -> bytes:
    lines = [f"{SUMMARY_TITLE.upper()} (preliminary; generated by scribestream, requires clinician review)"]
    for section in draft.after_visit_summary:
        lines += ["", section.title]
        lines += [f"- {st.text.strip()}" + ("" if st.supported else f" {UNVERIFIED_MARK}") for st in section.statements]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _attachment(data: bytes, *, content_type: str, title: str) -> dict[str, Any]:
    return {
        "contentType": content_type,
        "data": base64.b64encode(data).decode("ascii"),
        "size": len(data),
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
        "title": title,
    }


def _structured_attachment(*, bundle_id: str, note_id: str, instant: str, resources: list[Resource]) -> bytes:
    bundle = _validated(Bundle, {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": {"system": NOTE_ID_SYSTEM, "value": note_id},
        "type": "document",
        "timestamp": instant,
        "entry": [{"fullUrl": _urn(r.id), "resource": r} for r in resources],
    })
    return json.dumps(bundle.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sections(coded: NoteCoded, *, layout: NoteLayout, condition_urls: list[str],
              condition_codes: list[str]) -> list[dict[str, Any]]:
    """Composition sections with their LOINC codes. The Conditions hang off the assessment section (or the
    combined assessment-and-plan one)."""
    note = coded.draft.note
    groups: list[tuple[tuple[str, str, str], list[Statement], bool]] = [
        (SECTION_LOINC[Section.SUBJECTIVE], note.subjective, False),
        (SECTION_LOINC[Section.OBJECTIVE], note.objective, False),
    ]
    if layout.combined_assessment_plan:
        groups.append((ASSESSMENT_AND_PLAN_LOINC, [*note.assessment, *note.plan], True))
    else:
        groups += [(SECTION_LOINC[Section.ASSESSMENT], note.assessment, True),
                   (SECTION_LOINC[Section.PLAN], note.plan, False)]
    sections = []
    for (code, display, title), statements, holds_conditions in groups:
        entry: dict[str, Any] = {
            "title": title,
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "text": {"status": "generated", "div": section_narrative(statements)},
        }
        if holds_conditions and condition_urls:
            entry["entry"] = [
                {"reference": url, "type": "Condition", "display": code_}
                for url, code_ in zip(condition_urls, condition_codes, strict=True)
            ]
        if not statements and "entry" not in entry:
            entry["emptyReason"] = {"coding": [{"system": LIST_EMPTY_REASON, "code": "unavailable"}]}
        sections.append(entry)
    return sections


def _charge_item(
    s: CodeSuggestion,
    *,
    cid: str,
    note_id: str,
    tag: list[dict[str, str]],
    subject: dict[str, str] | None,
    encounter: dict[str, str] | None,
    docref_urn: str,
    author: list[dict[str, str]],
    software_version: str,
    contained_author: bool,
) -> dict[str, Any]:
    """The E/M level as a *planned* ChargeItem: a suggestion for the billing workflow, not a charge until
    someone in the EHR makes it billable."""
    notes = [f"Suggested by scribestream (confidence {s.confidence:.2f}); requires clinician and coder review."]
    if s.modifiers:
        notes.append(f"Suggested CPT modifier(s): {', '.join(s.modifiers)}.")
    if s.rationale.strip():
        notes.append(s.rationale.strip())
    charge: dict[str, Any] = {
        "resourceType": "ChargeItem",
        "id": cid,
        "meta": {"tag": tag},
        "identifier": [{"system": CHARGE_ID_SYSTEM, "value": f"{note_id}/{s.code}"}],
        "status": "planned",
        "code": {"coding": [_coding(CPT_SYSTEM, s.code, s.display)]},
        "subject": subject or {"display": "patient not identified by the producer"},
        "enterer": author[0],
        "supportingInformation": [{"reference": docref_urn, "type": "DocumentReference"}],
        "note": [{"text": " ".join(notes)}],
    }
    if contained_author:
        charge["contained"] = [_scribestream_device(software_version)]
    if encounter:
        charge["context"] = encounter
    return charge


def _condition(
    c: CodedCondition,
    *,
    cid: str,
    note_id: str,
    tag: list[dict[str, str]],
    subject: dict[str, str] | None,
    encounter: dict[str, str] | None,
    docref_urn: str,
) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "meta": {"tag": tag},
        "identifier": [{"system": CONDITION_ID_SYSTEM, "value": f"{note_id}/{c.code}"}],
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "provisional"}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
        "code": {"coding": [_coding(ICD10CM_SYSTEM, c.code, c.display)]},
        # Condition.subject is mandatory in R4; with no patient reference given we say so rather than
        # inventing one.
        "subject": subject or {"display": "patient not identified by the producer"},
        "evidence": [
            {"detail": [{"reference": docref_urn, "type": "DocumentReference", "display": f"note statement {sid}"}]}
            for sid in c.statement_ids
        ],
        "note": [{"text": condition_note(c)}],
    }
    if not condition["evidence"]:
        del condition["evidence"]
    if encounter:
        condition["encounter"] = encounter
    return condition


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display.strip():  # FHIR strings may not be empty
        coding["display"] = display
    return coding


def _provenance(
    coded: NoteCoded,
    *,
    prov_id: str,
    tag: list[dict[str, str]],
    instant: str,
    software_version: str,
    targets: list[tuple[str, str]],
) -> dict[str, Any]:
    draft = coded.draft
    gen = draft.generator
    contained = [_scribestream_device(software_version)]
    agents = [_agent("assembler", "#scribestream", SOFTWARE_NAME)]
    if draft.asr_model:
        contained.append(_device("asr", name=draft.asr_model, kind="speech recognition model"))
        agents.append(_agent("performer", "#asr", "speech recognition"))
    gen_name = gen.model or gen.backend or "unnamed"
    contained.append(_device("notegen", name=gen_name, version=gen.version, kind=f"note generator ({gen.backend})"))
    agents.append(_agent("author", "#notegen", "note generator"))
    return {
        "resourceType": "Provenance",
        "id": prov_id,
        "meta": {"tag": tag},
        "contained": contained,
        "target": [{"reference": _urn(i), "type": t} for t, i in targets],
        "recorded": instant,
        "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE"}]},
        "agent": agents,
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": TRANSCRIPT_ID_SYSTEM, "value": coded.encounter_id},
                    "display": f"visit transcript ({len(draft.turns)} turns)",
                },
            }
        ],
    }


def _agent(role: str, ref: str, display: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": PROVENANCE_PARTICIPANT, "code": role}]},
        "who": {"reference": ref, "type": "Device", "display": display},
    }


def _if_none_exist(resource: dict[str, Any]) -> str:
    """Conditional-create query: the business identifier where the resource type has one; Provenance has
    none in R4, so it matches on the note tag (one Provenance per note)."""
    ident = resource.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if ident:
        return f"identifier={quote(ident['system'], safe=':/')}|{quote(ident['value'], safe=':/')}"
    tag = resource["meta"]["tag"][0]
    return f"_tag={quote(tag['system'], safe=':/')}|{quote(tag['code'], safe=':/')}"


def build_transaction_bundle(
    document: dict[str, Any],
    *,
    supersedes: Sequence[tuple[str, str | None]] = (),
    superseded: bool = False,
) -> dict[str, Any]:
    """The document's resources as a ``transaction`` Bundle: each one a conditional create, so posting
    the same note twice creates nothing the second time. References between entries stay ``urn:uuid``
    full URLs, which the server rewrites to the ids it assigns.

    ``supersedes``: (server id, version id) of DocumentReferences of older versions of this note. The new
    DocumentReference ``replaces`` them, and a FHIRPath Patch in the same transaction marks each one
    ``superseded`` (If-Match on its version, so a concurrent change fails the whole transaction instead of
    being overwritten). ``superseded``: a newer version is already filed, so this one arrives as history."""
    if document.get("type") != "document":
        raise ValueError("expected a document Bundle")
    _validated(Bundle, document)
    entries = []
    for entry in document["entry"]:
        resource = copy.deepcopy(entry["resource"])
        resource.pop("id", None)  # the server assigns ids on create; identity travels in identifier/tag
        if resource["resourceType"] == "DocumentReference":
            # Only the note replaces older notes; the after-visit summary keeps its own relation to the note.
            if supersedes and resource["identifier"][0]["system"] == NOTE_ID_SYSTEM:
                resource["relatesTo"] = [
                    {"code": "replaces", "target": {"reference": f"DocumentReference/{rid}", "type": "DocumentReference"}}
                    for rid, _ in supersedes
                ]
            if superseded:
                resource["status"] = "superseded"
        entries.append(
            {
                "fullUrl": entry["fullUrl"],
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"], "ifNoneExist": _if_none_exist(resource)},
            }
        )
    for rid, version in supersedes:
        request: dict[str, Any] = {"method": "PATCH", "url": f"DocumentReference/{rid}"}
        if version:
            request["ifMatch"] = f'W/"{version}"'
        entries.append({"resource": _status_patch("DocumentReference", "superseded"), "request": request})
    tx = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    return _validated(Bundle, tx).model_dump(mode="json")


def _status_patch(resource_type: str, status: str) -> dict[str, Any]:
    """FHIRPath Patch (a Parameters resource) that replaces ``status``."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": f"{resource_type}.status"},
                    {"name": "value", "valueCode": status},
                ],
            }
        ],
    }


_PATIENT_REF = re.compile(r"^Patient/[A-Za-z0-9\-.]{1,64}$")
_ENCOUNTER_REF = re.compile(r"^Encounter/[A-Za-z0-9\-.]{1,64}$")
_AUTHOR_REF = re.compile(r"^(?:Practitioner/[A-Za-z0-9\-.]{1,64}|#[A-Za-z0-9\-.]{1,64})$")


def us_core_problems(document: dict[str, Any]) -> list[str]:
    """The US Core (6.1) elements this sink relies on that a document lacks, as PHI-free field paths.
    An EHR files by ``subject``: a missing or mistyped patient reference would misfile the note."""
    problems: list[str] = []
    for entry in document.get("entry") or []:
        r = entry.get("resource") or {}
        kind = r.get("resourceType", "?")
        subject = (r.get("subject") or {}).get("reference", "")
        if kind in ("DocumentReference", "Composition", "Condition", "ChargeItem") and not _PATIENT_REF.match(subject):
            problems.append(f"{kind}.subject must reference a Patient")
        if kind == "DocumentReference":
            for field in ("status", "type", "category", "date", "author", "content"):
                if not r.get(field):
                    problems.append(f"DocumentReference.{field} missing")
            for n, content in enumerate(r.get("content") or []):
                att = content.get("attachment") or {}
                if not att.get("contentType") or not (att.get("data") or att.get("url")):
                    problems.append(f"DocumentReference.content[{n}].attachment needs contentType and data")
            for enc in (r.get("context") or {}).get("encounter") or []:
                if not _ENCOUNTER_REF.match(enc.get("reference", "")):
                    problems.append("DocumentReference.context.encounter must reference an Encounter")
            for author in r.get("author") or []:
                if not _AUTHOR_REF.match(author.get("reference", "")):
                    problems.append("DocumentReference.author must reference a Practitioner or Device")
        if kind == "Condition":
            for field in ("category", "code", "clinicalStatus", "verificationStatus"):
                if not r.get(field):
                    problems.append(f"Condition.{field} missing")
        if kind == "Composition":
            codes = [s["code"]["coding"][0]["code"] for s in r.get("section") or []]
            if ASSESSMENT_AND_PLAN_LOINC[0] in codes and {"51848-0", "18776-5"} & set(codes):
                problems.append("Composition has 51847-2 and separate assessment/plan sections")
    return list(dict.fromkeys(problems))


def check_us_core(document: dict[str, Any]) -> None:
    problems = us_core_problems(document)
    if problems:
        raise BundleBuildError(f"not US Core conformant: {'; '.join(problems[:6])}")


def resource_refs(document: dict[str, Any]) -> list[ResourceRef]:
    """The resources a document carries, as they are identified inside it."""
    return [ResourceRef(resource_type=e["resource"]["resourceType"], id=e["resource"]["id"]) for e in document["entry"]]


def content_fingerprint(document: dict[str, Any]) -> str:
    """Hash of the document without its ``now``-derived timestamps: equal fingerprints mean the same note."""
    doc = copy.deepcopy(document)
    doc.pop("timestamp", None)
    for entry in doc.get("entry", []):
        resource = entry.get("resource", {})
        for field in _VOLATILE.get(resource.get("resourceType", ""), ()):
            resource.pop(field, None)
        if resource.get("resourceType") == "DocumentReference":
            # The structured attachment embeds the Composition (and so its date); its content is already
            # fingerprinted through the Composition and Condition entries.
            resource["content"] = [c for c in resource.get("content", [])
                                   if c.get("attachment", {}).get("contentType") != "application/fhir+json"]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
