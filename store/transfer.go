package store

// Export, Import and Backup. Export writes the whole database as one JSON
// document, the same bytes for the same data on either engine; Import reads
// such a document into an empty database, all or nothing; Backup writes a
// consistent SQLite snapshot while the server runs.
//
// What is exported is described once, here, by dumpTables: every table with
// its columns and their logical types, primary key and foreign keys. A test
// (TestTransferSchema) compares the description with the real schema on
// both engines, so a migration that adds a table or a column fails the tests
// until it is described here.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
)

const (
	// ExportFormat names the document Export writes, in its "format" field.
	ExportFormat = "partnerhub-export"
	// ExportFormatVersion is the version of the document's layout (not of
	// the schema, which "schema_version" gives).
	ExportFormatVersion = 1

	// EUnsupported is the code of an operation the database's engine does
	// not offer (Backup of PostgreSQL, which pg_dump does better).
	EUnsupported = "unsupported"

	// maxImportProblems bounds the field errors an import reports; the
	// message still gives their total.
	maxImportProblems = 50

	gooseTable = "goose_db_version"
)

// dumpType is a column's logical type, the same on both engines: how its
// values are written in an export.
type dumpType int

const (
	dumpInt  dumpType = iota // INTEGER / BIGINT: a JSON integer
	dumpReal                 // REAL / DOUBLE PRECISION: a JSON number
	dumpText                 // TEXT: a JSON string
	dumpBool                 // INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL: true or false
	dumpTime                 // TIMESTAMP / TIMESTAMPTZ: RFC 3339 UTC, nanoseconds
)

type dumpColumn struct {
	name string
	typ  dumpType
	null bool
}

// dumpRef is a foreign key: cols of the table refer to refs of table.
type dumpRef struct {
	cols  []string
	table string
	refs  []string
}

type dumpTable struct {
	name string
	cols []dumpColumn
	pk   []string
	refs []dumpRef
}

func dcol(name string, t dumpType) dumpColumn { return dumpColumn{name: name, typ: t} }
func dopt(name string, t dumpType) dumpColumn { return dumpColumn{name: name, typ: t, null: true} }
func dref(col, table string) dumpRef {
	return dumpRef{cols: []string{col}, table: table, refs: []string{"id"}}
}

var (
	dumpByID      = []string{"id"}
	dumpPhaseRef  = dumpRef{cols: []string{"home_id", "phase"}, table: "phases", refs: []string{"home_id", "number"}}
	dumpHomeRef   = dref("home_id", "home_institutions")
	dumpVersioned = []dumpColumn{dcol("version", dumpInt), dopt("deleted_at", dumpTime)}
)

