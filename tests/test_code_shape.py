import ast
import re
from pathlib import Path

from odoo.tests import TransactionCase, tagged

ROOT = Path(__file__).resolve().parent.parent
ORDER_DIR = ROOT / "models" / "aftersales_order"
FRAMEWORK = {"self", "super", "env", "ids", "id", "display_name"}


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"))


def _defined(path):
    """Methods and fields the order's class defines in ``path``."""
    names = set()
    for node in _tree(path).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.Assign):
                    names |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return names


def _referenced(path):
    """Attribute names ``path`` reads or calls, and the field names it writes
    in string literals (``"part_ids"`` in a domain or a vals dict)."""
    names = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"[a-z_][a-z0-9_]*", node.value):
                names.add(node.value)
    return names


def _seams():
    """{seam name: path} in the import order of the package."""
    init = (ORDER_DIR / "__init__.py").read_text(encoding="utf-8")
    return {
        name: ORDER_DIR / f"{name}.py"
        for name in re.findall(r"^from \. import (\w+)", init, re.M)
    }


@tagged("post_install", "-at_install")
class TestCodeShape(TransactionCase):
    """The shape issue 17 gave the work order, kept: the core calls no
    seam, seams do not reach into each other, nothing changes another
    file's tables at import, and the README's code map names the files."""

    def _outside_names(self):
        """What the order inherits from other addons (mixins, BaseModel)."""
        names = set()
        for cls in type(self.env["aftersales.order"]).__mro__:
            if getattr(cls, "_module", None) != "aftersales":
                names |= set(vars(cls))
        return names | FRAMEWORK

    def _reaches(self, path, into):
        """Names ``path`` uses that only ``into`` (another seam) defines."""
        seams = _seams()
        only_there = _defined(seams[into]) - _defined(seams["core"])
        only_there -= self._outside_names() | _defined(path)
        return sorted(_referenced(path) & only_there)

    def test_core_calls_no_seam(self):
        seams = _seams()
        self.assertEqual(next(iter(seams)), "core")
        reaches = {
            seam: names
            for seam in seams
            if seam != "core" and (names := self._reaches(seams["core"], seam))
        }
        self.assertFalse(reaches, "core.py uses what only a seam defines")

    def test_seams_do_not_reach_into_each_other(self):
        seams = [seam for seam in _seams() if seam != "core"]
        reaches = {
            (seam, other): names
            for seam in seams
            for other in seams
            if other != seam and (names := self._reaches(_seams()[seam], other))
        }
        self.assertFalse(reaches, "A seam uses what only another seam defines")

    def test_checker_sees_a_core_call_into_a_seam(self):
        """The check is not blind: the SMS seam's own sender is seen."""
        seams = _seams()
        self.assertIn("_queue_sms", _defined(seams["sms"]) - _defined(seams["core"]))
        self.assertIn("_queue_sms", _referenced(seams["sms"]))

    def test_no_import_time_mutation_of_another_files_tables(self):
        mutations = []
        for path in [*ROOT.glob("models/**/*.py"), *ROOT.glob("controllers/*.py")]:
            tree = _tree(path)
            imported = {
                alias.asname or alias.name
                for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.level
                for alias in node.names
            }
            for node in tree.body:
                targets = []
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                    func = node.value.func
                    if isinstance(func, ast.Attribute):
                        targets.append(func.value)
                elif isinstance(node, ast.Assign | ast.AugAssign):
                    for target in getattr(
                        node, "targets", [getattr(node, "target", None)]
                    ):
                        if isinstance(target, ast.Subscript | ast.Attribute):
                            targets.append(target.value)
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in imported:
                        rel = path.relative_to(ROOT)
                        mutations.append(f"{rel}:{node.lineno} {target.id}")
        self.assertFalse(mutations, "Module-level changes of imported tables")

    def test_readme_code_map_names_the_files(self):
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        code_map = readme.split("## Code map", 1)[1].split("\n## ", 1)[0]
        missing = [
            f"{folder}/{path.name}"
            for folder in ("models/aftersales_order", "controllers", "tools")
            for path in (ROOT / folder).glob("*.py")
            if path.name != "__init__.py" and f"`{path.name}`" not in code_map
        ]
        self.assertFalse(missing, "Files the README's code map does not name")
        order = re.search(
            r"import order of `models/aftersales_order/__init__.py`\s*\(([^)]*)\)",
            code_map,
        )
        self.assertTrue(order, "The code map states the import order")
        self.assertEqual(
            [name.strip() for name in order.group(1).split(",")], list(_seams())
        )
