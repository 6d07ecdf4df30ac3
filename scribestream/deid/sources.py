"""Word lists the name rules lean on, each from a source independent of any test-set generator:

- surnames: the US Census Bureau's 1990 surname list (88,799 surnames in frequency order), as shipped by the
  ``names`` package (MIT) — a list of real people's surnames, not a synthetic generator's vocabulary;
- drug names: this project's own medical lexicons (the ASR decoding vocabulary and the note generator's drug
  list), so a brand name said in a consultation ("Eliquis", "Ventolin") is not read as a person.

Reading is lazy and done once by ``engine.load_lexicon``."""

from __future__ import annotations

from importlib import resources

# the top of the Census list (about half the population): surnames so frequent that they are taken after a given
# name even when they are also function words or adjectives ("jason may", "natasha brown", not "gabriel good");
# the cost is an extra word masked after a name
FREQUENT_SURNAME_RANK = 500


def census_surnames() -> list[str]:
    """Lower-case surnames, most frequent first."""
    path = resources.files("names") / "dist.all.last"
    with path.open(encoding="utf-8") as handle:
        return [line.split()[0].lower() for line in handle if line.strip()]


def drug_names() -> frozenset[str]:
    """Generic and brand drug names known to the project (one-word forms, lower case)."""
    from services.asr.vocabulary import default_lexicon
    from services.notegen.lexicon import DRUGS

    words = {w for term in default_lexicon().drugs for w in term.split() if len(w) > 3} | set(DRUGS)
    return frozenset(w.lower() for w in words)
