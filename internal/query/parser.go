package query

import (
	"errors"
	"fmt"
	"sync"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// parser splits SQL text into statements with DuckDB's parser, on a DuckDB instance of its
// own that holds nothing and may not touch files. Splitting only parses: nothing is bound or
// run. (Preparing a statement is not that safe: binding EXPORT DATABASE creates its
// directory, and duckdb-go's PrepareContext runs every statement but the last.)
type parser struct {
	mu   sync.Mutex
	db   mapping.Database
	conn mapping.Connection
}

func newParser() (*parser, error) {
	var cfg mapping.Config
	if mapping.CreateConfig(&cfg) == mapping.StateError {
		return nil, errors.New("query: parser: cannot create config")
	}
	defer mapping.DestroyConfig(&cfg)
	for k, v := range map[string]string{
		"autoinstall_known_extensions": "false",
		"autoload_known_extensions":    "false",
		"enable_external_access":       "false",
		"threads":                      "1",
	} {
		if mapping.SetConfig(cfg, k, v) == mapping.StateError {
			return nil, fmt.Errorf("query: parser: cannot set %s", k)
		}
	}
	p := &parser{}
	var msg string
	if mapping.OpenExt("", &p.db, cfg, &msg) == mapping.StateError {
		mapping.Close(&p.db)
		return nil, fmt.Errorf("query: parser: %s", msg)
	}
	if mapping.Connect(p.db, &p.conn) == mapping.StateError {
		mapping.Close(&p.db)
		return nil, errors.New("query: parser: cannot connect")
	}
	return p, nil
}

// count returns the number of statements in text, or DuckDB's syntax error.
func (p *parser) count(text string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var stmts mapping.ExtractedStatements
	n := mapping.ExtractStatements(p.conn, text, &stmts)
	defer mapping.DestroyExtracted(&stmts)
	if n == 0 {
		if msg := mapping.ExtractStatementsError(stmts); msg != "" {
			return 0, fmt.Errorf("query: %s", msg)
		}
	}
	return int(n), nil
}

func (p *parser) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	mapping.Disconnect(&p.conn)
	mapping.Close(&p.db)
}
