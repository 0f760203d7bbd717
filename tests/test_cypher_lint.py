"""Every ``cypher/**/*.cypher`` file is valid Neo4j 5 Cypher: the suite's proof of compatibility.

Statements are linted as the store runs them: with their ``{{ part(var) }}`` includes expanded
(``cypher/parts/`` holds fragments, linted inside the statements that include them). The
benchmarks' own statements (``benchmarks/cypher/``) are linted the same way.

Each file is checked by Neo4j's own Cypher front end (``@neo4j-cypher/language-support``, run
by ``tests/cypher_lint/lint.mjs`` under node) with exactly the parameters its ``// params:``
header declares, and must produce no diagnostic at all (errors and deprecation warnings alike).
On top of that the header must list exactly the ``$params`` the text uses, so the store's
call-time check (callers pass exactly the declared params) agrees with the statement itself.
Broken fixtures prove the linter and these checks can fail.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graphmem.store.queries import include_parts, load

ROOT = Path(__file__).resolve().parent.parent
CYPHER_DIR = ROOT / "cypher"
BENCH_CYPHER_DIR = ROOT / "benchmarks" / "cypher"
PARTS_DIR = CYPHER_DIR / "parts"
LINT_DIR = ROOT / "tests" / "cypher_lint"
FIXTURES = ROOT / "tests" / "fixtures"
BROKEN_DIR = FIXTURES / "cypher_broken"
OK_DIR = FIXTURES / "cypher_ok"

# A file in cypher_broken/ that the linter itself must reject (not only our header checks).
LINTER_MUST_REJECT = ("undefined_variable", "syntax_error", "undeclared_param")

_PARAMS_LINE = re.compile(r"^//\s*params:(.*)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# String literals, backticked names and comments: where a `$` is not a parameter.
_NOT_CODE = re.compile(
    r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""", re.DOTALL
)
_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# A leading `CYPHER 25` would make Neo4j (and the linter) use another language version.
_VERSION_PREFIX = re.compile(r"^\s*CYPHER\s+\d", re.IGNORECASE)


@dataclass
class Checked:
    """One .cypher file: what its header declares, and everything wrong with it."""

    path: Path
    declared: list[str] | None  # None: the file has no usable `// params:` line
    problems: list[str] = field(default_factory=list)  # header / parameter / shape problems
    diagnostics: list[str] = field(default_factory=list)  # from Neo4j's front end

    def failures(self) -> list[str]:
        """Every problem as one `path: message` line each, for an assertion message."""
        rel = self.path.relative_to(ROOT)
        return [f"{rel}: {p}" for p in self.problems] + [f"{rel}:{d}" for d in self.diagnostics]


def parse_header(text: str) -> tuple[list[str] | None, list[str]]:
    """The params declared in the leading comment block, or None, plus any header problems."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("//"):
            break
        lines.append(stripped)
    found = [m.group(1).strip() for m in map(_PARAMS_LINE.match, lines) if m]
    if not found:
        return None, ["no `// params:` line in the leading comment (write `// params: none`)"]
    if len(found) > 1:
        return None, [f"{len(found)} `// params:` lines; write exactly one"]
    if found[0] == "none":
        return [], []
    names = [n.strip() for n in found[0].split(",")]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        return None, [f"bad `// params:` entries {bad}: comma-separated names, or `none`"]
    dupes = sorted({n for n in names if names.count(n) > 1})
    return names, [f"params declared twice: {dupes}"] if dupes else []


def used_params(text: str) -> set[str]:
    """The `$name` parameters the statement uses, ignoring comments and string literals."""
    return set(_PARAM_USE.findall(_NOT_CODE.sub(" ", text)))


def check_text(path: Path, text: str) -> Checked:
    """The checks done in Python (header, declared == used, no version prefix)."""
    declared, problems = parse_header(text)
    checked = Checked(path, declared, problems)
    if declared is not None:
        used = used_params(text)
        if unused := sorted(set(declared) - used):
            problems.append(f"params declared but not used: {unused}")
        if undeclared := sorted(used - set(declared)):
            problems.append(f"params used but not declared: {undeclared}")
    if _VERSION_PREFIX.match(_NOT_CODE.sub(" ", text)):
        problems.append("starts with a CYPHER version prefix; files must be plain Neo4j 5 Cypher")
    return checked


def require_linter() -> str:
    """The node executable; fails (never skips) the test when the lint tool is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not on PATH; the Cypher lint needs Node.js. Run `make test`.")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.fail(
            f"{LINT_DIR.relative_to(ROOT)}/node_modules is missing; run `make test` "
            "(it runs `npm ci --prefix tests/cypher_lint`)."
        )
    return node


