package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestSearchReindex: a database loaded without audit events is indexed by
// "partnerhub search reindex", which says how many records in the
// terminal's language; bad use is a usage error.
func TestSearchReindex(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		url := e.URL(t)
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ImportCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
		for _, lang := range []struct{ env, want string }{{"en_US.UTF-8", "search index built: "}, {"ja_JP.UTF-8", "検索索引を作りました: "}} {
			var out bytes.Buffer
			if err := run(ctx, []string{"search", "reindex", "-db", url}, env("LANG", lang.env), &out, io.Discard); err != nil {
				t.Fatalf("reindex: %v", err)
			}
			if !strings.HasPrefix(out.String(), lang.want) {
				t.Errorf("%s: %q", lang.env, out.String())
			}
		}
		r, err := db.Search(ctx, "utokyo", partnerhub.SearchQuery{Text: "東文研", Kinds: []partnerhub.SearchKind{partnerhub.SearchUnit}})
		if err != nil || len(r.Hits) == 0 || r.Hits[0].Key != "ioc" || !r.Hits[0].Exact || len(r.Hits[0].Snippet) == 0 || !r.Hits[0].Snippet[0].Hit {
			t.Fatalf("after reindex: %+v %v", r, err)
		}
		for _, args := range [][]string{{"search"}, {"search", "rebuild"}, {"search", "reindex", "extra"}} {
			err := run(ctx, args, env(), io.Discard, io.Discard)
			if _, ok := err.(usageError); !ok {
				t.Errorf("%v: %v, want a usage error", args, err)
			}
		}
		var out bytes.Buffer
		if err := run(ctx, []string{"search", "-h"}, env(), &out, io.Discard); err != nil || !strings.Contains(out.String(), "partnerhub search reindex") {
			t.Errorf("search -h: %q %v", out.String(), err)
		}
	})
}
