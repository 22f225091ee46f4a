"""Atomic result files: write under a temporary name in the same folder, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd


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
