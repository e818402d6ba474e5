"""The suite stays easy to find one's way in: a test lives in the package of what it tests
(``tests/gateways`` for ``django_voiceotp/gateways``, ...), and no module of the suite grows past what
one reads in a sitting (split it by subject instead)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
MAX_LINES = 500


def too_long(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Every Python file below ``root`` longer than ``limit`` lines, with its length."""
    lengths = {str(path.relative_to(root)): len(path.read_text().splitlines()) for path in root.rglob("*.py")}
    return {name: length for name, length in sorted(lengths.items()) if length > limit}


def loose_tests(root: Path) -> list[str]:
    """Test modules at the top of the suite instead of in the package of their subject."""
    return sorted(path.name for path in root.glob("test_*.py") if path.name != Path(__file__).name)


def test_no_module_of_the_suite_is_longer_than_500_lines():
    assert too_long(TESTS) == {}


def test_every_test_module_is_in_the_package_of_its_subject():
    assert loose_tests(TESTS) == []
    packages = {path.parent for path in TESTS.rglob("test_*.py")} - {TESTS}
    assert sorted(str(p.relative_to(TESTS)) for p in packages if not (p / "__init__.py").exists()) == []


def test_the_checks_see_a_long_module_and_a_loose_one(tmp_path):
    (tmp_path / "test_long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "test_short.py").write_text("x = 1\n" * MAX_LINES)
    assert too_long(tmp_path) == {"test_long.py": MAX_LINES + 1}
    assert loose_tests(tmp_path) == ["test_long.py", "test_short.py"]
