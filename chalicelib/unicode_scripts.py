"""Which writing systems a piece of text mixes: the script rule of emails (contract 8.1).

Python's unicodedata has no Script property and the Lambda zip has little room for a package
that has, so a letter's script is read from its Unicode name ("LATIN SMALL LETTER A",
"CYRILLIC SMALL LETTER A", "CJK UNIFIED IDEOGRAPH-4E00"): for the scripts that matter here the
name's first word is the script. Only letters count; digits, punctuation, symbols and combining
marks are neutral. Letters whose name names no script (mathematical alphabets, MICRO SIGN, ...)
count as a script of their own, so they cannot be mixed with another one either: stricter than
Unicode's Common, on purpose, since they are mostly look-alikes.

The allowed mixtures are those of Unicode's "highly restrictive" level (UTS #39 section 5.2):
one script, or Latin with the scripts of Japanese, of Chinese with Bopomofo, or of Korean.
"""
from __future__ import annotations

import unicodedata

_VARIANTS = {"FULLWIDTH", "HALFWIDTH", "SUPERSCRIPT"}  # width and position keep the script
_TWO_WORD = {"OLD", "NEW", "TAI", "LINEAR", "INSCRIPTIONAL"}  # "OLD ITALIC" is not "OLD TURKIC"
_ALIASES = {
    "CJK": "HAN", "IDEOGRAPHIC": "HAN",  # IDEOGRAPHIC ITERATION MARK 々 belongs to Han
    "HENTAIGANA": "HIRAGANA",
    "KATAKANA-HIRAGANA": "KATAKANA",  # the prolonged sound mark ー, used by both kana
    "FEMININE": "LATIN", "MASCULINE": "LATIN",  # ª º
}
_MODIFIER_SCRIPTS = {"LATIN", "GREEK", "CYRILLIC", "GEORGIAN"}
ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),  # Japanese
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),  # Chinese
    frozenset({"LATIN", "HAN", "HANGUL"}),  # Korean
)


def script_of(char: str) -> str | None:
    """The script of a letter (an upper-case name such as ``LATIN``), None when it is neutral."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = unicodedata.name(char, "UNNAMED").split()
    if len(words) > 1 and words[0] in _VARIANTS:
        words = words[1:]
    if words[:2] == ["MODIFIER", "LETTER"]:
        # ʼ ʻ ˈ are apostrophes and tone marks written as letters (Hawaiian, Ukrainian): neutral;
        # MODIFIER LETTER SMALL A and kin are Latin unless the name says another script.
        named = [w for w in words[2:] if w in _MODIFIER_SCRIPTS]
        if named:
            return named[0]
        return "LATIN" if {"SMALL", "CAPITAL"} & set(words) else None
    key = " ".join(words[:2]) if words[0] in _TWO_WORD else words[0]
    return _ALIASES.get(key, key)


def scripts(text: str) -> set[str]:
    return {s for s in map(script_of, text) if s is not None}


def mixes_scripts(text: str) -> bool:
    """True when the letters of ``text`` come from scripts that may not be mixed."""
    found = scripts(text)
    return len(found) > 1 and not any(found <= allowed for allowed in ALLOWED_MIXES)
