"""--out under SIGTERM, SIGHUP and a second writer: real processes, the directory checked after.

Each run writes eleven files; after any interruption the directory must hold either the old
eleven or the new eleven (never a mix, never a hidden temporary), and two writers must not interleave.
A run killed with SIGKILL (which no program can catch) must leave the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time

import pytest

import siteopt
from siteopt import atomic
from siteopt.atomic import write_directory
from tests.conftest import OUT_FILES as FILES
from tests.conftest import REPO



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
        if path.name == "report.html":
            content = re.sub(rb"\(auto\), [\d.]+ s\.", b"", content)
        found[path.name] = hashlib.sha256(content).hexdigest()
    return found


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory):
    """The digests of a complete old run (EUR 8 bn) and a complete new run (EUR 20 bn), the
    seconds a new run takes over an old directory (its files are written at the end), and a
    copy of the old run's directory (each test starts from a copy of it)."""
    sets, folders = {}, {}
    for budget in ("8e9", "20e9"):
        out = tmp_path_factory.mktemp("ref") / "out"
        began = time.perf_counter()
        assert finish(run(out, budget))[0] == 0
        seconds = time.perf_counter() - began
        sets[budget], folders[budget] = digests(out), out
    assert set(sets["8e9"]) == set(FILES)
    assert all(sets["8e9"][f] != sets["20e9"][f] for f in FILES)
    return sets["8e9"], sets["20e9"], seconds, folders["8e9"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_killed_run_leaves_the_old_files_or_the_new_ones(tmp_path, old_and_new, signum):
    """Killed while starting, while solving, and at several points close to the end, where
    the files are written: every time all old files or all new ones, nothing hidden."""
    old, new, seconds, old_folder = old_and_new
    outcomes = set()
    # SIGHUP takes the same handler as SIGTERM: fewer points for it
    near_end = (0.3, 0.1, 0.03, 0.0) if signum == signal.SIGTERM else (0.1, 0.0)
    for point, delay in enumerate([0.3, seconds / 2] + [seconds - d for d in near_end]):
        out = tmp_path / f"out{point}"
        shutil.copytree(old_folder, out)
        process = run(out, "20e9")
        time.sleep(max(delay, 0.0))
        process.send_signal(signum)
        code, stderr = finish(process)
        now = digests(out)
        assert sorted(now) == sorted(FILES), f"after {delay:.2f} s: {sorted(now)}"
        assert now in (old, new), f"a mix of old and new files after {delay:.2f} s"
        if now == old:  # interrupted: by the signal itself while still starting; in the
            # solver: its best portfolio shown, nothing written; else "Aborted!"
            said = stderr.strip()
            assert code == -signum or (code == 1 and (said.endswith("Aborted!") or (
                said.startswith("interrupted: the solver was stopped before proving the "
                                "optimum") and said.endswith(f"nothing was written to {out}"))))
        else:  # the new files were all in place; the signal may still stop what came after
            assert code in (0, 1, -signum)
        outcomes.add("old" if now == old else "new")
    assert "old" in outcomes  # at least the early kills interrupted the run


@pytest.mark.parametrize("signum", [signal.SIGKILL])
def test_kill_9_leaves_the_old_directory_or_the_new_one(tmp_path, old_and_new, signum):
    """Even a kill that cannot be caught: the directory is swapped in one step, so it holds
    the old files or the new ones; the next writer (here the old files written again, in this
    process: the code every run ends with) removes what the killed one staged."""
    old, new, seconds, old_folder = old_and_new
    old_files = {path.name: path.read_bytes() for path in old_folder.iterdir()}
    outcomes = set()
    # the first kill comes early in the run (the reference run may have been slower than
    # this one, when other tests loaded the machine)
    for point, delay in enumerate([seconds / 4] + [seconds - d for d in (0.05, 0.0)]):
        out = tmp_path / f"out{point}"
        shutil.copytree(old_folder, out)
        process = run(out, "20e9")
        time.sleep(max(delay, 0.0))
        process.send_signal(signum)
        finish(process)
        now = digests(out)
        assert now in (old, new), f"a mix of old and new files after {delay:.2f} s"
        outcomes.add("old" if now == old else "new")
        write_directory(out, old_files)
        assert digests(out) == old
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert "old" in outcomes  # at least the kill while solving came before the swap


def test_other_files_in_the_directory_are_kept(tmp_path):
    out = tmp_path / "out"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "mine.txt").write_text("keep me", encoding="utf-8")
    (out / "a.txt").write_text("old a", encoding="utf-8")
    (out / "b.txt").write_text("old b", encoding="utf-8")
    written = write_directory(out, {"a.txt": "new a", "c.txt": b"new c"})
    assert written == [out.resolve() / "a.txt", out.resolve() / "c.txt"]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == {
        "a.txt": b"new a", "b.txt": b"old b", "c.txt": b"new c"}
    assert (out / "notes" / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_file_where_the_directory_should_be_is_left_as_it_was(tmp_path):
    """The atomic swap exchanged the file for the new directory and deleted it with the old
    side (Result.write("notes.txt") lost the notes; the command line refused it already)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="a file is there; give a directory"):
        write_directory(notes, {"a.txt": "new"})
    assert notes.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_without_an_atomic_swap_the_old_directory_is_retired_then_replaced(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    write_directory(out, {"a.txt": "old"})
    write_directory(out, {"a.txt": "new"})
    assert (out / "a.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_interrupted_write_leaves_the_directory_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_directory(out, {"a.txt": "old", "b.txt": "old"})

    def interrupted(a, b):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_exchange", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_directory(out, {"a.txt": "new", "b.txt": "new"})
    assert [(out / n).read_text(encoding="utf-8") for n in ("a.txt", "b.txt")] == ["old", "old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_writer_waits_for_the_first(tmp_path):
    """While one writer holds a place, another process's write to it waits, then lands."""
    script = ("import sys; from siteopt.atomic import write_directory;"
              "write_directory(sys.argv[1], {'a.txt': 'second'})")
    out = tmp_path / "out"
    with atomic._locked(tmp_path):
        process = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=REPO)
        time.sleep(2.0)
        assert process.poll() is None and not out.exists()
    assert process.wait(timeout=60) == 0
    assert (out / "a.txt").read_text(encoding="utf-8") == "second"


