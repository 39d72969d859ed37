package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// The joint review at the size of a large call: 1,000 submitted proposals,
// each reviewed by 5 of a committee of 10 (500 reviews each), every
// review submitted. Measured: the ranking table (the chair's) and a
// reviewer's list, from the store and through the HTTP handler, each op
// timed alone; the p99 of those times is reported (target: under 50 ms).
//
//	go test -run '^$' -bench FundReview -benchtime 200x ./bench/

const (
	fundProposals = 1000
	fundReviews   = 5
	fundCommittee = 10
	benchPassword = "a long and secret passphrase"
)

type fundBench struct {
	db        *store.DB
	srv       *web.Server
	chair     *partnerhub.User
	reviewer  *partnerhub.User
	cookie    map[int64]*http.Cookie
	fund      string
	callNum   int
	setupTime time.Duration
}

func newFundBench(b *testing.B, e storetest.Engine) *fundBench {
	b.Helper()
	start := time.Now()
	ctx := context.Background()
	db := e.OpenBuiltin(b)
	fb := &fundBench{db: db, fund: "bench-fund", callNum: 1, cookie: map[int64]*http.Cookie{}}
	user := func(email string, role partnerhub.Role) *partnerhub.User {
		u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: email, Name: email, Role: role}, benchPassword)
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	admin := user("bench-admin@example.ac.jp", partnerhub.RoleAdmin)
	fb.chair = user("bench-chair@example.ac.jp", partnerhub.RoleViewer)
	applicant := user("bench-applicant@example.ac.jp", partnerhub.RoleViewer)
	if _, err := db.PutFund(ctx, admin, "utokyo", partnerhub.Fund{Slug: fb.fund, Partners: []string{"princeton"},
		Name: partnerhub.Text{Ja: "ベンチ基金", En: "Bench fund"}, PartnerZone: "America/New_York", HomeCurrency: "JPY", PartnerCurrency: "USD"}); err != nil {
		b.Fatal(err)
	}
	if err := db.SetFundSeat(ctx, admin, "utokyo", fb.fund, partnerhub.FundSeat{UserID: fb.chair.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome}); err != nil {
		b.Fatal(err)
	}
	var members []*partnerhub.User
	for i := range fundCommittee {
		m := user(fmt.Sprintf("bench-member-%d@example.ac.jp", i), partnerhub.RoleViewer)
		if err := db.SetFundSeat(ctx, admin, "utokyo", fb.fund, partnerhub.FundSeat{UserID: m.ID, Role: partnerhub.FundMember,
			Side: partnerhub.SideHome, Keywords: fmt.Sprintf("topic %d", i)}); err != nil {
			b.Fatal(err)
		}
		members = append(members, m)
	}
	fb.reviewer = members[0]
	now := time.Now().UTC()
	if _, err := db.PutCall(ctx, admin, "utokyo", partnerhub.Call{Fund: fb.fund, Number: 1, Title: partnerhub.Text{Ja: "公募", En: "Call"},
		Opens: now.Add(-time.Hour), Closes: now.Add(24 * time.Hour), Published: true, ScaleMin: 1, ScaleMax: 5,
		Grants: []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12,
			Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}, {Amount: 3000000, Currency: "JPY"}}}},
		Budget: partnerhub.Money{Amount: 10000000, Currency: "USD"},
		Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 3},
			{Code: "collab", Name: partnerhub.Text{Ja: "協働", En: "Collaboration"}, Weight: 2},
			{Code: "students", Name: partnerhub.Text{Ja: "学生", En: "Students"}, Weight: 1}}}); err != nil {
		b.Fatal(err)
	}
	// Proposals and their reviews by a few writers at once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < fundProposals; i += 8 {
				if err := fb.proposal(ctx, applicant, members, i, now); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	fb.srv, err = web.NewServer(ctx, web.Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
		Funds: db, Reviews: db})
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range []*partnerhub.User{fb.chair, fb.reviewer} {
		req := httptest.NewRequest("POST", "/en/signin", strings.NewReader(url.Values{"email": {u.Email}, "password": {benchPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		fb.srv.ServeHTTP(w, req)
		for _, c := range w.Result().Cookies() {
			fb.cookie[u.ID] = c
		}
		if fb.cookie[u.ID] == nil {
			b.Fatalf("sign-in of %s: %d", u.Email, w.Code)
		}
	}
	fb.setupTime = time.Since(start)
	return fb
}

// proposal i: submitted, assigned to 5 members in turn, each review submitted.
func (fb *fundBench) proposal(ctx context.Context, applicant *partnerhub.User, members []*partnerhub.User, i int, now time.Time) error {
	db := fb.db
	p, err := db.CreateProposal(ctx, applicant, "utokyo", partnerhub.Proposal{Fund: fb.fund, Call: 1, Grant: "seed",
		Title:    partnerhub.Text{Ja: fmt.Sprintf("提案 %d", i), En: fmt.Sprintf("Proposal %d", i)},
		Abstract: partnerhub.Text{Ja: "要旨", En: "Abstract"}, Plan: partnerhub.Text{En: "Plan"}, Keywords: fmt.Sprintf("topic %d", i%fundCommittee),
		Members: []partnerhub.ProposalMember{{Email: applicant.Email, Name: applicant.Name, Role: partnerhub.MemberLead, Side: partnerhub.SideHome},
			{Email: "colead@princeton.example", Name: "Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner}},
		Budget: []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1000000}}})
	if err != nil {
		return err
	}
	if _, err := db.TransitProposal(ctx, applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, now); err != nil {
		return err
	}
	for k := range fundReviews {
		m := members[(i+k*2)%fundCommittee]
		if err := db.Assign(ctx, fb.chair, "utokyo", p.ID, m.ID); err != nil {
			return err
		}
		s := 1 + (i+k)%5
		if _, err := db.PutReview(ctx, m, "utokyo", partnerhub.ProposalReview{Proposal: p.ID,
			Scores: map[string]int{"merit": s, "collab": 1 + (s+1)%5, "students": 1 + (s+2)%5}, ForCommittee: "Fine."}, true); err != nil {
			return err
		}
	}
	return nil
}

// timed runs op b.N times, timing each, and reports the p50 and p99.
func timed(b *testing.B, op func() error) {
	b.Helper()
	if err := op(); err != nil { // once outside the timing
		b.Fatal(err)
	}
	durs := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(t))
	}
	b.StopTimer()
	// The process's CPU time per op: what an op costs when the machine
	// is not shared (the p99 of a busy machine is mostly waiting).
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	slices.Sort(durs)
	at := func(q float64) float64 {
		i := int(q * float64(len(durs)))
		if i >= len(durs) {
			i = len(durs) - 1
		}
		return float64(durs[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func (fb *fundBench) get(path string, u *partnerhub.User) func() error {
	return func() error {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(fb.cookie[u.ID])
		w := httptest.NewRecorder()
		fb.srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, w.Code)
		}
		return nil
	}
}

func BenchmarkFundReview(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			fb := newFundBench(b, e)
			b.Logf("%s: %d proposals, %d reviews each, set up in %s", e.Name, fundProposals, fundReviews, fb.setupTime.Round(time.Second))
			ctx := context.Background()
			b.Run("ranking/store", func(b *testing.B) {
				timed(b, func() error {
					rows, err := fb.db.Ranking(ctx, fb.chair, "utokyo", fb.fund, 1)
					if err == nil && len(rows) != fundProposals {
						err = fmt.Errorf("%d rows", len(rows))
					}
					return err
				})
			})
			b.Run("ranking/http", func(b *testing.B) { timed(b, fb.get("/en/calls/"+fb.fund+"/1/ranking", fb.chair)) })
			b.Run("reviewer-list/store", func(b *testing.B) {
				timed(b, func() error {
					board, err := fb.db.ReviewBoard(ctx, fb.reviewer, "utokyo", fb.fund, 1)
					if err == nil && len(board.Mine) != fundProposals*fundReviews/fundCommittee {
						err = fmt.Errorf("%d in the list", len(board.Mine))
					}
					return err
				})
			})
			b.Run("reviewer-list/http", func(b *testing.B) { timed(b, fb.get("/en/calls/"+fb.fund+"/1/review", fb.reviewer)) })
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
