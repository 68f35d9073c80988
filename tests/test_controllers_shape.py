"""The shape of the controllers, read from their source: thin routes, and no
write reachable by a GET.

Rule of the house: controllers validate, check access and delegate. A route
whose body grows past MAX_ROUTE_BODY lines is doing the model's work; a route
that writes (creates, changes or records something through the ORM) must not
answer GET, which browsers, crawlers and link previews send freely."""

import ast
import pathlib

from odoo.tests import BaseCase, tagged

CONTROLLERS = pathlib.Path(__file__).resolve().parent.parent / "controllers"
MAX_ROUTE_BODY = 30
# Calls that write: the ORM's, and the addon's model methods that create or
# change records (by their naming scheme). Counting an attempt against a rate
# limit is not among them: a wrong token is counted whatever the method.
WRITE_NAMES = {"create", "write", "unlink", "_receive", "_sync", "_start"}
WRITE_PREFIXES = (
    "action_",
    "_action_",
    "_apply",
    "_record_",
    "_create",
    "_request_service",
    "_portal_create",
    "_dealer_register",
    "_dealer_create",
)


def _is_write(name):
    return name in WRITE_NAMES or name.startswith(WRITE_PREFIXES)


def _route_decorator(function):
    for decorator in function.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "route"
        ):
            return decorator
    return None


def _body_lines(function):
    """Lines of the function after its docstring."""
    body = function.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return function.end_lineno - body[0].lineno + 1 if body else 0


def _methods(decorator):
    """The HTTP methods a route accepts; None when it accepts any."""
    for keyword in decorator.keywords:
        if keyword.arg == "methods":
            return {element.value for element in keyword.value.elts}
    return None


def _called_names(function):
    return {
        node.func.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def check_controllers(sources):
    """The problems of ``sources`` ({file name: Python source}), as sentences.

    A route writes when it calls a writing method, itself or through the
    controllers' own helpers (``self._x(...)``, followed by name)."""
    functions, routes = {}, []
    for name, source in sorted(sources.items()):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                functions.setdefault(node.name, []).append(node)
                decorator = _route_decorator(node)
                if decorator:
                    routes.append((name, node, decorator))

    def writes(function, seen):
        for called in _called_names(function):
            if _is_write(called):
                return called
            if called in functions and called not in seen:
                seen.add(called)
                for helper in functions[called]:
                    found = writes(helper, seen)
                    if found:
                        return found
        return None

    problems = []
    for name, function, decorator in routes:
        where = f"{name}:{function.lineno} {function.name}"
        length = _body_lines(function)
        if length > MAX_ROUTE_BODY:
            problems.append(f"{where}: body of {length} lines (> {MAX_ROUTE_BODY})")
        methods = _methods(decorator)
        if methods is None or "GET" in methods:
            written = writes(function, {function.name})
            if written:
                problems.append(f"{where}: accepts GET but writes ({written})")
    return problems


@tagged("post_install", "-at_install")
class TestControllersShape(BaseCase):
    def test_routes_are_thin_and_writes_are_posts(self):
        sources = {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted(CONTROLLERS.glob("*.py"))
        }
        self.assertTrue(
            any("@http.route" in source for source in sources.values()),
            "the controllers were found",
        )
        self.assertEqual(check_controllers(sources), [])

    def test_the_check_sees_what_it_guards(self):
        """The checker itself: a long route, and a GET route that writes
        through a helper, are both reported; a POST that writes is not."""
        long_body = "\n".join("        x = 1" for _ in range(MAX_ROUTE_BODY + 1))
        source = (
            "from odoo import http\n"
            "class C(http.Controller):\n"
            "    @http.route('/long', methods=['POST'])\n"
            "    def long(self):\n"
            '        """Doc."""\n'
            f"{long_body}\n"
            "    @http.route('/get', methods=['GET'])\n"
            "    def get(self):\n"
            "        return self._helper()\n"
            "    @http.route('/any')\n"
            "    def any_method(self):\n"
            "        return self.env['x'].create({})\n"
            "    @http.route('/post', methods=['POST'])\n"
            "    def post(self):\n"
            "        return self._helper()\n"
            "    def _helper(self):\n"
            "        return self.env['x']._action_done()\n"
        )
        problems = check_controllers({"c.py": source})
        self.assertEqual(len(problems), 3, problems)
        self.assertIn(f"body of {MAX_ROUTE_BODY + 1} lines", problems[0])
        self.assertIn("get: accepts GET but writes (_action_done)", problems[1])
        self.assertIn("any_method: accepts GET but writes (create)", problems[2])
