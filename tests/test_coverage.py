"""docs/coverage.md is what scripts/coverage.py generates from the rules."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "coverage_script", ROOT / "scripts" / "coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_page_is_up_to_date():
    page = ROOT / "docs" / "coverage.md"
    assert page.read_text() == _script().render(), \
        "docs/coverage.md is out of date: run python scripts/coverage.py"


def test_every_registered_function_is_listed():
    from srcad import rules
    coverage = _script()
    text = coverage.render()
    for fn in rules.RULES:
        assert f"`{coverage.spellings(fn)[0]}`" in text
