package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// fundFixture is the built-in programme with a joint fund with Princeton,
// its committee (a co-chair on each side, a member on each side, an
// administrator), an open call, and two applicants.
type fundFixture struct {
	db                          *store.DB
	admin                       *partnerhub.User // the home's administrator
	fundAdmin, chairHome        *partnerhub.User
	chairPartner, memberHome    *partnerhub.User
	memberPartner               *partnerhub.User
	applicant, partnerApplicant *partnerhub.User
	fund                        partnerhub.Fund
	call                        partnerhub.Call
	now                         time.Time
}

// testCall is a call of fund open at now, with a seed grant of US$25,000
// for a year and a project grant of US$200,000 for three.
func testCall(fund string, number int, now time.Time) partnerhub.Call {
	return partnerhub.Call{
		Fund: fund, Number: number,
		Title: partnerhub.Text{Ja: "第10回共同研究公募", En: "Tenth call for joint research"},
		Body:  partnerhub.Text{Ja: "両校の共同研究・教育を支援します。", En: "Supports joint research and education of the two universities."},
		Opens: now.Add(-24 * time.Hour), Closes: now.Add(14 * 24 * time.Hour),
		Grants: []partnerhub.Grant{
			{Code: "seed", Name: partnerhub.Text{Ja: "シードグラント", En: "Seed grant"}, Months: 12,
				Ceilings: []partnerhub.Money{{Amount: 25000, Currency: "USD"}, {Amount: 3000000, Currency: "JPY"}}},
			{Code: "project", Name: partnerhub.Text{Ja: "プロジェクトグラント", En: "Project grant"}, Months: 36,
				Ceilings: []partnerhub.Money{{Amount: 200000, Currency: "USD"}}},
		},
		Budget: partnerhub.Money{Amount: 500000, Currency: "USD"},
		Criteria: []partnerhub.Criterion{
			{Code: "merit", Name: partnerhub.Text{Ja: "学術的意義", En: "Scholarly merit"}, Weight: 3},
			{Code: "collab", Name: partnerhub.Text{Ja: "協働の深さ", En: "Depth of collaboration"}, Weight: 2},
			{Code: "students", Name: partnerhub.Text{Ja: "学生の参画", En: "Student involvement"}, Weight: 1},
		},
		ScaleMin: 1, ScaleMax: 5,
		Attachments: []partnerhub.AttachmentSpec{
			{Code: "cv", Name: partnerhub.Text{Ja: "代表者の履歴書", En: "CVs of the leads"}, Required: true},
			{Code: "letter", Name: partnerhub.Text{Ja: "支援書簡", En: "Letter of support"}},
		},
		InterimDue: partnerhub.MustPartialDate("2027-09-30"), FinalDue: partnerhub.MustPartialDate("2028-04-30"),
		Published: true,
	}
}

