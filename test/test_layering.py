"""The package's layers, read from the source: imports run one way (README, Layout), no
class over 300 lines and no function over 80 lines outside the commands' ``main``."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fhmr_ros"
LOW = {"geometry", "body"}
# package -> the packages it may import (top-level modules such as cache_files: anyone)
ALLOWED = {
    "geometry": set(),
    "body": {"geometry"},
    "model": LOW,
    "perception": LOW,
    "visualization": LOW,
    "data": LOW | {"model"},
    "training": LOW | {"model", "data"},
    "streaming": LOW | {"model", "perception"},
    "export": LOW,
    "evaluation": LOW | {"model", "perception", "data", "streaming"},
    "ros": LOW | {"model", "perception", "visualization", "data", "streaming", "export"},
    "tools": None,                                                      # the commands: any
}
COMMAND_ENTRIES = {"main", "parse_args", "build_parser"}   # argument tables, not logic


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "msg":
            continue
        yield rel, ast.parse(path.read_text())


def _imported_packages(rel: Path, tree: ast.Module) -> set[str]:
    """First-level fhmr_ros packages a module imports (relative imports resolved)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel.parent.parts)[:len(rel.parent.parts) - node.level + 1]
                parts = base + (node.module.split(".") if node.module else [])
            elif (node.module or "").startswith("fhmr_ros."):
                parts = node.module.split(".")[1:]
            else:
                continue
            if parts:
                out.add(parts[0])
            else:                                   # from .. import cache_files
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names
                       if a.name.startswith("fhmr_ros."))
    return {p for p in out if (PACKAGE / p).is_dir() and p != "msg"}


def test_imports_run_one_way():
    assert set(ALLOWED) == {p.name for p in PACKAGE.iterdir()
                            if p.is_dir() and (p / "__init__.py").is_file()} - {"msg"}
    wrong = []
    for rel, tree in _modules():
        if len(rel.parts) == 1:
            continue                                # top-level helper modules
        package, allowed = rel.parts[0], ALLOWED[rel.parts[0]]
        if allowed is None:
            continue
        wrong += [f"{rel} imports {p}" for p in _imported_packages(rel, tree) - {package}
                  if p not in allowed]
    assert not wrong, wrong


def test_nothing_but_the_commands_imports_training():
    users = [str(rel) for rel, tree in _modules() if rel.parts[0] not in ("training", "tools")
             and "training" in _imported_packages(rel, tree)]
    assert not users, users


def test_classes_and_functions_stay_small():
    big = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            length = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, ast.ClassDef) and length > 300:
                big.append(f"{rel}: class {node.name} has {length} lines")
            elif (isinstance(node, ast.FunctionDef) and length > 80
                  and not (rel.parts[0] == "tools" and node.name in COMMAND_ENTRIES)):
                big.append(f"{rel}: {node.name}() has {length} lines")
    assert not big, big
