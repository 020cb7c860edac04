"""The report as PDF: the same HTML page printed by a headless Chromium, offline.

Chromium (Debian's ``chromium`` package, or Google Chrome) prints the self-contained page; it
runs with a fresh profile and every background service off, and the page itself loads nothing
(see ``docs/security.md``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from siteopt.errors import ConfigError, SolverError

#: Browsers that can print, in the order they are looked for.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--disable-extensions",
         "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw")
#: Seconds Chromium may take to print.
TIMEOUT_S = 120


def browser() -> str:
    """The Chromium executable.

    Raises
    ------
    ConfigError
        If none is installed (writing the report as .html needs none).
    """
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError("a PDF report is printed by Chromium, which is not installed: install it "
                      "(Debian: apt-get install chromium) or write the report as .html")


def html_to_pdf(page: str) -> bytes:
    """Print an HTML page (A4, backgrounds on) and return the PDF bytes."""
    executable = browser()
    with tempfile.TemporaryDirectory(prefix="siteopt-pdf-") as folder:
        source = Path(folder) / "report.html"
        target = Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [executable, *FLAGS, f"--user-data-dir={folder}/profile",
                   f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise SolverError(f"Chromium did not print the report within {TIMEOUT_S} s") from None
        if not target.exists() or target.stat().st_size == 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise SolverError(f"Chromium could not print the report ({' '.join(detail)})")
        return target.read_bytes()
