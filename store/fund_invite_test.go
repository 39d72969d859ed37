package store_test

import (
	"context"
	"regexp"
	"testing"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

var invitationLink = regexp.MustCompile(`/(en|ja)/invitations/(phi_[A-Za-z0-9_-]+)`)

// TestCoLeadJoinsByInvitation: a proposal that names a partner's co-lead
// with no account invites them, in English, once however often the draft
// is saved; the account they make holds their place in the proposal.
func TestCoLeadJoinsByInvitation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		f.db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
		claimAll(t, f.db, f.now) // the fixture's own mail

		p := f.proposal()
		const colead = "new-colead@princeton.example"
		p.Members[1] = partnerhub.ProposalMember{Email: colead, Name: "New Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner,
			Affiliation: "Department of Physics"}
		p, err = f.db.CreateProposal(ctx, f.applicant, "utokyo", p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Members[1].UserID != 0 {
			t.Fatalf("the co-lead has an account: %+v", p.Members[1])
		}
		if p, err = f.db.UpdateProposal(ctx, f.applicant, "utokyo", p); err != nil {
			t.Fatal(err)
		}
		var token string
		for _, q := range claimAll(t, f.db, f.now) {
			if q.To != colead {
				continue
			}
			if token != "" {
				t.Fatalf("a second invitation to %s", colead)
			}
			m := invitationLink.FindStringSubmatch(q.Text)
			if m == nil || m[1] != "en" || q.Language != partnerhub.English {
				t.Fatalf("the invitation: %s %q", q.Language, q.Text)
			}
			token = m[2]
		}
		if token == "" {
			t.Fatal("no invitation to the co-lead")
		}
		u, err := f.db.AcceptInvitation(ctx, "utokyo", token, partnerhub.Acceptance{Name: "New Co-lead", Password: "a long and secret passphrase", IP: "192.0.2.7"}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != partnerhub.RoleGuest {
			t.Errorf("the co-lead's role: %s", u.Role)
		}
		got, a, err := f.db.Proposal(ctx, u, "utokyo", p.ID)
		if err != nil {
			t.Fatalf("the co-lead cannot read the proposal: %v", err)
		}
		if got.Members[1].UserID != u.ID || a.View(p.ID) != partnerhub.ViewApplicant {
			t.Fatalf("the co-lead's place: %+v, view %d", got.Members[1], a.View(p.ID))
		}
		got.Keywords = "edited by the co-lead"
		if _, err := f.db.UpdateProposal(ctx, u, "utokyo", got); err != nil {
			t.Fatalf("the co-lead cannot edit: %v", err)
		}
	})
}
