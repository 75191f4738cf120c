"""The Simplified Chinese catalogue is complete, compiled and in use.

zh-hans is the default language, so a string missing from kefu/locale/zh_Hans shows up in English on
a Chinese screen. These tests fail when the catalogue has a gap, a fuzzy guess, a broken placeholder,
a stale django.mo, or when the source has strings the catalogue does not know yet.

After adding or changing strings, from the repository root:

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=data --ignore=node_modules --no-obsolete --no-location
    (translate the new entries in kefu/locale/zh_Hans/LC_MESSAGES/django.po, remove "#, fuzzy")
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

import hashlib
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

REPO_DIR = Path(__file__).resolve().parents[3]
LOCALE_DIR = REPO_DIR / "kefu" / "locale"
PO_PATH = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.mo"

GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge")

# A printf-style conversion as Python's % operator reads it: %(name)s, %d, %5.2f … but not %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]+)\))?[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?P<conv>[diouxXeEfFgGcrsa%])"
)


def load_po(path: Path = PO_PATH) -> polib.POFile:
    return polib.pofile(str(path))


def live_entries(po) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and e.msgid != ""]


def translations_of(entry) -> list[str]:
    """Every msgstr of an entry: one for a plain entry, msgstr[0..] for a plural one."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural, key=int)]
    return [entry.msgstr]


def untranslated(po) -> list[str]:
    """Entries that show English on a Chinese screen: empty, partly empty or fuzzy."""
    return [
        e.msgid
        for e in live_entries(po)
        if "fuzzy" in e.flags or not all(s.strip() for s in translations_of(e))
    ]


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """(sorted named placeholders, unnamed conversions in order) of a python-format string."""
    named, unnamed = [], []
    for m in PLACEHOLDER.finditer(text):
        if m["conv"] == "%":
            continue
        if m["name"] is not None:
            named.append(m["name"])
        else:
            unnamed.append(m["conv"])
    return sorted(set(named)), unnamed


def catalogue(entries) -> dict:
    """(msgctxt, msgid, msgid_plural) → translation(s), comparable between a .po and a .mo."""
    return {
        (e.msgctxt or "", e.msgid, e.msgid_plural or ""): tuple(translations_of(e))
        for e in entries
        if e.msgid != "" and not getattr(e, "obsolete", False)
    }


