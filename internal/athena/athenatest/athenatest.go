// Package athenatest is a stand-in for Amazon Athena, AWS Glue, STS and S3's ListBuckets
// that tests run on 127.0.0.1 and reach through the real AWS SDK clients. It speaks the
// services' own protocols (Athena and Glue: JSON 1.1 with X-Amz-Target; STS: the query
// protocol; S3: REST XML) and executes the SQL it is sent on DuckDB, over Parquet files laid
// out as Amazon Security Lake lays them out, so that the SQL a client sends to Athena is
// really run against data.
//
// Like Athena, it takes values only as execution parameters: each must be one SQL literal (a
// quoted string, a number, TRUE, FALSE or NULL), and is bound to the query's ? markers in
// order, never spliced into the text. Trino functions DuckDB lacks are defined as DuckDB
// macros. Queries run asynchronously (QUEUED, RUNNING, SUCCEEDED/FAILED/CANCELLED); a test
// can slow them down to exercise timeouts and StopQueryExecution. It is test code: it links
// DuckDB through internal/query and belongs in no production build.
package athenatest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// Options configures a Server.
type Options struct {
	// Root is the directory under which every table's files live; DuckDB may read nothing
	// outside it.
	Root string
	// Region and Account are what STS and the Security Lake names report.
	Region, Account string
	// Buckets are the S3 buckets ListBuckets returns.
	Buckets []string
	// Workgroups maps each Athena workgroup to its configured output location ("" for none).
	// By default there is one, "primary", without an output location.
	Workgroups map[string]string
	// PageSize bounds Glue list pages (100 by default), so tests can exercise pagination.
	PageSize int
}

// Received is a query the server was sent.
type Received struct {
	SQL       string
	Params    []string
	Database  string
	Workgroup string
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	URL  string
	opts Options
	db   *query.DB
	srv  *http.Server
	ln   net.Listener

	mu        sync.Mutex
	delay     time.Duration
	received  []Received
	stops     []string
	execs     map[string]*execution
	next      int
	databases map[string][]*table // database → tables, in creation order
}

type table struct {
	athena.Table
	bytes int64
}

type execution struct {
	id        string
	state     string
	reason    string
	submitted time.Time
	cancel    context.CancelFunc
	done      chan struct{}
	res       *query.Result
	scanned   int64
	millis    int64
}

// New starts a stand-in on 127.0.0.1.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Workgroups == nil {
		opts.Workgroups = map[string]string{"primary": ""}
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := query.Open(ctx, opts.Root, query.WithLogger(quiet), query.WithThreads(2))
	if err != nil {
		return nil, err
	}
	// Trino functions the clients' SQL may use that DuckDB spells differently.
	if _, err := db.QueryTrusted(ctx, `CREATE OR REPLACE MACRO array_join(l, sep) AS array_to_string(l, sep);`); err != nil {
		db.Close()
		return nil, fmt.Errorf("athenatest: macros: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), opts: opts, db: db, ln: ln,
		execs: map[string]*execution{}, databases: map[string][]*table{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server and DuckDB.
func (s *Server) Close() error {
	s.mu.Lock()
	for _, e := range s.execs {
		e.cancel()
	}
	s.mu.Unlock()
	s.srv.Close()
	return s.db.Close()
}

// SetDelay makes every query wait d before it runs (while RUNNING), to exercise timeouts.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Received returns the queries sent so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Stopped returns the ids of the queries StopQueryExecution was called for.
func (s *Server) Stopped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stops...)
}

// State returns the state of a query execution ("" when unknown).
func (s *Server) State(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.execs[id]; e != nil {
		return e.state
	}
	return ""
}

// Layout is how a table's files are partitioned.
type Layout int

const (
	// EventDay is source version 1's layout: Hive partitions region, accountId, eventDay,
	// exposed as partition keys region, accountid, eventday.
	EventDay Layout = iota
	// Iceberg is source version 2's Glue view: no partition keys in the catalog (the table
	// is partitioned on time_dt), with region and accountid as columns.
	Iceberg
)

// AddTable creates a Glue table in database over the Parquet files of dir (relative to the
// root), laid out as <dir>/region=<r>/accountId=<a>/eventDay=<d>/*.parquet.
func (s *Server) AddTable(ctx context.Context, database, name, dir string, layout Layout) error {
	abs := filepath.ToSlash(filepath.Join(s.db.LakeDir(), dir))
	glob := abs + "/region=*/accountId=*/eventDay=*/*.parquet"
	var bytes int64
	files, _ := filepath.Glob(filepath.FromSlash(glob))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			bytes += fi.Size()
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("athenatest: no Parquet files under %s", dir)
	}
	read := "read_parquet(" + sqlString(glob) + ", hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
	sel := "SELECT * EXCLUDE (region, accountId, eventDay), region, accountId AS accountid, eventDay AS eventday FROM " + read
	if layout == Iceberg {
		sel = "SELECT * EXCLUDE (region, accountId, eventDay), region, accountId AS accountid FROM " + read
	}
	qname := ident(database) + "." + ident(name)
	stmt := "CREATE SCHEMA IF NOT EXISTS " + ident(database) + "; CREATE OR REPLACE VIEW " + qname + " AS " + sel
	if _, err := s.db.QueryTrusted(ctx, stmt); err != nil {
		return fmt.Errorf("athenatest: create %s: %w", qname, err)
	}
	res, err := s.db.QueryTrusted(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+qname+")")
	if err != nil {
		return fmt.Errorf("athenatest: describe %s: %w", qname, err)
	}
	t := &table{bytes: bytes, Table: athena.Table{Name: name, Location: "s3://" + s.bucket() + "/" + dir + "/",
		Parameters: map[string]string{"classification": "parquet"}}}
	if layout == Iceberg {
		t.Parameters = map[string]string{"table_type": "ICEBERG", "format": "parquet"}
	}
	for _, r := range res.Rows {
		col, typ := r[0].(string), r[1].(string)
		pt, err := athena.ParseType(typ)
		if err != nil {
			return err
		}
		c := athena.Column{Name: strings.ToLower(col), Type: pt.Hive()}
		if layout == EventDay && (c.Name == "region" || c.Name == "accountid" || c.Name == "eventday") {
			t.PartitionKeys = append(t.PartitionKeys, c)
			continue
		}
		t.Columns = append(t.Columns, c)
	}
	s.mu.Lock()
	s.databases[database] = append(s.databases[database], t)
	s.mu.Unlock()
	return nil
}

