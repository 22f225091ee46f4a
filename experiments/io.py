"""Atomic result files: write under a temporary name in the same folder, then rename."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd


def writable_folder(path: str | Path, field: str = "--out") -> list[Path]:
    """Make sure ``path`` is a folder this process can create and write into, before anything runs.

    Creates the folder if needed (and a probe file in it, removed at once) and returns the folders it
    created, so that a caller can remove them again if it then refuses to run. A one-line ConfigError
    naming ``field`` if the path is empty, a file, below a file, or not creatable or writable (a read-only
    folder or file system, /proc, a name too long).
    """
    from model.errors import ConfigError

    text = str(path)
    if not text.strip():
        raise ConfigError(field, text, "a folder path (an empty one would write into the current folder)")
    try:  # a name with bytes that are not UTF-8 (undecodable in argv): Parquet and JSON writers cannot take it
        os.path.abspath(text).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigError(field, text, f"a folder path in UTF-8 (byte "
                          f"{exc.object[exc.start:exc.end].encode('utf-8', 'surrogateescape')!r} is not: "
                          "rename the folder or choose another)", kind="unusable output folder") from None
    p = Path(path)
    created: list[Path] = []
    try:
        if p.exists() and not p.is_dir():
            raise ConfigError(field, text, "a folder (new or existing); this path is a file")
        q = p
        while not q.exists() and q != q.parent:
            created.append(q)
            q = q.parent
        if not q.is_dir():
            raise ConfigError(field, text, f"a folder path; {q} is a file", kind="unusable output folder")
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        remove_empty_folders(created)
        raise ConfigError(field, text, f"a folder this process can create and write into (creating it failed: "
                          f"{exc.strerror or exc})", kind="unusable output folder") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".czt-write-probe.", suffix=".tmp", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        remove_empty_folders(created)
        raise ConfigError(field, text, f"a folder this process can write into (writing a file in it failed: "
                          f"{exc.strerror or exc})", kind="output folder not writable") from None
    return list(reversed(created))


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove folders (deepest first) that :func:`writable_folder` created, if they are still empty."""
    for d in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass


class output_folder:
    """``with output_folder(out, last=("run.json",)) as dest:`` write a command's set of result files, all or none.

    ``out`` is checked as :func:`writable_folder` does. The body writes into ``dest``, a hidden staging folder
    ``out/.partial-*`` on the same file system; when it ends, every file is renamed into ``out`` (a rename needs no
    free space), the ``last`` ones last, after any older copy of them was removed: a folder whose ``last`` file is
    missing is visibly incomplete, never a mix that looks finished. If the body or a rename fails (a full disk, a
    folder turned read-only, Ctrl-C), the staging folder is removed, and so are the folders the check created
    when still empty; a failed write (OSError) becomes a one-line ConfigError naming the file. Two commands writing
    into the same folder at once move their files in turn (a lock on the folder), so each leaves a whole set.
    A process killed outright may leave its ``.partial-*`` folder: the name says what it is.
    """

    def __init__(self, path: str | Path, field: str = "--out", last: tuple[str, ...] = ()) -> None:
        self.raw, self.path, self.field, self.last = path, Path(path), field, tuple(last)

    def __enter__(self) -> Path:
        self.created = writable_folder(self.raw, self.field)  # the text as given: Path("") would read as "."
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.path))
        except OSError as exc:
            remove_empty_folders(self.created)
            raise write_error(exc, self.path) from None
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self._move()
            except OSError as err:
                self._discard()
                raise write_error(self._final_name(err), self.path) from None
            self._discard(keep_created=True)
            return False
        self._discard()
        if isinstance(exc, OSError):
            raise write_error(self._final_name(exc), self.path) from None
        return False

    def _final_name(self, exc: OSError) -> OSError:
        """The error with the file named where it was to go (``out/run.json``), not in the staging folder."""
        try:
            rel = Path(exc.filename).relative_to(self.staging)
        except (TypeError, ValueError):
            return exc
        exc.filename = str(self.path / rel)
        return exc

    def _discard(self, keep_created: bool = False) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if not keep_created:
            remove_empty_folders(self.created)

    def _move(self) -> None:
        files = sorted(f.relative_to(self.staging) for f in self.staging.rglob("*") if f.is_file())
        last = [f for f in files if f.as_posix() in self.last]
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another command moving into this folder finishes its set first
            for f in last:
                (self.path / f).unlink(missing_ok=True)
            for f in [f for f in files if f not in last] + last:
                (self.path / f).parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / f, self.path / f)
        finally:
            os.close(fd)  # releases the lock


