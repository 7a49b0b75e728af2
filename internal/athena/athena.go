// Package athena queries Amazon Security Lake through Amazon Athena and reads its catalog in
// AWS Glue, with the AWS SDK for Go v2.
//
// Queries take their values as Athena execution parameters: the SQL text holds a ? for each
// value and the values travel beside it as SQL literals that this package quotes itself
// (StringLiteral, IntLiteral), so no value is ever spliced into the text. A query is polled
// until it ends; when the timeout passes or the caller gives up, StopQueryExecution cancels
// it so that it stops scanning (and billing). Results are read page by page up to a row
// limit, and every result carries the query execution id and the bytes Athena scanned.
package athena

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkathena "github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultCatalog is the data catalog Security Lake's Glue databases live in.
const DefaultCatalog = "AwsDataCatalog"

// ErrTimeout is wrapped by the error of a query that did not finish within the timeout (it
// was stopped).
var ErrTimeout = errors.New("query timed out")

// Options configures a Client.
type Options struct {
	// Workgroup is the Athena workgroup queries run in ("primary" by default).
	Workgroup string
	// OutputLocation is the s3:// location of query results; empty uses the workgroup's.
	OutputLocation string
	// Catalog is the data catalog (DefaultCatalog by default).
	Catalog string
	// Timeout bounds each query, from start to last result page (300 s by default).
	Timeout time.Duration
	// PollInterval is the first wait between status checks (100 ms by default); it doubles
	// up to 2 s.
	PollInterval time.Duration
	// PageSize is how many rows each GetQueryResults call asks for (1000, the maximum, by
	// default).
	PageSize int32
	// Logger receives debug logs of query lifecycles (slog.Default by default).
	Logger *slog.Logger
}

// Client runs queries on Athena and reads the Glue catalog. It is safe for concurrent use.
type Client struct {
	athena *sdkathena.Client
	glue   *glue.Client
	s3     *s3.Client
	sts    *sts.Client
	opts   Options
}

// New returns a client using cfg (region, credentials, and BaseEndpoint when set) for
// Athena, Glue, S3 and STS.
func New(cfg aws.Config, opts Options) *Client {
	if opts.Workgroup == "" {
		opts.Workgroup = "primary"
	}
	if opts.Catalog == "" {
		opts.Catalog = DefaultCatalog
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 300 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.PageSize <= 0 || opts.PageSize > 1000 {
		opts.PageSize = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Client{
		athena: sdkathena.NewFromConfig(cfg),
		glue:   glue.NewFromConfig(cfg),
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		sts:    sts.NewFromConfig(cfg),
		opts:   opts,
	}
}

// Options returns the client's options, defaults applied.
func (c *Client) Options() Options { return c.opts }

// StringLiteral quotes s as an SQL string literal for an execution parameter: single quotes
// around it, and each single quote doubled (Trino, which Athena runs, has no backslash
// escapes).
func StringLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// IntLiteral writes n as an SQL integer literal for an execution parameter.
func IntLiteral(n int64) string { return strconv.FormatInt(n, 10) }

// Column is a result or table column and its type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is the outcome of a query.
type Result struct {
	// Columns are the result's columns with Athena's type names (varchar, bigint, ...).
	Columns []Column
	// Rows hold one value per column: int64 for integer types, float64 for floating and
	// decimal types, bool for boolean, string for everything else, nil for NULL.
	Rows [][]any
	// Truncated reports that the query had more rows than the limit asked for.
	Truncated bool
	// QueryID is the query execution id.
	QueryID string
	// BytesScanned is the data Athena scanned (what it bills).
	BytesScanned int64
	// EngineMillis is the time the engine spent on the query.
	EngineMillis int64
}

// Query runs sql in database with params as its execution parameters (already literals:
// see StringLiteral and IntLiteral) and returns at most maxRows rows (0: all). It waits for
// the query within the client's timeout and stops it on timeout or when ctx ends.
func (c *Client) Query(ctx context.Context, database, sql string, params []string, maxRows int) (*Result, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.Timeout, ErrTimeout)
	defer cancel()
	in := &sdkathena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		QueryExecutionContext: &athenatypes.QueryExecutionContext{Catalog: aws.String(c.opts.Catalog)},
		WorkGroup:             aws.String(c.opts.Workgroup),
	}
	if database != "" {
		in.QueryExecutionContext.Database = aws.String(database)
	}
	if len(params) > 0 {
		in.ExecutionParameters = params
	}
	if c.opts.OutputLocation != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(c.opts.OutputLocation)}
	}
	out, err := c.athena.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("athena: start query: %w", contextErr(ctx, err))
	}
	id := aws.ToString(out.QueryExecutionId)
	c.opts.Logger.Debug("athena query started", "query_id", id, "workgroup", c.opts.Workgroup)
	res := &Result{QueryID: id}
	if err := c.wait(ctx, id, res); err != nil {
		return res, err
	}
	if err := c.results(ctx, id, maxRows, res); err != nil {
		return res, err
	}
	return res, nil
}

