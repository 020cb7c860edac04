"""Write the shipped data set's manifest, ``siteopt/datasets/eu2026/manifest.json``: its name,
its version (the date its content last changed), the SHA-256 of every file and the fingerprint
of every validated table (:meth:`siteopt.data.table.Table.fingerprint`).

``make data`` runs it after ``build_data.py``; run it alone after editing ``sites.csv``,
``letters.csv`` or ``ai_factories.csv`` by hand::

    .venv/bin/python data/write_manifest.py

The version only moves when a file's bytes changed, so running it twice writes the same bytes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

#: The data set's name, a directory of siteopt/datasets.
NAME = "eu2026"
DATA_SET = Path(__file__).resolve().parents[1] / "siteopt" / "datasets" / NAME
#: What the data set is, for people reading the manifest.
TITLE = ("EU AI Gigafactory candidate sites (InvestAI call, 2025-2026) with EU-27 population, "
         "country figures and the EuroHPC AI Factories; see README.md")
#: The files the manifest covers (every file siteopt reads, and the data set's README).
FILES = ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv", "countries.geojson",
         "README.md")


def table_fingerprints(directory: Path) -> dict[str, str]:
    """File name -> fingerprint of its table, read and checked in full (no cache)."""
    from siteopt.data.load import validated_tables, data_origin

    tables = validated_tables(data_origin(directory))
    return {name: tables[name].fingerprint() for name in sorted(tables)}


def write_manifest(directory: Path = DATA_SET, today: datetime.date | None = None) -> dict:
    """Write ``directory/manifest.json`` and return it; the version is ``today`` (default: the
    date now) when a file changed since the last manifest, else the last manifest's."""
    path = directory / "manifest.json"
    files = {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILES}
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    version = previous.get("version")
    if previous.get("files") != files or version is None:
        version = (today or datetime.date.today()).isoformat()
    manifest = {"name": NAME, "version": version, "title": TITLE, "files": files,
                "tables": table_fingerprints(directory)}
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    written = write_manifest()
    print(f"wrote {DATA_SET / 'manifest.json'}: {written['name']} version {written['version']}")
