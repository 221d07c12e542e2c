"""Requirement IDs (``S004.7``) belong in code comments, docstrings, tests and commits, never in what a user reads.

Every string literal in ``billing_tui`` that is not a docstring is something the product may show (a
message, a tooltip, a help text, a document line), so none may carry an ID.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "billing_tui"
REQUIREMENT_ID = re.compile(r"\bS0\d\d(\.\d+)?\b")


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings (of modules, classes, functions and attributes)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)):
                continue
            first = index == 0 and isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            after_assignment = index > 0 and isinstance(body[index - 1], ast.Assign | ast.AnnAssign)
            if first or after_assignment:
                found.add(id(statement.value))
    return found


def shown_strings_with_ids(root: Path) -> list[str]:
    hits = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and REQUIREMENT_ID.search(node.value)):
                hits.append(f"{path.relative_to(root.parent)}:{node.lineno}: {node.value[:80]!r}")
    return hits


def test_no_string_a_user_can_read_carries_a_requirement_id() -> None:
    assert shown_strings_with_ids(PACKAGE) == []


def test_the_check_finds_an_id_in_a_message_but_not_in_a_docstring(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text('"""Module (S001.1)."""\n\ndef f():\n    """Doc (S002.2)."""\n'
                                  '    raise ValueError("Refused (S004.7)")\n', encoding="utf-8")
    assert shown_strings_with_ids(package) == ["pkg/m.py:5: 'Refused (S004.7)'"]
