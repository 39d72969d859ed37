package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestGuestsInFunds: the partner's people are guests here, and the funds'
// pages are theirs as their roles in the fund allow: a guest co-lead opens
// and saves their proposal, a guest on the committee opens the review
// board; a guest with no part in the proposal finds nothing, and the
// pages outside the funds still refuse guests.
func TestGuestsInFunds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ps := newProposalServer(t, e)
		colead := ps.addUser(t, "guest-colead@princeton.example", partnerhub.RoleGuest)
		member := ps.addUser(t, "guest-member@princeton.example", partnerhub.RoleGuest)
		stranger := ps.addUser(t, "guest-stranger@princeton.example", partnerhub.RoleGuest)
		if err := ps.db.SetFundSeat(context.Background(), ps.admin, "utokyo", "princeton-fund",
			partnerhub.FundSeat{UserID: member.ID, Role: partnerhub.FundMember, Side: partnerhub.SidePartner}); err != nil {
			t.Fatal(err)
		}
		form := proposalFormValues(ps, "12,000")
		form.Set("members[1].email", colead.Email)
		r := ps.send(t, "POST", "/en/calls/princeton-fund/10/proposals/new", form, ps.cookie["applicant"])
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		page := strings.TrimSuffix(r.header.Get("Location"), "?saved=1")
		id, err := strconv.ParseInt(strings.TrimPrefix(page, "/en/proposals/"), 10, 64)
		if err != nil {
			t.Fatalf("created at %q", page)
		}
		// The sessions, as if each had enrolled a second factor: a guest
		// must have one, which is not what this test is about.
		session := map[string]*http.Cookie{}
		for _, u := range []*partnerhub.User{colead, member, stranger} {
			session[u.Email] = ps.signIn(t, u.Email)
		}

		wantPage(t, ps.send(t, "GET", page, nil, session[colead.Email]), http.StatusOK, `id="proposal-form"`, "Joint research on quantum materials")
		wantPage(t, ps.send(t, "GET", "/ja/proposals", nil, session[colead.Email]), http.StatusOK, "量子材料の共同研究")
		form = proposalFormValues(ps, "12,000")
		form.Set("members[1].email", colead.Email)
		form.Set("version", "1")
		form.Set("action", "save")
		form.Set("plan.en", "Workshops in Tokyo and Princeton, as the co-lead wrote.")
		if r := ps.send(t, "POST", page, form, session[colead.Email]); r.status != http.StatusSeeOther {
			t.Fatalf("the guest co-lead's save: %d %s", r.status, r.body)
		}
		if p, _, err := ps.db.Proposal(context.Background(), ps.applicant, "utokyo", id); err != nil || !strings.Contains(p.Plan.En, "as the co-lead wrote") {
			t.Fatalf("the save did not land: %q %v", p.Plan.En, err)
		}
		wantPage(t, ps.send(t, "GET", "/en/calls/princeton-fund/10/review", nil, session[member.Email]), http.StatusOK)

		if r := ps.send(t, "GET", page, nil, session[stranger.Email]); r.status != http.StatusNotFound || strings.Contains(r.body, "quantum") {
			t.Errorf("a guest with no part in it: %d", r.status)
		}
		if r := ps.send(t, "GET", "/en/calls/princeton-fund/10/review", nil, session[stranger.Email]); r.status == http.StatusOK && strings.Contains(r.body, "quantum") {
			t.Error("a guest off the committee sees the review board")
		}
		wantPage(t, ps.send(t, "GET", "/en/edit/activity/new", nil, session[colead.Email]), http.StatusForbidden)
	})
}
