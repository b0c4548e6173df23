"""The firmware's architecture, checked from its source: no import cycles, drivers that
never import the meter, the package's tables (codes, LOADS) in a module that imports no
other firmware module, a Meter that
declares every field the rest of the firmware sets, no simulator code in the firmware."""

import ast

import pytest
from conftest import FIRMWARE_LIB

PACKAGE = FIRMWARE_LIB / "stsmeter"


def modules():
    """{dotted name: ast} of every firmware module."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(FIRMWARE_LIB).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = (ast.parse(path.read_text()), path.name == "__init__.py")
    return out


MODULES = modules()


def imports(name):
    """The firmware modules `name` imports, anywhere in it (functions included)."""
    tree, is_pkg = MODULES[name]
    package = name if is_pkg else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = mod + "." + alias.name
                if sub in MODULES:
                    found.add(sub)
                elif mod in MODULES:
                    found.add(mod)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    found.add(alias.name)
    found.discard(name)
    return found


def test_the_source_is_parsed():
    assert {"stsmeter", "stsmeter.meter", "stsmeter.sts.decoder", "stsmeter.jobs.acceptance",
            "stsmeter.drivers.keypad"} <= set(MODULES)
    assert "stsmeter.entry" in imports("stsmeter.meter")
    assert "stsmeter.jobs.results" in imports("stsmeter.jobs.acceptance")
    assert "stsmeter.jobs.key_change" in imports("stsmeter.jobs.acceptance")  # (in a function)


def test_no_import_cycles():
    graph = {name: imports(name) for name in MODULES}
    done, path = set(), []

    def visit(node):
        if node in path:
            cycle = path[path.index(node):] + [node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        path.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        path.pop()
        done.add(node)

    for name in sorted(graph):
        visit(name)


def test_drivers_never_import_the_meter():
    for name in MODULES:
        if name.startswith("stsmeter.drivers."):
            assert all(m.startswith("stsmeter.drivers.") for m in imports(name)), name


def test_the_codec_imports_only_itself_and_the_codes():
    for name in MODULES:
        if name.startswith("stsmeter.sts."):
            for m in imports(name):
                assert m.startswith("stsmeter.sts.") or m == "stsmeter", (name, m)


def test_the_package_tables_import_no_firmware_module():
    """stsmeter/__init__.py holds the codes and LOADS: any module may import it."""
    assert imports("stsmeter") == set()
    tree, _ = MODULES["stsmeter"]
    names = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
             if isinstance(t, ast.Name)}
    assert {"RESULTS", "REASONS", "TAMPERS", "EAS", "BASE_YEARS", "LOADS"} <= names


def _declared_fields():
    tree, _ = MODULES["stsmeter.meter"]
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Meter")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    fields = set()
    for node in ast.walk(init):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name) and node.value.id == "self":
            fields.add(node.attr)
    return fields


def test_the_meter_declares_every_field_the_firmware_sets():
    """Code loaded per entry sets fields of the meter (`m.x = ...`); each is declared in
    Meter.__init__, so the meter's state is readable in one place."""
    declared = _declared_fields()
    assert {"credit", "tids", "ea", "key", "kt", "krn", "ti", "ken", "sgc", "base_year",
            "kct", "sealed", "digest", "decoder"} <= declared
    for name in MODULES:
        if name == "stsmeter.meter":
            continue
        tree, _ = MODULES[name]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id == "m":
                assert node.attr in declared, "%s sets m.%s, not declared in Meter.__init__" \
                    % (name, node.attr)


def test_no_simulator_code_in_the_firmware():
    """The PC board's keys (load, fast time, tamper switch, quit) are its own hook
    (boards/sim_terminal.py): the firmware has no branch for the simulator."""
    for name in MODULES:
        tree, _ = MODULES[name]
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for const in [node.left, *node.comparators]:
                    if isinstance(const, ast.Constant):
                        assert const.value not in ("sim", "+", "-", "f", "!", "q"), (
                            name, node.lineno, const.value)
