package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

// The report reminders run when the leader starts: an awarded project
// whose interim report is due in ten days is reminded of, by mail to its
// applicants, in their languages.
func TestReportRemindersJobAtStart(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.OpenBuiltin(t)
			ctx := context.Background()
			cat, err := i18n.Load()
			if err != nil {
				t.Fatal(err)
			}
			db.SetMail(&mail.Composer{Messages: cat, BaseURL: "https://partners.example.ac.jp"})
			user := func(email string, role partnerhub.Role) *partnerhub.User {
				u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: email, Name: email, Role: role}, "a long and secret passphrase")
				if err != nil {
					t.Fatal(err)
				}
				return u
			}
			admin, lead := user("office@example.ac.jp", partnerhub.RoleAdmin), user("lead@example.ac.jp", partnerhub.RoleViewer)
			if _, err := db.PutFund(ctx, admin, "utokyo", partnerhub.Fund{Slug: "job-fund", Partners: []string{"princeton"},
				Name: partnerhub.Text{Ja: "基金", En: "Fund"}, HomeCurrency: "JPY", PartnerCurrency: "USD"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now().In(partnerhub.Japan)
			due := now.AddDate(0, 0, 10)
			if _, err := db.PutCall(ctx, admin, "utokyo", partnerhub.Call{Fund: "job-fund", Number: 1, Title: partnerhub.Text{Ja: "公募", En: "Call"},
				Opens: now.Add(-time.Hour), Closes: now.Add(time.Hour),
				Grants:   []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12}},
				Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}}, ScaleMin: 1, ScaleMax: 5,
				InterimDue: partnerhub.PartialDate{Year: due.Year(), Month: int(due.Month()), Day: due.Day()}, Published: true}); err != nil {
				t.Fatal(err)
			}
			p, err := db.CreateProposal(ctx, lead, "utokyo", partnerhub.Proposal{Fund: "job-fund", Call: 1, Grant: "seed",
				Title: partnerhub.Text{Ja: "課題", En: "Project"}, Abstract: partnerhub.Text{Ja: "概要", En: "Abstract"}, Plan: partnerhub.Text{En: "Plan"},
				Budget: []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1000}},
				Members: []partnerhub.ProposalMember{{Email: lead.Email, Name: "Lead", Role: partnerhub.MemberLead, Side: partnerhub.SideHome},
					{Email: "colead@princeton.example", Name: "Co-lead", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner}}})
			if err != nil {
				t.Fatal(err)
			}
			if p, err = db.TransitProposal(ctx, lead, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Decide(ctx, admin, "utokyo", p.ID, partnerhub.Decision{Outcome: partnerhub.OutcomeAward,
				Meeting: partnerhub.MustPartialDate("2026-12-01"), HomeAmount: partnerhub.Money{Amount: 1000}}); err != nil {
				t.Fatal(err)
			}
			q, err := New(db, Config{Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ReportReminders(q, db, nil)
			done, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			ev := wait(t, done)
			if ev.Job.Kind != "report_reminders" || ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("first job: %s %s", ev.Job.Kind, ev.Kind)
			}
			out, err := db.Outbox(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			langs := map[string]partnerhub.Lang{}
			for _, m := range out {
				if m.Kind == mail.KindReportReminder {
					langs[m.To] = m.Language
				}
			}
			if len(langs) != 2 || langs[lead.Email] != partnerhub.Japanese || langs["colead@princeton.example"] != partnerhub.English {
				t.Fatalf("reminders: %v", langs)
			}
		})
	}
}
