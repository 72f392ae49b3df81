"""What the import-linter contracts do not say: no import circles between any two modules, no module importing
another package's private (`_x`) module, and at most 12 modules at advisor/'s top level."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

TOP_LEVEL_MAX = 12


def circles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Every import a -> b for which b leads back to a, as the modules of that loop."""
    found = set()
    for a in graph.modules:
        for b in graph.find_modules_directly_imported_by(a):
            back = graph.find_shortest_chain(importer=b, imported=a)
            if back:
                found.add(tuple(sorted({a, *back})))
    return sorted(found)


def private_imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """(importer, imported) where imported is private to a package the importer is not inside."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            parts = imported.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(parts[:i])
                    if not (importer == owner or importer.startswith(owner + ".")):
                        found.append((importer, imported))
                    break
    return found


def main() -> int:
    graph = grimp.build_graph("advisor", "evals", "trainers")
    problems = [f"import circle: {' <-> '.join(c)}" for c in circles(graph)]
    problems += [f"{a} imports {b}, private to another package" for a, b in private_imports(graph)]
    top = sorted(p.name for p in Path("advisor").glob("*.py"))
    if len(top) > TOP_LEVEL_MAX:
        problems.append(f"advisor/ has {len(top)} modules at its top level (at most {TOP_LEVEL_MAX}): {', '.join(top)}")
    for problem in problems:
        print(problem)
    print(f"imports: {len(problems)} problems ({len(graph.modules)} modules)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
