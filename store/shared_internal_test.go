package store

import (
	"context"
	"database/sql"
	"slices"
	"testing"
)

// institutionRefs names every column of the schema that refers to an
// institution: the export's description of the schema, which
// TestTransferSchema checks against the live schema of both engines, lists
// the same ones. A new reference to institutions fails here until the
// registry's sharing rule knows it.
func TestInstitutionRefsCoverSchema(t *testing.T) {
	var schema, known []string
	for _, tb := range dumpTables {
		for _, r := range tb.refs {
			if r.table == "institutions" {
				schema = append(schema, tb.name+"."+r.cols[0])
			}
		}
	}
	for _, r := range institutionRefs {
		known = append(known, r.table+"."+r.column)
	}
	slices.Sort(schema)
	slices.Sort(known)
	if !slices.Equal(schema, known) {
		t.Fatalf("columns that refer to institutions: schema %v, institutionRefs %v", schema, known)
	}
}

// InstitutionRefsForTest names the columns that refer to institutions, as
// "table.column".
func InstitutionRefsForTest() []string {
	var out []string
	for _, r := range institutionRefs {
		out = append(out, r.table+"."+r.column)
	}
	return out
}

// ExecArgsForTest runs a statement written with ? placeholders on the writer.
func (db *DB) ExecArgsForTest(ctx context.Context, q string, args ...any) error {
	_, err := db.write.ExecContext(ctx, db.q(q), args...)
	return err
}

// BeginForTest opens a write transaction on the writer pool, and returns
// its statements' placeholders rewritten for the engine.
func (db *DB) BeginForTest(ctx context.Context) (*sql.Tx, func(string) string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	return tx, db.q, err
}

// ReadRowForTest reads one row.
func (db *DB) ReadRowForTest(ctx context.Context, q string, dest ...any) error {
	return db.read.QueryRowContext(ctx, db.q(q)).Scan(dest...)
}
