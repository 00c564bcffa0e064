"""The modules of mdmoe import one way: the import graph of mdmoe/*.py (every `import`, also the ones inside functions)
has no cycle, so each module can be read, tested and changed knowing only the modules below it."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / 'mdmoe'


def mdmoe_imports(path: Path) -> set[str]:
    "The mdmoe modules that the file at `path` imports anywhere (top level, functions, methods)."
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1: base = node.module  # from .x import y; from . import x
            elif node.level == 0 and node.module and node.module.split('.')[0] == 'mdmoe': base = node.module.partition('.')[2] or None
            else: continue
            if base: names.add(base.split('.')[0])
            else: names.update(a.name.split('.')[0] for a in node.names)  # from . import x / from mdmoe import x
        elif isinstance(node, ast.Import):
            names.update(a.name.split('.')[1] for a in node.names if a.name.startswith('mdmoe.'))
    return names


def import_graph() -> dict[str, set[str]]:
    "{module: the mdmoe modules it imports}, over the modules of mdmoe/ (the package's __init__ and _modidx left out)."
    mods = {p.stem: p for p in PKG.glob('*.py') if p.stem not in ('__init__', '_modidx')}
    return {m: {n for n in mdmoe_imports(p) if n in mods and n != m} for m, p in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    "One import cycle as [a, b, ..., a], or None (depth-first search with colours)."
    state, stack = {}, []

    def visit(m):
        state[m] = 'open'
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 'open': return stack[stack.index(n):] + [n]
            if n not in state and (cycle := visit(n)): return cycle
        stack.pop()
        state[m] = 'done'

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)): return cycle
    return None


def test_finder_sees_function_level_imports(tmp_path):
    (tmp_path / 'a.py').write_text("from .b import x\n")
    (tmp_path / 'b.py').write_text("def f():\n    from mdmoe.a import y\n    import mdmoe.c\n")
    assert mdmoe_imports(tmp_path / 'b.py') == {'a', 'c'}
    assert find_cycle({'a': {'b'}, 'b': {'a', 'c'}, 'c': set()}) == ['a', 'b', 'a']
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': set()}) is None


def test_no_import_cycle():
    graph = import_graph()
    assert {'train', 'pipeline', 'synth', 'config'} <= set(graph)  # the graph covers the package
    assert sum(map(len, graph.values())) > 20  # and sees its edges
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle {' -> '.join(cycle)}: move what the lower module needs below both"
