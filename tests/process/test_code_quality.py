"""The code's own checks, run by the test command: ruff over the tree, mypy over core/, short page lines.

Settings live in pyproject.toml ([tool.ruff], [tool.mypy]); the tools' versions are pinned in
requirements-dev.txt, so a new release of either cannot turn the suite red on its own.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE_LINE_LIMIT = 100  # pages only place things; a longer line is a sign of reasoning that belongs in ui/ or core/


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = _run(sys.executable, "-m", "ruff", "check", ".", "--output-format", "concise", "--no-cache")
    assert done.returncode == 0, f"ruff check . failed:\n{done.stdout[-6000:]}{done.stderr[-2000:]}"


def test_mypy_finds_nothing_in_core():
    done = _run(sys.executable, "-m", "mypy", "core")
    assert done.returncode == 0, f"mypy core failed:\n{done.stdout[-6000:]}{done.stderr[-2000:]}"


def test_page_lines_are_at_most_100_characters():
    pages = sorted((ROOT / "pages").glob("*.py"))
    assert pages
    long = [f"{page.name}:{number}: {len(line)} characters"
            for page in pages
            for number, line in enumerate(page.read_text().splitlines(), start=1)
            if len(line) > PAGE_LINE_LIMIT]
    assert not long, f"{len(long)} page lines are over {PAGE_LINE_LIMIT} characters:\n" + "\n".join(long)
