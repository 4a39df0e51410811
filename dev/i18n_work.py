"""Translator's helper: list a catalog's messages as numbered lines, and fill a catalog from such lines.

    python dev/i18n_work.py list > work.txt            # N<TAB>msgid   (plural: singular ||| plural)
    python dev/i18n_work.py fill LOCALE translated.txt  # N<TAB>msgstr  (plural: form0 ||| form1)

Numbers follow translations/messages.pot's order; a line left out stays untranslated (the check tests name it).
Newlines inside a message are written as \\n.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"


def _messages():
    with POT.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


def _show(text: str) -> str:
    return text.replace("\n", "\\n")


def main(argv: list[str]) -> None:
    if argv[0] == "list":
        for number, message in enumerate(_messages(), 1):
            text = " ||| ".join(message.id) if isinstance(message.id, tuple) else message.id
            print(f"{number}\t{_show(text)}")
        return
    locale, source = argv[1], Path(argv[2])
    po_path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    numbered = dict(enumerate(_messages(), 1))
    filled = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        number, text = line.split("\t", 1)
        message = numbered[int(number)]
        entry = catalog.get(message.id)
        if entry is None:
            continue
        text = text.strip().replace("\\n", "\n")
        source = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        if "%%" not in source:  # only a message formatted with values doubles a literal percent sign
            text = text.replace("%%", "%")
        if isinstance(message.id, tuple):
            forms = [part.strip() for part in text.split("|||")]
            # CLDR gives some languages a third form (Spanish and French "many", for millions): it reads as the plural.
            entry.string = tuple(forms + [forms[-1]] * (catalog.num_plurals - len(forms)))[: catalog.num_plurals]
        else:
            entry.string = text
        entry.flags.discard("fuzzy")
        filled += 1
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_by_file=True)
    print(f"{locale}: {filled} messages filled")


if __name__ == "__main__":
    main(sys.argv[1:])
