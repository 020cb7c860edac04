"""--out under SIGTERM, SIGHUP and a second writer: real processes, the directory checked after.

Each run writes four files; after any interruption the directory must hold either the old four
or the new four (never a mix, never a hidden temporary), and two writers must not interleave.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

FILES = ("gigafactories.geojson", "map.png", "result.json", "sites.csv")


def run(out, budget: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "siteopt", "solve", "--budget", budget,
                             "--out", str(out), "--format", "json"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """Wait for a run; its exit code and stderr (the pipe closed)."""
    _, stderr = process.communicate(timeout=180)
    return process.returncode, stderr.decode()


def digests(out) -> dict[str, str]:
    """SHA-256 of every file in ``out``; result.json without its timings, which vary."""
    found = {}
    for path in out.iterdir():
        content = path.read_bytes()
        if path.name == "result.json":
            document = json.loads(content)
            document.pop("timings")
            document["solver"].pop("seconds")
            content = json.dumps(document, sort_keys=True).encode()
        found[path.name] = hashlib.sha256(content).hexdigest()
    return found


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory):
    """The digests of a complete old run (EUR 8 bn) and a complete new run (EUR 20 bn), and
    the seconds a new run takes over an old directory (its files are written at the end)."""
    sets = {}
    for budget in ("8e9", "20e9"):
        out = tmp_path_factory.mktemp("ref") / "out"
        began = time.perf_counter()
        assert finish(run(out, budget))[0] == 0
        seconds = time.perf_counter() - began
        sets[budget] = digests(out)
    assert set(sets["8e9"]) == set(FILES)
    assert all(sets["8e9"][f] != sets["20e9"][f] for f in FILES)
    return sets["8e9"], sets["20e9"], seconds


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_killed_run_leaves_the_old_files_or_the_new_ones(tmp_path, old_and_new, signum):
    """Killed while starting, while solving, and at several points close to the end, where
    the files are written: every time all old files or all new ones, nothing hidden."""
    old, new, seconds = old_and_new
    outcomes = set()
    for point, delay in enumerate([0.3, seconds / 2] + [seconds - d for d in
                                                        (0.6, 0.3, 0.15, 0.08, 0.04, 0.0)]):
        out = tmp_path / f"out{point}"
        assert finish(run(out, "8e9"))[0] == 0
        process = run(out, "20e9")
        time.sleep(max(delay, 0.0))
        process.send_signal(signum)
        code, stderr = finish(process)
        now = digests(out)
        assert sorted(now) == sorted(FILES), f"after {delay:.2f} s: {sorted(now)}"
        assert now in (old, new), f"a mix of old and new files after {delay:.2f} s"
        if now == old:  # interrupted: by the signal itself while still starting, else "Aborted!"
            assert code == -signum or (code == 1 and stderr.strip().endswith("Aborted!"))
        else:  # the new files were all in place; the signal may still stop what came after
            assert code in (0, 1, -signum)
        outcomes.add("old" if now == old else "new")
    assert "old" in outcomes  # at least the early kills interrupted the run


def test_a_second_writer_waits_for_the_first(tmp_path):
    """While one writer holds a directory, another process's write to it waits, then lands."""
    from siteopt.result import _locked

    script = ("import sys; from pathlib import Path; from siteopt.result import write_atomically;"
              "write_atomically({Path(sys.argv[1]) / 'a.txt': 'second'})")
    with _locked({tmp_path}):
        process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO)
        time.sleep(2.0)
        assert process.poll() is None and not (tmp_path / "a.txt").exists()
    assert process.wait(timeout=60) == 0
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "second"
