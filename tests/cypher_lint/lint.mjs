// Lints Cypher with Neo4j's own front end (@neo4j-cypher/language-support), as Neo4j 5 Cypher.
//
// stdin:  JSON [{"path": str, "text": str, "params": [str]}]
// stdout: JSON [{"path", "statements": int, "diagnostics": [{severity, message, line, character}]}]
//
// Only the declared params are defined, so an undeclared `$x` is reported. `line` and
// `character` are 1-based. `statements` counts statements with more than comments in them.
// Used by tests/test_cypher_lint.py; install with `npm ci --prefix tests/cypher_lint`.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, parseStatementsStrs } from '@neo4j-cypher/language-support';

/** Counts the statements of `text` that hold more than comments and whitespace. */
function countStatements(text) {
  const code = (s) =>
    s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '').replace(/[\s;]/g, '');
  return parseStatementsStrs(text).filter((s) => code(s) !== '').length;
}

/** Lints one file; any placeholder value declares a parameter (only the name matters). */
function lintOne({ path, text, params }) {
  const parameters = Object.fromEntries(params.map((name) => [name, 'x']));
  const { diagnostics } = lintCypherQuery(text, { parameters, defaultLanguage: 'CYPHER 5' });
  return {
    path,
    statements: countStatements(text),
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range.start.line + 1,
      character: d.range.start.character + 1,
    })),
  };
}

const files = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(files.map(lintOne)));