func (s *Server) bucket() string {
	if len(s.opts.Buckets) > 0 {
		return s.opts.Buckets[0]
	}
	return "aws-security-data-lake-" + s.opts.Region + "-test"
}

// ServeHTTP dispatches a request to the service it is addressed to.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		awsError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AmazonAthena."):
		s.athena(w, r, strings.TrimPrefix(target, "AmazonAthena."))
	case strings.HasPrefix(target, "AWSGlue."):
		s.glue(w, r, strings.TrimPrefix(target, "AWSGlue."))
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		s.sts(w, r)
	case r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == ""):
		s.listBuckets(w)
	default:
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target)
	}
}

func (s *Server) athena(w http.ResponseWriter, r *http.Request, op string) {
	var in map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		awsError(w, 400, "InvalidRequestException", "bad JSON: "+err.Error())
		return
	}
	switch op {
	case "StartQueryExecution":
		s.start(w, r.Context(), in)
	case "GetQueryExecution":
		s.getExecution(w, str(in, "QueryExecutionId"))
	case "GetQueryResults":
		s.getResults(w, in)
	case "StopQueryExecution":
		id := str(in, "QueryExecutionId")
		s.mu.Lock()
		e := s.execs[id]
		s.stops = append(s.stops, id)
		s.mu.Unlock()
		if e == nil {
			awsError(w, 400, "InvalidRequestException", "QueryExecution "+id+" was not found")
			return
		}
		e.cancel()
		writeJSON(w, map[string]any{})
	case "GetWorkGroup":
		name := str(in, "WorkGroup")
		loc, ok := s.opts.Workgroups[name]
		if !ok {
			awsError(w, 400, "InvalidRequestException", "WorkGroup "+name+" is not found.")
			return
		}
		cfg := map[string]any{}
		if loc != "" {
			cfg["ResultConfiguration"] = map[string]any{"OutputLocation": loc}
		}
		writeJSON(w, map[string]any{"WorkGroup": map[string]any{"Name": name, "State": "ENABLED", "Configuration": cfg}})
	default:
		awsError(w, 400, "UnknownOperationException", "athenatest does not implement "+op)
	}
}

