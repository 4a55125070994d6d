"""Copy the raw source files this project ships from the team's ``shared/data`` folder.

The project never reads ``../shared`` at install, run or test time: this
script is run by hand (``make sources``) when a source is refreshed there, and
the copies it makes under ``data/<source>/source/`` are committed. Every
derived file is then rebuilt from those copies by ``make data``.

Usage::

    python data/copy_sources.py [SHARED_DATA_DIR]   # default: ../shared/data

Files are copied byte for byte (checked with SHA-256) and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (folder under shared/data, file name) -> folder under data/ that receives it.
SOURCES = {
    ("un_wup2018", "WUP2018-F22-Cities_Over_300K_Annual.csv"): "un_wup2018/source",
    ("un_wup2018", "WUP2018-F22-Notes.csv"): "un_wup2018/source",
    ("us_oews_2025", "oews_may2025_metro_occupations.csv.gz"): "us_oews_2025/source",
    ("ai_exposure", "eloundou2024_occ_level.csv"): "ai_exposure/source",
    ("ai_exposure", "eloundou2024_task_automation_labels.tsv"): "ai_exposure/source",
    ("ai_exposure", "LICENSE-GPTs-are-GPTs.txt"): "ai_exposure/source",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(src, tmp)
        if sha256(tmp) != sha256(src):
            raise SystemExit(f"copy of {src} is not byte-identical")
        tmp.chmod(0o644)
        tmp.replace(dst)
    finally:
        tmp.unlink(missing_ok=True)


def main(shared: Path) -> None:
    if not shared.is_dir():
        raise SystemExit(f"{shared} is not a folder; pass the shared data folder.")
    for (folder, name), target in SOURCES.items():
        src = shared / folder / name
        dst = HERE / target / name
        if dst.exists() and sha256(dst) == sha256(src):
            print(f"unchanged  {dst.relative_to(HERE)}")
            continue
        copy_atomic(src, dst)
        print(f"copied     {dst.relative_to(HERE)} ({dst.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data")
