"""Imports point one way: no circle of modules, the signal state at the bottom, the launcher
and the command line at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import siteopt

#: The siteopt under test (the installed wheel's, when make test runs).
PACKAGE = Path(siteopt.__file__).resolve().parent


def _modules() -> dict[str, object]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def import_graph(top_level_only: bool) -> dict[str, set[str]]:
    """Module -> the siteopt modules it imports (``from package import submodule`` counts as
    the submodule)."""
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (tree.body if top_level_only else ast.walk(tree)):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{a.name}" for a in node.names
                              if f"{node.module}.{a.name}" in modules]
                targets = submodules if len(submodules) == len(node.names) else \
                    [node.module, *submodules]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_circle_of_module_imports():
    assert circles(import_graph(top_level_only=True)) == []


def test_the_signal_state_is_at_the_bottom_and_the_launcher_at_the_top():
    graph = import_graph(top_level_only=False)
    assert graph["siteopt.interrupt"] == set()
    importers = {name for name, targets in graph.items() if "siteopt.launch" in targets}
    assert importers == {"siteopt.__main__"}
    assert {name for name, targets in graph.items() if "siteopt.cli" in targets} == \
        {"siteopt.launch"}
    # no circle, even through imports inside functions, reaches the command line or signals
    for circle in circles(graph):
        assert not {"siteopt.launch", "siteopt.cli", "siteopt.interrupt",
                    "siteopt.atomic"} & set(circle), circle


def test_analysis_functions_keep_their_names_and_a_sweep_imports_no_pulp_or_pandas():
    import subprocess
    import sys

    script = ("import sys\n"
              "import siteopt.analysis.sweep\n"
              "from siteopt.analysis import sweep\n"
              "print(sorted(m for m in ('pulp', 'pandas') if m in sys.modules))\n"
              "import siteopt.analysis.robust\n"
              "from siteopt.analysis import robust\n"
              "assert callable(robust) and robust.__name__ == 'robust', robust\n"
              "assert callable(sweep) and sweep.__name__ == 'sweep', sweep\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
