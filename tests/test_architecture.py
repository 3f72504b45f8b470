"""The arrows between apps (docs/architecture.md) hold: import-linter's contracts in
pyproject.toml pass. `make lint` runs them too; here they also guard `make test`."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_no_app_imports_an_app_above_it():
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_the_contracts_catch_a_back_arrow(tmp_path):
    """The control: an import from the core up into a feature app breaks a contract."""
    back_arrow = ROOT / "agencies" / "_back_arrow_probe.py"
    back_arrow.write_text("import alliance.goals.services  # noqa: F401\n")
    try:
        run = subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        back_arrow.unlink()
    assert run.returncode != 0
    assert "agencies is not allowed to import alliance.goals" in run.stdout