def _launcher_s_first_handler_line() -> int:
    """The line of ``siteopt/launch.py`` after which its first stop-signal handlers are in
    place (the comment that says so)."""
    with open(os.path.join(os.path.dirname(siteopt.__file__), "launch.py")) as source:
        return next(number for number, line in enumerate(source, 1)
                    if line.startswith("# (the first handlers are in place"))


def _imports_and_the_rest(stderr: str) -> tuple[set[str], str]:
    """Split the standard error of a run under ``PYTHONPROFILEIMPORTTIME`` into the modules
    whose import had finished and the rest of what was printed. The launcher imports
    ``siteopt.interrupt`` after its first handlers: once that import has finished, a stop
    signal can no longer end the process without siteopt's "Aborted!"."""
    imported, rest = set(), []
    for line in stderr.splitlines():
        if line.startswith("import time:"):
            imported.add(line.rsplit("|", 1)[-1].strip())
        else:
            rest.append(line)
    return imported, "\n".join(rest).strip()


def _in_python_start_up(outcome, signum) -> bool:
    """Whether SIGINT ended the interpreter before siteopt's first handler was in place: while
    Python was still importing ``site`` (reported as a fatal error), or while ``python -m`` was
    still finding and reading siteopt's first files (a traceback of Python's own frames: its
    frozen import frames and the standard library they import, such as ``enum``, which a
    fresh-clone run once showed; and, of siteopt, only ``__init__.py``, ``__main__.py`` and
    the lines of ``launch.py`` before its first handlers, which CI once showed while
    ``__main__.py`` loaded the launcher; or, exit code 1, "Could not import runpy module"
    and such a traceback, which CI showed once: ``python -m`` had not yet imported its own
    runner; exit code 1 once, and -2, killed by the signal again, in a later CI run). Python
    ends any program so at that point."""
    code, stdout, stderr = outcome
    if signum != signal.SIGINT or stdout != b"" or not stderr.endswith("KeyboardInterrupt"):
        return False
    if code == 1 and stderr.startswith("Fatal Python error: init_import_site"):
        return True
    frames = re.findall(r'^  File "([^"]*)", line (\d+)', stderr, flags=re.MULTILINE)
    standard_library = sysconfig.get_paths()["stdlib"] + os.sep
    package = os.path.dirname(siteopt.__file__) + os.sep
    before_the_handlers = {("__init__.py", None), ("__main__.py", None)} | {
        ("launch.py", line) for line in range(1, _launcher_s_first_handler_line())}

    def python_s_own(frame, line) -> bool:
        if frame.startswith("<frozen "):
            return True
        if frame.startswith(package):
            name = frame[len(package):]
            return (name, None) in before_the_handlers or (name, int(line)) in before_the_handlers
        return frame.startswith(standard_library) and "site-packages" not in frame

    own_traceback = ((code == -signum and stderr.startswith("Traceback"))
                     or (code in (1, -signum)
                         and stderr.startswith("Could not import runpy module\nTraceback")))
    return (own_traceback and bool(frames)
            and all(python_s_own(frame, line) for frame, line in frames))


