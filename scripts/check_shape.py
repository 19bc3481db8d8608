#!/usr/bin/env python3
"""Checks the shape of exporter/ that README's "Architecture" promises.

- no source file over 400 lines;
- no function body over 50 lines (a brace-matching reading of C++: a body
  is a `{ ... }` at namespace or class level that follows a `)`, a
  `) const`, `) override` or an initializer list);
- the folder-level include graph has no cycle.

Prints each finding and exits 1 when there is one. Run by ctest
(code_shape) and by hand: python3 scripts/check_shape.py [ROOT]
"""
import pathlib
import re
import sys

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 50
INCLUDE = re.compile(r'^\s*#include "exporter/([a-z_]+)/')


def strip_code(text):
    """The text with comments, strings and char literals blanked out, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not text[i - 1].isalnum()):
            open_paren = text.find("(", i)
            delimiter = text[i + 2:open_paren]
            j = text.find(")" + delimiter + '"', open_paren)
            j = n if j < 0 else j + len(delimiter) + 2
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 60'000
            out.append(c)
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path):
    """(line, length) of every function body longer than MAX_FUNCTION_LINES."""
    code = strip_code(path.read_text())
    found, stack = [], []  # stack: (is_function_body, start_line)
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            before = code[:i].rstrip()
            enclosing_is_function = any(is_fn for is_fn, _ in stack)
            opens_body = re.search(r"(\)|\bconst|\boverride|\bnoexcept|\bfinal|\)\s*->\s*[\w:<>, ]+)$", before) is not None
            stack.append((opens_body and not enclosing_is_function, line))
        elif c == "}" and stack:
            is_function, start = stack.pop()
            if is_function and line - start - 1 > MAX_FUNCTION_LINES:
                found.append((start, line - start - 1))
    return found


def include_cycle(edges):
    """A folder cycle as a list, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
            if nxt not in state:
                cycle = visit(nxt, trail + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    problems, edges = [], {}
    for path in sorted((root / "exporter").rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        relative = path.relative_to(root)
        lines = path.read_text().count("\n")
        if lines > MAX_FILE_LINES:
            problems.append(f"{relative}: {lines} lines (at most {MAX_FILE_LINES})")
        for start, length in long_functions(path):
            problems.append(f"{relative}:{start}: a function of {length} lines (at most {MAX_FUNCTION_LINES})")
        folder = relative.parts[1] if len(relative.parts) > 2 else None
        for text_line in path.read_text().splitlines():
            match = INCLUDE.match(text_line)
            if folder and match and match.group(1) != folder:
                edges.setdefault(folder, set()).add(match.group(1))
    cycle = include_cycle(edges)
    if cycle:
        problems.append("folders include each other: " + " -> ".join(cycle))
    for problem in problems:
        print(problem)
    print(f"code shape: {len(problems)} problem(s); folders: " +
          "; ".join(f"{k} -> {', '.join(sorted(v))}" for k, v in sorted(edges.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