def fingerprint(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


# --- a) every entry is translated ------------------------------------------------------------


def test_catalogue_exists_with_chinese_plural_rule():
    assert PO_PATH.is_file(), (
        f"{PO_PATH} is missing; run makemessages (see this module's docstring)"
    )
    po = load_po()
    assert len(live_entries(po)) > 0
    assert po.metadata.get("Plural-Forms", "").replace(" ", "").startswith("nplurals=1;plural=0"), (
        "Chinese has one plural form: the header must say 'Plural-Forms: nplurals=1; plural=0;'"
    )
    assert not po.metadata_is_fuzzy, (
        "the header is marked fuzzy; remove '#, fuzzy' above msgid \"\""
    )


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = load_po()
    missing = [e.msgid for e in live_entries(po) if not all(s.strip() for s in translations_of(e))]
    fuzzy = [e.msgid for e in live_entries(po) if "fuzzy" in e.flags]
    assert not missing, f"{len(missing)} untranslated entries in {PO_PATH.name}:\n" + "\n".join(
        missing
    )
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entries (msgmerge's guesses; check them and remove '#, fuzzy'):\n"
        + "\n".join(fuzzy)
    )


def test_plural_entries_have_exactly_one_chinese_form():
    po = load_po()
    wrong = [
        f"{e.msgid!r}: msgstr indices {sorted(int(k) for k in e.msgstr_plural)}"
        for e in live_entries(po)
        if e.msgid_plural and sorted(int(k) for k in e.msgstr_plural) != [0]
    ]
    assert not wrong, "plural entries need msgstr[0] only:\n" + "\n".join(wrong)


def test_translations_keep_the_placeholders():
    """A translation that drops or invents a %(name)s crashes or loses data when it is formatted."""
    po = load_po()
    broken = []
    for e in live_entries(po):
        if "python-format" not in e.flags:
            continue
        # For a plural entry the Chinese form stands for the plural one, which names every value.
        expected = placeholders(e.msgid_plural or e.msgid)
        for text in translations_of(e):
            found = placeholders(text)
            if found != expected:
                broken.append(f"{e.msgid!r} → {text!r}: expected {expected}, found {found}")
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


# --- b) the committed .mo is the compiled .po ------------------------------------------------------


def test_compiled_catalogue_matches_the_po():
    assert MO_PATH.is_file(), (
        f"{MO_PATH} is missing; run compilemessages (see this module's docstring)"
    )
    po = catalogue(live_entries(load_po()))
    mo = catalogue(polib.mofile(str(MO_PATH)))
    stale = sorted(k[1] for k in po.keys() & mo.keys() if po[k] != mo[k])
    only_po = sorted(k[1] for k in po.keys() - mo.keys())
    only_mo = sorted(k[1] for k in mo.keys() - po.keys())
    assert not (stale or only_po or only_mo), (
        "django.mo is stale; run `.venv/bin/python manage.py compilemessages --ignore=.venv`.\n"
        f"different translation: {stale}\nnot compiled: {only_po}\nonly in the .mo: {only_mo}"
    )


# --- c) the catalogue covers every string in the source ---------------------------------------------


def test_catalogue_covers_every_string_in_the_source(tmp_path, monkeypatch):
    absent = [p for p in GETTEXT_PROGRAMS if shutil.which(p) is None]
    if absent:
        reason = f"GNU gettext is not installed ({', '.join(absent)} missing); cannot extract the source strings"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — CI must install gettext")
        pytest.skip(reason)

    watched = [p for p in LOCALE_DIR.rglob("*") if p.is_file()]
    before = {p: fingerprint(p) for p in watched}

    tmp_locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, tmp_locale)
    monkeypatch.chdir(REPO_DIR)
    # "locale" is ignored so makemessages does not discover kefu/locale while walking the tree and
    # write to it: everything then goes to LOCALE_PATHS, the temporary copy.
    with override_settings(LOCALE_PATHS=[tmp_locale]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            ignore_patterns=[".venv", "data", "node_modules", "locale"],
            no_obsolete=True,
            verbosity=0,
        )

    after = {p: fingerprint(p) for p in watched}
    assert after == before, "makemessages changed the real catalogue in kefu/locale"
    assert sorted(p for p in LOCALE_DIR.rglob("*") if p.is_file()) == sorted(watched), (
        "makemessages created files in the real kefu/locale"
    )

    regenerated = load_po(tmp_locale / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert live_entries(regenerated), (
        "makemessages found no strings at all; is the source tree there?"
    )
    gaps = untranslated(regenerated)
    assert not gaps, (
        f"{len(gaps)} source strings have no Chinese translation (new, changed or fuzzy). Run "
        "makemessages, translate them in kefu/locale/zh_Hans/LC_MESSAGES/django.po, then "
        "compilemessages (see this module's docstring):\n" + "\n".join(gaps)
    )


# --- d) the catalogue is what Django actually uses ------------------------------------------------


def test_chinese_is_served_and_english_stays_available():
    with translation.override("zh-hans"):
        assert translation.gettext("Workbench") == "工作台"
        assert (
            translation.gettext("The user name or password is incorrect.") == "用户名或密码错误。"
        )
        assert translation.ngettext("%(n)s member", "%(n)s members", 3) % {"n": 3} == "3 名成员"
        rendered = Template('{% load i18n %}{% translate "Sign out" %}').render(Context())
        assert rendered == "退出登录"
    with translation.override("en"):
        assert translation.gettext("Workbench") == "Workbench"
        assert translation.ngettext("%(n)s member", "%(n)s members", 3) % {"n": 3} == "3 members"
        rendered = Template('{% load i18n %}{% translate "Sign out" %}').render(Context())
        assert rendered == "Sign out"
