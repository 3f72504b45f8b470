"""Every service that records an audit event writes it in the same transaction as the change
(docs/architecture.md): the function is decorated with `@transaction.atomic`, or each of its
audit calls sits inside `with transaction.atomic():`. A crash between the two then leaves
neither, never a change without its audit event or an event for a change that did not happen."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIT_CALLS = {"audit_record", "_audit"}


def _is_atomic(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return text in {"transaction.atomic", "transaction.atomic()", "atomic", "atomic()"}


def _audit_calls_outside_atomic(function: ast.FunctionDef) -> list[int]:
    found = []

    def visit(node, inside: bool):
        if isinstance(node, ast.With):
            inside = inside or any(_is_atomic(item.context_expr) for item in node.items)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not function:
            return  # a nested function is checked where it is called
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in AUDIT_CALLS and not inside:
                found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(function, any(_is_atomic(d) for d in function.decorator_list))
    return found


def service_modules() -> list[Path]:
    """Every app's services.py, and the API keys' services (agencies/api/keys.py)."""
    return sorted(
        [
            *(
                path
                for app in ("agencies", "participants", "alliance")
                for path in (ROOT / app).rglob("services.py")
            ),
            ROOT / "agencies" / "api" / "keys.py",
        ]
    )


def test_the_check_finds_the_service_modules():
    names = {str(path.relative_to(ROOT)) for path in service_modules()}
    assert {"agencies/services.py", "alliance/goals/services.py"} <= names


def test_every_audited_service_writes_in_one_transaction():
    outside = []
    for path in service_modules():
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name not in AUDIT_CALLS:
                for line in _audit_calls_outside_atomic(node):
                    outside.append(f"{path.relative_to(ROOT)}:{line} {node.name}")
    assert outside == [], "audit events written outside the change's transaction"


def test_the_check_flags_an_audit_event_outside_a_transaction():
    """The control: the same check on a service that saves, then audits, with no transaction."""
    source = (
        "def thing_close(*, thing, by):\n"
        "    thing.save()\n"
        "    audit_record(agency=thing.agency, actor=by, action='thing.closed', target=thing)\n"
    )
    [function] = ast.parse(source).body
    assert _audit_calls_outside_atomic(function) == [3]
