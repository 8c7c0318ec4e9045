"""The checks that keep the house standing: layers, cycles, module sizes, exports, types.

The package is a stack of layers (``docs/architecture.md``); a module may import
modules of its own layer or of layers below it, never above. Imports are read
with :mod:`ast`, *including imports inside functions* and string targets of
lazy imports (``importlib.import_module("asleep_nb...")``, the accessor's
forwarding table); only ``if TYPE_CHECKING:`` blocks are exempt.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "asleep_nb"

#: The layers, bottom first. A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "asleep_nb.errors",
            "asleep_nb.definitions",
            "asleep_nb.timezones",
            "asleep_nb.resources",
            "asleep_nb.version",
        ),
    ),
    ("api", ("asleep_nb.api",)),
    ("standin", ("asleep_nb.standin",)),
    ("data", ("asleep_nb.data",)),
    ("stats", ("asleep_nb.stats",)),
    ("study", ("asleep_nb.stats.study",)),
    ("loading", ("asleep_nb.loading",)),
    ("plot", ("asleep_nb.plot",)),
    ("connection", ("asleep_nb.connection",)),
    ("apps", ("asleep_nb.widgets", "asleep_nb.report", "asleep_nb.accessor")),
    (
        "entry",
        ("asleep_nb", "asleep_nb.cli", "asleep_nb.standin.builder", "asleep_nb.standin.pytest_plugin"),
    ),
]

#: Arrows that the ranks alone would allow but the design forbids: (importer prefix, imported prefix).
FORBIDDEN: list[tuple[str, str, str]] = [
    ("asleep_nb.data", "asleep_nb.api.client", "the data layer knows nothing of HTTP"),
    ("asleep_nb.stats", "asleep_nb.api.client", "statistics know nothing of HTTP"),
    ("asleep_nb.plot", "asleep_nb.api.client", "figures know nothing of HTTP"),
    ("asleep_nb.data", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.stats", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.loading", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.plot", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.widgets", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.report", "asleep_nb.standin", "the stand-in is a test double"),
    ("asleep_nb.accessor", "asleep_nb.standin", "the stand-in is a test double"),
]

#: Third-party packages a layer must not touch.
FORBIDDEN_THIRD_PARTY: dict[str, tuple[str, ...]] = {
    "asleep_nb.api": ("xarray", "matplotlib", "ipywidgets"),
    "asleep_nb.data": ("requests", "urllib3", "matplotlib", "ipywidgets"),
    "asleep_nb.stats": ("requests", "urllib3", "matplotlib", "ipywidgets"),
    "asleep_nb.definitions": ("requests", "xarray", "matplotlib", "ipywidgets"),
    "asleep_nb.plot": ("requests", "urllib3", "ipywidgets"),
}

MAX_MODULE_LINES = 500
_MODULE_STRING = re.compile(r"^asleep_nb(\.\w+)*(:\w+)?$")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


#: Package faces that re-export names of a higher layer inside their own folder: ``asleep_nb.stats``
#: exports the study statistics of ``asleep_nb.stats.study`` lazily, so it ranks as that layer (no
#: engine module imports the face).
FACES: dict[str, str] = {"asleep_nb.stats": "asleep_nb.stats.study"}


def layer_of(module: str) -> int:
    module = FACES.get(module, module)
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return rank


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """Every ``asleep_nb`` module ``module`` imports (function level and lazy string targets too)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                yield (candidate if candidate in MODULES else target), node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        else:
            for target in _lazy_targets(node):
                yield target, node.lineno


def _lazy_targets(node: ast.AST) -> Iterator[str]:
    """Module names given as strings to a lazy import: ``import_module("...")``, ``_Forward("...")``,
    or the values of a name -> module table (``_EXPORTS``, ``_LAZY``)."""
    values: list[ast.expr] = []
    if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("import_module", "_Forward"):
        values = list(node.args)
    elif isinstance(node, ast.Dict):
        values = [v for v in node.values if v is not None]
    elif isinstance(node, ast.DictComp):
        values = [node.value]
    for value in values:
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and _MODULE_STRING.match(value.value)
        ):
            target = value.value.split(":")[0]
            if target in MODULES:
                yield target


