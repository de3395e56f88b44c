"""The package's shape: no import cycle, no private name imported across modules.

Imports are read from the source (every ``import`` statement, those inside functions included:
a lazy import hides a cycle, it does not remove it).
"""
import ast
import pathlib

import structlearn

PKG = pathlib.Path(structlearn.__file__).parent


def _module_name(path):
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(module, node, known):
    """Names of the structlearn modules an import statement of ``module`` reaches."""
    is_pkg = known[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "structlearn"]
    if node.level == 0:
        base = node.module or ""
        if base.split(".")[0] != "structlearn":
            return []
    else:
        parts = module.split(".")
        if not is_pkg:
            parts = parts[:-1]
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    targets = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        targets.append(sub if sub in known else base)
    return [t for t in targets if t in known]


def _graph():
    known = _modules()
    graph, private = {}, []
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                reached = _resolve(name, node, known)
                edges.update(t for t in reached if t != name)
                if isinstance(node, ast.ImportFrom) and reached:
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            private.append(f"{name}: from {node.module or '.'} import {alias.name}")
        graph[name] = edges
    return graph, private


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    graph, _ = _graph()
    cycles = _cycles(graph)
    assert not cycles, f"import cycles in structlearn/: {cycles}"


def test_no_private_name_imported_across_modules():
    _, private = _graph()
    assert not private, "private names imported across modules:\n" + "\n".join(private)


def test_the_checker_finds_a_cycle_and_a_private_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("from .network import _glorot_bound")
    node = tree.body[0]
    assert node.names[0].name.startswith("_")
