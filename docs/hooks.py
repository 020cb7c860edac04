"""MkDocs hooks: the parts of the documentation generated from the code, so they cannot drift.

A page asks for them with HTML comments, each on a line of its own:

- ``<!-- siteopt:keys -->``: every model key with its default, unit and meaning
  (:func:`siteopt.config.settings`, the source of ``siteopt keys``);
- ``<!-- siteopt:columns -->``: every data file's columns (:func:`siteopt.data.schema.columns_markdown`);
- ``<!-- siteopt:scenarios -->``: the shipped scenarios and the question each asks;
- ``<!-- siteopt:run ARGS -->``: the output of ``siteopt ARGS`` on the shipped data, run now
  in an empty directory;
- ``<!-- siteopt:include PATH -->``: a file of the repository (``CHANGELOG.md``) or of the
  installed package (``siteopt/datasets/eu2026/README.md``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- siteopt:(\w+)(?: (.*?))? -->$", re.M)


def keys_markdown() -> str:
    from siteopt.config import _literal, settings

    rows = ["| key | default | unit | meaning |", "|---|---|---|---|"]
    for key, spec in settings():
        default = "[]" if spec.default == () else _literal(spec.default)
        meaning = " ".join(spec.metadata.get("doc", "").split()).replace("|", "\\|")
        rows.append(f"| `{key}` | `{default}` | {spec.metadata.get('unit', '')} | {meaning} |")
    return "\n".join(rows) + "\n"


def scenarios_markdown() -> str:
    from siteopt.paths import scenarios_dir

    rows = ["| scenario | the question it asks |", "|---|---|"]
    for path in sorted(scenarios_dir().glob("*.toml")):
        comment = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("# ").strip())
            if line.endswith("."):   # its first sentence says the question
                break
        rows.append(f"| `{path.stem}` | {' '.join(comment)} |")
    return "\n".join(rows) + "\n"


#: The width of a command's output on a page: what a code box shows without scrolling sideways
#: (84 characters of MkDocs Material's code font in its content column).
RUN_COLUMNS = "80"


def run_markdown(arguments: str) -> str:
    environment = {name: value for name, value in os.environ.items() if name != "SITEOPT_DATA"}
    environment["COLUMNS"] = RUN_COLUMNS
    with tempfile.TemporaryDirectory() as empty:   # no workspace around it
        done = subprocess.run([sys.executable, "-m", "siteopt", *shlex.split(arguments)],
                              cwd=empty, capture_output=True, text=True, check=True,
                              env=environment)
    return f"```\n$ siteopt {arguments}\n{done.stdout.rstrip()}\n```\n"


def include_markdown(path: str) -> str:
    """A repository file; one of the package (``siteopt/...``) from the siteopt installed,
    which is the checkout's own in a development install."""
    import siteopt

    base = Path(siteopt.__file__).resolve().parents[1] if path.startswith("siteopt/") else ROOT
    text = (base / path).read_text(encoding="utf-8").replace("](../docs/", "](")
    return text.split("\n", 1)[1] if text.startswith("# ") else text   # the page has a title


def _replace(match: re.Match) -> str:
    kind, argument = match.group(1), match.group(2) or ""
    from siteopt.data.schema import columns_markdown

    makers = {"keys": keys_markdown, "columns": columns_markdown,
              "scenarios": scenarios_markdown}
    if kind in makers:
        return makers[kind]()
    if kind == "run":
        return run_markdown(argument)
    if kind == "include":
        return include_markdown(argument)
    raise ValueError(f"unknown siteopt marker {kind!r}")


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(_replace, markdown)
