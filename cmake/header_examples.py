#!/usr/bin/env python3
# header_examples.py: extracts the example from the top comment of each public header and writes
# one C++ file per layer that compiles them all (tests/<layer>/examples_test.cpp in the build
# tree), as tokio compiles its doc examples. A header whose example does not compile fails the
# build, and the compiler names the header and the line (the code carries #line directives).
#
# The convention (docs/contributing.md, "Writing an example"):
# - The top comment is the run of `//` lines that opens the header.
# - Code is indented by at least three spaces after `//` (`//   co_await sleep(10ms);`) and
#   follows a blank `//` line, as in Markdown; prose has one space. So the indented continuation
#   lines of a list item (right after the item) are prose, and so is an indented run whose first
#   line starts with `- ` or `* `. A blank `//` line between two code lines belongs to the code.
#   Every code run of a header is part of one example, in order, so later runs may use names
#   that earlier ones declared. Headers under detail/ are not checked (design notes).
# - A line at brace depth 0 that starts a declaration (`template`, `struct`, `class`,
#   `namespace`, `STRATA_MAIN(`, or a function definition `Type name(params) ... {`) opens a
#   declaration, which runs until its braces close; it is placed at namespace scope. Every other
#   line is a statement. The statements of a header form the body of one coroutine
#   (`Task<void>` if they contain `co_return;`, else a Task of a type any value converts to, so
#   that `co_return http::Response::text("hi")` compiles), placed after the declarations.
# - Each header's example lives in its own namespace, after the layer's prelude
#   (tests/headers/<layer>_prelude.hpp): it includes the layer's umbrella header, opens
#   `using namespace strata`, and declares the few helpers examples may call without defining
#   (`use(...)`, `fetch(n)`); the prelude of each layer says which. Headers listed with
#   --exclude (STRATA_EXAMPLES_EXCLUDED in tests/headers/headers.cmake) are skipped.
# - Examples are compiled, not linked or run. They use the project's warnings and -Werror,
#   minus the unused-* family: an example may show a value without using it.
#
# Usage: header_examples.py --out FILE --root SRC_DIR --prelude HEADER [--exclude H]... HEADERS...
import argparse
import os
import re
import sys

CODE = re.compile(r"^//( {3,})(\S.*?)\s*$")
BLANK = re.compile(r"^//\s*$")
DECL_START = re.compile(r"^(template\b|struct\b|class\b|namespace\b|STRATA_MAIN\(|BOOST_DESCRIBE_\w+\()")
# A declaration macro on one line (`BOOST_DESCRIBE_STRUCT(T, (), (a, b))`): ends with its `)`.
MACRO_DECL = re.compile(r"^BOOST_DESCRIBE_\w+\(.*\)$")
CONTROL = re.compile(r"^(if|for|while|switch|return|co_return|co_await|co_yield|else|do|case)\b")
# `Type name(params) [const] [noexcept] [-> R] {`: a type and a (qualified) name, no `.`/`=`.
FUNC_DEF = re.compile(r"^[A-Za-z_][\w:<>,\s*&]*[\s*&>]\s*~?[A-Za-z_][\w:]*\s*\(.*\)\s*"
                      r"(const\s*)?(noexcept\s*)?(->\s*[^{;=]+)?\{")


def strip_literals(line):
    """The line without comments, string and character literals, for brace counting."""
    line = re.sub(r'R"([^(]*)\((.*?)\)\1"', '""', line)
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split("//", 1)[0]


def top_comment(lines):
    out = []
    for line in lines:
        if not line.startswith("//"):
            break
        out.append(line.rstrip("\n"))
    return out


