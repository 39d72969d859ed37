package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// TestNetworkFromTheCommandLine is the network as an operator makes it:
// two members added with partnerhub home add, one of them onboarded from a
// workbook with partnerhub home import; then, as serve runs them, each
// portal is at its path with its own data, and the network's pages list
// every member and the institution two of them share.
func TestNetworkFromTheCommandLine(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dbURL := migrated(t, e)
		cmd := func(args ...string) string {
			t.Helper()
			var out, errOut bytes.Buffer
			if err := run(ctx, args, env(), &out, &errOut); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, errOut.String())
			}
			return out.String()
		}
		cmd("home", "add", "-db", dbURL, "-slug", "tohoku", "-name-ja", "東北大学", "-name-en", "Tohoku University",
			"-programme-ja", "東北大学の国際連携", "-programme-en", "Tohoku Global Partnerships")
		cmd("home", "add", "-db", dbURL, "-slug", "kyoto-u", "-name-ja", "京都大学", "-name-en", "Kyoto University",
			"-programme-ja", "京都プログラム", "-programme-en", "Kyoto Programme", "-share-statistics")
		wb := filepath.Join(t.TempDir(), "kyoto.xlsx")
		if err := os.WriteFile(wb, storetest.GoodOnboarding(t), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd("home", "import", "-db", dbURL, "-slug", "kyoto-u", wb)
		if out := cmd("home", "list", "-db", dbURL); strings.Count(out, " active") != 3 {
			t.Fatalf("home list:\n%s", out)
		}

		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		d, err := web.NewDeployment(ctx, web.Deps{Source: db, Messages: msgs, Editor: db, Mobility: db, Network: db, Members: db,
			ContentHome: "utokyo"}, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(d)
		t.Cleanup(hs.Close)
		get := func(path string, want ...string) {
			t.Helper()
			res, err := http.Get(hs.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
			for _, w := range want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
		}
		// Each portal at its path, with its own data and its own links.
		get("/kyoto-u/en/partners", "Example Institute of Technology", `href="/kyoto-u/en/partners/example-tech"`)
		get("/kyoto-u/ja/units", "工学研究科", "理学研究科")
		get("/tohoku/en/", "Tohoku Global Partnerships")
		get("/en/partners", "Princeton University")
		// The network: every member, and Princeton shared by the first
		// member and the onboarded one.
		get("/en/network", "The University of Tokyo", "Kyoto University", "Tohoku University", `href="/kyoto-u/en/"`, `href="/tohoku/en/"`)
		get("/ja/network/institutions/princeton", "東京大学", "京都大学", `href="/kyoto-u/ja/partners/princeton-p"`)
		get("/en/network/members/kyoto-u", "Example Institute of Technology", "The University of Tokyo")
		get("/api/v1/network/members", `"kyoto-u"`, `"tohoku"`, `"utokyo"`)
	})
}