func newFundFixture(t *testing.T, e storetest.Engine) *fundFixture {
	t.Helper()
	ctx := context.Background()
	db, _ := acctDB(t, e)
	f := &fundFixture{db: db, now: time.Now().UTC(),
		admin:            transferUser(t, db, "office@example.ac.jp", partnerhub.RoleAdmin),
		fundAdmin:        transferUser(t, db, "fund-office@example.ac.jp", partnerhub.RoleViewer),
		chairHome:        transferUser(t, db, "chair@example.ac.jp", partnerhub.RoleViewer),
		chairPartner:     transferUser(t, db, "chair@princeton.example", partnerhub.RoleViewer),
		memberHome:       transferUser(t, db, "member@example.ac.jp", partnerhub.RoleViewer),
		memberPartner:    transferUser(t, db, "member@princeton.example", partnerhub.RoleViewer),
		applicant:        transferUser(t, db, "applicant@example.ac.jp", partnerhub.RoleViewer),
		partnerApplicant: transferUser(t, db, "colead@princeton.example", partnerhub.RoleViewer),
	}
	f.fund = partnerhub.Fund{Slug: "princeton-fund", Partners: []string{"princeton"},
		Name:        partnerhub.Text{Ja: "プリンストン大学との共同ファンド", En: "Joint fund with Princeton"},
		PartnerZone: "America/New_York", HomeCurrency: "JPY", PartnerCurrency: "USD",
		Contributions: []partnerhub.Contribution{{Year: 2026, Side: partnerhub.SideHome, Amount: partnerhub.Money{Amount: 30000000, Currency: "JPY"}},
			{Year: 2026, Side: partnerhub.SidePartner, Amount: partnerhub.Money{Amount: 200000, Currency: "USD"}}},
		DeclaredCalls: 9, DeclaredProjects: 29}
	var err error
	if f.fund.Version, err = db.PutFund(ctx, f.admin, "utokyo", f.fund); err != nil {
		t.Fatal(err)
	}
	for _, s := range []partnerhub.FundSeat{
		{UserID: f.fundAdmin.ID, Role: partnerhub.FundAdmin, Side: partnerhub.SideHome},
		{UserID: f.chairHome.ID, Role: partnerhub.FundChair, Side: partnerhub.SideHome},
		{UserID: f.chairPartner.ID, Role: partnerhub.FundChair, Side: partnerhub.SidePartner},
		{UserID: f.memberHome.ID, Role: partnerhub.FundMember, Side: partnerhub.SideHome, Unit: "eng", Keywords: "robotics, AI"},
		{UserID: f.memberPartner.ID, Role: partnerhub.FundMember, Side: partnerhub.SidePartner, Keywords: "astrophysics"},
	} {
		if err := db.SetFundSeat(ctx, f.admin, "utokyo", f.fund.Slug, s); err != nil {
			t.Fatalf("seat %+v: %v", s, err)
		}
	}
	f.call = testCall(f.fund.Slug, 10, f.now)
	if f.call.Version, err = db.PutCall(ctx, f.fundAdmin, "utokyo", f.call); err != nil {
		t.Fatal(err)
	}
	return f
}