def code_runs(comment):
    """[(first line number, [code lines])]: the indented runs of the top comment that are code."""
    runs, cur, start, pending_blank = [], [], 0, 0
    for i, line in enumerate(comment, 1):
        m = CODE.match(line)
        if m and (cur or (i > 1 and BLANK.match(comment[i - 2]))):
            if not cur:
                start = i
            cur.extend([""] * pending_blank)
            pending_blank = 0
            cur.append(m.group(1)[3:] + m.group(2))
        elif BLANK.match(line) and cur:
            pending_blank += 1
        else:
            if cur:
                runs.append((start, cur))
            cur, pending_blank = [], 0
    if cur:
        runs.append((start, cur))
    return [(s, r) for s, r in runs if not re.match(r"^\s*[-*] ", r[0])]


def split_scopes(runs):
    """Splits code lines into declarations and statements: two lists of (line number, text)."""
    decls, stmts = [], []
    for start, lines in runs:
        depth, in_decl = 0, False
        for offset, text in enumerate(lines):
            number = start + offset
            stripped = text.strip()
            if not stripped:
                if in_decl:
                    decls.append((number, text))
                continue
            if depth == 0 and not in_decl:
                in_decl = bool(DECL_START.match(stripped)) or (
                    bool(FUNC_DEF.match(stripped)) and not CONTROL.match(stripped))
            (decls if in_decl else stmts).append((number, text))
            code = strip_literals(text)
            depth += code.count("{") - code.count("}")
            if depth < 0:
                depth = 0
            if in_decl and depth == 0 and (code.rstrip().endswith(("}", ";", "}\\")) or
                                           MACRO_DECL.match(stripped)):
                in_decl = False
    return decls, stmts


class Writer:
    def __init__(self, path):
        self.path = path
        self.lines = []

    def gen(self, text=""):
        """A line of the generator's own code, attributed to the generated file."""
        if self.lines and self.lines[-1][0] is not None:
            self.lines.append((None, "#line %d \"%s\"" % (len(self.lines) + 2, self.path)))
        self.lines.append((None, text))

    def src(self, header, number, text, prev):
        if prev != (header, number - 1):
            self.lines.append((header, "#line %d \"%s\"" % (number, header)))
        self.lines.append((header, text))

    def text(self):
        return "\n".join(t for _, t in self.lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--prelude", required=True)
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("headers", nargs="+")
    args = ap.parse_args()

    out = Writer(os.path.abspath(args.out))
    out.gen("// Generated by cmake/header_examples.py from the top comments of the headers below.")
    out.gen("// Do not edit: edit the header's example (docs/contributing.md, \"Header checks\").")
    out.gen("#include \"%s\"" % os.path.abspath(args.prelude))
    out.gen("")
    covered, skipped = [], []
    for n, path in enumerate(sorted(args.headers)):
        rel = os.path.relpath(path, args.root)
        if rel in args.exclude:
            skipped.append(rel)
            continue
        with open(path, encoding="utf-8") as f:
            decls, stmts = split_scopes(code_runs(top_comment(f.readlines())))
        if not decls and not stmts:
            continue
        covered.append(rel)
        out.gen("// %s" % rel)
        out.gen("namespace strata_example_%d {" % n)
        out.gen("using namespace strata_examples;")
        prev = None
        for number, text in decls:
            out.src(rel, number, text, prev)
            prev = (rel, number)
        if stmts:
            returns_void = any(re.search(r"\bco_return\s*;", t) for _, t in stmts)
            out.gen("[[maybe_unused]] Task<%s> statements() {"
                    % ("void" if returns_void else "strata_examples::AnyValue"))
            prev = None
            for number, text in stmts:
                out.src(rel, number, "  " + text, prev)
                prev = (rel, number)
            out.gen("  co_return%s;" % ("" if returns_void else " {}"))
            out.gen("}")
        out.gen("}  // namespace strata_example_%d" % n)
        out.gen("")
    out.gen("// Covered: %s" % (", ".join(covered) or "none"))
    out.gen("// Excluded (STRATA_EXAMPLES_EXCLUDED): %s" % (", ".join(skipped) or "none"))
    text = out.text()
    try:
        with open(args.out, encoding="utf-8") as f:
            if f.read() == text:
                return 0
    except FileNotFoundError:
        pass
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
