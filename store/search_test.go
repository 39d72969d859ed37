package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// hitKeys writes results as "kind:key" lines, exact ones marked "=".
func hitKeys(r *partnerhub.SearchResults) []string {
	var out []string
	for _, h := range r.Hits {
		s := string(h.Kind) + ":" + h.Key
		if h.Exact {
			s = "=" + s
		}
		if h.Draft {
			s += "(draft)"
		}
		out = append(out, s)
	}
	return out
}

func search(t *testing.T, db *store.DB, home string, q partnerhub.SearchQuery) *partnerhub.SearchResults {
	t.Helper()
	r, err := db.Search(context.Background(), home, q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Text, err)
	}
	return r
}

func TestSearchExplore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		for _, q := range []string{"農学", "清華", "工学", "工", "東文研", "IPMU", "PKU", "SNU", "ETH", "ＥＴＨ", "symposi", "Stockh", "ストックホルム", "Tsinghua"} {
			r := search(t, db, "utokyo", partnerhub.SearchQuery{Text: q, Lang: partnerhub.Japanese, Limit: 3})
			var sn []string
			for _, h := range r.Hits {
				var b strings.Builder
				for _, m := range h.Snippet {
					if m.Hit {
						b.WriteString("[" + m.Text + "]")
					} else {
						b.WriteString(m.Text)
					}
				}
				sn = append(sn, b.String())
			}
			fmt.Printf("%s %q counts=%v\n  %v\n", e.Name, q, r.Counts, hitKeys(r))
			if len(sn) > 0 {
				fmt.Printf("  snippet: %.200s\n", sn[0])
			}
		}
	})
}
