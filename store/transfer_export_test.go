package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// PgDumpCommandForTest is pgDumpCommand, for tests of what it leaves out.
var PgDumpCommandForTest = pgDumpCommand

// TransferSchemaProblemsForTest compares the description of the exported
// tables (dumpTables) with the schema of the database: every table, column,
// logical type, nullability, primary key, foreign key and identity. It
// returns one line per difference.
func (db *DB) TransferSchemaProblemsForTest(ctx context.Context) ([]string, error) {
	live, err := db.xferLiveSchema(ctx)
	if err != nil {
		return nil, err
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for name := range live {
		if _, ok := dumpTableByName[name]; !ok {
			add("table %s is not described in dumpTables: exports would leave it out", name)
		}
	}
	for i := range dumpTables {
		t := &dumpTables[i]
		rt, ok := live[t.name]
		if !ok {
			add("table %s is described but does not exist", t.name)
			continue
		}
		seen := map[string]bool{}
		for _, c := range t.cols {
			if seen[c.name] {
				add("%s.%s is described twice", t.name, c.name)
			}
			seen[c.name] = true
			rc, ok := rt.cols[c.name]
			if !ok {
				add("%s.%s is described but does not exist", t.name, c.name)
				continue
			}
			if want := db.dialectTypes(c.typ); !slices.Contains(want, rc.typ) {
				add("%s.%s is described as %s (%s), but is %s", t.name, c.name, c.typ, strings.Join(want, " or "), rc.typ)
			}
			if c.null == rc.notNull {
				add("%s.%s: described NOT NULL=%v, is NOT NULL=%v", t.name, c.name, !c.null, rc.notNull)
			}
		}
		for name := range rt.cols {
			if !seen[name] {
				add("%s.%s exists but is not described: exports would leave it out", t.name, name)
			}
		}
		if !slices.Equal(t.pk, rt.pk) {
			add("%s: primary key described as %v, is %v", t.name, t.pk, rt.pk)
		}
		var fks []string
		for _, r := range t.refs {
			fks = append(fks, strings.Join(r.cols, ",")+"->"+r.table+"("+strings.Join(r.refs, ",")+")")
		}
		slices.Sort(fks)
		slices.Sort(rt.fks)
		if !slices.Equal(fks, rt.fks) {
			add("%s: foreign keys described as %v, are %v", t.name, fks, rt.fks)
		}
		if t.identity() != rt.identity {
			add("%s: described identity=%v, is %v", t.name, t.identity(), rt.identity)
		}
	}
	for i := 1; i < len(dumpTables); i++ { // foreign-key order
		for _, r := range dumpTables[i].refs {
			if !slices.ContainsFunc(dumpTables[:i], func(t dumpTable) bool { return t.name == r.table }) {
				add("%s refers to %s, which comes later in dumpTables", dumpTables[i].name, r.table)
			}
		}
	}
	return problems, nil
}

func (db *DB) dialectTypes(t dumpType) []string {
	if db.dialect.name == "postgres" {
		return map[dumpType][]string{
			dumpInt: {"integer", "bigint"}, dumpReal: {"double precision"}, dumpText: {"text"},
			dumpBool: {"boolean"}, dumpTime: {"timestamp with time zone"}, dumpBytes: {"bytea"},
		}[t]
	}
	return map[dumpType][]string{
		dumpInt: {"INTEGER"}, dumpReal: {"REAL"}, dumpText: {"TEXT"}, dumpBool: {"INTEGER"}, dumpTime: {"TIMESTAMP"}, dumpBytes: {"BLOB"},
	}[t]
}

type xferLiveColumn struct {
	typ     string
	notNull bool
}

type xferLiveTable struct {
	cols     map[string]xferLiveColumn
	pk       []string
	fks      []string // "a,b->table(c,d)"
	identity bool
}

func (db *DB) xferLiveSchema(ctx context.Context) (map[string]*xferLiveTable, error) {
	var q struct{ tables, cols, pk, fks string }
	if db.dialect.name == "postgres" {
		q.tables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		q.cols = `SELECT column_name, data_type, is_nullable = 'NO', is_identity = 'YES', 0 FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`
		q.pk = `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`
		q.fks = `SELECT c.conname, r.relname,
			(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
			(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)
			FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid
			WHERE c.contype = 'f' AND c.conrelid = to_regclass($1)`
	} else {
		q.tables = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'`
		q.cols = `SELECT name, type, "notnull" OR pk > 0, 0, pk FROM pragma_table_info(?)`
		q.fks = `SELECT id, "table", group_concat("from", ','), group_concat("to", ',')
			FROM (SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id, "table"`
	}
	names, err := db.schemaStrings(ctx, q.tables)
	if err != nil {
		return nil, err
	}
	out := map[string]*xferLiveTable{}
	for _, name := range names {
		if name == gooseTable || queueTable(name) || searchTable(name) || webhookTable(name) {
			continue
		}
		t := &xferLiveTable{cols: map[string]xferLiveColumn{}}
		out[name] = t
		rows, err := db.read.QueryContext(ctx, q.cols, name)
		if err != nil {
			return nil, err
		}
		pkPos := map[int]string{}
		for rows.Next() {
			var col, typ string
			var notNull, identity bool
			var pk int
			if err := rows.Scan(&col, &typ, &notNull, &identity, &pk); err != nil {
				rows.Close()
				return nil, err
			}
			t.cols[col] = xferLiveColumn{typ: typ, notNull: notNull}
			t.identity = t.identity || identity
			if pk > 0 {
				pkPos[pk] = col
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if q.pk != "" {
			if t.pk, err = db.schemaStrings(ctx, q.pk, name); err != nil {
				return nil, err
			}
		} else {
			for i := 1; i <= len(pkPos); i++ {
				t.pk = append(t.pk, pkPos[i])
			}
			// an INTEGER PRIMARY KEY is the rowid: SQLite's identity
			t.identity = len(t.pk) == 1 && t.cols[t.pk[0]].typ == "INTEGER"
		}
		rows, err = db.read.QueryContext(ctx, q.fks, name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, table string
			var from, to sql.NullString
			if err := rows.Scan(&id, &table, &from, &to); err != nil {
				rows.Close()
				return nil, err
			}
			t.fks = append(t.fks, from.String+"->"+table+"("+to.String+")")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) schemaStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
