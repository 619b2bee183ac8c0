"""The app starts with only requirements.txt installed: nothing it imports comes from the test extras.

Installing torch into a fresh virtual environment takes minutes and gigabytes, too much for every CI
run. This check is the honest equivalent: it computes, from the installed packages' own metadata
(importlib.metadata), which distributions only requirements-dev.txt brings in (pytest, playwright and
their dependencies that requirements.txt does not also need), and blocks every module they provide
with an import hook. Under that hook, in a fresh interpreter:

1. every page of the app renders through Streamlit's AppTest without an exception, and
2. `streamlit run Home.py` starts a server that answers its health check and serves the app.

A page or a core module that imported pytest, playwright or one of their dependencies would fail
here exactly as it would on Streamlit Community Cloud, which installs requirements.txt only.

requirements.txt is also the lock (exact versions, what Cloud and CI install), and pyproject.toml holds
the ranges for an environment of one's own: the tests below check that every pin is exact, that the lock
and the ranges name the same packages and agree, that the CPU-only lock (deploy/requirements-cpu.txt) is
the same lock with PyTorch's `+cpu` builds, and that every package the app imports is locked.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import json
import re
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from benchmarks.processes import free_port, healthy

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["Home.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))]


def _names(path: Path) -> list[str]:
    """Distribution names a requirements file asks for (following -r includes)."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r"):
            names += _names(path.parent / line[2:].strip())
        elif line:
            names.append(Requirement(line).name)
    return names


def _closure(names: list[str]) -> set[str]:
    """Every installed distribution `names` need, transitively (markers evaluated here, extras left out)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen.add(name)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _modules(dist_name: str) -> set[str]:
    """Top-level modules a distribution installs (from top_level.txt, else from its file list)."""
    dist = md.distribution(dist_name)
    top = dist.read_text("top_level.txt")
    if top:
        return {m.strip() for m in top.split() if m.strip()}
    found = set()
    for f in dist.files or []:
        part = f.parts[0]
        if part.endswith((".dist-info", ".data")) or part == "..":
            continue
        found.add(re.sub(r"\.(py|so|pyd)$", "", part.split(".cpython")[0]))
    return found


def dev_only_modules() -> set[str]:
    app = _closure(_names(ROOT / "requirements.txt"))
    dev = _closure(_names(ROOT / "requirements-dev.txt"))
    app_modules = set().union(*(_modules(d) for d in app))
    return set().union(*(_modules(d) for d in dev - app)) - app_modules


BLOCKER = """
import importlib.abc, sys
BLOCKED = set({blocked!r})
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} comes from the test extras only (requirements-dev.txt)")
        return None
sys.meta_path.insert(0, Refuse())
"""

RENDER = """
import json
from streamlit.testing.v1 import AppTest
report = {{}}
for page in {pages!r}:
    at = AppTest.from_file(page, default_timeout=120).run()
    report[page] = [e.message for e in at.exception]
print("REPORT" + json.dumps(report))
"""


def test_the_blocked_set_is_the_test_extras():
    blocked = dev_only_modules()
    assert {"pytest", "playwright"} <= blocked
    assert not blocked & {"streamlit", "torch", "numpy", "pandas", "altair", "sklearn", "packaging"}


def _pins(path: Path) -> dict[str, Requirement]:
    """The requirements a file states itself (its -r includes left out), by canonical name."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    reqs = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return {canonicalize_name(r.name): r for r in reqs}


def _ranges(specs: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, specs)}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {
    "requirements.txt": (_pins(ROOT / "requirements.txt"), _ranges(PROJECT["dependencies"])),
    "requirements-dev.txt": (_pins(ROOT / "requirements-dev.txt"), _ranges(PROJECT["optional-dependencies"]["test"])),
}


def test_the_lock_pins_every_package_to_one_exact_version():
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    for file, (pins, _) in LOCKS.items():
        assert pins, file
        loose = {name: str(req.specifier) for name, req in pins.items()
                 if len(req.specifier) != 1 or next(iter(req.specifier)).operator != "=="
                 or "*" in next(iter(req.specifier)).version or req.marker or req.extras}
        assert not loose, f"{file} is the lock: pin each package with == to one version, not {loose}"


def test_the_lock_and_pyproject_ranges_name_the_same_packages_and_agree():
    for file, (pins, ranges) in LOCKS.items():
        assert set(pins) == set(ranges), f"{file} vs pyproject.toml: {set(pins) ^ set(ranges)} in only one of them"
        outside = {name: (str(pins[name].specifier), str(ranges[name].specifier)) for name in pins
                   if not ranges[name].specifier.contains(next(iter(pins[name].specifier)).version, prereleases=True)}
        assert not outside, f"{file} pins versions outside pyproject.toml's ranges (pin, range): {outside}"


CPU_LOCK = ROOT / "deploy" / "requirements-cpu.txt"
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
CPU_BUILDS = {"torch", "torchvision"}  # the packages PyTorch's index has as `+cpu` builds


def test_the_cpu_lock_is_the_lock_with_pytorchs_cpu_build():
    # deploy/requirements-cpu.txt cannot drift from requirements.txt: same packages, same versions, +cpu where built
    assert CPU_INDEX in CPU_LOCK.read_text().splitlines()
    cpu, lock = _pins(CPU_LOCK), LOCKS["requirements.txt"][0]
    assert set(cpu) == set(lock), f"only in one of the two locks: {set(cpu) ^ set(lock)}"
    differ = {}
    for name, req in cpu.items():
        pinned, locked = (Version(next(iter(r.specifier)).version) for r in (req, lock[name]))
        if (pinned.public, pinned.local) != (locked.public, "cpu" if name in CPU_BUILDS else locked.local):
            differ[name] = (str(pinned), str(locked))
    assert not differ, f"(requirements-cpu.txt, requirements.txt) pins that disagree: {differ}"


def _third_party_imports(paths: list[Path]) -> set[str]:
    first_party = {"core", "ui", "pages", "benchmarks", "tests"}
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - first_party - {"__future__"}


def test_every_package_the_app_imports_is_in_the_lock():
    app = [ROOT / "Home.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py"),
           *(ROOT / "core").rglob("*.py")]
    modules = _third_party_imports(app)
    assert {"torch", "streamlit", "altair"} <= modules
    providers = md.packages_distributions()
    unlocked = {m: providers.get(m) for m in modules
                if not {canonicalize_name(d) for d in providers.get(m, [])} & set(LOCKS["requirements.txt"][0])}
    assert not unlocked, f"the app imports these, but requirements.txt does not pin their package: {unlocked}"


def test_every_page_renders_without_the_test_extras():
    script = BLOCKER.format(blocked=sorted(dev_only_modules())) + RENDER.format(pages=PAGES)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "LESSON_DEVICE": "cpu"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.split("REPORT", 1)[1])
    assert set(report) == set(PAGES)
    assert all(not errors for errors in report.values()), {p: e for p, e in report.items() if e}


def test_streamlit_run_starts_and_serves_the_app_without_the_test_extras():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    script = BLOCKER.format(blocked=sorted(dev_only_modules())) + (
        "import sys\nfrom streamlit.web.cli import main\n"
        f"sys.argv = ['streamlit', 'run', 'Home.py', '--server.port', '{port}', '--server.headless', 'true']\n"
        "main()\n")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(url) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        said = server.stdout.read() if server.poll() is not None else ""
        assert healthy(url), f"no health answer; server said: {said}"
        with urllib.request.urlopen(f"{url}/", timeout=5) as r:
            assert r.status == 200 and b"<div id=\"root\">" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