def write_error(exc: OSError, folder: str | Path, field: str | None = None):
    """A one-line ConfigError for a result file that could not be written (a full disk, a read-only folder, a name
    too long): it names the file (or ``field``), the system's reason, and what is needed."""
    from model.errors import ConfigError

    what = exc.strerror or type(exc).__name__
    return ConfigError(field or str(exc.filename or folder), what, f"a folder this process can write into, with free "
                       f"space ({folder}); nothing was left half-written: files are written whole or not at all",
                       kind="cannot write results")


def path_error(exc: OSError):
    """A one-line ConfigError for a path the system refused (a name too long, a loop of links, a folder where a file
    belongs, a full disk) where no check of the command named it."""
    from model.errors import ConfigError

    return ConfigError(str(exc.filename or "path"), exc.strerror or type(exc).__name__, "a path this process can "
                       "use (an existing folder or file of the right kind, names within the system's limits, space "
                       "to write)", kind="unusable path")


def open_regular(path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of the regular file at ``path`` (``flags`` as os.open takes them), for the files a command finds
    in a folder it was pointed at (a sweep's lock, spec.json, manifest). Whatever else was planted under that name is
    refused with an OSError naming ``path``: a FIFO or a device (a reader would wait forever or read without end;
    opened without blocking, then checked) and, when writing, a symbolic link (O_NOFOLLOW: a lock file linked to
    another file would truncate that file)."""
    writing = bool(flags & (os.O_WRONLY | os.O_RDWR))
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if writing else 0), mode)
    except OSError as exc:
        if writing and exc.errno == errno.ELOOP and os.path.islink(path):
            raise OSError(errno.ELOOP, "a symbolic link, not a regular file", str(path)) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or folder)", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _umask() -> int:
    """The process's umask (read once, at import: setting it to read it is not thread-safe)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic(path: Path, write) -> None:
    """Call ``write(tmp)`` to fill a temporary file next to ``path``, then rename it to ``path``. The file gets the
    permissions a plain ``open(path, "w")`` would give (the temporary file is created private, 0600, which would
    otherwise make every result unreadable to the colleagues sharing a results folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        cause = _write_error_behind(exc)
        if cause is not None and cause.filename in (None, tmp):  # name the file being written, not its tmp
            cause.filename = str(path)
        if cause is not None and cause is not exc:  # a writer that failed again while cleaning up after it
            raise cause from None
        raise


def _write_error_behind(exc: BaseException) -> OSError | None:
    """The OSError (a full disk, a read-only folder) behind ``exc``: itself, or one it was raised while handling
    (matplotlib's PDF writer, on a full disk, raises an AttributeError from its own clean-up)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, OSError):
            return exc
        exc, seen = exc.__context__, seen + 1
    return None


def write_parquet(df: pd.DataFrame, path: Path, metadata: dict[str, str] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               **{k.encode(): v.encode() for k, v in metadata.items()}})
    atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_json(obj: Any, path: Path) -> None:
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, ensure_ascii=False, sort_keys=True, default=_default)
            fh.write("\n")

    atomic(path, w)


def write_text(text: str, path: Path) -> Path:
    atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path


def write_csv(df: pd.DataFrame, path: Path, **to_csv: Any) -> Path:
    atomic(path, lambda tmp: df.to_csv(tmp, index=False, **to_csv))
    return path


def _default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o)}")
