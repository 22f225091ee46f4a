"""Atomic result files: write under a temporary name in the same folder, then rename."""

from __future__ import annotations

import json
import os
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
    """``with output_folder(out):`` check ``out`` as :func:`writable_folder` does; if the body then fails,
    remove the folders the check created when they are still empty (a refused command leaves nothing)."""

    def __init__(self, path: str | Path, field: str = "--out") -> None:
        self.path, self.field = path, field

    def __enter__(self) -> Path:
        self.created = writable_folder(self.path, self.field)
        return Path(self.path)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            remove_empty_folders(self.created)
        return False


def atomic(path: Path, write) -> None:
    """Call ``write(tmp)`` to fill a temporary file next to ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