def test_only_python_s_own_start_up_counts_as_before_siteopt():
    """The excuse above covers frozen import frames, the standard library and siteopt's files
    before the launcher's first handlers only: a traceback through any other siteopt line (the
    launcher's job to turn into "Aborted!") is not Python's start-up."""
    frozen = ('Traceback (most recent call last):\n  File "<frozen runpy>", line 198, in _run\n'
              '  File "<frozen importlib._bootstrap_external>", line 134, in _path_split\n'
              'KeyboardInterrupt')
    assert _in_python_start_up((-2, b"", frozen), signal.SIGINT)
    assert not _in_python_start_up((-15, b"", frozen), signal.SIGTERM)
    package = os.path.dirname(siteopt.__file__)
    ours = frozen.replace('"<frozen runpy>"', f'"{package}/cli.py"')
    assert not _in_python_start_up((-2, b"", ours), signal.SIGINT)
    enum = os.path.join(sysconfig.get_paths()["stdlib"], "enum.py")
    standard = frozen.replace('"<frozen importlib._bootstrap_external>"', f'"{enum}"')
    assert _in_python_start_up((-2, b"", standard), signal.SIGINT)
    first = _launcher_s_first_handler_line()
    for name, line, before in [("__init__.py", 30, True), ("__main__.py", 1, True),
                               ("launch.py", first - 2, True), ("launch.py", first, False),
                               ("launch.py", first + 10, False), ("interrupt.py", 1, False)]:
        traceback = frozen.replace('"<frozen importlib._bootstrap_external>", line 134',
                                   f'"{package}/{name}", line {line}')
        assert _in_python_start_up((-2, b"", traceback), signal.SIGINT) is before, (name, line)
    assert _in_python_start_up((1, b"", "Fatal Python error: init_import_site: Failed\n"
                                        "KeyboardInterrupt"), signal.SIGINT)
    runpy = "Could not import runpy module\n" + frozen
    assert _in_python_start_up((1, b"", runpy), signal.SIGINT)
    assert _in_python_start_up((-2, b"", runpy), signal.SIGINT)
    assert not _in_python_start_up((-15, b"", runpy), signal.SIGTERM)
    assert not _in_python_start_up((1, b"", runpy.replace('"<frozen runpy>"',
                                                          f'"{package}/cli.py"')), signal.SIGINT)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_launcher_imports_aborts(signum):
    """A stop signal that lands after the launcher's first handlers but before :func:`main`
    has put its own in place (while the launcher imports what it needs) is acted on as soon
    as they are: "Aborted!", exit 1, no traceback and no answer, the solve never begun."""
    code = ("import os, signal, sys; import siteopt.launch as launch; "
            f"os.kill(os.getpid(), {int(signum)}); sys.argv = ['siteopt', 'solve']; "
            "launch.main()")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         timeout=120)
    assert (run.returncode, run.stdout, run.stderr.decode().strip()) == (1, b"", "Aborted!")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_starting_aborts_without_a_traceback(signum):
    """From siteopt's first instruction on, a stop signal prints "Aborted!" and exits 1, also
    while modules are still being imported, and nothing reaches stdout (or, landing while the
    solver works, the best portfolio so far as ``interrupted``, exit 1). Before it (Python's
    own start-up, 15-50 ms) the signal ends the process as it ends any Python program. After
    the command has finished a signal changes nothing: the whole answer, exit code 0. The data
    are checked again (``SITEOPT_NO_CACHE``), so the command runs for most of a second, with
    pandas and geopandas to import: most signals land while it runs."""
    aborted = 0
    for delay in (0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.5):
        process = subprocess.Popen([sys.executable, "-m", "siteopt", "solve", "--format",
                                    "json"], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE,
                                   env={**os.environ, "SITEOPT_NO_CACHE": "1",
                                        "PYTHONPROFILEIMPORTTIME": "1"})
        time.sleep(delay)
        process.send_signal(signum)
        stdout, errors = process.communicate(timeout=120)
        imported, said = _imports_and_the_rest(errors.decode())
        outcome = (process.returncode, stdout, said)
        if outcome[0] == 0:   # finished before the signal: the whole answer
            assert json.loads(stdout)["status"] == "optimal" and outcome[2] == ""
            continue
        if outcome[1]:   # the signal stopped the solver: its best portfolio, interrupted
            assert outcome[0] == 1 and json.loads(stdout)["status"] == "interrupted"
            assert outcome[2].startswith("interrupted: the solver was stopped")
            aborted += 1
            continue
        if _in_python_start_up(outcome, signum):
            continue   # Python itself had not finished starting (a loaded machine)
        if outcome == (-signum, b"", "") and "siteopt.interrupt" not in imported:
            continue   # ended by the signal before the launcher's first handlers were in place
        assert outcome == (1, b"", "Aborted!"), f"after {delay} s: {said[-400:]}"
        aborted += 1
    assert aborted >= 3   # the signal did land while siteopt ran


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_answer_is_printed_changes_nothing(signum):
    """Once the answer is complete (``deliver``), a stop signal cannot cut it short: the whole
    answer and exit code 0 (a fresh-clone run once printed the optimum, then "Aborted!", exit
    1). Before ``deliver`` the same signal stops the command."""
    program = ("import os, signal, sys\n"
               "from siteopt import interrupt\n"
               "for name in interrupt.SIGNALS:\n"
               "    signal.signal(getattr(signal, name), interrupt.on_signal)\n"
               "try:\n"
               "    os.kill(os.getpid(), %d)\n"
               "except KeyboardInterrupt:\n"
               "    print('stopped before')\n"
               "interrupt._received.clear()\n"
               "interrupt.deliver()\n"
               "os.kill(os.getpid(), %d)\n"
               "print('the whole answer')\n" % (signum, signum))
    done = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "stopped before\nthe whole answer\n", "")


