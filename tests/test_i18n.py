import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGUAGES = {"fa": "fa_IR", "tr": "tr_TR", "sv": "sv_SE"}
# Issue 16: at least this share of the template's strings really translated.
MIN_COVERAGE = 0.95
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{.*?\}\}")


def _template():
    return polib.pofile(str(I18N / "aftersales.pot"))


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The shipped languages cover the addon, and the template is complete."""

    def test_template_holds_every_string_of_the_addon(self):
        """A string added to the code without regenerating the .pot is never
        translated: the template must hold every term Odoo exports today."""
        exported = {
            source.strip()
            for _module, _type, _name, _res_id, source, _value, _comments in (
                TranslationModuleReader(self.env.cr, modules=["aftersales"])
            )
        }
        in_template = {entry.msgid.strip() for entry in _template()}
        missing = sorted(exported - in_template)
        self.assertFalse(
            missing,
            f"{len(missing)} strings missing from i18n/aftersales.pot (regenerate "
            f"it, see README): {missing[:10]}",
        )

    def test_each_language_translates_the_template(self):
        template = [entry.msgid for entry in _template() if entry.msgid]
        for code in LANGUAGES:
            with self.subTest(language=code):
                translated = {
                    entry.msgid: entry.msgstr
                    for entry in polib.pofile(str(I18N / f"{code}.po"))
                    if not entry.obsolete and not entry.fuzzy
                }
                # Empty or copied-English translations do not count.
                real = [
                    msgid
                    for msgid in template
                    if translated.get(msgid) and translated[msgid] != msgid
                ]
                coverage = len(real) / len(template)
                self.assertGreaterEqual(
                    coverage,
                    MIN_COVERAGE,
                    f"{code}.po translates {len(real)} of {len(template)} strings",
                )

    def test_translations_keep_their_placeholders(self):
        """A translation that loses %(name)s breaks the message at run time."""
        for code in LANGUAGES:
            for entry in polib.pofile(str(I18N / f"{code}.po")):
                if not entry.msgstr or entry.obsolete:
                    continue
                with self.subTest(language=code, msgid=entry.msgid[:60]):
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(entry.msgid)),
                        sorted(PLACEHOLDER.findall(entry.msgstr)),
                    )

    def test_languages_load_and_show_in_the_menus(self):
        """Odoo loads each file and the app's menu reads in that language."""
        menu = self.env.ref("aftersales.aftersales_menu_root")
        english = menu.with_context(lang="en_US").name
        for code, lang in LANGUAGES.items():
            with self.subTest(language=code):
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"]._load_module_terms(
                    ["aftersales"], [lang], overwrite=True
                )
                name = menu.with_context(lang=lang).name
                self.assertTrue(name)
                self.assertNotEqual(name, english)