def lint(paths: tuple[Path, ...]) -> dict[Path, Checked]:
    """Checks every file, running Neo4j's front end once over all of them."""
    node = require_linter()
    texts = {p: include_parts(p.read_text(encoding="utf-8"), PARTS_DIR) for p in paths}
    checked = {p: check_text(p, text) for p, text in texts.items()}
    request = [
        {"path": str(p), "text": texts[p], "params": c.declared or []} for p, c in checked.items()
    ]
    proc = subprocess.run(
        [node, str(LINT_DIR / "lint.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"lint.mjs failed (exit {proc.returncode}):\n{proc.stderr}")
    for result in json.loads(proc.stdout):
        c = checked[Path(result["path"])]
        if result["statements"] == 0:
            c.problems.append("holds no statement")
        c.diagnostics += [
            f"{d['line']}:{d['character']}: {'error' if d['severity'] == 1 else 'warning'}: "
            f"{d['message']}"
            for d in result["diagnostics"]
        ]
    return checked


@functools.lru_cache(maxsize=1)
def lint_all() -> dict[Path, Checked]:
    """The project's files and the fixtures, linted in one node run shared by the tests."""
    statements = [p for p in CYPHER_DIR.rglob("*.cypher") if not p.is_relative_to(PARTS_DIR)]
    paths = [
        *statements,
        *BENCH_CYPHER_DIR.rglob("*.cypher"),
        *BROKEN_DIR.glob("*.cypher"),
        *OK_DIR.glob("*.cypher"),
    ]
    return lint(tuple(sorted(paths)))


def test_every_cypher_file_is_valid_neo4j5() -> None:
    """Every cypher/**/*.cypher file has a correct header and zero linter diagnostics."""
    project = {
        p: c
        for p, c in lint_all().items()
        if p.is_relative_to(CYPHER_DIR) or p.is_relative_to(BENCH_CYPHER_DIR)
    }
    assert project, f"no .cypher files found under {CYPHER_DIR}"
    failures = [line for c in project.values() for line in c.failures()]
    assert not failures, "Cypher lint failures:\n" + "\n".join(failures)


def test_linter_rejects_broken_fixtures() -> None:
    """The harness can fail: each broken fixture is caught, and the known-good one is clean."""
    results = lint_all()
    broken = {p.stem: results[p] for p in results if p.parent == BROKEN_DIR}
    assert set(LINTER_MUST_REJECT) <= set(broken), f"missing fixtures in {BROKEN_DIR}"
    for name in LINTER_MUST_REJECT:
        assert broken[name].diagnostics, f"the linter accepted broken fixture {name}.cypher"
    passed = [name for name, c in broken.items() if not c.failures()]
    assert not passed, f"broken fixtures that passed every check: {passed}"

    ok = results[OK_DIR / "ok.cypher"]
    assert not ok.failures(), "\n".join(ok.failures())


def test_header_and_param_checks() -> None:
    """The Python-side checks: params line required, declared params == used params."""
    assert parse_header("// does x\nRETURN 1")[0] is None
    assert parse_header("// does x\n// params: none\nRETURN 1") == ([], [])
    assert parse_header("// params: a, b\nRETURN $a, $b") == (["a", "b"], [])
    assert used_params("// $no\nRETURN $a, '$no', \"$no\", $b /* $no */") == {"a", "b"}
    unused = check_text(Path("x.cypher"), "// params: a, b\nRETURN $a")
    assert unused.problems == ["params declared but not used: ['b']"]
    prefixed = check_text(Path("x.cypher"), "// params: none\nCYPHER 25 RETURN 1")
    assert prefixed.problems and "version prefix" in prefixed.problems[0]


def test_engine_variants_declare_the_base_statements_params() -> None:
    """An engine variant (cypher/<engine>/<name>.cypher beside a cypher/<name>.cypher) takes
    exactly the parameters of the statement it replaces, so callers never name an engine."""
    variants = [
        p
        for folder in (CYPHER_DIR, BENCH_CYPHER_DIR)
        for p in (folder / "arcadedb").glob("*.cypher")
        if (folder / p.name).is_file()
    ]
    assert any(p.stem == "entity_create" for p in variants)
    for path in variants:
        base = path.parent.parent / path.name
        name = path.stem if base.parent == CYPHER_DIR else str(base)
        assert load(name, "arcadedb").text == include_parts(path.read_text("utf-8"), PARTS_DIR)
        assert load(name, "arcadedb").params == load(name).params
        assert load(name, "neo4j").text == load(name).text


def test_every_included_part_exists_and_is_used() -> None:
    """Each fragment in cypher/parts/ is included somewhere, and no statement still holds an
    unexpanded include after loading."""
    texts = [p.read_text("utf-8") for p in CYPHER_DIR.rglob("*.cypher")]
    for part in PARTS_DIR.glob("*.cypher"):
        assert any("{{ " + part.stem + "(" in t for t in texts), f"{part.name} is unused"
    for path in CYPHER_DIR.rglob("*.cypher"):
        if not path.is_relative_to(PARTS_DIR):
            assert "{{" not in include_parts(path.read_text("utf-8"), PARTS_DIR), path
