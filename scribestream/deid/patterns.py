"""Rule recognizers for the identifiers that have a shape: numbers (phone, fax, SSN, MRN and other ids,
ZIP), written or said digit by digit; e-mail, URL and IP addresses, written or spelled out; street addresses;
ages over 89. Pure functions of the text: no model, no I/O."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from scribestream.deid.numbers import (
    CARDINAL,
    CARDINAL_WORD_RE,
    DIGIT_WORDS,
    words_to_int,
)
from scribestream.deid.spans import Found, PhiType

# ------------------------------------------------------------------ numbers said or written piece by piece
_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")
_SEPARATORS = {",", "-", ".", "(", ")", "/", "+", "–", "dash", "hyphen"}
_MULTIPLIERS = {"double": 2, "triple": 3}

_CONTEXT_WINDOW = 48  # characters before a number where its label ("MRN", "fax", "call me on") is looked for
_FAX = re.compile(r"\bfax", re.IGNORECASE)
_SSN = re.compile(r"\b(?:ssn|social security|social(?:\s+number)?)\b", re.IGNORECASE)
_ID = re.compile(
    r"\b(?:mrn|m\s?r\s?n|medical record|record number|record no|chart|account|acct|a/c|member|membership|policy|"
    r"insurance|subscriber|group number|id|i\.?d\.?|identifier|patient number|hospital number|nhs|unit number|"
    r"case number|claim|reference|ref|licen[cs]e|certificate|plate|serial|device|vin|beneficiary|passport|"
    r"employee|badge)\b(?:\s+(?:number|no\b\.?|#))?", re.IGNORECASE)
_PHONE = re.compile(r"\b(?:phone|telephone|tel|cell|mobile|call|calling|ring|reach|contact|number|landline|pager|"
                    r"extension|ext|text me|whatsapp)\b", re.IGNORECASE)
_ZIP = re.compile(r"\b(?:zip|zip code|postcode|post code|postal code)\b", re.IGNORECASE)


@dataclass(frozen=True)
class NumberRun:
    start: int
    end: int
    digits: str
    letters: int  # letters that are part of an alphanumeric id ("A B 1 2 3", "MRN00123X")
    written: str  # the run as written, for shape checks (dashes, parentheses)


def _piece(tokens: list[re.Match[str]], i: int) -> tuple[str, int, int] | None:
    """Digits contributed by the token at ``i`` → (digits, letters, tokens consumed)."""
    word = tokens[i].group()
    low = word.lower()
    if word.isdigit():
        return word, 0, 1
    if re.fullmatch(r"[A-Za-z]*\d[A-Za-z\d]*", word) and sum(c.isdigit() for c in word) >= 2:
        return "".join(c for c in word if c.isdigit()), sum(c.isalpha() for c in word), 1
    if low in _MULTIPLIERS and i + 2 < len(tokens) + 1 and i + 1 < len(tokens):
        nxt = tokens[i + 1].group().lower()
        digit = DIGIT_WORDS.get(nxt) or (nxt if nxt.isdigit() and len(nxt) == 1 else None)
        if digit is not None:
            return digit * _MULTIPLIERS[low], 0, 2
    if low in DIGIT_WORDS and low not in ("o", "oh"):
        return DIGIT_WORDS[low], 0, 1
    if low in CARDINAL and CARDINAL[low] >= 10:
        # "twelve thirty-four": pairs as people say them; "thirty four" joined into 34
        value = CARDINAL[low]
        if value >= 20 and i + 2 < len(tokens) and tokens[i + 1].group() == "-" \
                and CARDINAL.get(tokens[i + 2].group().lower(), 99) < 10:
            return str(value + CARDINAL[tokens[i + 2].group().lower()]), 0, 3
        if value >= 20 and i + 1 < len(tokens) and 0 < CARDINAL.get(tokens[i + 1].group().lower(), 99) < 10 \
                and tokens[i + 1].start() - tokens[i].end() <= 1:
            return str(value + CARDINAL[tokens[i + 1].group().lower()]), 0, 2
        return str(value), 0, 1
    if low == "hundred":
        return "00", 0, 1
    return None


def number_runs(text: str) -> list[NumberRun]:
    """Maximal runs of digits, digit words, "double five", "oh" and spelled letters, joined by separators."""
    tokens = list(_TOKEN.finditer(text))
    runs: list[NumberRun] = []
    i = 0
    while i < len(tokens):
        digits, letters, pieces, j = "", 0, 0, i
        first: int | None = None
        last_end = -1
        pending: list[int] = []  # spelled capital letters, part of the id only if digits follow
        while j < len(tokens):
            low = tokens[j].group().lower()
            got = _piece(tokens, j)
            if got is None and low in ("o", "oh") and (pieces or (j + 1 < len(tokens) and _piece(tokens, j + 1))):
                got = ("0", 0, 1)
            if got is not None:
                if first is None:
                    first = pending[0] if pending else j
                digits += got[0]
                letters += got[1] + len(pending)
                pending = []
                pieces += 1
                j += got[2]
                last_end = tokens[j - 1].end()
                continue
            word = tokens[j].group()
            nxt = tokens[j + 1].group() if j + 1 < len(tokens) else ""
            if len(word) == 1 and word.isupper() and (word not in "IA" or pending or pieces
                                                      or (len(nxt) == 1 and nxt.isupper())):
                pending.append(j)
                j += 1
                continue
            if pieces and low in _SEPARATORS and not pending:
                j += 1
                continue
            break
        if pieces and first is not None:
            start = tokens[first].start()
            # an id's letter prefix ("XJ-4471902") and a phone's opening bracket or plus belong to the run
            prefix = re.search(r"(?:\b[A-Za-z]{1,4}-|[(+])$", text[:start])
            start = prefix.start() if prefix else start
            runs.append(NumberRun(start, last_end, digits, letters, text[start:last_end]))
            i = max(j, i + 1)
        else:
            i += 1
    return runs


def _context(text: str, start: int) -> str:
    before = text[max(0, start - _CONTEXT_WINDOW):start]
    # the label belongs to this clause: stop at the previous sentence end
    return re.split(r"[.!?;]\s", before)[-1]


_WRITTEN_PHONE = re.compile(r"^(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}$|^\+?44[\s\d]{9,13}$|^0\d{3,4}[\s-]?\d{3}[\s-]?\d{3,4}$")
_WRITTEN_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")


def classify_number(run: NumberRun, text: str) -> Found | None:
    n = len(run.digits)
    context = _context(text, run.start)
    written = run.written.strip()
    if n >= 7 and _FAX.search(context):
        return Found(PhiType.FAX, run.start, run.end, 0.9)
    if (n == 9 and _SSN.search(context)) or _WRITTEN_SSN.match(written):
        return Found(PhiType.SSN, run.start, run.end, 0.9)
    phone_shape = bool(_WRITTEN_PHONE.match(written))
    # the label nearest the number decides: "account number 5551234567" is an id, "MRN 1234, call 555 0134" not
    phone_end = max((m.end() for m in _PHONE.finditer(context)), default=-1)
    id_end = max((m.end() for m in _ID.finditer(context)), default=-1)
    phone_context = phone_end >= 0
    id_context = id_end >= phone_end and id_end >= 0
    if n >= 4 and id_context:
        return Found(PhiType.ID, run.start, run.end, 0.9)
    if phone_shape or (7 <= n <= 13 and phone_context):
        return Found(PhiType.PHONE, run.start, run.end, 0.85)
    if n in (5, 9) and _ZIP.search(context):
        return Found(PhiType.ZIP, run.start, run.end, 0.85)
    if n >= 6 and run.letters:
        return Found(PhiType.ID, run.start, run.end, 0.7)
    if n in (10, 11) and written.replace(" ", "").isdigit() is False:
        return Found(PhiType.PHONE, run.start, run.end, 0.6)
    if n >= 7:
        return Found(PhiType.ID, run.start, run.end, 0.55)
    return None


def find_numbers(text: str) -> list[Found]:
    return [f for run in number_runs(text) if (f := classify_number(run, text)) is not None]


# ------------------------------------------------------------------ e-mail, URL, IP
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|us|info|health|biz|me|nhs|ca|au)"
_SPOKEN_EMAIL = re.compile(
    rf"\b[a-z0-9]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[a-z0-9]+|\s*[._-]\s*[a-z0-9]+)*\s+at\s+"
    rf"[a-z0-9]+(?:\s+dot\s+[a-z0-9]+)*\s+dot\s+{_TLD}\b", re.IGNORECASE)
_URL = re.compile(rf"\b(?:https?://|www\.)[^\s<>\"']+|(?<![@\w.])(?:[a-z0-9-]+\.)+{_TLD}(?:/[^\s<>\"']*)?(?![\w])", re.IGNORECASE)
_SPOKEN_URL = re.compile(
    rf"\b(?:(?:h\s*t\s*t\s*p\s*s?\s+colon\s+slash\s+slash\s+)|(?:w\s+w\s+w|www)\s+dot\s+)?[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)*"
    rf"\s+dot\s+{_TLD}(?:\s+slash\s+[a-z0-9-]+)*\b", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}(?![\w:])", re.IGNORECASE)


def find_network(text: str) -> list[Found]:
    found = [Found(PhiType.EMAIL, m.start(), m.end(), 0.95) for m in _EMAIL.finditer(text)]
    found += [Found(PhiType.EMAIL, m.start(), m.end(), 0.9) for m in _SPOKEN_EMAIL.finditer(text)]
    found += [Found(PhiType.URL, m.start(), m.end().__int__() - _trailing_punct(m.group()), 0.9)
              for m in _URL.finditer(text)]
    found += [Found(PhiType.URL, m.start(), m.end(), 0.8) for m in _SPOKEN_URL.finditer(text)
              if re.search(r"\bwww\b|\bslash\b|\bh\s*t\s*t\s*p", m.group(), re.IGNORECASE) or m.group().count(" dot ") >= 1]
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        found.append(Found(PhiType.IP, m.start(), m.end(), 0.95))
    found += [Found(PhiType.IP, m.start(), m.end(), 0.9) for m in _IPV6.finditer(text)]
    return found


def _trailing_punct(url: str) -> int:
    return len(url) - len(url.rstrip(".,;:!?)"))


# ------------------------------------------------------------------ street addresses, ZIP and postcodes
# USPS Publication 28 street suffixes (common forms and abbreviations)
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|roads|boulevard|blvd|lane|ln|drive|dr|drives|court|ct|courts|way|ways|place|pl|"
    r"terrace|ter|circle|cir|circles|highway|hwy|parkway|pkwy|parkways|close|crescent|cres|square|sq|squares|trail|trl|"
    r"row|grove|groves|gardens|garden|gdns|walk|mews|hill|hills|park|parks|alley|aly|bend|bluff|bluffs|bottom|branch|"
    r"bridge|brook|brooks|burg|burgs|bypass|camp|canyon|cape|causeway|center|centre|centers|club|common|commons|"
    r"corner|corners|course|cove|coves|creek|crest|crossing|crossroad|curve|dale|dam|divide|estate|estates|"
    r"expressway|expy|extension|extensions|ext|fall|falls|ferry|field|fields|flat|flats|ford|fords|forest|forge|"
    r"forges|fork|forks|fort|freeway|fwy|gateway|glen|glens|green|greens|harbor|harbors|haven|heights|hts|hollow|"
    r"inlet|island|islands|isle|junction|junctions|key|keys|knoll|knolls|lake|lakes|landing|light|lights|loaf|lock|"
    r"locks|lodge|loop|mall|manor|manors|meadow|meadows|mill|mills|mission|motorway|mount|mountain|mountains|"
    r"neck|orchard|oval|overpass|pass|passage|path|pike|pine|pines|plain|plains|plaza|point|points|port|ports|"
    r"prairie|radial|ramp|ranch|rapid|rapids|rest|ridge|ridges|river|route|rte|shoal|shoals|shore|shores|skyway|"
    r"spring|springs|spur|spurs|station|stravenue|stream|streets|summit|throughway|trace|track|trafficway|"
    r"trailer|tunnel|turnpike|tpke|underpass|union|unions|valley|valleys|viaduct|view|views|village|villages|"
    r"ville|vista|wall|well|wells)")
_HOUSE = rf"(?:\d{{1,6}}[a-z]?|{CARDINAL_WORD_RE}(?:[\s-]+{CARDINAL_WORD_RE}){{0,3}})"
_STREET = re.compile(
    rf"\b{_HOUSE}\s+(?:(?:north|south|east|west|n|s|e|w)\.?\s+)?(?:[a-z][a-z'-]*\s+){{1,3}}{_STREET_SUFFIX}\b"
    rf"(?:,?\s+(?:apartment|apt|suite|ste|unit|flat|floor|room|rm|#)\.?\s*#?\s*[\w-]{{1,6}})?", re.IGNORECASE)
# "I live at 12 Larkhall": after an address phrase, a house number and a few words are an address even with no
# street suffix we know
_ADDRESS_CONTEXT = re.compile(
    rf"\b(?:live at|lives at|living at|address is|address:|moved to|reside at|resides at|staying at|located at)\s+"
    rf"(?P<addr>{_HOUSE}(?:\s+[A-Za-z][A-Za-z'-]*){{1,3}}?(?:,?\s+(?:apartment|apt|suite|ste|unit|flat)\.?\s*#?\s*[\w-]{{1,6}})?)"
    rf"(?=[.,;!?]|\s+(?:in|and|with|since|for|last|next|now)\b|$)", re.IGNORECASE)
_PO_BOX = re.compile(r"\bp\.?\s?o\.?\s+box\s+\d+\b", re.IGNORECASE)
_US_STATES = ("alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|hawaii|"
              "idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|michigan|"
              "minnesota|mississippi|missouri|montana|nebraska|nevada|new hampshire|new jersey|new mexico|new york|"
              "north carolina|north dakota|ohio|oklahoma|oregon|pennsylvania|rhode island|south carolina|"
              "south dakota|tennessee|texas|utah|vermont|virginia|washington|west virginia|wisconsin|wyoming")
_STATE_ABBR = ("AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
               "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC")
# "Springfield, IL 62704" / "Dayton, Ohio": the city before a state, the ZIP after it
_CITY_STATE = re.compile(rf"\b(?P<city>(?:[A-Z][a-z]+\s+){{0,2}}[A-Z][a-z]+),\s+(?:(?:{_STATE_ABBR})\s+(?=\d{{5}})|(?i:{_US_STATES})\b)"
                         rf"(?:\s*(?P<zip>\d{{5}}(?:-\d{{4}})?))?")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
_ZIP_CONTEXT = re.compile(r"\b(?:zip|zip code|postcode|post code|postal code)(?:\s+is|:)?\s+(\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})", re.IGNORECASE)

STATE_NAMES = frozenset(_US_STATES.split("|"))


def find_addresses(text: str) -> list[Found]:
    found = [Found(PhiType.ADDRESS, m.start(), m.end(), 0.85) for m in _STREET.finditer(text)
             if not _is_measurement(m.group())]
    found += [Found(PhiType.ADDRESS, m.start(), m.end(), 0.9) for m in _PO_BOX.finditer(text)]
    found += [Found(PhiType.ADDRESS, m.start("addr"), m.end("addr"), 0.8) for m in _ADDRESS_CONTEXT.finditer(text)
              if not _is_measurement(m.group("addr"))]
    for m in _CITY_STATE.finditer(text):
        found.append(Found(PhiType.LOCATION, m.start("city"), m.end("city"), 0.8))
        if m.group("zip"):
            found.append(Found(PhiType.ZIP, m.start("zip"), m.end("zip"), 0.9))
    found += [Found(PhiType.ZIP, m.start(), m.end(), 0.85) for m in _UK_POSTCODE.finditer(text)]
    found += [Found(PhiType.ZIP, m.start(1), m.end(1), 0.9) for m in _ZIP_CONTEXT.finditer(text)]
    return found


def _is_measurement(candidate: str) -> bool:
    # "2 times a day" never ends in a street word, but "5 mg twice a day" + "st" could; units rule it out
    return re.search(r"\b(?:mg|ml|mcg|units?|times|tablets?|pills?|minutes?|days?|weeks?|months?|hours?|years?|ago|miles?|km|metres?|meters?|feet|yards?)\b",
                     candidate, re.IGNORECASE) is not None


# ------------------------------------------------------------------ ages over 89
_AGE_NUMBER = rf"(?:9\d|1[0-1]\d|(?:a\s+|one\s+)?hundred(?:\s+and)?(?:\s+{CARDINAL_WORD_RE})?|ninety(?:[\s-]+[a-z]+)?)"
_AGE = re.compile(
    rf"\b(?P<age>{_AGE_NUMBER})(?P<unit>[\s-]+(?:years?|yrs?)[\s-]+old|[\s-]*(?:yo|y/o|y\.o\.)(?!\w)|-year-old|[\s-]+year[\s-]+old)"
    rf"|\b(?:aged?|age\s+of|turned|turning)\s+(?P<age2>{_AGE_NUMBER})\b", re.IGNORECASE)


def _age_value(text: str) -> int | None:
    text = text.lower().strip()
    if text.isdigit():
        return int(text)
    words = re.sub(r"\b(?:a|one|and)\b", " ", text).split()
    if words and words[0] == "hundred":
        rest = words_to_int(" ".join(words[1:])) if words[1:] else 0
        return None if rest is None else 100 + rest
    return words_to_int(text)


def find_ages(text: str) -> list[Found]:
    found = []
    for m in _AGE.finditer(text):
        group = "age" if m.group("age") else "age2"
        value = _age_value(m.group(group))
        if value is None or value < 90:
            continue
        end = m.end() if group == "age" else m.end(group)
        found.append(Found(PhiType.AGE, m.start(group), end, 0.9))
    return found