// dumpTables lists every application table in foreign-key order (a table
// comes after those it refers to), each column in the table's order.
var dumpTables = []dumpTable{
	{name: "institutions", pk: dumpByID, cols: dumpCols(
		dcol("id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText), dcol("name_en", dumpText),
		dcol("acronym", dumpText), dcol("country", dumpText), dcol("city_ja", dumpText), dcol("city_en", dumpText),
		dopt("lat", dumpReal), dopt("lng", dumpReal), dcol("website", dumpText), dcol("ror", dumpText),
		dcol("established", dumpInt), dumpVersioned)},
	{name: "home_institutions", pk: dumpByID, refs: []dumpRef{dref("institution_id", "institutions")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("slug", dumpText), dcol("institution_id", dumpInt),
		dcol("programme_ja", dumpText), dcol("programme_en", dumpText))},
	{name: "units", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("code", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dcol("abbr_ja", dumpText), dcol("abbr_en", dumpText), dcol("kind", dumpText),
		dcol("position", dumpInt), dumpVersioned)},
	{name: "phases", pk: []string{"home_id", "number"}, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("number", dumpInt), dcol("start_year", dumpInt), dcol("end_year", dumpInt),
		dcol("total_partners", dumpInt), dopt("primary_partners", dumpInt), dopt("prospective_partners", dumpInt))},
	{name: "phase_aims", pk: []string{"home_id", "phase", "position"}, refs: []dumpRef{dumpPhaseRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("phase", dumpInt), dcol("position", dumpInt),
		dcol("text_ja", dumpText), dcol("text_en", dumpText))},
	{name: "partners", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dcol("short_name", dumpText), dcol("kind", dumpText),
		dcol("summary_ja", dumpText), dcol("summary_en", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText),
		dcol("position", dumpInt), dumpVersioned)},
	{name: "partner_members", pk: []string{"partner_id", "institution_id"},
		refs: []dumpRef{dref("partner_id", "partners"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("partner_id", dumpInt), dcol("institution_id", dumpInt), dcol("position", dumpInt))},
	{name: "standings", pk: []string{"partner_id", "phase"}, refs: []dumpRef{dref("partner_id", "partners"), dumpPhaseRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dcol("phase", dumpInt), dcol("tier", dumpText))},
	{name: "team_memberships", pk: []string{"partner_id", "unit_id", "phase"},
		refs: []dumpRef{dref("partner_id", "partners"), dref("unit_id", "units"), dumpPhaseRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dcol("unit_id", dumpInt), dcol("phase", dumpInt),
			dcol("lead", dumpBool), dcol("position", dumpInt))},
	{name: "series", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dopt("partner_id", dumpInt), dcol("since", dumpText), dcol("recurrence", dumpText),
		dcol("alternates", dumpBool))},
	{name: "agreements", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("partner_id", dumpInt),
			dopt("institution_id", dumpInt), dcol("kind", dumpText), dcol("level", dumpText),
			dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("signed", dumpText), dcol("expires", dumpText),
			dcol("status", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText), dumpVersioned,
			dcol("published", dumpBool))},
	{name: "agreement_units", pk: []string{"agreement_id", "unit_id"},
		refs: []dumpRef{dref("agreement_id", "agreements"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("agreement_id", dumpInt), dcol("unit_id", dumpInt), dcol("position", dumpInt))},
	{name: "activities", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("host_id", "institutions"), dref("series_id", "series")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("kind", dumpText),
			dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("summary_ja", dumpText), dcol("summary_en", dumpText),
			dcol("start_date", dumpText), dcol("end_date", dumpText), dcol("fiscal_year", dumpBool), dcol("phase", dumpInt),
			dcol("format", dumpText), dopt("host_id", dumpInt), dcol("venue_ja", dumpText), dcol("venue_en", dumpText),
			dopt("participants", dumpInt), dopt("participants_qualifier", dumpText), dopt("series_id", dumpInt),
			dcol("edition", dumpInt), dumpVersioned, dcol("published", dumpBool))},
	{name: "activity_partners", pk: []string{"activity_id", "partner_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("partner_id", "partners")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("partner_id", dumpInt), dcol("position", dumpInt))},
	{name: "activity_units", pk: []string{"activity_id", "unit_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("unit_id", dumpInt), dcol("position", dumpInt))},
	{name: "activity_institutions", pk: []string{"activity_id", "institution_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("institution_id", dumpInt), dcol("position", dumpInt))},
	{name: "figures", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("key", dumpText), dopt("partner_id", dumpInt),
		dcol("value", dumpInt), dcol("qualifier", dumpText), dcol("per_year", dumpBool), dcol("as_of", dumpText),
		dcol("note_ja", dumpText), dcol("note_en", dumpText))},
	{name: "mobility", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners"), dref("institution_id", "institutions"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dopt("institution_id", dumpInt),
			dopt("unit_id", dumpInt), dcol("year", dumpInt), dcol("direction", dumpText), dcol("category", dumpText),
			dcol("programme", dumpText), dcol("count", dumpInt), dcol("created_at", dumpTime), dcol("version", dumpInt),
			dopt("deleted_at", dumpTime))},
	{name: "mobility_by_partner", pk: []string{"home_id", "year", "partner_id", "direction", "category"},
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("partner_id", dumpInt), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_unit", pk: []string{"home_id", "year", "unit_id", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("unit_id", dumpInt), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_programme", pk: []string{"home_id", "year", "programme", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("programme", dumpText), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_home", pk: []string{"home_id", "year", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("direction", dumpText), dcol("category", dumpText),
			dcol("total", dumpInt))},
	{name: "users", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("email", dumpText), dcol("name", dumpText),
		dcol("password_hash", dumpText), dcol("role", dumpText), dcol("disabled", dumpBool),
		dcol("created_at", dumpTime), dcol("version", dumpInt))},
	{name: "user_units", pk: []string{"user_id", "unit_id"},
		refs: []dumpRef{dref("user_id", "users"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("user_id", dumpInt), dcol("unit_id", dumpInt))},
	{name: "sessions", pk: []string{"token_hash"}, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("token_hash", dumpText), dcol("user_id", dumpInt), dcol("created_at", dumpTime), dcol("expires_at", dumpTime))},
	{name: "api_tokens", pk: dumpByID, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("user_id", dumpInt), dcol("name", dumpText), dcol("token_hash", dumpText),
		dcol("created_at", dumpTime), dopt("last_used_at", dumpTime), dopt("revoked_at", dumpTime))},
	{name: "login_failures", pk: dumpByID, cols: dumpCols(
		dcol("id", dumpInt), dcol("email", dumpText), dcol("ip", dumpText), dcol("at", dumpTime))},
	{name: "audit_events", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("at", dumpTime), dopt("user_id", dumpInt),
		dcol("actor", dumpText), dcol("action", dumpText), dcol("entity", dumpText), dcol("entity_key", dumpText),
		dcol("version", dumpInt), dopt("before_json", dumpText), dopt("after_json", dumpText))},
}

