package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestReportCommand: `partnerhub report` checks its flags with a message
// naming the flag, in the terminal's language, writes nothing then, and
// writes the PDF of a year of the programme's data.
func TestReportCommand(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dir := t.TempDir()
		dbURL := migrated(t, e)
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		builtin, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ImportCatalog(ctx, builtin); err != nil {
			t.Fatal(err)
		}
		db.Close()
		file := filepath.Join(dir, "report.pdf")
		for _, c := range []struct {
			args []string
			lang string
			want string
		}{
			{[]string{"-year", "20x4", "-o", file}, "en", "-year: “20x4” is not a year"},
			{[]string{"-year", "2024", "-lang", "fr", "-o", file}, "en", "-lang: “fr”"},
			{[]string{"-year", "2024"}, "en", "-o: name the PDF file"},
			{[]string{"-year", "1999", "-o", file}, "en", "-year: the programme has no data for 1999"},
			{[]string{"-year", "1999", "-o", file}, "ja", "-year：1999年のデータはありません"},
		} {
			var out, errOut bytes.Buffer
			err := run(ctx, append([]string{"report", "-db", dbURL}, c.args...), env("LANG", c.lang), &out, &errOut)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want a usage error with %q", c.args, err, c.want)
			}
			if _, err := os.Stat(file); err == nil {
				t.Fatalf("%v wrote the file", c.args)
			}
		}
		var out, errOut bytes.Buffer
		if err := run(ctx, []string{"report", "-db", dbURL, "-year", "2024", "-lang", "ja", "-o", file}, env(), &out, &errOut); err != nil {
			t.Fatalf("%v\n%s", err, errOut.String())
		}
		b, err := os.ReadFile(file)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%v: %.20q", err, b)
		}
		if !strings.Contains(out.String(), "23 pages") {
			t.Errorf("output %q", out.String())
		}
		// An existing file is never replaced.
		if err := run(ctx, []string{"report", "-db", dbURL, "-year", "2024", "-o", file}, env(), &out, &errOut); err == nil {
			t.Error("the command replaced an existing file")
		}
	})
}