def graph() -> dict[str, set[str]]:
    return {
        m: {t for t, _ in imports_of(m) if t.startswith("asleep_nb") and t in MODULES and t != m}
        for m in MODULES
    }


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components with more than one module (import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
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

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_import_cycle_anywhere():
    assert strongly_connected(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_only_go_down():
    upward = []
    for module in MODULES:
        for target, line in imports_of(module):
            if target in MODULES and target != module and layer_of(target) > layer_of(module):
                upward.append(
                    f"{module}:{line} imports {target} "
                    f"({LAYERS[layer_of(module)][0]} -> {LAYERS[layer_of(target)][0]})"
                )
    assert upward == []


def test_no_forbidden_arrow():
    bad = []
    for module in MODULES:
        for target, line in imports_of(module):
            for importer, imported, why in FORBIDDEN:
                inside = module == importer or module.startswith(importer + ".")
                if inside and (target == imported or target.startswith(imported + ".")):
                    bad.append(f"{module}:{line} imports {target}: {why}")
            for prefix, packages in FORBIDDEN_THIRD_PARTY.items():
                if module == prefix or module.startswith(prefix + "."):
                    if target.split(".")[0] in packages:
                        bad.append(f"{module}:{line} imports {target}")
    assert bad == []


def test_the_standin_imports_only_the_base_layer():
    """The stand-in is a test double beside the flow: it shares definitions, never library code."""
    tools = ("asleep_nb.standin.builder", "asleep_nb.standin.pytest_plugin")
    bad = []
    for module in MODULES:
        if not module.startswith("asleep_nb.standin") or module.startswith(tools):
            continue
        for target, line in imports_of(module):
            if target in MODULES and layer_of(target) > 0 and not target.startswith("asleep_nb.standin"):
                bad.append(f"{module}:{line} imports {target}")
    assert bad == []


def test_the_layer_check_sees_function_level_and_lazy_imports(tmp_path, monkeypatch):
    source = (
        "import importlib\n"
        "def f():\n    from asleep_nb.plot import hypnogram\n"
        "def g():\n    return importlib.import_module('asleep_nb.widgets')\n"
    )
    fake = PACKAGE / "data" / "_probe_for_layer_test.py"
    monkeypatch.setitem(MODULES, "asleep_nb.data._probe_for_layer_test", tmp_path / "probe.py")
    (tmp_path / "probe.py").write_text(source)
    targets = {t for t, _ in imports_of("asleep_nb.data._probe_for_layer_test")}
    assert {"asleep_nb.plot.hypnogram", "asleep_nb.widgets"} <= targets
    assert not fake.exists()


def test_no_module_is_over_the_size_limit():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_public_exports_resolve_and_agree():
    import asleep_nb

    for name in asleep_nb.__all__:
        assert getattr(asleep_nb, name) is not None, name
    for package in ("asleep_nb.stats", "asleep_nb.plot", "asleep_nb.definitions", "asleep_nb.errors"):
        module = importlib.import_module(package)
        for name in module.__all__:
            assert hasattr(module, name), f"{package}.__all__ names {name!r}, which it lacks"


def test_accessor_methods_carry_the_real_signature_and_docstring():
    import inspect

    import xarray as xr

    import asleep_nb  # noqa: F401  (registers the accessor)
    from asleep_nb.plot import hypnogram

    method = xr.Dataset().asleep.hypnogram
    assert method.__doc__ == hypnogram.__doc__
    params = list(inspect.signature(hypnogram).parameters)[1:]
    assert list(inspect.signature(method).parameters) == params


def test_import_asleep_nb_stays_light():
    code = (
        "import sys, asleep_nb; "
        "heavy = [m for m in ('matplotlib', 'ipywidgets', 'requests', 'asleep_nb.plot', 'nbclient') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None and importlib.util.find_spec("mypy") is None, reason="mypy")
def test_mypy_is_clean_on_the_whole_package():
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "asleep_nb"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout[-4000:]


def test_the_architecture_doc_lists_the_layers_as_checked_here():
    """docs/architecture.md's layer table names the same layers, in the same order, as LAYERS."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    text = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (.+?) \|", text, flags=re.M)
    documented = [(name, set(re.findall(r"`([\w./]+)`", cells))) for name, cells in rows if name != "layer"]
    assert [name for name, _ in documented] == [name for name, _ in LAYERS]
    for (name, paths), (_, prefixes) in zip(documented, LAYERS, strict=True):
        as_modules = {"asleep_nb." + p.removesuffix("/").removesuffix(".py").replace("/", ".") for p in paths}
        as_modules = {"asleep_nb" if m == "asleep_nb.__init__" else m for m in as_modules}
        assert as_modules == set(prefixes), name
