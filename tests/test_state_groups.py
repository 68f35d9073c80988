import ast
import re
from pathlib import Path

from odoo.tests import TransactionCase, tagged

from odoo.addons.aftersales.models.aftersales_order import states
from odoo.addons.aftersales.models.aftersales_order.states import (
    CLOSED_STATES,
    ORDER_STATES,
)

ROOT = Path(__file__).resolve().parent.parent
STATES_FILE = ROOT / "models" / "aftersales_order" / "states.py"
STATES = {state for state, _label in ORDER_STATES}
# The state groups states.py defines: {name: states}.
GROUPS = {
    name: frozenset(value)
    for name, value in vars(states).items()
    if name.endswith("_STATES") and isinstance(value, tuple) and len(value) > 1
}
# A parenthesised list of quoted state names, in XML, Python, SQL or JS.
STATE_TUPLE = re.compile(
    r"[(\[]\s*((?:['\"][a-z_]+['\"]\s*,\s*)+['\"][a-z_]+['\"])\s*,?\s*[)\]]"
)


def state_tuples(text):
    """Each list of two or more order states written out in ``text``."""
    for match in STATE_TUPLE.finditer(text):
        names = re.findall(r"['\"]([a-z_]+)['\"]", match.group(1))
        if set(names) <= STATES:
            yield match, frozenset(names)


@tagged("post_install", "-at_install")
class TestStateGroups(TransactionCase):
    """ "Open" and "closed" are defined once, next to the states: anywhere
    else a list of states that means one of them must be that group, so
    changing the group cannot leave a copy behind."""

    def _sources(self):
        patterns = ("views/*.xml", "wizard/*.xml", "report/*.py", "report/*.xml")
        patterns += ("models/**/*.py", "controllers/*.py", "static/src/**/*.js")
        for pattern in patterns:
            yield from ROOT.glob(pattern)

    def test_closed_and_open_lists_are_the_groups(self):
        drifted = []
        for path in self._sources():
            if path == STATES_FILE:
                continue
            text = path.read_text(encoding="utf-8")
            for match, names in state_tuples(text):
                # A list naming two closed states is about closing; one naming
                # the first and the last open state is about being open.
                means_closed = len(names & set(CLOSED_STATES)) >= 2
                means_open = {"assigned", "awaiting_approval"} <= names
                if (means_closed or means_open) and names not in GROUPS.values():
                    line = text.count("\n", 0, match.start()) + 1
                    drifted.append(f"{path.relative_to(ROOT)}:{line} {sorted(names)}")
        self.assertFalse(drifted, "State lists that drifted from their group")

    def test_python_code_imports_the_groups(self):
        """Python writes no state group of its own: it imports states.py's."""
        copies = []
        for path in ROOT.glob("**/*.py"):
            if path == STATES_FILE or "tests" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Tuple) and all(
                    isinstance(elt, ast.Constant) for elt in node.elts
                ):
                    names = frozenset(elt.value for elt in node.elts)
                    if names in GROUPS.values():
                        copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        self.assertFalse(copies, "Copies of the state groups of states.py")

    def test_detector_sees_a_drifted_copy(self):
        """The check would catch a copy that forgot a state."""
        text = "invisible=\"state in ('done', 'cancelled')\""
        found = [names for _match, names in state_tuples(text)]
        self.assertEqual(found, [frozenset({"done", "cancelled"})])
        self.assertNotEqual(found[0], frozenset(CLOSED_STATES))