// wait polls the query until it ends, and stops it if ctx ends first.
func (c *Client) wait(ctx context.Context, id string, res *Result) error {
	delay := c.opts.PollInterval
	for {
		out, err := c.athena.GetQueryExecution(ctx, &sdkathena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				return c.stop(ctx, id)
			}
			return fmt.Errorf("athena: query %s: status: %w", id, err)
		}
		qe := out.QueryExecution
		if st := qe.Statistics; st != nil {
			res.BytesScanned = aws.ToInt64(st.DataScannedInBytes)
			res.EngineMillis = aws.ToInt64(st.EngineExecutionTimeInMillis)
		}
		var state athenatypes.QueryExecutionState
		var reason string
		if qe.Status != nil {
			state = qe.Status.State
			reason = aws.ToString(qe.Status.StateChangeReason)
		}
		switch state {
		case athenatypes.QueryExecutionStateSucceeded:
			return nil
		case athenatypes.QueryExecutionStateFailed:
			return fmt.Errorf("athena: query %s failed: %s", id, reason)
		case athenatypes.QueryExecutionStateCancelled:
			return fmt.Errorf("athena: query %s was cancelled: %s", id, reason)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.stop(ctx, id)
		case <-t.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// stop asks Athena to cancel a query whose caller gave up, and returns why it gave up.
func (c *Client) stop(ctx context.Context, id string) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := c.athena.StopQueryExecution(sctx, &sdkathena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		c.opts.Logger.Warn("athena: could not stop query", "query_id", id, "err", err)
	} else {
		c.opts.Logger.Debug("athena query stopped", "query_id", id)
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrTimeout) {
		return fmt.Errorf("athena: query %s did not finish within %s and was stopped: %w", id, c.opts.Timeout, ErrTimeout)
	}
	return fmt.Errorf("athena: query %s stopped: %w", id, cause)
}

// results reads the result pages of a finished query, up to maxRows rows (0: all).
func (c *Client) results(ctx context.Context, id string, maxRows int, res *Result) error {
	var token *string
	first := true
	for {
		out, err := c.athena.GetQueryResults(ctx, &sdkathena.GetQueryResultsInput{
			QueryExecutionId: aws.String(id),
			MaxResults:       aws.Int32(c.opts.PageSize),
			NextToken:        token,
		})
		if err != nil {
			if ctx.Err() != nil {
				return c.stop(ctx, id)
			}
			return fmt.Errorf("athena: query %s: results: %w", id, err)
		}
		rows := out.ResultSet.Rows
		if first {
			if md := out.ResultSet.ResultSetMetadata; md != nil {
				for _, ci := range md.ColumnInfo {
					res.Columns = append(res.Columns, Column{Name: aws.ToString(ci.Name), Type: aws.ToString(ci.Type)})
				}
			}
			// The first page of a SELECT starts with a row of column names.
			if len(rows) > 0 && isHeader(rows[0], res.Columns) {
				rows = rows[1:]
			}
			first = false
		}
		for _, r := range rows {
			if maxRows > 0 && len(res.Rows) == maxRows {
				res.Truncated = true
				return nil
			}
			res.Rows = append(res.Rows, convertRow(r, res.Columns))
		}
		token = out.NextToken
		if token == nil || aws.ToString(token) == "" {
			return nil
		}
	}
}

func isHeader(r athenatypes.Row, cols []Column) bool {
	if len(r.Data) != len(cols) || len(cols) == 0 {
		return false
	}
	for i, d := range r.Data {
		if aws.ToString(d.VarCharValue) != cols[i].Name {
			return false
		}
	}
	return true
}

func convertRow(r athenatypes.Row, cols []Column) []any {
	row := make([]any, len(cols))
	for i := range cols {
		if i >= len(r.Data) || r.Data[i].VarCharValue == nil {
			continue
		}
		row[i] = convertValue(*r.Data[i].VarCharValue, cols[i].Type)
	}
	return row
}

// convertValue turns Athena's text of a value into a Go value by the column's type.
func convertValue(s, typ string) any {
	switch strings.ToLower(typ) {
	case "tinyint", "smallint", "integer", "int", "bigint":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "double", "float", "real", "decimal":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case "boolean":
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return s
}

// contextErr prefers the context's cause over the SDK's wrapping of it.
func contextErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if c := context.Cause(ctx); c != nil {
			return fmt.Errorf("%w (%v)", c, err)
		}
	}
	return err
}

// WithOutputLocation returns a client like c whose queries write their results to loc.
func (c *Client) WithOutputLocation(loc string) *Client {
	cp := *c
	cp.opts.OutputLocation = loc
	return &cp
}
