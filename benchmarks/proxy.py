"""nginx in front of app servers, configured by deploy/nginx.conf itself: the load test's replicas scenario.

The deployed file is run as it is, with only its listening port and its replicas' addresses replaced,
inside a main config of our own that keeps nginx's pid, logs and temp files in a temp folder and runs it
as the current user in the foreground (`daemon off`), so that the scenario can stop it.
"""
from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.processes import serving
from benchmarks.workloads import ROOT

SITE = ROOT / "deploy" / "nginx.conf"
# /usr/sbin is not on every user's PATH
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
INSTALL = "apt-get install -y nginx"
LISTEN = re.compile(r"^(\s*)listen \d+;$", re.MULTILINE)
REPLICA = re.compile(r"^(\s*)server 127\.0\.0\.1:\d+;$", re.MULTILINE)
STREAM = "/_stcore/stream"
START_TIMEOUT_S = 10
MAIN = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    include {site};
    access_log {tmp}/access.log lesson_replicas;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
}}
"""


def site(conf: str, port: int, replicas: Sequence[str]) -> str:
    """The deployed config listening on 127.0.0.1:port, in front of replicas ('127.0.0.1:8501', ...)."""
    listens, servers = LISTEN.findall(conf), REPLICA.findall(conf)
    if len(listens) != 1 or len(servers) != len(replicas):
        raise ValueError(f"{SITE} should have one `listen PORT;` and {len(replicas)} `server 127.0.0.1:PORT;` lines, "
                         f"found {len(listens)} and {len(servers)}")
    conf = LISTEN.sub(rf"\g<1>listen 127.0.0.1:{port};", conf)
    addresses = iter(replicas)
    return REPLICA.sub(lambda m: f"{m.group(1)}server {next(addresses)};", conf)


@dataclass(frozen=True)
class Proxy:
    url: str
    access_log: Path


@contextmanager
def nginx(workdir: Path, port: int, replicas: Sequence[str]) -> Iterator[Proxy]:
    """nginx on 127.0.0.1:port in front of replicas, its files in workdir; stopped (and its log complete) on exit."""
    if NGINX is None:
        raise RuntimeError(f"nginx is not installed ({INSTALL})")
    (workdir / "lesson.conf").write_text(site(SITE.read_text(), port, replicas))
    (workdir / "nginx.conf").write_text(MAIN.format(tmp=workdir, site=workdir / "lesson.conf"))
    url = f"http://127.0.0.1:{port}"
    # -e: the error log from the start (the built-in one, under /var/log, is root's); -p: relative paths under workdir
    command = [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(workdir / "nginx.conf")]
    with serving(command, url, workdir / "error.log", START_TIMEOUT_S, "nginx"):
        yield Proxy(url, workdir / "access.log")  # complete on exit: nginx writes a request's line as it ends


def routes(access_log: Path) -> tuple[Counter[str], int]:
    """Websocket sessions per replica address, and sticky keys (browsers) whose requests reached more than one."""
    sessions: Counter[str] = Counter()
    replicas_of: defaultdict[str, set[str]] = defaultdict(set)
    for line in access_log.read_text().splitlines():
        key, upstream, _status, uri = line.split(" ", 3)
        if upstream == "-":  # answered by nginx itself (a limit's 429): no replica involved
            continue
        replicas_of[key].add(upstream)
        if uri.strip('"').startswith(STREAM):
            sessions[upstream] += 1
    return sessions, sum(len(seen) > 1 for seen in replicas_of.values())
