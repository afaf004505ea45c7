"""``newsfuse serve`` as people start it: a subprocess on a free port, over the CLI's store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from test_serve_support import TOKEN, fill_store

_RUN_CLI = "from newsfuse.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _RUN_CLI, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_up(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"newsfuse serve exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("newsfuse serve did not answer within 60 s")


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.stdout.read() if proc.stdout else ""


def _loaded_libraries(pid: int) -> str:
    maps = Path(f"/proc/{pid}/maps")
    if not maps.exists():
        pytest.skip("needs /proc to see which libraries the server loaded")
    return maps.read_text(errors="replace")


def test_serve_command_uses_the_cli_store_and_starts_light(tmp_path):
    db = str(tmp_path / "cli.sqlite3")
    fill_store(db)
    port = _free_port()
    env = {**os.environ, "NEWSFUSE_API_TOKEN": TOKEN, "NEWSFUSE_DB": db}
    proc = _start(["serve", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(proc, url)
        stories = httpx.get(f"{url}/api/stories").json()
        assert [s["id"] for s in stories["items"]] == ["s-bridge", "s-budget", "s-hostile"]
        page = httpx.get(f"{url}/stories/s-bridge")  # a stored brief: served without any model
        assert page.status_code == 200 and "Who reports what" in page.text
        assert httpx.get(f"{url}/").status_code == 200
        assert httpx.post(f"{url}/api/feeds", json={"url": "https://a.example/feed.xml"}).status_code == 401
        libs = _loaded_libraries(proc.pid)
        assert "libtorch" not in libs and "spacy" not in libs  # no model loaded to start or to read
    finally:
        out = _stop(proc)
    assert TOKEN not in out  # the token never reaches the log
    assert f"http://127.0.0.1:{port}/" in out


def test_serve_command_rejects_a_bad_interval(tmp_path):
    env = {**os.environ, "NEWSFUSE_DB": str(tmp_path / "x.sqlite3")}
    proc = _start(["serve", "--port", str(_free_port()), "--watch", "--every", "soon"], env)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--every" in out


def test_serve_on_a_port_in_use_is_one_clear_line(tmp_path, capsys):
    from newsfuse.cli import main

    db = tmp_path / "s.sqlite3"
    fill_store(str(db))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            main(["--db", str(db), "serve", "--port", str(port)])
    out, err = capsys.readouterr()
    assert exc.value.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "try --port" in err
    assert "serving" not in out + err and "Traceback" not in out + err
