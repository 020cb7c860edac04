"""All-or-nothing output: a file or a whole directory is replaced in one step, or not at all.

- :func:`write_file` writes to a temporary file beside the target and renames it into place.
- :func:`write_directory` builds the new directory beside the old one (the old one's other
  files hard-linked in, the new files written), then swaps the two in one system call
  (``renameat2(RENAME_EXCHANGE)`` on Linux) and deletes the old copy. Whenever the process
  stops, even by ``kill -9``, the directory holds every old file or every new one.

Writers to the same place take turns: each holds an exclusive ``flock`` on the parent
directory while it stages and swaps, so a second writer waits. Staging directories a killed
writer left behind (hidden siblings named ``.<name>.siteopt-*``) are removed by the next
writer, which holds the lock and so knows no one else is using them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

from siteopt.interrupt import check as check_interrupted

#: Prefix of the hidden siblings used while a directory is being replaced.
STAGING_MARK = "siteopt-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def as_bytes(content: str | bytes) -> bytes:
    """Text as UTF-8 (how every output file is written), bytes as they are."""
    return content.encode("utf-8") if isinstance(content, str) else content


@contextlib.contextmanager
def _locked(directory: Path):
    """Hold an exclusive lock on ``directory`` (its own descriptor, no lock file)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def write_file(path: str | Path, content: str | bytes) -> Path:
    """Replace ``path`` with ``content`` (UTF-8 for text) in one rename.

    Returns
    -------
    Path
        The written path.
    """
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
        try:
            os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
            with os.fdopen(handle, "wb") as stream:
                stream.write(as_bytes(content))
            check_interrupted()
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _remove_stale(parent: Path, name: str) -> None:
    """Delete staging directories of ``name`` that a killed writer left (under the lock)."""
    for stale in parent.glob(f".{name}.{STAGING_MARK}*"):
        shutil.rmtree(stale, ignore_errors=True)


def write_directory(directory: str | Path, files: dict[str, str | bytes]) -> list[Path]:
    """Replace the files ``files`` (relative name, ``a.csv`` or ``data/a.csv`` -> content) in
    ``directory`` all at once.

    Files of ``directory`` not named in ``files`` are kept. The directory is created if
    missing.

    Returns
    -------
    list of Path
        The written paths, in the order given.

    Raises
    ------
    NotADirectoryError
        When ``directory`` is a file: it is left as it was (swapped for the new directory,
        it was deleted with the old one's copy).
    """
    directory = Path(directory).resolve()
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "a file is there; give a directory, whose "
                                 "files are replaced", str(directory))
    for name in files:
        if (directory / name).is_dir():
            raise IsADirectoryError(errno.EISDIR, "a directory is in the way", str(directory / name))
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent):
        _remove_stale(parent, directory.name)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}.{STAGING_MARK}"))
        try:
            if directory.is_dir():
                shutil.copystat(directory, staging)
                for entry in directory.iterdir():
                    if entry.name in files:
                        continue
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.copytree(entry, staging / entry.name, symlinks=True,
                                        copy_function=_link_or_copy)
                    elif entry.is_symlink():
                        os.symlink(os.readlink(entry), staging / entry.name)
                    else:
                        _link_or_copy(str(entry), str(staging / entry.name))
            else:
                os.chmod(staging, 0o777 & ~_umask())
            for name, content in files.items():   # a name may have folders: data/sites.csv
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)   # a hard link to the old file: not through it
                target.write_bytes(as_bytes(content))
            check_interrupted()
            if not directory.exists():
                os.rename(staging, directory)
            elif not _exchange(staging, directory):
                retired = Path(tempfile.mkdtemp(dir=parent,
                                                prefix=f".{directory.name}.{STAGING_MARK}"))
                os.replace(directory, retired / "old")
                os.rename(staging, directory)
                staging = retired
        finally:
            shutil.rmtree(staging, ignore_errors=True)   # the old copy, or the unused new one
    return [directory / name for name in files]
