package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// A proposal's attachments: PDF by content, one current per attachment of
// the call (a new upload replaces it, the old kept), read by its
// applicants and, once submitted, by the committee members who are not
// conflicted with it.
func TestProposalFiles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		ctx := context.Background()
		db := f.db
		p, err := db.CreateProposal(ctx, f.applicant, "utokyo", f.proposal())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, spec, filename string
			data                 []byte
			field, key           string
		}{
			{"a text file named PDF", "cv", "cv.pdf", []byte("just some text"), "files.cv", "document_not_pdf"},
			{"a PDF named otherwise", "cv", "cv.docx", storetest.PDF("CV"), "files.cv", "pdf_only"},
			{"an empty file", "cv", "cv.pdf", nil, "files.cv", "document_empty"},
			{"an attachment the call does not ask for", "budget", "b.pdf", storetest.PDF("B"), "spec", "unknown_attachment"},
		} {
			_, err := db.AddProposalFile(ctx, f.applicant, "utokyo", p.ID, tc.spec, tc.filename, tc.data, f.now)
			if fe := fieldsOf(err); fe[tc.field].Key != tc.key {
				t.Errorf("%s: %v %v", tc.name, err, fe)
			}
		}
		if got, _, _ := db.Proposal(ctx, f.applicant, "utokyo", p.ID); len(got.Files) != 0 {
			t.Fatalf("a refused upload was kept: %+v", got.Files)
		}
		if _, err := db.AddProposalFile(ctx, f.memberHome, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV"), f.now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a committee member uploaded to a draft: %v", err)
		}
		first, err := db.AddProposalFile(ctx, f.applicant, "utokyo", p.ID, "cv", "CV (old).pdf", storetest.PDF("CV one"), f.now)
		if err != nil {
			t.Fatal(err)
		}
		second, err := db.AddProposalFile(ctx, f.partnerApplicant, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV two"), f.now)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := db.Proposal(ctx, f.applicant, "utokyo", p.ID)
		if err != nil || len(got.Files) != 1 || got.Files[0].ID != second.ID || got.Files[0].Filename != "cv.pdf" {
			t.Fatalf("files after a replacement = %+v, %v", got.Files, err)
		}
		if old, data, err := db.ProposalFile(ctx, f.applicant, "utokyo", p.ID, first.ID); err != nil || old.Filename != "CV (old).pdf" ||
			!strings.Contains(string(data), "CV one") {
			t.Fatalf("the replaced file is not kept: %+v %v", old, err)
		}
		var replaced int
		db.TxForTest(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM proposal_files WHERE proposal_id = ? AND replaced_at IS NOT NULL`), p.ID).Scan(&replaced)
		})
		if replaced != 1 {
			t.Fatalf("%d replaced rows, want 1", replaced)
		}
		if _, _, err := db.ProposalFile(ctx, f.chairHome, "utokyo", p.ID, second.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a chair downloaded a draft's file: %v", err)
		}
		if p, err = db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, got.Version, partnerhub.VerbSubmitProposal, f.now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ProposalFile(ctx, f.chairHome, "utokyo", p.ID, second.ID); err != nil {
			t.Fatalf("a chair cannot download a submitted proposal's file: %v", err)
		}
		if err := db.TxForTest(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO conflicts (proposal_id, user_id, source, reason, created_at) VALUES (?, ?, 'declared', '', ?)`),
				p.ID, f.memberPartner.ID, f.now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ProposalFile(ctx, f.memberPartner, "utokyo", p.ID, second.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a conflicted member downloaded the file: %v", err)
		}
		if _, err := db.AddProposalFile(ctx, f.applicant, "utokyo", p.ID, "letter", "l.pdf", storetest.PDF("L"), f.now); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("a file added to a submitted proposal: %v", err)
		}
	})
}