// proposal is a complete proposal of the applicant with the partner's
// co-lead, ready to submit once a CV is attached.
func (f *fundFixture) proposal() partnerhub.Proposal {
	return partnerhub.Proposal{Fund: f.fund.Slug, Call: f.call.Number, Grant: "seed",
		Title:    partnerhub.Text{Ja: "量子材料の共同研究", En: "Joint research on quantum materials"},
		Abstract: partnerhub.Text{Ja: "両校の研究室が協働する。", En: "Two laboratories work together."},
		Plan:     partnerhub.Text{En: "Year one: workshops in Tokyo and Princeton."},
		Members: []partnerhub.ProposalMember{
			{Email: f.applicant.Email, Name: "Applicant", Role: partnerhub.MemberLead, Side: partnerhub.SideHome, Unit: "eng"},
			{Email: f.partnerApplicant.Email, Name: "Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner},
		},
		Units: []string{"eng"},
		Budget: []partnerhub.BudgetLine{
			{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1500000},
			{Year: 1, Side: partnerhub.SidePartner, Category: partnerhub.BudgetTravel, Amount: 12000},
		},
	}
}

func TestFundsCallsAndProposals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		db := f.db

		t.Run("a fund is created by the home's administrators only", func(t *testing.T) {
			other := f.fund
			other.Slug, other.Version = "other-fund", 0
			if _, err := db.PutFund(ctx, f.chairHome, "utokyo", other); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a chair created a fund: %v", err)
			}
			bad := other
			bad.Partners = []string{"nowhere"}
			_, err := db.PutFund(ctx, f.admin, "utokyo", bad)
			if fe := fieldsOf(err); fe["partners[0]"].Key != "unknown_partner" {
				t.Fatalf("unknown partner: %v %v", err, fe)
			}
		})

		t.Run("seats are the committee's, seen by the committee", func(t *testing.T) {
			got, err := db.Fund(ctx, f.memberHome, "utokyo", f.fund.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Seats) != 5 || got.Seats[0].Role != partnerhub.FundChair {
				t.Fatalf("seats = %+v", got.Seats)
			}
			if pub, _ := db.Fund(ctx, nil, "utokyo", f.fund.Slug); len(pub.Seats) != 0 {
				t.Fatalf("the public sees the seats: %+v", pub.Seats)
			}
			if err := db.SetFundSeat(ctx, f.memberHome, "utokyo", f.fund.Slug, partnerhub.FundSeat{UserID: f.applicant.ID,
				Role: partnerhub.FundMember, Side: partnerhub.SideHome}); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a member granted a seat: %v", err)
			}
		})

		t.Run("a draft call is hidden from the public", func(t *testing.T) {
			c := testCall(f.fund.Slug, 11, f.now)
			c.Published = false
			if _, err := db.PutCall(ctx, f.fundAdmin, "utokyo", c); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Call(ctx, nil, "utokyo", f.fund.Slug, 11); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("the public read a draft call: %v", err)
			}
			if _, err := db.Call(ctx, f.chairPartner, "utokyo", f.fund.Slug, 11); err != nil {
				t.Fatalf("a chair cannot read a draft call: %v", err)
			}
			pub, err := db.Calls(ctx, nil, "utokyo", partnerhub.CallFilter{Public: true})
			if err != nil || len(pub) != 1 || pub[0].Number != 10 {
				t.Fatalf("public calls = %+v, %v", pub, err)
			}
		})

		t.Run("a proposal over the ceiling is refused whole", func(t *testing.T) {
			p := f.proposal()
			p.Budget = append(p.Budget, partnerhub.BudgetLine{Year: 1, Side: partnerhub.SidePartner, Category: partnerhub.BudgetPersonnel, Amount: 20000})
			_, err := db.CreateProposal(ctx, f.applicant, "utokyo", p)
			if fe := fieldsOf(err); fe["budget"].Key != "over_ceiling" {
				t.Fatalf("over the ceiling: %v %v", err, fe)
			}
			mine, _ := db.MyProposals(ctx, f.applicant, "utokyo")
			if len(mine) != 0 {
				t.Fatalf("a refused proposal was kept: %+v", mine)
			}
		})

		p, err := db.CreateProposal(ctx, f.applicant, "utokyo", f.proposal())
		if err != nil {
			t.Fatal(err)
		}
		t.Run("every applicant edits the draft; the committee does not see it", func(t *testing.T) {
			if p.Members[1].UserID != f.partnerApplicant.ID {
				t.Fatalf("the co-lead is not linked to their account: %+v", p.Members)
			}
			p.Keywords = "quantum"
			var err error
			if p, err = db.UpdateProposal(ctx, f.partnerApplicant, "utokyo", p); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Proposal(ctx, f.chairHome, "utokyo", p.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("a chair read a draft: %v", err)
			}
			if _, _, err := db.Proposal(ctx, f.partnerApplicant, "utokyo", p.ID); err != nil {
				t.Fatalf("the co-lead cannot read the draft: %v", err)
			}
			list, err := db.Proposals(ctx, f.chairHome, "utokyo", partnerhub.ProposalFilter{Fund: f.fund.Slug, Call: 10})
			if err != nil || len(list) != 0 {
				t.Fatalf("the committee lists a draft: %+v %v", list, err)
			}
			if _, err := db.UpdateProposal(ctx, f.memberHome, "utokyo", p); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
				t.Fatalf("a committee member edited a proposal: %v", err)
			}
		})
		t.Run("submission needs the required attachment", func(t *testing.T) {
			_, err := db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.now)
			if fe := fieldsOf(err); fe["files.cv"].Key != "attachment_required" {
				t.Fatalf("no CV: %v %v", err, fe)
			}
		})
		t.Run("submission after the deadline is refused", func(t *testing.T) {
			_, err := db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.call.Closes)
			if fe := fieldsOf(err); fe["call"].Key != "call_closed" {
				t.Fatalf("late: %v %v", err, fe)
			}
		})
	})
}

func fieldsOf(err error) partnerhub.FieldErrors {
	if e, ok := err.(*partnerhub.Error); ok {
		return e.Fields
	}
	return nil
}
