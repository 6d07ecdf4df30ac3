"""The code set port and its adapter on the ``simple-icd-10-cm`` package (ICD-10-CM FY2026, April 2026 update).

The domain asks the code set four things: is a code real, is it billable (a leaf), what is it called, and do
two codes exclude each other (Excludes1). The fuzzy matcher also needs every billable code's terms.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

CODE_SET_NAME = "ICD-10-CM FY2026"


class CodeSet(Protocol):
    def is_valid(self, code: str) -> bool: ...

    def is_billable(self, code: str) -> bool: ...

    def description(self, code: str) -> str: ...

    def excludes(self, code: str, other: str) -> bool:
        """True when ``code`` (or one of its ancestors) has an Excludes1 note naming ``other``."""
        ...

    def excludes1_refs(self, code: str) -> list[tuple[str, str]]:
        """The (low, high) code ranges the Excludes1 notes of ``code`` and its ancestors name ([] if invalid)."""
        ...

    def billable_terms(self) -> Iterable[tuple[str, str]]:
        """(code, term) for every billable code: its description and its inclusion terms."""
        ...

    def siblings(self, code: str) -> list[tuple[str, str]]:
        """(code, description) of the billable codes in the same 3-character category (at most a few hundred)."""
        ...

    def instructions(self, code: str) -> Instructions:
        """The Tabular List's "code first" and "use additional code" notes of ``code`` and its ancestors."""
        ...


@dataclass(frozen=True)
class Instructions:
    """Sequencing notes that apply to a code, as the Tabular List words them ("code to identify control using:
    insulin (Z79.4) ..."); the code references inside parse with :func:`parse_refs`."""

    code_first: tuple[str, ...] = ()
    use_additional: tuple[str, ...] = ()


# A code reference inside an Excludes1 note: "E10.-", "O24.4-", "P70.2", or a range "R50.2-R50.9" / "I10-I16".
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]+)?"
_REF = re.compile(rf"({_CODE})(?:\s*-\s*({_CODE})|\.?-)?")
_PAREN = re.compile(r"\(([^()]*)\)")


def parse_refs(note: str) -> list[tuple[str, str]]:
    """Excludes1 note text -> [(low, high)] code ranges; a single code or ``X.-`` is the range (X, X)."""
    refs: list[tuple[str, str]] = []
    for group in _PAREN.findall(note):
        for low, high in _REF.findall(group):
            refs.append((low, high or low))
    return refs


def _dotted(code: str) -> str:
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def in_current_edition(code: str, codeset: CodeSet) -> str | None:
    """The billable FY2026 code a coder writes for ``code`` of an earlier edition (CodiEsp's gold is the Spanish 2018
    edition), or None: the code itself when billable; for an injury or external-cause code written without its 7th
    character (T14.90, W19.XXX, T81.4XX), its initial encounter (T14.90XA, W19.XXXA, T81.40XA, the unspecified one
    where the stem stops short). A code FY2026 subdivided (R51 -> R51.0 / R51.9) gets None: which child the coder
    meant is not known, and reading it as the unspecified one cost strict MAP on train CV with no gain in category
    F1 or edition-aware MAP (docs/benchmarks/coding.md, session 8)."""
    code = _dotted(code.strip().upper())
    if codeset.is_billable(code):
        return code
    stem = code.replace(".", "").rstrip("X")
    initial = [c for c, _ in codeset.siblings(code[:3])
               if c.replace(".", "").startswith(stem) and len(c.replace(".", "")) == 7 and c.endswith("A")]
    if not initial:
        return None
    return min(initial, key=lambda c: (-codeset.description(c).lower().count("unspecified"), c))


def is_external_cause(code: str) -> bool:
    """A chapter 20 code (V00-Y99): an external cause, coded beside the injury it caused, never for it or first."""
    return code[:1] in "VWXY"


def in_ref(code: str, ref: tuple[str, str]) -> bool:
    # Compare on the reference's own length, so "E11.22" falls within "E08-E13" and "E11.-".
    low, high = ref
    return code[: len(low)] >= low and code[: len(high)] <= high


