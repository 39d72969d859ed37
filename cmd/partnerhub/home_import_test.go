package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestHomeImport: `home import` refuses a bad workbook with every problem
// by sheet, row and column and writes nothing, writes a good one into the
// member named, and says so when the same workbook changes nothing.
func TestHomeImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dir := t.TempDir()
		dbURL := migrated(t, e)
		var out, errOut bytes.Buffer
		if err := run(ctx, []string{"home", "add", "-db", dbURL, "-slug", "kyoto-u", "-name-ja", "京都大学", "-name-en", "Kyoto University",
			"-programme-ja", "京都プログラム", "-programme-en", "Kyoto Programme"}, env(), &out, &errOut); err != nil {
			t.Fatalf("home add: %v %s", err, errOut.String())
		}
		write := func(name string, b []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		units := func() int {
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c, err := db.Catalog(ctx, "kyoto-u")
			if err != nil {
				t.Fatal(err)
			}
			return len(c.Units) + len(c.Partners)
		}
		bad := write("bad.xlsx", storetest.Onboarding(t, map[string][][]string{
			"Units": {{"eng", "工学", "", "工", "E", "graduate_school"}},
			"Teams": {{"x-u", "one", "eng", "", ""}},
		}))
		out.Reset()
		errOut.Reset()
		err := run(ctx, []string{"home", "import", "-db", dbURL, "-slug", "kyoto-u", bad}, env("LANG", "en_US.UTF-8"), &out, &errOut)
		said := errOut.String()
		if err == nil || !strings.Contains(err.Error(), "2 problems") || !strings.Contains(said, "Units row 2 column name_en / 名称（英語）: This cell must be filled in.") ||
			!strings.Contains(said, "Teams row 2 column phase / 期: “one” is not a whole number.") {
			t.Fatalf("bad: %v\n%s", err, said)
		}
		if units() != 0 {
			t.Fatal("a bad workbook wrote")
		}
		good := write("good.xlsx", storetest.GoodOnboarding(t))
		out.Reset()
		if err := run(ctx, []string{"home", "import", "-db", dbURL, "-slug", "kyoto-u", good}, env("LANG", "en_US.UTF-8"), &out, &errOut); err != nil {
			t.Fatalf("good: %v %s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "imported "+good+" into kyoto-u") || !strings.Contains(out.String(), "Units created 2") {
			t.Errorf("good: %s", out.String())
		}
		if units() != 4 {
			t.Errorf("%d units and partners", units())
		}
		out.Reset()
		if err := run(ctx, []string{"home", "import", "-db", dbURL, "-slug", "kyoto-u", good}, env("LANG", "ja_JP.UTF-8"), &out, &errOut); err != nil {
			t.Fatalf("again: %v", err)
		}
		if !strings.Contains(out.String(), "変更なし") {
			t.Errorf("again: %s", out.String())
		}
		// An unknown member is refused.
		if err := run(ctx, []string{"home", "import", "-db", dbURL, "-slug", "atlantis", good}, env(), &out, &errOut); err == nil {
			t.Error("imported into no member")
		}
	})
}
