package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Query runs sql, which must be one read-only statement: a SELECT (also WITH ... SELECT,
// FROM ..., VALUES, PIVOT/UNPIVOT), DESCRIBE, SUMMARIZE, SHOW, or EXPLAIN of a SELECT. Any
// other statement, and a text of several statements, is refused with a *RefusedError before
// anything runs. args are bound to the statement's parameters ($1, ?, or $name with
// sql.Named); they are never spliced into the text.
//
// At most the DB's row limit of rows is returned (see WithMaxRows), with Truncated set when
// there were more. Canceling ctx interrupts the query; the error then wraps ctx.Err().
func (d *DB) Query(ctx context.Context, sql string, args ...any) (*Result, error) {
	var res *Result
	err := d.raw(ctx, func(c *duckdb.Conn) error {
		st, limited, err := d.prepareReadOnly(ctx, c, sql)
		if err != nil {
			return err
		}
		defer st.Close()
		limit := d.maxRows
		if limited {
			limit = 0 // DuckDB stops at maxRows+1 itself; read them all to see whether there are more
		}
		res, err = runStmt(ctx, c, st, args, limit)
		if err == nil && limited && len(res.Rows) > d.maxRows {
			res.Rows, res.Truncated = res.Rows[:d.maxRows], true
		}
		return err
	})
	return res, err
}

// QueryTrusted runs sql, mcpwatch's own SQL, without the read-only check and the row limit of
// Query: it may hold several statements, and only the last one's rows are returned. It must
// never be given text from a user or an AI assistant; values go in args, which are bound.
// File access is restricted to the lake for it too.
func (d *DB) QueryTrusted(ctx context.Context, sql string, args ...any) (*Result, error) {
	var res *Result
	err := d.raw(ctx, func(c *duckdb.Conn) error {
		nargs, err := namedValues(c, args)
		if err != nil {
			return err
		}
		rows, err := c.QueryContext(ctx, sql, nargs)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		res, err = readRows(ctx, rows, 0)
		return err
	})
	return res, err
}

// raw runs fn on a DuckDB connection of the pool.
func (d *DB) raw(ctx context.Context, fn func(c *duckdb.Conn) error) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("query: unexpected driver connection %T", dc)
		}
		return fn(c)
	})
}

// runStmt runs a prepared statement with args and reads at most limit rows (0: all).
func runStmt(ctx context.Context, c *duckdb.Conn, st *duckdb.Stmt, args []any, limit int) (*Result, error) {
	nargs, err := namedValues(c, args)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, nargs)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return readRows(ctx, rows, limit)
}

// namedValues converts args as database/sql would: sql.Named gives a name, driver.Valuer
// and the types DuckDB's driver accepts pass through, others go through the default
// converter.
func namedValues(c *duckdb.Conn, args []any) ([]driver.NamedValue, error) {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv := driver.NamedValue{Ordinal: i + 1, Value: a}
		if na, ok := a.(sql.NamedArg); ok {
			nv.Name, nv.Value = na.Name, na.Value
		}
		switch err := c.CheckNamedValue(&nv); {
		case errors.Is(err, driver.ErrSkip):
			v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
			if err != nil {
				return nil, fmt.Errorf("query: argument %d: %w", i+1, err)
			}
			nv.Value = v
		case err != nil:
			return nil, fmt.Errorf("query: argument %d: %w", i+1, err)
		}
		out[i] = nv
	}
	return out, nil
}

// readRows reads rows into a Result, at most limit rows when limit > 0 (setting Truncated
// when there are more), and closes rows.
func readRows(ctx context.Context, rows driver.Rows, limit int) (res *Result, err error) {
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("query: %w", cerr)
		}
	}()
	names := rows.Columns()
	res = &Result{Columns: make([]Column, len(names)), Rows: [][]any{}}
	for i, n := range names {
		res.Columns[i].Name = n
		if tn, ok := rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
			res.Columns[i].Type = tn.ColumnTypeDatabaseTypeName(i)
		}
	}
	dest := make([]driver.Value, len(names))
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return res, nil
			}
			return nil, fmt.Errorf("query: %w", err)
		}
		if limit > 0 && len(res.Rows) == limit {
			res.Truncated = true
			return res, nil
		}
		row := make([]any, len(dest))
		for i, v := range dest {
			row[i] = convertColumn(v, res.Columns[i].Type)
		}
		res.Rows = append(res.Rows, row)
	}
}