class SimpleIcd10CmCodeSet:
    """Adapter on ``simple_icd_10_cm``. The package parses its XML when imported (about 2 s), so the import
    and every derived table happen on first use (or an explicit :meth:`load`), never at module import."""

    def __init__(self) -> None:
        self._lib: ModuleType | None = None
        self._lock = threading.Lock()
        self._terms: list[tuple[str, str]] | None = None
        self._refs: dict[str, list[tuple[str, str]]] = {}
        self._siblings: dict[str, list[tuple[str, str]]] = {}
        # The package resolves codes through linear scans in places (add_dot); the domain asks the same few
        # questions many times per note, so answers are memoised (the code set is immutable).
        self._billable: dict[str, bool] = {}
        self._descriptions: dict[str, str] = {}
        self._excludes: dict[tuple[str, str], bool] = {}
        self._instructions: dict[str, Instructions] = {}

    def load(self) -> SimpleIcd10CmCodeSet:
        self._module()
        self.billable_terms()
        return self

    def _module(self) -> ModuleType:
        if self._lib is None:
            with self._lock:
                if self._lib is None:
                    import simple_icd_10_cm

                    self._lib = simple_icd_10_cm
        return self._lib

    def is_valid(self, code: str) -> bool:
        return bool(code) and self._module().is_valid_item(code)

    def is_billable(self, code: str) -> bool:
        found = self._billable.get(code)
        if found is None:
            # A block without sub-blocks ("C00-C96", "M00-M25") is a leaf of the library's tree, but no code (a block
            # of one category is the category too: B20, R99, Z66).
            lib = self._module()
            a_code = lib.is_category_or_subcategory(code) or lib.is_extended_subcategory(code)
            found = self._billable[code] = self.is_valid(code) and lib.is_leaf(code) and a_code
        return found

    def description(self, code: str) -> str:
        found = self._descriptions.get(code)
        if found is None:
            found = self._descriptions[code] = self._module().get_description(code) if self.is_valid(code) else ""
        return found

    def _excludes1_refs(self, code: str) -> list[tuple[str, str]]:
        refs = self._refs.get(code)
        if refs is None:
            lib = self._module()
            refs = [ref for item in self._lineage(code) for note in lib.get_excludes1(item) for ref in parse_refs(note)]
            self._refs[code] = refs
        return refs

    def excludes1_refs(self, code: str) -> list[tuple[str, str]]:
        return self._excludes1_refs(_dotted(code)) if self.is_valid(code) else []

    def excludes(self, code: str, other: str) -> bool:
        found = self._excludes.get((code, other))
        if found is None:
            found = self._excludes[(code, other)] = self._excludes_uncached(code, other)
        return found

    def _excludes_uncached(self, code: str, other: str) -> bool:
        if not (self.is_valid(code) and self.is_valid(other)):
            return False
        # The package's add_dot scans its code list; for a valid code the dot always follows the category.
        return any(in_ref(_dotted(other), ref) for ref in self._excludes1_refs(_dotted(code)))

    def billable_terms(self) -> list[tuple[str, str]]:
        if self._terms is None:
            lib = self._module()
            terms: list[tuple[str, str]] = []
            for code in lib.get_all_codes(True):
                if not self.is_billable(code):
                    continue
                terms.append((code, lib.get_description(code)))
                terms.extend((code, t) for t in lib.get_inclusion_term(code))
            self._terms = terms
        return self._terms

    def siblings(self, code: str) -> list[tuple[str, str]]:
        if not self.is_valid(code):
            return []
        category = code[:3]
        found = self._siblings.get(category)
        if found is None:
            lib = self._module()
            leaves = [c for c in lib.get_descendants(category) if lib.is_leaf(c)] if lib.is_valid_item(category) else []
            found = [(c, lib.get_description(c)) for c in leaves[:400]]
            self._siblings[category] = found
        return found

    def _lineage(self, code: str) -> list[str]:
        """A valid dotted code and its subcategory and category ancestors: the levels whose Tabular notes apply to
        it (chapter and block notes are too general to act on)."""
        lib = self._module()
        return [item for item in [code, *lib.get_ancestors(code)] if not lib.is_chapter_or_block(item)]

    def instructions(self, code: str) -> Instructions:
        found = self._instructions.get(code)
        if found is None:
            found = Instructions()
            if self.is_valid(code):
                lib = self._module()
                items = self._lineage(_dotted(code))
                found = Instructions(code_first=tuple(n for i in items if (n := lib.get_code_first(i))),
                                     use_additional=tuple(n for i in items if (n := lib.get_use_additional_code(i))))
            self._instructions[code] = found
        return found


class Exclusions:
    """The codes kept so far and the Excludes1 ranges they bring: ``conflicts(code)`` answers, in time that grows with
    the code's own notes and the ranges sharing its first letter (not with every kept code), whether ``code``
    excludes a kept code or a kept code excludes it. Replaces a check of every pair of candidates."""

    def __init__(self, codeset: CodeSet) -> None:
        self._codeset = codeset
        self._kept: list[str] = []  # sorted dotted codes
        self._ranges: dict[str, list[tuple[str, str]]] = {}  # first letter -> ranges named by kept codes

    def conflicts(self, code: str) -> bool:
        dotted = _dotted(code)
        for low, high in self._ranges.get(dotted[0], ()):  # (in_ref, inlined: the hot loop of the Excludes1 pass)
            if dotted[: len(low)] >= low and dotted[: len(high)] <= high:
                return True
        for low, high in self._codeset.excludes1_refs(code):
            # Kept codes k with k[:len(low)] >= low and k[:len(high)] <= high form one run of the sorted list.
            i = bisect.bisect_left(self._kept, low)
            if i < len(self._kept) and in_ref(self._kept[i], (low, high)):
                return True
        return False

    def add(self, code: str) -> None:
        dotted = _dotted(code)
        bisect.insort(self._kept, dotted)
        for low, high in self._codeset.excludes1_refs(code):
            for letter in {chr(c) for c in range(ord(low[0]), ord(high[0]) + 1)}:
                self._ranges.setdefault(letter, []).append((low, high))
