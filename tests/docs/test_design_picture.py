"""The design picture in docs/development.md is the import contract, so that it cannot go stale.

The layers drawn there are read from their ``[boxes]`` and compared with import-linter's layers
contract in ``pyproject.toml`` (which ``make lint`` enforces on the code): the same layers, in the
same order, each with the same modules, and every module of ``django_voiceotp`` in exactly one. The
names the request's and the verify's flows give (``services.check_code``) exist.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import django_voiceotp

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "development.md"
MARKER = "<!-- the layers: tests/docs/test_design_picture.py reads the [boxes] of the next block -->"
BOX = re.compile(r"\[([a-z_ |]+)\]")
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```$", re.M | re.S)
FLOWS = ("### A request:", "### A verify:")
DOTTED = re.compile(r"(?<![\w./])([a-z_]+(?:\.[A-Za-z_]\w*)+)")


def toml() -> Any:
    if sys.version_info >= (3, 11):
        return importlib.import_module("tomllib")
    return pytest.importorskip("tomli")  # import-linter's own reader on 3.10


def layer_modules(layer: str) -> list[str]:
    return [name.strip() for name in re.split(r"[|:]", layer) if name.strip()]


def contract_layers() -> list[list[str]]:
    config = toml().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert contract["containers"] == ["django_voiceotp"]
    return [layer_modules(layer) for layer in contract["layers"]]


def block_after(text: str, heading: str) -> str:
    match = FENCE.search(text, text.index(heading))
    assert match, f"no fenced block after {heading!r} in {DOC.name}"
    return match.group(1)


def picture_layers() -> list[list[str]]:
    block = block_after(DOC.read_text(encoding="utf-8"), MARKER)
    return [layer_modules(box) for box in BOX.findall(block)]


def package_modules() -> set[str]:
    return {info.name for info in pkgutil.iter_modules(django_voiceotp.__path__)}


def test_the_picture_draws_the_contracts_layers_in_their_order() -> None:
    assert picture_layers() == contract_layers()


def test_every_module_of_the_package_is_in_exactly_one_layer_of_the_picture() -> None:
    drawn = [name for layer in picture_layers() for name in layer]
    twice = sorted({name for name in drawn if drawn.count(name) > 1})
    assert not twice, f"in more than one layer: {twice}"
    assert set(drawn) == package_modules(), (
        f"not drawn: {sorted(package_modules() - set(drawn))}; "
        f"drawn but no module: {sorted(set(drawn) - package_modules())}"
    )


def flow_names() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    tops = package_modules()
    names = [n for heading in FLOWS for n in DOTTED.findall(block_after(text, heading))]
    return sorted({n for n in names if n.split(".")[0] in tops})


def resolves(dotted: str) -> bool:
    parts = f"django_voiceotp.{dotted}".split(".")
    for cut in range(len(parts), 1, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(found, attr):
                return False
            found = getattr(found, attr)
        return True
    return False


def test_the_flows_name_what_exists() -> None:
    names = flow_names()
    assert len(names) > 20, names  # the blocks were found and read
    assert [name for name in names if not resolves(name)] == []
