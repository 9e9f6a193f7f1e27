"""Small modules with one job each: none of the core's or the plugins' modules passes 400 lines
(the house rule of the developers' brief)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400


def test_no_module_passes_400_lines():
    modules = [*ROOT.joinpath("hub").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]
    assert modules
    long = {str(path.relative_to(ROOT)): n for path in modules
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert not long, f"modules over {LIMIT} lines: {long}"