def test_an_interruption_python_cannot_raise_is_not_reported_as_a_traceback(capsys,
                                                                             monkeypatch):
    """A stop signal landing in a weak-reference callback of the import system becomes an
    "unraisable" exception: the launcher says nothing about it (the signal is recorded and
    raised again), and reports any other unraisable exception as Python does."""
    from siteopt import interrupt

    class RaisesWhenCollected:
        def __init__(self, error):
            self.error = error

        def __del__(self):
            raise self.error

    monkeypatch.setattr(sys, "unraisablehook", interrupt.unraisable)
    RaisesWhenCollected(KeyboardInterrupt())   # collected at once: an unraisable exception
    assert capsys.readouterr().err == ""
    RaisesWhenCollected(ValueError("kept"))
    assert "ValueError: kept" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--version"], ["solve", "--format", "json"]])
def test_output_that_cannot_be_written_ends_in_one_line_not_a_traceback(tmp_path, args):
    """A full disk under stdout: --version fails as Python flushes at the end, the JSON (larger
    than the buffer) while it is written; either way one line and exit code 1."""
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run([sys.executable, "-m", "siteopt", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=300)
    assert done.stderr == ("error: cannot write siteopt's output (No space left on device); "
                           "free some space or send the output elsewhere\n")
    assert done.returncode == 1


def test_a_stop_signal_inside_an_import_waits_for_the_import_to_finish(tmp_path):
    """A module whose import is interrupted half-way may be left half made (a compiled one
    crashed the process once): the signal is acted on as soon as the import is over, and it
    still stops the command."""
    (tmp_path / "slow_module.py").write_text(
        "import os, signal, time\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(0.2)   # the handler runs in here, inside the import\n"
        "finished = True\n", encoding="utf-8")
    code = ("import signal, sys, time\n"
            "from siteopt.interrupt import on_signal\n"
            "signal.signal(signal.SIGTERM, on_signal)\n"
            f"sys.path.insert(0, {str(tmp_path)!r})\n"
            "try:\n"
            "    import slow_module\n"
            "    time.sleep(5)\n"
            "    print('not stopped')\n"
            "except KeyboardInterrupt:\n"
            "    print('stopped', sys.modules.get('slow_module') is not None and\n"
            "          getattr(sys.modules['slow_module'], 'finished', False))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "stopped True\n", "")
