package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// visibilityWrites is how many writes BenchmarkWriteVisibility times.
const visibilityWrites = 200

// BenchmarkWriteVisibility measures how long after a write's response on
// one app node the other node serves it: two Deployments in this process
// (each with its own connections, as two nodes), on one PostgreSQL
// database (PARTNERHUB_TEST_POSTGRES, else the local default, as the
// tests), node B watching with its poll an hour apart, so that only
// notifications (LISTEN/NOTIFY) carry the writes. Each of 200 writes
// creates an activity through node A's API; from A's response on, node B's
// API is asked for the activity every 0.2 ms until it answers 200. p50-ms
// and p99-ms are over the 200 delays, max-ms the largest; the issue wants
// p99 under 1,000 ms. Before notifications a node polled every 2 s
// (-reload-interval): a delay from 0 to 2 s, 1 s on average.
//
//	go test -run '^$' -bench WriteVisibility -benchtime 1x ./bench/
func BenchmarkWriteVisibility(b *testing.B) {
	e := storetest.Engines()[1] // PostgreSQL: SQLite has no notifications
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := e.MigratedURL(b)
	nodeA, dbA := visibilityNode(b, url)
	nodeB, _ := visibilityNode(b, url)
	go nodeB.Watch(ctx, time.Hour)
	a := httptest.NewServer(nodeA)
	defer a.Close()
	bs := httptest.NewServer(nodeB)
	defer bs.Close()

	u, err := dbA.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "bench@example.ac.jp", Name: "Bench", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := dbA.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "bench", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	// B listens before the first write is timed.
	time.Sleep(time.Second)
	var delays []time.Duration
	n := 0
	for range b.N {
		for range visibilityWrites {
			n++
			slug := fmt.Sprintf("visible-%d", n)
			body, _ := json.Marshal(map[string]any{"slug": slug, "kind": "workshop", "title": map[string]string{"ja": "見える", "en": "Visible"},
				"partners": []string{"ntu"}, "units": []string{}, "institutions": []string{}, "published": true})
			req, _ := http.NewRequest("POST", a.URL+"/api/v1/activities", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Fatalf("write %s at node A: %d", slug, res.StatusCode)
			}
			written := time.Now()
			for {
				res, err := http.Get(bs.URL + "/api/v1/activities/" + slug)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
				if time.Since(written) > 30*time.Second {
					b.Fatalf("%s not served by node B after 30 s", slug)
				}
				time.Sleep(200 * time.Microsecond)
			}
			delays = append(delays, time.Since(written))
		}
	}
	slices.Sort(delays)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(delays[len(delays)/2]), "p50-ms")
	b.ReportMetric(ms(delays[len(delays)*99/100]), "p99-ms")
	b.ReportMetric(ms(delays[len(delays)-1]), "max-ms")
}

// visibilityNode is an app node on the database at url holding the
// built-in data (loaded by the first node), with connections of its own.
func visibilityNode(b *testing.B, url string) (*web.Deployment, *store.DB) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if homes, err := db.Homes(ctx); err != nil {
		b.Fatal(err)
	} else if len(homes) == 0 {
		c, err := dataset.Builtin()
		if err != nil {
			b.Fatal(err)
		}
		if err := db.ImportCatalog(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	msgs, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	d, err := web.NewDeployment(ctx, web.Deps{Source: db, Messages: msgs, ContentHome: dataset.BuiltinHome, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Members: db}, db, 0)
	if err != nil {
		b.Fatal(err)
	}
	return d, db
}