// receiptFixture is the fund with mail: the lead has chosen no language
// (their mail follows the page's), the co-lead chose Japanese, and a third
// applicant at the partner has no account.
func receiptProposal(t *testing.T, f *fundFixture) partnerhub.Proposal {
	t.Helper()
	ctx := context.Background()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
	if err := f.db.SetMailLanguage(ctx, f.partnerApplicant.ID, partnerhub.Japanese, false); err != nil {
		t.Fatal(err)
	}
	pr := f.proposal()
	pr.Members = append(pr.Members, partnerhub.ProposalMember{Email: "guest@princeton.example", Name: "Guest", Role: partnerhub.MemberOther,
		Side: partnerhub.SidePartner, Affiliation: "Physics"})
	p, err := f.db.CreateProposal(ctx, f.applicant, "utokyo", pr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AddProposalFile(ctx, f.applicant, "utokyo", p.ID, "cv", "cv.pdf", storetest.PDF("CV"), f.now); err != nil {
		t.Fatal(err)
	}
	return p
}

// Submitting and withdrawing a proposal mail every applicant, account or
// not, in their language, in the transition's transaction; those with an
// account get a notification, and no second mail for it.
func TestProposalReceipts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		db := f.db
		p := receiptProposal(t, f)
		ctx := partnerhub.WithPageLang(context.Background(), partnerhub.English)
		if _, err := db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.call.Closes); err == nil {
			t.Fatal("a late submission was taken")
		}
		if n := len(outbox(t, db)); n != 0 {
			t.Fatalf("a refused submission mailed %d", n)
		}
		p, err := db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.now)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			f.applicant.Email:         "Proposal received: Joint research on quantum materials",
			f.partnerApplicant.Email:  "申請を受け付けました：量子材料の共同研究",
			"guest@princeton.example": "Proposal received: Joint research on quantum materials",
		}
		check := func(want map[string]string) {
			t.Helper()
			got := map[string]string{}
			for _, m := range outbox(t, db) {
				if m.Kind == mail.KindProposalReceipt {
					if _, dup := got[m.To+m.Subject]; dup {
						t.Errorf("twice to %s: %s", m.To, m.Subject)
					}
					got[m.To+m.Subject] = m.Subject
				}
			}
			for to, subject := range want {
				if _, ok := got[to+subject]; !ok {
					t.Errorf("no %q to %s in %v", subject, to, got)
				}
			}
		}
		check(want)
		if n := len(outbox(t, db)); n != 3 {
			t.Errorf("%d mails, want the 3 receipts only", n)
		}
		for _, u := range []*partnerhub.User{f.applicant, f.partnerApplicant} {
			ns, err := db.Notifications(ctx, u.ID, 10)
			if err != nil || len(ns) != 1 || ns[0].Kind != partnerhub.NoticeProposalSubmitted || ns[0].Path != partnerhub.ProposalPath(p.ID) {
				t.Errorf("notifications of %s = %+v, %v", u.Email, ns, err)
			}
		}
		if _, err := db.TransitProposal(ctx, f.partnerApplicant, "utokyo", p.ID, p.Version, partnerhub.VerbWithdraw, f.now); err != nil {
			t.Fatal(err)
		}
		check(map[string]string{
			f.applicant.Email:         "Proposal withdrawn: Joint research on quantum materials",
			f.partnerApplicant.Email:  "申請が取り下げられました：量子材料の共同研究",
			"guest@princeton.example": "Proposal withdrawn: Joint research on quantum materials",
		})
	})
}

// The receipts reach the applicants' mailboxes: read from Mailpit, in
// each one's language, linking to the proposal's page.
func TestProposalReceiptsDelivered(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newFundFixture(t, e)
		db := f.db
		p := receiptProposal(t, f)
		ctx := partnerhub.WithPageLang(context.Background(), partnerhub.English)
		if _, err := db.TransitProposal(ctx, f.applicant, "utokyo", p.ID, p.Version, partnerhub.VerbSubmitProposal, f.now); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, m := range outbox(t, db) {
			ids[m.MessageID] = m.To
		}
		if n, err := sender(t, db, mp.SMTPURL()).Drain(ctx); err != nil || n != 3 {
			t.Fatalf("Drain: %d, %v; want 3", n, err)
		}
		seen := 0
		for _, s := range mp.Messages(t) {
			to, ours := ids[s.MessageID]
			if !ours {
				continue
			}
			seen++
			m := mp.Message(t, s.ID)
			lang, say := "en", "Dear "
			if to == f.partnerApplicant.Email {
				lang, say = "ja", "様"
			}
			link := mailBase + "/" + lang + partnerhub.ProposalPath(p.ID)
			if !strings.Contains(m.Text, link) || !strings.Contains(m.Text, say) || !strings.Contains(m.HTML, `<a href="`+link+`">`) {
				t.Errorf("%s (%s):\n%s", to, lang, m.Text)
			}
			if len(m.To) != 1 || m.To[0].Address != to {
				t.Errorf("sent to %v, want %s", m.To, to)
			}
		}
		if seen != 3 {
			t.Fatalf("mailpit got %d of our receipts, want 3", seen)
		}
	})
}
