"""Vendor Leaflet into siteopt so interactive maps open offline.

Run once when upgrading Leaflet (needs npm and the npm registry)::

    python siteopt/report/assets/vendor_leaflet.py 1.9.4

It runs ``npm pack leaflet@VERSION``, copies ``leaflet.js`` and ``LICENSE`` and writes
``leaflet.css`` with its images inlined as data URIs, so a saved map needs no network at all.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent / "leaflet"


def main(version: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["npm", "pack", f"leaflet@{version}"], cwd=folder, check=True,
                       capture_output=True)
        with tarfile.open(Path(folder) / f"leaflet-{version}.tgz") as archive:
            archive.extractall(folder, filter="data")
        package = Path(folder) / "package"
        TARGET.mkdir(exist_ok=True)
        shutil.copy(package / "dist" / "leaflet.js", TARGET / "leaflet.js")
        shutil.copy(package / "LICENSE", TARGET / "LICENSE")
        css = (package / "dist" / "leaflet.css").read_text(encoding="utf-8")

        def inline(match: re.Match) -> str:
            image = package / "dist" / match.group(1)
            data = base64.b64encode(image.read_bytes()).decode("ascii")
            return f"url(data:image/{image.suffix.lstrip('.')};base64,{data})"

        css = re.sub(r"url\((images/[^)]+)\)", inline, css)
        (TARGET / "leaflet.css").write_text(css, encoding="utf-8")
        (TARGET / "VERSION").write_text(version + "\n", encoding="utf-8")
    print(f"vendored Leaflet {version} into {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "1.9.4")
