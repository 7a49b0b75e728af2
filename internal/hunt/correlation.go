package hunt

import (
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// correlation writes a correlation rule: per group-by value tuple and tumbling window of the
// timespan, the aggregate of the matches of its rules, where the condition holds.
func (w *writer) correlation(r *rules.Rule, set map[string]*rules.Rule) error {
	c := r.Correlation
	var agg string
	switch c.Type {
	case rules.EventCount:
		agg = "count(*)"
	case rules.ValueCount:
		agg = `count(DISTINCT "h_value")`
	case rules.ValueSum:
		agg = `sum("h_value")`
	case rules.Temporal:
		agg = `count(DISTINCT "h_rule")`
	case rules.TemporalOrdered:
		return fmt.Errorf("correlation type %s: %w: the order of the rules' first matches in a window", c.Type, ErrUnsupported)
	default:
		return fmt.Errorf("correlation type %q: want event_count, value_count, value_sum or temporal", c.Type)
	}
	if c.Timespan <= 0 {
		return fmt.Errorf("correlation without a timespan")
	}
	if len(c.Rules) == 0 {
		return fmt.Errorf("correlation without rules")
	}
	needValue := c.Type == rules.ValueCount || c.Type == rules.ValueSum
	if needValue && c.Field == "" {
		return fmt.Errorf("correlation %s without a field", c.Type)
	}
	cond := c.Condition
	if c.Type == rules.Temporal && cond.IsZero() {
		n := float64(len(c.Rules))
		cond.Gte = &n
	}
	if cond.IsZero() {
		return fmt.Errorf("correlation %s without a condition", c.Type)
	}

	w.sql.WriteString("SELECT ")
	for i, g := range c.GroupBy {
		fmt.Fprintf(&w.sql, `"h_g%d" AS %s, `, i+1, quoteIdent(g))
	}
	w.sql.WriteString(`"h_window" AS "window_start", min("time") AS "first_seen", max("time") AS "last_seen", count(*) AS "events", `)
	if w.d == Athena {
		w.sql.WriteString(`array_sort(array_agg(DISTINCT "h_rule")) AS "rules", `)
	} else {
		w.sql.WriteString(`list_sort(list(DISTINCT "h_rule")) AS "rules", `)
	}
	w.sql.WriteString(agg + ` AS "value" FROM (`)
	for i, name := range c.Rules {
		if i > 0 {
			w.sql.WriteString(" UNION ALL ")
		}
		sub, ok := set[name]
		if !ok || sub == nil {
			return fmt.Errorf("correlated rule %s is not in the set", name)
		}
		if sub.IsCorrelation() {
			return fmt.Errorf("correlated rule %s: %w: a correlation of correlations", name, ErrUnsupported)
		}
		if err := w.member(c, sub, needValue); err != nil {
			return fmt.Errorf("correlated rule %s: %w", name, err)
		}
	}
	w.sql.WriteString(") AS h_u")
	if len(c.GroupBy) > 0 {
		w.sql.WriteString(" WHERE ")
		for i := range c.GroupBy {
			if i > 0 {
				w.sql.WriteString(" AND ")
			}
			fmt.Fprintf(&w.sql, `"h_g%d" IS NOT NULL`, i+1)
		}
	}
	w.sql.WriteString(" GROUP BY ")
	for i := range c.GroupBy {
		fmt.Fprintf(&w.sql, `"h_g%d", `, i+1)
	}
	w.sql.WriteString(`"h_window" HAVING `)
	var bounds []string
	for _, b := range []struct {
		op string
		v  *float64
	}{{">", cond.Gt}, {">=", cond.Gte}, {"<", cond.Lt}, {"<=", cond.Lte}, {"=", cond.Eq}} {
		if b.v != nil {
			bounds = append(bounds, agg+" "+b.op+" "+w.arg(numArg(*b.v)))
		}
	}
	w.sql.WriteString(strings.Join(bounds, " AND "))
	w.sql.WriteString(` ORDER BY "h_window"`)
	for i := range c.GroupBy {
		fmt.Fprintf(&w.sql, `, "h_g%d"`, i+1)
	}
	return nil
}

// aliased is the field a group-by name or the correlation's field stands for in rule name's
// events.
func aliased(c *rules.Correlation, name, rule string) string {
	if m, ok := c.Aliases[name]; ok {
		if f, ok := m[rule]; ok {
			return f
		}
	}
	return name
}

// member writes the select of one correlated rule's matches: the rule's name, the time,
// the window, the group-by values and the value aggregated. A multi-valued group-by field
// (answers.rdata) gives a row per value; at most one field of the select may be.
func (w *writer) member(c *rules.Correlation, r *rules.Rule, needValue bool) error {
	src, err := logsource(r.Logsource.Service, r.Logsource.Category)
	if err != nil {
		return err
	}
	var cols []field
	for _, g := range c.GroupBy {
		f, err := resolve(src, aliased(c, g, r.Name))
		if err != nil {
			return fmt.Errorf("group-by %s: %w", g, err)
		}
		cols = append(cols, f)
	}
	if needValue {
		f, err := resolve(src, aliased(c, c.Field, r.Name))
		if err != nil {
			return fmt.Errorf("field %s: %w", c.Field, err)
		}
		cols = append(cols, f)
	}
	multi := -1
	for i, f := range cols {
		if f.multi() {
			if multi >= 0 {
				return fmt.Errorf("fields %s and %s: %w: two multi-valued fields in one correlation", cols[multi].path, f.path, ErrUnsupported)
			}
			multi = i
		}
	}
	w.sql.WriteString(`SELECT CAST(` + w.arg(r.Name) + ` AS VARCHAR) AS "h_rule", "time", "time" - ("time" % ` +
		w.arg(c.Timespan.Milliseconds()) + `) AS "h_window"`)
	for i, f := range cols {
		var e string
		switch {
		case i == multi && w.d == Athena:
			e = `"h_unnest"."h_x"`
		case i == multi:
			e = "unnest(" + w.list(f) + ")"
		default:
			e = w.scalar(f)
		}
		if needValue && i == len(cols)-1 {
			if c.Type == rules.ValueSum && f.kind() != kInt && f.kind() != kFloat {
				e = "TRY_CAST(" + e + " AS DOUBLE)"
			}
			w.sql.WriteString(", " + e + ` AS "h_value"`)
		} else {
			fmt.Fprintf(&w.sql, `, %s AS "h_g%d"`, e, i+1)
		}
	}
	w.sql.WriteString(" FROM " + w.tableRef(src.view))
	w.useTable(src.view)
	if multi >= 0 && w.d == Athena {
		w.sql.WriteString(` CROSS JOIN UNNEST(` + w.list(cols[multi]) + `) AS "h_unnest"("h_x")`)
	}
	where, err := w.where(r, src)
	if err != nil {
		return err
	}
	w.sql.WriteString(" WHERE " + where)
	return nil
}