func (s *Server) start(w http.ResponseWriter, _ context.Context, in map[string]any) {
	sql := str(in, "QueryString")
	wg := str(in, "WorkGroup")
	if wg == "" {
		wg = "primary"
	}
	loc, ok := s.opts.Workgroups[wg]
	if !ok {
		awsError(w, 400, "InvalidRequestException", "WorkGroup "+wg+" is not found.")
		return
	}
	if rc, _ := in["ResultConfiguration"].(map[string]any); rc != nil {
		if l := str(rc, "OutputLocation"); l != "" {
			loc = l
		}
	}
	if loc == "" {
		awsError(w, 400, "InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
		return
	}
	if !strings.HasPrefix(loc, "s3://") {
		awsError(w, 400, "InvalidRequestException", "outputLocation is not a valid S3 URI: "+loc)
		return
	}
	var params []string
	if ps, ok := in["ExecutionParameters"].([]any); ok {
		for _, p := range ps {
			v, _ := p.(string)
			params = append(params, v)
		}
	}
	var db string
	if qc, _ := in["QueryExecutionContext"].(map[string]any); qc != nil {
		db = str(qc, "Database")
	}
	args := make([]any, len(params))
	for i, p := range params {
		v, err := parseLiteral(p)
		if err != nil {
			awsError(w, 400, "InvalidRequestException", fmt.Sprintf("execution parameter %d: %v", i+1, err))
			return
		}
		args[i] = v
	}
	s.mu.Lock()
	s.next++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.next)
	ctx, cancel := context.WithCancel(context.Background())
	e := &execution{id: id, state: "QUEUED", submitted: time.Now(), cancel: cancel, done: make(chan struct{})}
	s.execs[id] = e
	s.received = append(s.received, Received{SQL: sql, Params: params, Database: db, Workgroup: wg})
	delay := s.delay
	scanned := s.scannedBy(sql)
	s.mu.Unlock()
	go s.run(ctx, e, sql, args, delay, scanned)
	writeJSON(w, map[string]any{"QueryExecutionId": id})
}

// scannedBy is what a query is billed for here: the size of every table it names (Athena
// bills what it reads; this stand-in does not prune partitions in its figure). Callers hold
// s.mu.
func (s *Server) scannedBy(sql string) int64 {
	low := strings.ToLower(sql)
	var n int64
	for _, ts := range s.databases {
		for _, t := range ts {
			if strings.Contains(low, strings.ToLower(t.Name)) {
				n += t.bytes
			}
		}
	}
	return n
}

func (s *Server) run(ctx context.Context, e *execution, sql string, args []any, delay time.Duration, scanned int64) {
	defer close(e.done)
	s.setState(e, "RUNNING", "")
	start := time.Now()
	if delay > 0 {
		select {
		case <-ctx.Done():
			s.setState(e, "CANCELLED", "Query was cancelled by user")
			return
		case <-time.After(delay):
		}
	}
	res, err := s.db.QueryTrusted(ctx, sql, args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	e.millis = time.Since(start).Milliseconds()
	switch {
	case ctx.Err() != nil:
		e.state, e.reason = "CANCELLED", "Query was cancelled by user"
	case err != nil:
		e.state, e.reason = "FAILED", strings.TrimPrefix(err.Error(), "query: ")
	default:
		e.state, e.res, e.scanned = "SUCCEEDED", res, scanned
	}
}

func (s *Server) setState(e *execution, state, reason string) {
	s.mu.Lock()
	e.state, e.reason = state, reason
	s.mu.Unlock()
}

func (s *Server) getExecution(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.execs[id]
	if e == nil {
		awsError(w, 400, "InvalidRequestException", "QueryExecution "+id+" was not found")
		return
	}
	status := map[string]any{"State": e.state, "SubmissionDateTime": float64(e.submitted.UnixMilli()) / 1000}
	if e.reason != "" {
		status["StateChangeReason"] = e.reason
	}
	writeJSON(w, map[string]any{"QueryExecution": map[string]any{
		"QueryExecutionId": id,
		"Status":           status,
		"Statistics":       map[string]any{"DataScannedInBytes": e.scanned, "EngineExecutionTimeInMillis": e.millis},
	}})
}

func (s *Server) getResults(w http.ResponseWriter, in map[string]any) {
	id := str(in, "QueryExecutionId")
	s.mu.Lock()
	e := s.execs[id]
	s.mu.Unlock()
	if e == nil {
		awsError(w, 400, "InvalidRequestException", "QueryExecution "+id+" was not found")
		return
	}
	s.mu.Lock()
	state, res := e.state, e.res
	s.mu.Unlock()
	if state != "SUCCEEDED" {
		awsError(w, 400, "InvalidRequestException", "Query has not yet finished. Current state: "+state)
		return
	}
	max := 1000
	if m, ok := in["MaxResults"].(float64); ok && m > 0 {
		if m > 1000 {
			awsError(w, 400, "InvalidRequestException", "MaxResults must be at most 1000")
			return
		}
		max = int(m)
	}
	offset := 0
	if tok := str(in, "NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			awsError(w, 400, "InvalidRequestException", "invalid NextToken")
			return
		}
		offset = n
	}
	var rows []any
	cols := make([]any, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = map[string]any{"Name": c.Name, "Label": c.Name, "Type": trinoType(c.Type)}
	}
	if offset == 0 { // Athena starts the first page of a SELECT with the column names
		hdr := make([]any, len(res.Columns))
		for i, c := range res.Columns {
			hdr[i] = map[string]any{"VarCharValue": c.Name}
		}
		rows = append(rows, map[string]any{"Data": hdr})
		max--
	}
	end := min(offset+max, len(res.Rows))
	for _, r := range res.Rows[offset:end] {
		data := make([]any, len(r))
		for i, v := range r {
			if v == nil {
				data[i] = map[string]any{}
				continue
			}
			data[i] = map[string]any{"VarCharValue": render(v)}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	out := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if end < len(res.Rows) {
		out["NextToken"] = strconv.Itoa(end)
	}
	writeJSON(w, out)
}

func (s *Server) glue(w http.ResponseWriter, r *http.Request, op string) {
	var in map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		awsError(w, 400, "InvalidInputException", "bad JSON: "+err.Error())
		return
	}
	offset := 0
	if tok := str(in, "NextToken"); tok != "" {
		offset, _ = strconv.Atoi(tok)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "GetDatabases":
		var names []string
		for n := range s.databases {
			names = append(names, n)
		}
		slices.Sort(names)
		end := min(offset+s.opts.PageSize, len(names))
		var list []any
		for _, n := range names[min(offset, end):end] {
			list = append(list, map[string]any{"Name": n, "CatalogId": s.opts.Account})
		}
		out := map[string]any{"DatabaseList": list}
		if end < len(names) {
			out["NextToken"] = strconv.Itoa(end)
		}
		writeJSON(w, out)
	case "GetTables":
		db := str(in, "DatabaseName")
		ts, ok := s.databases[db]
		if !ok {
			awsError(w, 400, "EntityNotFoundException", "Database "+db+" not found.")
			return
		}
		end := min(offset+s.opts.PageSize, len(ts))
		var list []any
		for _, t := range ts[min(offset, end):end] {
			list = append(list, map[string]any{
				"Name": t.Name, "DatabaseName": db, "Parameters": t.Parameters,
				"StorageDescriptor": map[string]any{"Columns": glueColumns(t.Columns), "Location": t.Location},
				"PartitionKeys":     glueColumns(t.PartitionKeys),
			})
		}
		out := map[string]any{"TableList": list}
		if end < len(ts) {
			out["NextToken"] = strconv.Itoa(end)
		}
		writeJSON(w, out)
	default:
		awsError(w, 400, "UnknownOperationException", "athenatest does not implement Glue "+op)
	}
}

func glueColumns(cs []athena.Column) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"Name": c.Name, "Type": c.Type}
	}
	return out
}

