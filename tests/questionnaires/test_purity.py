"""The pure package never imports the web framework, the database or the web app (STYLE.md §4).

import-linter enforces this in CI; this test gives the same answer without the rest of the tree.
"""

import ast
from pathlib import Path

import pytest

import questionnaires

pytestmark = pytest.mark.pure

FORBIDDEN = ("flask", "sqlalchemy", "flask_socketio", "flask_login", "webapp")
PACKAGE = Path(questionnaires.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_framework_database_or_webapp_imports(path: Path) -> None:
    for name in _imported(path):
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_cites_its_source(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring
    assert "DOMAIN.md" in docstring or "STYLE.md" in docstring or "Pure" in docstring
