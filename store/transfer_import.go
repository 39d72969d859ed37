package store

// Import: an export read into an empty database, all or nothing, after
// the whole document is checked.

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
)

// Import reads a document written by Export into this database, which must
// be migrated to this binary's schema version and hold no data (else
// EConflict "error.import_not_empty"). The document is read and checked
// whole first: a wrong format, a schema version other than this binary's
// or one of olderExports (whose missing tables are computed at the end),
// an unknown or missing table or column, a value of the wrong type, a
// duplicate key or a reference to a row that is not in the document is an
// EInvalid error whose fields are keyed like "tables.partners[3].slug"
// (rows counted from 0).
// Then every row is inserted in one transaction, ids as they are; in
// PostgreSQL each identity sequence is moved past the largest id. Any
// failure rolls everything back: nothing is stored.
func (db *DB) Import(ctx context.Context, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	doc, err := db.checkExport(data)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.checkSchema(ctx, tx, "error.import_schema_db"); err != nil {
			return err
		}
		// Nobody writes to the tables between the check that they are
		// empty and the end of the import.
		names := make([]string, len(dumpTables))
		for i, t := range dumpTables {
			names[i] = quoteIdent(t.name)
		}
		if lock := db.dialect.lockTables(names); lock != "" {
			if _, err := tx.ExecContext(ctx, lock); err != nil {
				return err
			}
		}
		if err := db.checkEmpty(ctx, tx); err != nil {
			return err
		}
		for i := range dumpTables {
			if err := db.importTable(ctx, tx, &dumpTables[i], doc.rows[dumpTables[i].name]); err != nil {
				return err
			}
		}
		// The tables an older export lacks, computed from the others.
		for _, r := range rollupSQL {
			if doc.schemaSet && slices.Contains(olderExports[doc.schema], r.table) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO `+r.table+` (`+r.cols+`) `+r.query); err != nil {
					return fmt.Errorf("import %s: %w", r.table, err)
				}
			}
		}
		// The search index is not exported: built again from what came in.
		if err := db.forgetSearch(ctx, tx); err != nil {
			return err
		}
		return db.dialect.afterImport(ctx, tx)
	})
}

// CheckExport reads a document and checks it whole as Import does, with
// the same errors, without touching the database.
func (db *DB) CheckExport(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, err = db.checkExport(data)
	return err
}

func (db *DB) checkExport(data []byte) (*importDoc, error) {
	doc, probs, err := parseExport(data)
	if err != nil {
		return nil, err
	}
	binary, err := db.binaryVersion()
	if err != nil {
		return nil, err
	}
	if doc.schemaSet {
		switch {
		case doc.schema > binary:
			return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.import_schema_newer", doc.schema, binary)
		case doc.schema < binary && olderExports[doc.schema] == nil:
			return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.import_schema_older", doc.schema, binary)
		}
	}
	return doc, probs.err()
}

func (db *DB) importTable(ctx context.Context, tx *sql.Tx, t *dumpTable, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, db.q(t.insertSQL()))
	if err != nil {
		return fmt.Errorf("import %s: %w", t.name, err)
	}
	defer stmt.Close()
	for i, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			if !db.refusedRow(ctx, err) {
				return fmt.Errorf("import %s[%d]: %w", t.name, i, err)
			}
			cause := strings.Join(strings.Fields(err.Error()), " ")
			return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.import_invalid", Args: []any{1},
				Fields: partnerhub.FieldErrors{rowPath(t.name, i): {Key: "import_rejected", Args: []any{cause}}}, Err: err}
		}
	}
	return nil
}

// refusedRow tells an error about the row (a constraint, a value out of
// range) from one about the database (gone, cancelled).
func (db *DB) refusedRow(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, driver.ErrBadConn) {
		return false
	}
	if refused, known := db.dialect.refusedValue(err); known {
		return refused
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return false
	}
	return true // the driver refused the value before sending it (pgx: out of range)
}

func rowPath(table string, i int) string { return "tables." + table + "[" + strconv.Itoa(i) + "]" }

// importDoc is a parsed export: rows of each table, values in column order
// as Go values (int64, float64, string, bool, time.Time, nil).
type importDoc struct {
	schema    int64
	schemaSet bool
	rows      map[string][][]any
}

// importProblems collects field errors, keeping the first maxImportProblems.
type importProblems struct {
	fields partnerhub.FieldErrors
	n      int
}

// Add records a problem of a field.
func (p *importProblems) Add(field, key string, args ...any) {
	p.n++
	if len(p.fields) < maxImportProblems {
		p.fields.Add(field, key, args...)
	}
}

func (p *importProblems) err() error {
	if p.n == 0 {
		return nil
	}
	return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.import_invalid", Args: []any{p.n}, Fields: p.fields}
}

// parseExport reads a whole document. It returns an error for what makes
// the rest meaningless (not JSON, not an export, a newer format), and
// collects every other problem.
func parseExport(data []byte) (*importDoc, *importProblems, error) {
	if !json.Valid(data) {
		var raw json.RawMessage
		err := json.Unmarshal(data, &raw)
		off := len(data)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		line, col := position(data, off)
		if off >= len(bytes.TrimRight(data, " \t\r\n")) {
			return nil, nil, partnerhub.Errorf(partnerhub.EInvalid, "error.import_truncated", line)
		}
		return nil, nil, &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.import_bad_json", Args: []any{line, col}, Err: err}
	}
	notExport := partnerhub.Errorf(partnerhub.EInvalid, "error.import_not_export", ExportFormat)
	p := &importProblems{fields: partnerhub.FieldErrors{}}
	top := map[string]json.RawMessage{}
	if !eachMember(data, func(key string, raw json.RawMessage) {
		if _, dup := top[key]; dup {
			p.Add(key, "import_duplicate")
			return
		}
		top[key] = raw
		switch key {
		case "format", "format_version", "schema_version", "tables":
		default:
			p.Add(key, "import_unknown_key")
		}
	}) {
		return nil, nil, notExport
	}
	var format string
	if json.Unmarshal(top["format"], &format) != nil || format != ExportFormat {
		return nil, nil, notExport
	}
	if v, ok := jsonInt(top["format_version"]); !ok {
		p.Add("format_version", "import_want_int")
	} else if v != ExportFormatVersion {
		return nil, nil, partnerhub.Errorf(partnerhub.EInvalid, "error.import_format_version", v, ExportFormatVersion)
	}
	doc := &importDoc{rows: map[string][][]any{}}
	if v, ok := jsonInt(top["schema_version"]); ok {
		doc.schema, doc.schemaSet = v, true
	} else {
		p.Add("schema_version", "import_want_int")
	}
	tables, ok := top["tables"]
	if !ok {
		p.Add("tables", "import_missing")
		return doc, p, nil
	}
	seen := map[string]bool{}
	if !eachMember(tables, func(name string, raw json.RawMessage) {
		path := "tables." + name
		if seen[name] {
			p.Add(path, "import_duplicate")
			return
		}
		seen[name] = true
		t, ok := dumpTableByName[name]
		if !ok || doc.schemaSet && slices.Contains(olderExports[doc.schema], name) {
			p.Add(path, "import_unknown_table")
			return
		}
		doc.rows[name] = parseRows(p, t, raw, doc.schema)
	}) {
		p.Add("tables", "import_want_object")
		return doc, p, nil
	}
	for _, t := range dumpTables {
		if !seen[t.name] && !(doc.schemaSet && slices.Contains(olderExports[doc.schema], t.name)) {
			p.Add("tables."+t.name, "import_missing_table")
		}
	}
	checkKeys(p, doc)
	return doc, p, nil
}

// eachMember calls fn for each member of a JSON object, in order, and
// reports false when raw is not an object. raw is valid JSON.
func eachMember(raw json.RawMessage, fn func(key string, value json.RawMessage)) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		fn(tok.(string), v)
	}
	return true
}

func jsonInt(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	return v, err == nil
}

// parseRows reads the rows of one table; a row with problems is kept with
// nil in place of its bad values, so that later checks do not repeat them.
func parseRows(p *importProblems, t *dumpTable, raw json.RawMessage, schema int64) [][]any {
	path := "tables." + t.name
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		p.Add(path, "import_want_list")
		return nil
	}
	var rows [][]any
	for i := 0; dec.More(); i++ {
		var rowRaw json.RawMessage
		if err := dec.Decode(&rowRaw); err != nil {
			p.Add(rowPath(t.name, i), "import_want_object")
			return rows
		}
		rows = append(rows, parseRow(p, t, i, rowRaw, schema))
	}
	return rows
}

func parseRow(p *importProblems, t *dumpTable, i int, raw json.RawMessage, schema int64) []any {
	path := rowPath(t.name, i)
	vals := make([]any, len(t.cols))
	have := make([]bool, len(t.cols))
	if !eachMember(raw, func(name string, v json.RawMessage) {
		j := t.colIndex(name)
		if j < 0 {
			p.Add(path+"."+name, "import_unknown_column")
			return
		}
		if have[j] {
			p.Add(path+"."+name, "import_duplicate")
			return
		}
		have[j] = true
		val, key := importValue(t.cols[j], v)
		if key != "" {
			p.Add(path+"."+name, key)
			return
		}
		vals[j] = val
	}) {
		p.Add(path, "import_want_object")
		return vals
	}
	for j, c := range t.cols {
		if !have[j] && schema < c.since {
			vals[j] = c.def
		} else if !have[j] {
			p.Add(path+"."+c.name, "import_missing_column")
		}
	}
	return vals
}

// importValue converts one JSON value for a column; key names the problem
// ("field.import_…") when there is one.
func importValue(c dumpColumn, raw json.RawMessage) (v any, key string) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		if c.null {
			return nil, ""
		}
		return nil, "import_null"
	}
	switch c.typ {
	case dumpInt:
		if n, ok := jsonInt(raw); ok {
			return n, ""
		}
		return nil, "import_want_int"
	case dumpReal:
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			if f, err := strconv.ParseFloat(string(n), 64); err == nil {
				return f, ""
			}
		}
		return nil, "import_want_number"
	case dumpText:
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			return s, ""
		}
		return nil, "import_want_text"
	case dumpBool:
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return b, ""
		}
		return nil, "import_want_bool"
	case dumpBytes:
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return b, ""
			}
		}
		return nil, "import_want_bytes"
	case dumpTime:
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.UTC(), ""
			}
		}
		return nil, "import_want_time"
	}
	return nil, "import_want_text"
}

// checkKeys finds duplicate primary keys and references to rows that are
// not in the document (the database it goes into is empty).
func checkKeys(p *importProblems, doc *importDoc) {
	keyOf := func(t *dumpTable, row []any, names []string) (string, bool) {
		var b strings.Builder
		for i, n := range names {
			v := row[t.colIndex(n)]
			if v == nil {
				return "", false
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprint(&b, v)
		}
		return b.String(), true
	}
	// the key sets of referenced columns, by table and columns
	sets := map[string]map[string]bool{}
	set := func(table string, names []string) map[string]bool {
		id := table + "(" + strings.Join(names, ",") + ")"
		if s, ok := sets[id]; ok {
			return s
		}
		t := dumpTableByName[table]
		s := map[string]bool{}
		for _, row := range doc.rows[table] {
			if k, ok := keyOf(t, row, names); ok {
				s[k] = true
			}
		}
		sets[id] = s
		return s
	}
	for i := range dumpTables {
		t := &dumpTables[i]
		rows := doc.rows[t.name]
		first := map[string]int{}
		for j, row := range rows {
			if k, ok := keyOf(t, row, t.pk); ok {
				if other, dup := first[k]; dup {
					p.Add(rowPath(t.name, j), "import_duplicate_row", rowPath(t.name, other))
				} else {
					first[k] = j
				}
			}
		}
		for _, r := range t.refs {
			targets := set(r.table, r.refs)
			for j, row := range rows {
				if k, ok := keyOf(t, row, r.cols); ok && !targets[k] {
					field := rowPath(t.name, j) + "." + r.cols[len(r.cols)-1]
					p.Add(field, "import_unknown_ref", r.table, strings.Join(r.refs, ", "), k)
				}
			}
		}
	}
}

// position turns a byte offset into a line and a column (in characters),
// both from 1.
func position(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, utf8.RuneCount(before) + 1
}
