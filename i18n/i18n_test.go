package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"partnerhub"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ja, en := c.Keys(partnerhub.Japanese), c.Keys(partnerhub.English)
	for k, v := range en {
		if _, ok := ja[k]; !ok {
			t.Errorf("ja.json lacks %q", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("en.json: %q is empty", k)
		}
	}
	for k, v := range ja {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("ja.json: %q is empty", k)
		}
	}
}

// The patterns by which code names message keys: error keys in Errorf and
// Error literals, field keys as the second argument of FieldErrors.Add and
// of the dataset loader's problem, and keys looked up with T.
var keyUses = []*regexp.Regexp{
	regexp.MustCompile(`"((?:error|cli|page|nav|label|kind|tier|format|unit_kind|qualifier|agreement|site|footer|phase|date|month|map|sort|edit|form|history|bin|audit|entity|action|partner|signin|account|role|export|stats|direction|category|programme|dim|mail|invitation)\.[a-z0-9_.]*[a-z0-9_])"`),
	regexp.MustCompile(`\.Add\([^,()]+(?:\([^()]*\))?[^,()]*, "([a-z_]+)"`),
	regexp.MustCompile(`problem\([^,]+, [^,]+, [^,]+, "([a-z_]+)"`),
}

func TestEveryKeyInCodeIsInTheCatalogs(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	root := filepath.Join("..")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".html")) || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, re := range keyUses {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				key := m[1]
				if strings.HasSuffix(key, ".css") {
					continue // an asset's file name, not a message
				}
				if i > 0 {
					key = "field." + key
				}
				found++
				for _, l := range partnerhub.Langs {
					if _, ok := c.Keys(l)[key]; !ok {
						t.Errorf("%s uses %q, missing from %s.json", path, key, l)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 30 {
		t.Fatalf("found only %d key uses: the patterns no longer match the code", found)
	}
}

func TestNegotiate(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		explicit, accept string
		want             partnerhub.Lang
	}{
		{"", "", partnerhub.English},
		{"", "ja,en;q=0.8", partnerhub.Japanese},
		{"", "ja-JP", partnerhub.Japanese},
		{"", "fr-FR,ja;q=0.5", partnerhub.Japanese},
		{"", "de", partnerhub.English},
		{"en", "ja", partnerhub.English},
		{"JA", "en", partnerhub.Japanese},
		{"fr", "ja", partnerhub.Japanese},
		{"", ";;;garbage", partnerhub.English},
	} {
		if got := c.Negotiate(tc.explicit, tc.accept); got != tc.want {
			t.Errorf("Negotiate(%q, %q) = %s, want %s", tc.explicit, tc.accept, got, tc.want)
		}
	}
}

func TestPrinterArgs(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	got := c.Printer(partnerhub.Japanese).T("field.out_of_range", -90, 90)
	if got != "-90から90の範囲で入力してください。" {
		t.Fatalf("got %q", got)
	}
	if got := c.Printer(partnerhub.English).T("no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key renders as %q", got)
	}
}
