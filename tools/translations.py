"""Refresh the zh_Hans catalogue and fill it from the translation files in kefu/locale/zh_Hans/new/.

Work in parallel branches adds strings; each branch writes its new msgids with their Chinese to
kefu/locale/zh_Hans/new/<topic>.json ({"msgid": "中文", ...}; for a plural, {"msgid": ["单数", "复数"]};
with a context, the key is "context\u0004msgid").
This script runs makemessages, fills every empty or fuzzy entry whose msgid is in one of those files,
and compiles. When two branches both changed django.po, take either side and run this script again:
the JSON files are the source, django.po and django.mo are regenerated from them.

    .venv/bin/python tools/translations.py          # refresh, fill, compile; lists what is still missing
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parents[1]
PO = REPO / "kefu/locale/zh_Hans/LC_MESSAGES/django.po"
NEW = REPO / "kefu/locale/zh_Hans/new"


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, check=True)  # noqa: S603


def main() -> int:
    manage(
        "makemessages",
        "-l",
        "zh_Hans",
        "--ignore=.venv",
        "--ignore=data",
        "--ignore=node_modules",
        "--no-obsolete",
        "--no-location",
    )
    known: dict[str, str | list[str]] = {}
    for path in sorted(NEW.glob("*.json")):
        known.update(json.loads(path.read_text(encoding="utf-8")))
    catalogue = polib.pofile(str(PO))
    catalogue.metadata["POT-Creation-Date"] = (
        "2026-11-24 00:00+0800"  # fixed: no merge conflict per run
    )
    missing = []
    for entry in catalogue:
        empty = not entry.msgstr and not any(entry.msgstr_plural.values())
        if not (empty or entry.fuzzy):
            continue
        # A msgid with a context (pgettext) is keyed "context\u0004msgid", as in the .mo file.
        key = f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid
        chinese = known.get(key)
        if chinese is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            forms = chinese if isinstance(chinese, list) else [chinese]
            entry.msgstr_plural = {0: forms[0]}
        else:
            entry.msgstr = chinese if isinstance(chinese, str) else chinese[0]
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
    catalogue.save()
    manage("compilemessages", "--ignore=.venv")
    for msgid in missing:
        print(f"missing: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
