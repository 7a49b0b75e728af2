package query

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ErrNotReadOnly is wrapped by the error of every statement that Query refuses to run.
var ErrNotReadOnly = errors.New("only read-only queries are allowed")

// ErrEmptyQuery is the error of a query without any statement.
var ErrEmptyQuery = errors.New("query: empty query")

// multipleStatements is RefusedError.Statement for a text holding more than one statement.
const multipleStatements = "multiple statements"

// RefusedError is the error of a statement that Query refuses to run because it is not a
// read-only query. It wraps ErrNotReadOnly.
type RefusedError struct {
	// Statement names what was refused: a statement type such as "INSERT", "COPY" or
	// "PRAGMA", or "multiple statements".
	Statement string
}

// Error tells what was refused and what is allowed.
func (e *RefusedError) Error() string {
	if e.Statement == multipleStatements {
		return "query refused: multiple statements are not allowed, send one query at a time"
	}
	return "query refused: " + e.Statement + " statements are not allowed; only read-only queries " +
		"(SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN SELECT) can run"
}

// Unwrap returns ErrNotReadOnly.
func (e *RefusedError) Unwrap() error { return ErrNotReadOnly }

// parsed is what DuckDB's json_serialize_sql reports about a text: the statements when all
// of them are SELECT statements, or an error.
type parsed struct {
	Error        bool              `json:"error"`
	ErrorType    string            `json:"error_type"`
	ErrorMessage string            `json:"error_message"`
	Statements   []json.RawMessage `json:"statements"`
}

// parseSQL runs DuckDB's parser on text, without binding or running it. json_serialize_sql
// parses as written (before PRAGMA and the like are rewritten into queries) and serializes
// only SELECT statements: it fails with error_type "not implemented" when any statement is
// of another kind, and "parser" on a syntax error.
func parseSQL(ctx context.Context, c *duckdb.Conn, text string) (parsed, error) {
	var p parsed
	rows, err := c.QueryContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR",
		[]driver.NamedValue{{Ordinal: 1, Value: text}})
	if err != nil {
		return p, fmt.Errorf("query: parse: %w", err)
	}
	defer rows.Close()
	s, err := readOneString(rows)
	if err != nil {
		return p, fmt.Errorf("query: parse: %w", err)
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("query: parse: %w", err)
	}
	return p, nil
}

// prepareReadOnly prepares text if it is exactly one read-only statement, and refuses it
// otherwise. The decision is DuckDB's parser's: it splits the text into statements, and
// json_serialize_sql tells whether the statement is a SELECT as written (before a PRAGMA is
// rewritten into a query). A statement that is not a SELECT is refused without being
// prepared, since binding some statements already has effects; a SELECT is prepared and
// its type checked once more.
//
// When the DB has a row limit, a SELECT is prepared inside "SELECT * FROM (...) LIMIT n" so
// that DuckDB stops after n rows instead of materializing them all; limited reports it. A
// text that does not survive the wrapping is prepared as written and cut while reading.
func (d *DB) prepareReadOnly(ctx context.Context, c *duckdb.Conn, text string) (st *duckdb.Stmt, limited bool, err error) {
	n, err := d.parser.count(text)
	switch {
	case err != nil:
		return nil, false, err
	case n == 0:
		return nil, false, ErrEmptyQuery
	case n > 1:
		return nil, false, &RefusedError{Statement: multipleStatements}
	}
	p, err := parseSQL(ctx, c, text)
	if err != nil {
		return nil, false, err
	}
	if p.Error || len(p.Statements) != 1 {
		st, err := prepareExplain(ctx, c, text)
		return st, false, err
	}
	if d.maxRows > 0 {
		if st, err := prepareSelect(c, limitSQL(text, d.maxRows+1)); err == nil {
			return st, true, nil
		}
	}
	st, err = prepareSelect(c, text)
	return st, false, err
}

// prepareSelect prepares text, which must be one SELECT statement.
func prepareSelect(c *duckdb.Conn, text string) (*duckdb.Stmt, error) {
	ds, err := c.Prepare(text)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	st := ds.(*duckdb.Stmt)
	if typ, err := st.StatementType(); err != nil || typ != duckdb.STATEMENT_TYPE_SELECT {
		st.Close()
		return nil, &RefusedError{Statement: statementName(text)}
	}
	return st, nil
}

// prepareExplain prepares text, one statement that is not a SELECT, if it is an EXPLAIN of a
// SELECT, and refuses it otherwise.
func prepareExplain(ctx context.Context, c *duckdb.Conn, text string) (*duckdb.Stmt, error) {
	target, ok := explainTarget(text)
	if !ok {
		return nil, &RefusedError{Statement: statementName(text)}
	}
	if p, err := parseSQL(ctx, c, target); err != nil || p.Error || len(p.Statements) != 1 {
		return nil, &RefusedError{Statement: "EXPLAIN " + statementName(target)}
	}
	ds, err := c.Prepare(text)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	st := ds.(*duckdb.Stmt)
	if typ, err := st.StatementType(); err != nil || typ != duckdb.STATEMENT_TYPE_EXPLAIN {
		st.Close()
		return nil, &RefusedError{Statement: statementName(text)}
	}
	return st, nil
}

// limitSQL wraps the single SELECT statement text so that it returns at most n rows. A
// trailing semicolon is dropped, and the text ends on its own line so that a trailing line
// comment does not swallow the closing parenthesis.
func limitSQL(text string, n int) string {
	body := strings.TrimRightFunc(text, func(r rune) bool { return r == ';' || unicode.IsSpace(r) })
	return "SELECT * FROM (\n" + body + "\n) LIMIT " + strconv.Itoa(n)
}

// statementName names a refused statement for people by its leading keyword as written:
// INSERT, COPY, PRAGMA, INSTALL, ... A statement starting like a query (a WITH before an
// INSERT) is "non-SELECT".
func statementName(text string) string {
	kw, rest := leadingWord(text)
	switch kw {
	case "", "WITH", "SELECT", "FROM", "VALUES", "TABLE":
		return "non-SELECT"
	case "FORCE":
		if next, _ := leadingWord(rest); next != "" {
			return kw + " " + next
		}
	}
	return kw
}

// explainTarget returns the statement an EXPLAIN statement explains: text without its
// leading EXPLAIN, ANALYZE and parenthesized options. ok is false when text does not start
// that way.
func explainTarget(text string) (target string, ok bool) {
	kw, rest := leadingWord(text)
	if kw != "EXPLAIN" {
		return "", false
	}
	if kw, r := leadingWord(rest); kw == "ANALYZE" || kw == "ANALYSE" {
		rest = r
	}
	rest = skipSpace(rest)
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return "", false
		}
		rest = rest[end+1:]
	}
	return rest, true
}

// leadingWord returns the first word of text in upper case, skipping spaces, comments and
// opening parentheses before it, and the text after it.
func leadingWord(text string) (word, rest string) {
	s := skipSpace(text)
	for strings.HasPrefix(s, "(") {
		s = skipSpace(s[1:])
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !(r == '_' || unicode.IsLetter(r)) })
	if i < 0 {
		i = len(s)
	}
	return strings.ToUpper(s[:i]), s[i:]
}

// skipSpace returns s without its leading white space and comments.
func skipSpace(s string) string {
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}

// readOneString reads the string in the first column of the first row of rows.
func readOneString(rows driver.Rows) (string, error) {
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no row")
		}
		return "", err
	}
	s, ok := dest[0].(string)
	if !ok {
		return "", fmt.Errorf("got %T, want a string", dest[0])
	}
	return s, nil
}
