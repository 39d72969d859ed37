package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestAgreementsRegisterCommands: `import agreements` refuses a bad
// register with its problems by row and column and adds nothing, adds a
// good one whole; `export agreements` writes a workbook that a second
// database, empty of agreements, reads back.
func TestAgreementsRegisterCommands(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dir := t.TempDir()
		dbURL := migrated(t, e)
		count := func() int {
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c, err := db.Catalog(ctx, "utokyo")
			if err != nil {
				t.Fatal(err)
			}
			return len(c.Agreements)
		}
		write := func(name, s string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		header := "Partner,Kind,Signed by,Title (Japanese),Title (English),Units,Signed,Expires\n"
		bad := write("bad.csv", header+"Atlantis,exchange,university,協定,Agreement,,2015,\nntu,exchange,unit,協定,Agreement,火星研,2015,2014\n")
		good := write("good.csv", header+"ntu,exchange,university,協定,Agreement with NTU,,2015,2020\n")
		builtin, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		err = run(ctx, []string{"import", "agreements", "-db", dbURL, bad}, env(), &out, &errOut)
		said := errOut.String()
		if err == nil || !strings.Contains(said, "bad.csv:2 [Partner]: “Atlantis” is not a partner") ||
			!strings.Contains(said, "bad.csv:3 [Units]: “火星研” is not a unit") || !strings.Contains(err.Error(), "2 problems") {
			t.Fatalf("bad register: %v\n%s", err, said)
		}
		// The empty database got the built-in data, and nothing of the register.
		before := count()
		if before != len(builtin.Agreements) {
			t.Fatalf("a refused register left %d agreements, want the %d built in", before, len(builtin.Agreements))
		}
		out.Reset()
		if err := run(ctx, []string{"import", "agreements", "-db", dbURL, good}, env(), &out, &errOut); err != nil || !strings.Contains(out.String(), "added 1 agreement") {
			t.Fatalf("good register: %v %s", err, out.String())
		}
		if count() != before+1 {
			t.Fatal("the good register was not added")
		}
		file := filepath.Join(dir, "register.xlsx")
		out.Reset()
		if err := run(ctx, []string{"export", "agreements", "-db", dbURL, "-lang", "ja", "-o", file}, env(), &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		// Read back into the same database, every key is taken: refused whole, by row.
		errOut.Reset()
		err = run(ctx, []string{"import", "agreements", "-db", dbURL, file}, env(), &out, &errOut)
		if err == nil || !strings.Contains(errOut.String(), "register.xlsx:2 [キー]") {
			t.Fatalf("export read back: %v\n%s", err, errOut.String())
		}
	})
}