func (s *Server) sts(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	form, _ := url.ParseQuery(string(b))
	if form.Get("Action") != "GetCallerIdentity" {
		awsError(w, 400, "InvalidAction", "athenatest does not implement STS "+form.Get("Action"))
		return
	}
	type result struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	type response struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result  result   `xml:"GetCallerIdentityResult"`
		Meta    struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	resp := response{Result: result{Arn: "arn:aws:iam::" + s.opts.Account + ":user/analyst", UserID: "AIDATESTUSER", Account: s.opts.Account}}
	resp.Meta.RequestID = "athenatest"
	w.Header().Set("Content-Type", "text/xml")
	xml.NewEncoder(w).Encode(resp)
}

func (s *Server) listBuckets(w http.ResponseWriter) {
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
	}
	type result struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
		Owner   struct {
			ID string `xml:"ID"`
		} `xml:"Owner"`
		Buckets []bucket `xml:"Buckets>Bucket"`
	}
	var res result
	res.Owner.ID = s.opts.Account
	for _, b := range s.opts.Buckets {
		res.Buckets = append(res.Buckets, bucket{Name: b, CreationDate: "2024-01-01T00:00:00.000Z"})
	}
	w.Header().Set("Content-Type", "application/xml")
	xml.NewEncoder(w).Encode(res)
}

// parseLiteral reads one execution parameter: a single SQL literal, as Athena accepts them.
func parseLiteral(p string) (any, error) {
	t := strings.TrimSpace(p)
	switch {
	case len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'':
		body := t[1 : len(t)-1]
		// Inside, every quote must be doubled.
		for i := 0; i < len(body); i++ {
			if body[i] == '\'' {
				if i+1 < len(body) && body[i+1] == '\'' {
					i++
					continue
				}
				return nil, fmt.Errorf("%q is not one string literal", p)
			}
		}
		return strings.ReplaceAll(body, "''", "'"), nil
	case strings.EqualFold(t, "true"):
		return true, nil
	case strings.EqualFold(t, "false"):
		return false, nil
	case strings.EqualFold(t, "null"):
		return nil, nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f, nil
	}
	return nil, fmt.Errorf("%q is not a literal", p)
}

// trinoType maps a DuckDB result type to the type name Athena reports.
func trinoType(duck string) string {
	switch h := athena.HiveScalar(duck); h {
	case "string":
		return "varchar"
	case "int":
		return "integer"
	case "bigint", "smallint", "tinyint", "boolean", "double", "float", "timestamp", "date":
		return h
	}
	return "varchar"
}

// render writes a value as Athena's results do.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"__type": code, "Message": msg})
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
