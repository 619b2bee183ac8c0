"""What the deployment files promise, checked without building an image: the proxy's limits agree with the app's,
the load test can run the proxy's own file, and the image copies files the build context has."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from benchmarks import proxy

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_the_proxy_takes_an_upload_as_large_as_the_server_does():
    max_upload = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert re.findall(r"client_max_body_size (\d+)m;", proxy.SITE.read_text()) == [str(max_upload)]


def test_the_load_test_runs_the_deployed_proxy_file_with_its_own_ports():
    site = proxy.site(proxy.SITE.read_text(), 9000, ["127.0.0.1:9001", "127.0.0.1:9002"])
    assert re.findall(r"listen (\S+);", site) == ["127.0.0.1:9000"]
    assert re.findall(r"^\s*server (\S+);", site, re.MULTILINE) == ["127.0.0.1:9001", "127.0.0.1:9002"]
    with pytest.raises(ValueError, match="listen"):
        proxy.site(proxy.SITE.read_text(), 9000, ["127.0.0.1:9001"])  # a third replica the file does not have


def test_routes_count_websockets_per_replica_and_browsers_that_reached_two(tmp_path):
    log = tmp_path / "access.log"  # key, replica, status, path; "-": answered by nginx itself (a limit), no replica
    log.write_text('a 127.0.0.1:1 200 "/Learning_cycle"\na 127.0.0.1:1 101 "/_stcore/stream"\n'
                   'b 127.0.0.1:2 101 "/_stcore/stream"\nb - 429 "/_stcore/health"\n'
                   'c 127.0.0.1:2 200 "/"\nc 127.0.0.1:1 101 "/_stcore/stream"\n')
    sessions, split = proxy.routes(log)
    assert sessions == {"127.0.0.1:1": 2, "127.0.0.1:2": 1} and split == 1


def test_the_image_installs_a_lock_and_copies_only_what_the_build_context_keeps():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    copied = [src for line in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE) for src in line.split()]
    assert copied == ["requirements.txt", "deploy/requirements-cpu.txt", "."]
    assert all((ROOT / src).exists() for src in copied)
    assert "deploy" in ignored and "!deploy/requirements-cpu.txt" in ignored
    assert "pip install -r requirements-cpu.txt" in dockerfile and "pip install -r requirements.txt" in dockerfile
    assert re.search(r"^USER (?!root)\w+$", dockerfile, re.MULTILINE)
    assert "/_stcore/health" in dockerfile.split("HEALTHCHECK", 1)[1]