// dumpCols flattens columns and groups of columns.
func dumpCols(parts ...any) []dumpColumn {
	var out []dumpColumn
	for _, p := range parts {
		switch p := p.(type) {
		case dumpColumn:
			out = append(out, p)
		case []dumpColumn:
			out = append(out, p...)
		default:
			panic(fmt.Sprintf("dumpCols: %T", p))
		}
	}
	return out
}

// olderExports are the schema versions before this binary's whose exports
// Import still reads, each with the tables added since: tables that hold
// only what the import computes again from the others (rollups). An
// export of any other older version is imported with the release that
// wrote it, then migrated.
var olderExports = map[int64][]string{
	3: {"mobility_by_programme"},
}

// dumpTableByName indexes dumpTables.
var dumpTableByName = func() map[string]*dumpTable {
	m := map[string]*dumpTable{}
	for i := range dumpTables {
		m[dumpTables[i].name] = &dumpTables[i]
	}
	return m
}()

func (t *dumpTable) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// identity reports whether the table's key is a generated id (an identity
// column in PostgreSQL, whose sequence an import must move on).
func (t *dumpTable) identity() bool { return len(t.pk) == 1 && t.pk[0] == "id" }

func quoteIdent(s string) string { return `"` + s + `"` }

func (t *dumpTable) columnList() string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quoteIdent(c.name)
	}
	return strings.Join(names, ", ")
}

// selectSQL reads the table ordered by its primary key. Text keys are
// ordered bytewise on both engines (PostgreSQL would otherwise use the
// database's collation), so the order does not depend on the engine.
func (t *dumpTable) selectSQL(d dialect) string {
	order := make([]string, len(t.pk))
	for i, k := range t.pk {
		order[i] = quoteIdent(k)
		if c := t.cols[t.colIndex(k)]; c.typ == dumpText {
			order[i] += d.bytewise
		}
	}
	return `SELECT ` + t.columnList() + ` FROM ` + quoteIdent(t.name) + ` ORDER BY ` + strings.Join(order, ", ")
}

func (t *dumpTable) insertSQL() string {
	return `INSERT INTO ` + quoteIdent(t.name) + ` (` + t.columnList() + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + `)`
}

