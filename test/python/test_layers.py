"""The package's import graph: no cycles, and arrows only point down the layers of
docs/design.md (tools, front end, backends, passes, dialects, runtime).

Imports inside functions count like any other: moving an import into a function hides a
cycle from Python, not from the design. The graph is read from the installed package's
sources with `ast`, so building it imports nothing."""
import ast
import importlib.util
import os

import pytest

# Layers, top first. A module's layer is that of the longest prefix naming it.
LAYERS = ["tools", "front end", "backends", "passes", "dialects", "runtime"]
PREFIXES = {
    "mlax.tools": "tools",
    "mlax.backends": "backends",
    "mlax.transforms": "passes", "mlax.lowering": "passes", "mlax.passes": "passes",
    "mlax.dialects": "dialects",
    "mlax.runtime": "runtime",
    "mlax": "front end",
}
# The front end reaches a backend through the registry only, never its internals.
FRONT_END_MAY_IMPORT = {"mlax.backends"}


def layer_of(module):
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in PREFIXES:
            return PREFIXES[prefix]
    return None


def package_modules():
    """{module name: source path} of every module of the installed mlax packages."""
    out = {}
    for pkg in ("mlax", "mlax.dialects", "mlax.runtime", "mlax.tools"):
        spec = importlib.util.find_spec(pkg)
        root = list(spec.submodule_search_locations)[0]
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel = os.path.relpath(dirpath, root)
            base = pkg if rel == "." else pkg + "." + rel.replace(os.sep, ".")
            if not os.path.exists(os.path.join(dirpath, "__init__.py")):
                dirnames[:] = []
                continue
            for fn in filenames:
                if fn.endswith(".py"):
                    name = base if fn == "__init__.py" else f"{base}.{fn[:-3]}"
                    out.setdefault(name, os.path.join(dirpath, fn))
    return out


ROOTS = {"mlax", "mlax.dialects", "mlax.runtime", "mlax.tools"}


def import_graph():
    """{module: {(imported module, line)}} over mlax's own modules."""
    modules = package_modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        edges = set()
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                while t and t not in modules:       # `import mlax.numpy.linalg as x` etc.
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.add((t, node.lineno))
                # Importing a.b.c runs a.b's __init__ first: an edge to each package above
                # the target (but the roots, whose __init__ imports lazily, and the
                # importer's own packages, already running).
                p = t.rpartition(".")[0]
                while p and p not in ROOTS:
                    if p in modules and not name.startswith(p + "."):
                        edges.add((p, node.lineno))
                    p = p.rpartition(".")[0]
        graph[name] = edges
    return graph


GRAPH = import_graph()


def test_the_graph_sees_the_package():
    assert {"mlax", "mlax.numpy", "mlax.backends.cpu", "mlax.tools.driver",
            "mlax.runtime.aot", "mlax.dialects"} <= set(GRAPH)
    assert all(layer_of(m) for m in GRAPH)


def test_no_import_cycles():
    """Tarjan's strongly connected components: every one must be a single module."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w, _ in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                cycles.append(sorted(scc))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_arrows_point_down():
    bad = []
    for src, edges in sorted(GRAPH.items()):
        ls = LAYERS.index(layer_of(src))
        for dst, line in sorted(edges):
            ld = LAYERS.index(layer_of(dst))
            if ld < ls:
                bad.append(f"{src}:{line} ({layer_of(src)}) imports {dst} ({layer_of(dst)})")
            elif layer_of(src) == "front end" and layer_of(dst) == "backends" and \
                    dst not in FRONT_END_MAY_IMPORT:
                bad.append(f"{src}:{line} (front end) imports a backend's module {dst}: use "
                           "the registry (mlax.backends.get)")
            elif layer_of(src) == "front end" and dst.startswith(("mlax.lowering",
                                                                   "mlax.transforms.")):
                bad.append(f"{src}:{line} (front end) imports the pass module {dst}: passes "
                           "run through pipelines")
    assert not bad, "arrows against the layers:\n" + "\n".join(bad)


def test_runtime_knows_no_compiler_and_no_mlir():
    """A compiled module loads with mlax.runtime alone: nothing there imports mlir."""
    for name, path in package_modules().items():
        if layer_of(name) != "runtime":
            continue
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "mlir" for n in names), f"{name} imports {names}"


def test_array_stand_ins_match_what_mlax_numpy_attaches():
    """Every computing method of Array is a stand-in until mlax.numpy replaces it, and
    mlax.numpy replaces each one."""
    from mlax.numpy import _methods
    from mlax.runtime import array
    assert set(_methods.ATTACHED) == set(array.COMPUTING) | set(array.COMPUTING_PROPERTIES)
    from mlax.runtime import Array
    from mlax.tracing import Tracer
    for cls in (Array, Tracer):
        for name in array.COMPUTING:
            assert getattr(cls, name).__module__ != "mlax.runtime.array" or \
                name == "__hash__", (cls, name)


@pytest.mark.parametrize("code", [
    "import mlax",
    "import mlax.runtime.aot",
    "from mlax import config; config.update('jax_enable_x64', False)",
])
def test_importing_mlax_loads_no_compiler(code):
    from child import run_case
    out = run_case(code + "\nimport sys\nprint(sorted(m for m in sys.modules "
                   "if m.split('.')[0] in ('mlir', 'mlax')))")
    loaded = eval(out.stdout)
    assert all(m == "mlax" or m.startswith("mlax.runtime") for m in loaded), loaded


def test_vmap_as_the_first_name_used():
    """`import mlax; mlax.vmap(f)(x)` with nothing imported before: vmap's module imports
    checkify's control-flow helpers, which import mlax.lax, whose control flow imports
    them back (an ImportError from a partially initialized module, before the fix)."""
    from child import run_case
    out = run_case("import mlax, numpy as np\n"
                   "print(mlax.vmap(lambda x: x * 2)(np.ones(3, np.float32)).tolist())\n"
                   "print(mlax.pmap(lambda x: x + 1)(np.ones((1, 2), np.float32)).tolist())")
    assert out.stdout.split() == ["[2.0,", "2.0,", "2.0]", "[[2.0,", "2.0]]"], out.stdout
