package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/web"
)

// BenchmarkWrite is what a write costs the server, as bench/http.sh's
// mixed case makes them: an API PATCH by a coordinator (alternately the
// lead of a partner's team, which the partners page shows, and the venue
// of an activity, which it does not) and then the first GET /en/partners
// after it, which finds the page in the cache or renders it. Single
// goroutine: ns/op is CPU time, robust to a busy machine. read-ns/op is
// that GET alone: what the first reader after a write waits (and every
// reader of the page with it).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	db, c, msgs := builtinDB(b)
	srv, err := web.NewServer(ctx, web.Deps{Source: db, Home: c.Home.Slug, Messages: msgs, Accounts: db, Editor: db, Search: db})
	if err != nil {
		b.Fatal(err)
	}
	var units []string
	for _, u := range c.Units {
		units = append(units, u.Code)
	}
	u, err := db.CreateUser(ctx, c.Home.Slug, &partnerhub.User{Email: "bench@example.org", Name: "Bench", Role: partnerhub.RoleCoordinator, Units: units}, "a long and secret passphrase")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "bench", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	// One team and one activity of a partner with a team in the current
	// phase, as bench/writer picks them.
	x := partnerhub.NewIndex(c)
	var team, activity string
	var leads []string
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		if n := len(p.Teams); n > 0 && len(p.Teams[n-1].Units) > 1 {
			team = fmt.Sprintf("/api/v1/partners/%s/teams/%d", p.Slug, p.Teams[n-1].Phase)
			for _, tu := range p.Teams[n-1].Units {
				leads = append(leads, tu.Code)
			}
			for _, a := range x.Activities(partnerhub.ActivityFilter{Partner: p.Slug}) {
				if len(a.Partners) == 1 {
					activity = "/api/v1/activities/" + a.Slug
					break
				}
			}
			break
		}
	}
	if team == "" || activity == "" {
		b.Fatal("no team and activity to write")
	}
	do := func(method, target, body string) {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Content-Type", "application/merge-patch+json")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%s %s: status %d: %s", method, target, w.Code, w.Body)
		}
	}
	read := func() { do(http.MethodGet, "/en/partners", "") }
	read()
	versions := map[string]int{team: 1, activity: 1}
	b.ReportAllocs()
	i := 0
	var reading time.Duration
	for b.Loop() {
		target, body := activity, fmt.Sprintf(`{"version":%d,"venue":{"en":"Room %d"}}`, versions[activity], i)
		if i%2 == 0 {
			target, body = team, fmt.Sprintf(`{"version":%d,"lead":%q}`, versions[team], leads[i/2%len(leads)])
		}
		do(http.MethodPatch, target, body)
		versions[target]++
		t0 := time.Now()
		read()
		reading += time.Since(t0)
		i++
	}
	b.ReportMetric(float64(reading.Nanoseconds())/float64(b.N), "read-ns/op")
}