// xferQuerier is what reads run on: the pool or a transaction.
type xferQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---- schema version --------------------------------------------------------

// binaryVersion is the schema version this binary's migrations lead to.
func (db *DB) binaryVersion() (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	var v int64
	for _, s := range p.ListSources() {
		v = max(v, s.Version)
	}
	return v, nil
}

// dbVersion is the schema version of the database: 0 before any migration.
func (db *DB) dbVersion(ctx context.Context, q xferQuerier) (int64, error) {
	ok, err := db.dialect.tableExists(ctx, q, gooseTable)
	if err != nil || !ok {
		return 0, err
	}
	var v sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT max(version_id) FROM `+gooseTable).Scan(&v)
	return v.Int64, err
}

// checkSchema returns the database's schema version, or an error with key
// when it is not the one this binary knows.
func (db *DB) checkSchema(ctx context.Context, q xferQuerier, key string) (int64, error) {
	want, err := db.binaryVersion()
	if err != nil {
		return 0, err
	}
	have, err := db.dbVersion(ctx, q)
	if err != nil {
		return 0, err
	}
	if have != want {
		return 0, partnerhub.Errorf(partnerhub.EConflict, key, have, want)
	}
	return have, nil
}

// CheckEmpty returns nil when no application table holds a row (tables that
// do not exist yet count as empty), and otherwise the EConflict error
// "error.import_not_empty" that Import would return, naming a table.
func (db *DB) CheckEmpty(ctx context.Context) error {
	return db.checkEmpty(ctx, db.read)
}

func (db *DB) checkEmpty(ctx context.Context, q xferQuerier) error {
	for _, t := range dumpTables {
		ok, err := db.dialect.tableExists(ctx, q, t.name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM `+quoteIdent(t.name)+` LIMIT 1`).Scan(&one)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		return partnerhub.Errorf(partnerhub.EConflict, "error.import_not_empty", t.name)
	}
	return nil
}

// ---- export ----------------------------------------------------------------

// Export writes the whole database to w as one JSON document: a header
// (format, format version, schema version) and every table in foreign-key
// order, rows ordered by primary key, columns in a fixed order, values in a
// form that does not depend on the engine. It reads in one read-only
// transaction (REPEATABLE READ in PostgreSQL; a WAL snapshot in SQLite), so
// the document is a consistent snapshot even while others write.
func (db *DB) Export(ctx context.Context, w io.Writer) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	version, err := db.checkSchema(ctx, tx, "error.export_schema")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "{\n  \"format\": %q,\n  \"format_version\": %d,\n  \"schema_version\": %d,\n  \"tables\": {",
		ExportFormat, ExportFormatVersion, version)
	for i := range dumpTables {
		t := &dumpTables[i]
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    \"" + t.name + "\": [")
		n, err := db.exportTable(ctx, tx, bw, t)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString("\n    ")
		}
		bw.WriteByte(']')
	}
	bw.WriteString("\n  }\n}\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) exportTable(ctx context.Context, tx *sql.Tx, w *bufio.Writer, t *dumpTable) (int, error) {
	rows, err := tx.QueryContext(ctx, t.selectSQL(db.dialect))
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", t.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	buf := make([]byte, 0, 4096)
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("export %s: %w", t.name, err)
		}
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n      {"...)
		for j, c := range t.cols {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, c.name)
			buf = append(buf, ':')
			if buf, err = appendDumpValue(buf, c, vals[j]); err != nil {
				return n, &partnerhub.Error{Code: partnerhub.EInternal, Message: "error.export_bad_value",
					Args: []any{t.name, rowKey(t, vals), c.name}, Err: err}
			}
		}
		buf = append(buf, '}')
		if _, err := w.Write(buf); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// rowKey names a row by its primary key, for messages.
