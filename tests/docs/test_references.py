"""Every name the docstrings and the documentation point at exists: a reader who follows
``:func:`...``` or a path in ``docs/`` lands somewhere."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import django_voiceotp

ROOT = Path(__file__).resolve().parents[2]
ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|exc):`~?([\w.]+)`")
PATH = re.compile(r"`((?:django_voiceotp|tests|benchmarks|docs|example_project|\.ci)/[\w./-]*)`")
DOTTED = re.compile(r"`(django_voiceotp(?:\.\w+)+)`")
ELSEWHERE = {"tests/apps/account/test_phone.py", "tests/apps/headless/account/test_phone.py"}
"""Paths the docs name in another project's tree (django-allauth's sdist, whose tests CI runs)."""
PERMISSIONS = {"django_voiceotp.view_full_phone", "django_voiceotp.view_gateway"}
"""Dotted names the docs give that are permissions (``app_label.codename``), not Python."""
MUTANT = "__mutmut_"
"""In the names of mutants docs/mutation.md lists (``django_voiceotp.codes.x_new_salt__mutmut_2``):
they exist only in mutmut's copy of the tree."""
SKIPPED = ("django_voiceotp.migrations", "django_voiceotp.contrib")
"""Migrations hold no prose; the integrations need their libraries' settings (their suites check them)."""


def modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(django_voiceotp.__path__, "django_voiceotp."):
        if info.name.startswith(SKIPPED) or info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def docstrings(module: ModuleType) -> Iterator[tuple[str, str, Any]]:
    """``(where, docstring, scope)`` of the module and every class and function defined in it."""
    yield module.__name__, module.__doc__ or "", module
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value):
            yield f"{module.__name__}.{name}", value.__doc__ or "", value
            for attr, member in vars(value).items():
                func = getattr(member, "__func__", member)
                if inspect.isfunction(func) or isinstance(member, property):
                    doc = (member.fget if isinstance(member, property) else func).__doc__ or ""
                    yield f"{module.__name__}.{name}.{attr}", doc, value
        elif inspect.isfunction(value):
            yield f"{module.__name__}.{name}", value.__doc__ or "", module


def resolve(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                found = getattr(found, attr)
        except AttributeError:
            return False
        return True
    return False


def candidates(target: str, module: ModuleType, scope: Any) -> list[str]:
    """Where ``target`` may live, as Sphinx would look for it from ``module`` (and ``scope``, a class)."""
    if target.startswith("."):
        dots = len(target) - len(target.lstrip("."))
        package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
        base = package.rsplit(".", dots - 1)[0] if dots > 1 else package
        return [f"{base}.{target.lstrip('.')}"]
    found = [target, f"{module.__name__}.{target}"]
    if inspect.isclass(scope):
        found.append(f"{module.__name__}.{scope.__qualname__}.{target}")
    return found


def test_every_docstring_reference_resolves():
    broken = []
    for module in modules():
        for where, text, scope in docstrings(module):
            for target in ROLE.findall(text):
                if not any(resolve(c) for c in candidates(target, module, scope)):
                    broken.append(f"{where}: {target}")
    assert not broken, "docstrings point at nothing:\n" + "\n".join(sorted(set(broken)))


PAGES = sorted([ROOT / "README.md", ROOT / "benchmarks" / "README.md", *(ROOT / "docs").glob("*.md")])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_and_dotted_name_in_the_docs_exists(page):
    text = page.read_text()
    paths = [path for path in PATH.findall(text) if path not in ELSEWHERE]
    missing = [path for path in paths if not (ROOT / path.rstrip("/")).exists()]
    missing += [
        name
        for name in DOTTED.findall(text)
        if name not in PERMISSIONS and MUTANT not in name and not resolve(name)
    ]
    assert not missing, f"{page.name} names what does not exist: {missing}"