func rowKey(t *dumpTable, vals []any) string {
	parts := make([]string, len(t.pk))
	for i, k := range t.pk {
		parts[i] = fmt.Sprintf("%s=%v", k, vals[t.colIndex(k)])
	}
	return strings.Join(parts, ", ")
}

// dumpTimeLayout writes every time in UTC with nine fractional digits, so
// that times also sort as text.
const dumpTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// appendDumpValue writes one value in its engine-independent form. A value
// that cannot be written exactly is an error, never a silent change.
func appendDumpValue(b []byte, c dumpColumn, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch c.typ {
	case dumpInt:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case int32:
			return strconv.AppendInt(b, int64(x), 10), nil
		case int:
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case dumpReal:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case int64:
			f = float64(x)
		default:
			return b, fmt.Errorf("%T is not a number", v)
		}
		return appendJSONFloat(b, f)
	case dumpText:
		switch x := v.(type) {
		case string:
			if !utf8.ValidString(x) {
				return b, errors.New("text that is not UTF-8")
			}
			return appendJSONString(b, x), nil
		case []byte:
			if !utf8.Valid(x) {
				return b, errors.New("bytes that are not UTF-8 text")
			}
			return appendJSONString(b, string(x)), nil
		}
	case dumpBool:
		switch x := v.(type) {
		case bool:
			return strconv.AppendBool(b, x), nil
		case int64:
			if x == 0 || x == 1 {
				return strconv.AppendBool(b, x == 1), nil
			}
		}
	case dumpTime:
		switch x := v.(type) {
		case time.Time:
			return appendJSONString(b, x.UTC().Format(dumpTimeLayout)), nil
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
				if t, err := time.Parse(layout, x); err == nil {
					return appendJSONString(b, t.UTC().Format(dumpTimeLayout)), nil
				}
			}
		}
	}
	return b, fmt.Errorf("%T %v is not a %s", v, v, c.typ)
}

func (t dumpType) String() string {
	switch t {
	case dumpInt:
		return "integer"
	case dumpReal:
		return "real"
	case dumpText:
		return "text"
	case dumpBool:
		return "boolean"
	case dumpTime:
		return "timestamp"
	}
	return "?"
}

// appendJSONFloat writes a float as encoding/json does: the shortest form
// that reads back as the same float.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("%v is not a JSON number", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07, not 1e-007; 1e+21 as is
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b, nil
}

// appendJSONString quotes valid UTF-8 text as a JSON string, escaping only
// what JSON requires (so Japanese stays readable).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ---- import ----------------------------------------------------------------

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
		doc.rows[name] = parseRows(p, t, raw)
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
func parseRows(p *importProblems, t *dumpTable, raw json.RawMessage) [][]any {
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
		rows = append(rows, parseRow(p, t, i, rowRaw))
	}
	return rows
}

func parseRow(p *importProblems, t *dumpTable, i int, raw json.RawMessage) []any {
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
		if !have[j] {
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

// ---- backup ----------------------------------------------------------------

// Backup writes a consistent copy of a SQLite database to path with VACUUM
// INTO, while others go on reading and writing. It never overwrites: a path
// that exists is an EConflict error. The copy is written next to path under
// a temporary name and appears at path only when complete; it is readable
// by its owner only (it holds password hashes).
//
// PostgreSQL is backed up with pg_dump: Backup returns an EUnsupported
// error whose message gives the command.
func (db *DB) Backup(ctx context.Context, path string) error {
	return db.dialect.backup(ctx, db, path)
}

// publish gives the complete file tmp its final name, unless a file of
// that name exists (then an EConflict error with existsKey and shown). A
// hard link cannot replace a file; where links are not supported, a rename
// after a check does.
func publish(tmp, final, shown, existsKey string) error {
	err := os.Link(tmp, final)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return partnerhub.Errorf(partnerhub.EConflict, existsKey, shown)
	}
	if _, err := os.Lstat(final); err == nil {
		return partnerhub.Errorf(partnerhub.EConflict, existsKey, shown)
	}
	return os.Rename(tmp, final)
}
