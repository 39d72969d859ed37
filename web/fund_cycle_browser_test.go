package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// TestBrowserFundCycle: in a browser, on both engines, a joint fund's
// whole cycle. The office opens a call through its form and seats the
// committee; a home applicant starts a proposal from the public call page
// and names a partner co-lead who has no account; the co-lead joins by the
// invitation read from Mailpit, sets a password and a second factor, edits
// the proposal, uploads the required PDF and submits; both get a receipt
// in their language. A submission after the deadline is refused. The chair
// assigns three reviewers; one declares a conflict and loses sight of the
// proposal; two score it. The chair awards it and sends the letters, which
// arrive in each applicant's language with the comments meant for them and
// none of the committee's; the project is then on the public pages.
// PARTNERHUB_SCREENSHOTS=dir keeps pictures of the call page, the proposal
// form, a review and the ranking, in both languages.
func TestBrowserFundCycle(t *testing.T) {
	t.Parallel()    // in a browser context of its own; see browser
	chromiumPath(t) // skips without Chromium or under -short, before Mailpit starts
	mp := mailpittest.Start(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := browser(t) // one each: the engines run side by side
		bg := context.Background()
		db := e.OpenBuiltin(t)
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		// MFARequired's zero value: administrators and guests (the
		// partner's people) must have a second factor.
		srv, err := NewServer(bg, Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
			Editor: db, Mobility: db, Mail: db, Notices: db, MFA: db, Funds: db, Invitations: db, ProposalFiles: db,
			Decisions: db, Reviews: db, FundPeople: db})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		db.SetMail(&mail.Composer{Messages: msgs, BaseURL: hs.URL})
		smtp, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("partnerships@example.ac.jp")
		sender := &mail.Sender{Outbox: db, SMTP: smtp, From: from}

		// Addresses of this engine only: the engines share one Mailpit.
		at := func(who, domain string) string { return "cycle-" + who + "-" + e.Name + "@" + domain }
		// People with names, since the pictures go into the documentation.
		person := func(who, domain, name string, role partnerhub.Role) *partnerhub.User {
			t.Helper()
			u, err := db.CreateUser(bg, "utokyo", &partnerhub.User{Email: at(who, domain), Name: name, Role: role}, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		office := person("office", "example.ac.jp", "国際交流課 山本", partnerhub.RoleAdmin)
		applicant := person("lead", "example.ac.jp", "田中 花子", partnerhub.RoleViewer)
		chair := person("chair", "example.ac.jp", "佐藤 一郎", partnerhub.RoleViewer)
		conflicted := person("member1", "example.ac.jp", "鈴木 健", partnerhub.RoleViewer)
		reviewer := person("member2", "example.ac.jp", "高橋 美咲", partnerhub.RoleViewer)
		partnerReviewer := person("member3", "princeton.example", "Emily Carter", partnerhub.RoleGuest)
		coleadEmail := at("colead", "princeton.example")
		if err := db.SetMailLanguage(bg, applicant.ID, partnerhub.Japanese, false); err != nil {
			t.Fatal(err)
		}

		// The office's and the partner reviewer's authenticator apps,
		// enrolled beforehand; the step used to confirm them is 1, so that
		// the code of now signs in.
		secrets := map[string]string{}
		for _, u := range []*partnerhub.User{office, partnerReviewer} {
			secret, _, err := authn.NewTOTP("partnerhub", u.Email)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.StartTOTP(bg, u.ID, secret, time.Now()); err != nil {
				t.Fatal(err)
			}
			if ok, err := db.CheckTOTP(bg, u.ID, true, time.Now(), func(string) (int64, bool) { return 1, true }); err != nil || !ok {
				t.Fatalf("confirm the app of %s: %v %v", u.Email, ok, err)
			}
			secrets[u.Email] = secret
		}

		// mailsTo sends the outbox and returns the new messages to addr.
		seen := map[string]bool{}
		mailsTo := func(addr string) []mailpittest.Message {
			t.Helper()
			if _, err := sender.Drain(bg); err != nil {
				t.Fatal(err)
			}
			var got []mailpittest.Message
			for _, s := range mp.Messages(t) {
				if seen[s.ID] || !slices.ContainsFunc(s.To, func(a struct{ Name, Address string }) bool { return a.Address == addr }) {
					continue
				}
				seen[s.ID] = true
				got = append(got, mp.Message(t, s.ID))
			}
			return got
		}
		// mailTo is the one new message to addr whose subject starts so.
		mailTo := func(addr, subject string) mailpittest.Message {
			t.Helper()
			var subjects []string
			for _, m := range mailsTo(addr) {
				if strings.HasPrefix(m.Subject, subject) {
					return m
				}
				subjects = append(subjects, m.Subject)
			}
			t.Fatalf("no mail %q to %s; got %q", subject, addr, subjects)
			return mailpittest.Message{}
		}
		signIn := func(email string) {
			t.Helper()
			do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(hs.URL+"/en/signin"),
				chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
				chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
				chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
			if secret, ok := secrets[email]; ok {
				arrive(t, ctx, "/en/signin/factor")
				code, err := totp.GenerateCode(secret, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				do(t, ctx, chromedp.SetValue(chromedp.CSS(`form.signin input[name="code"]`), code),
					chromedp.Click(chromedp.CSS(`form.signin button[type="submit"]`)))
			}
			arrive(t, ctx, "/en/account")
		}
		signOut := func() {
			t.Helper()
			do(t, ctx, chromedp.Navigate(hs.URL+"/en/account"), chromedp.Click(chromedp.CSS(`form[action="/en/signout"] button`)))
			arrive(t, ctx, "/en/")
		}
		checkAxe := func(what string) {
			t.Helper()
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", what, v)
			}
		}
		open := func(path string) {
			t.Helper()
			do(t, ctx, chromedp.Navigate(hs.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		}
		shoot := func(name string) {
			t.Helper()
			if shots == "" || e.Name != storetest.Engines()[0].Name {
				return
			}
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// status fetches a path in the browser, with its cookies, and
		// returns the HTTP status.
		status := func(path string) int {
			t.Helper()
			return get(t, ctx, chromedp.Evaluate[int](`fetch(`+strconv.Quote(path)+`).then(r => r.status)`, chromedp.EvalAwaitPromise))
		}
		mainText := func() string { return get(t, ctx, chromedp.Text(chromedp.CSS("main"))) }
		// need fails at once, with what the page says, when sel is absent.
		need := func(sel string) {
			t.Helper()
			if !get(t, ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`) !== null`)) {
				loc := get(t, ctx, chromedp.Location())
				t.Fatalf("%s: no %s; the page says:\n%s", loc, sel, mainText())
			}
		}

		// 1. The office opens call 10 of the Princeton fund, its dates
		// typed in Japan time, and seats the committee.
		jst := time.FixedZone("JST", 9*3600)
		now := time.Now()
		opens, closes := now.Add(-2*time.Hour).In(jst).Format("2006-01-02T15:04"), now.Add(48*time.Hour).In(jst).Format("2006-01-02T15:04")
		signIn(office.Email)
		open("/en/calls/new?fund=princeton")
		f := callFormValues("10", true)
		f.Set("opens", opens)
		f.Set("closes", closes)
		f.Del("interim_due")
		f.Del("final_due")
		var steps []chromedp.Action[chromedp.Void]
		for _, name := range []string{"number", "title.ja", "title.en", "text.ja", "text.en", "eligibility.en", "opens", "closes", "budget.amount",
			"g_code", "g_name_ja", "g_name_en", "g_months", "g_amount1", "g_amount2", "a_code", "a_name_ja", "a_name_en"} {
			steps = append(steps, chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), f.Get(name)))
		}
		for _, name := range []string{"k_code", "k_name_ja", "k_name_en", "k_weight"} {
			for row := range 2 {
				steps = append(steps, chromedp.SetValue(chromedp.CSS(`tbody tr:nth-child(`+strconv.Itoa(row+1)+`) [name="`+name+`"]`), f[name][row]))
			}
		}
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`tbody tr:nth-child(1) [name="a_required"]`), "1"),
			chromedp.Click(chromedp.CSS(`#f-published`)), chromedp.Click(chromedp.CSS(`form.call-form button[type="submit"]`)))
		do(t, ctx, steps...)
		arrive(t, ctx, "/en/calls/princeton/10?saved=1")
		closesJST := strings.Replace(closes, "T", " ", 1) + " JST"
		if body := mainText(); !strings.Contains(body, closesJST) || !strings.Contains(body, "CVs of the leads") {
			t.Fatalf("the call's page lacks its deadline %q or attachment: %s", closesJST, body)
		}
		for _, s := range []struct {
			u          *partnerhub.User
			role, side string
		}{
			{chair, "chair", "home"}, {conflicted, "member", "home"}, {reviewer, "member", "home"}, {partnerReviewer, "member", "partner"},
		} {
			open("/en/funds/princeton/committee")
			do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-email`), s.u.Email),
				chromedp.SetValue(chromedp.CSS(`#f-role`), s.role),
				chromedp.SetValue(chromedp.CSS(`#f-side`), s.side),
				chromedp.SetValue(chromedp.CSS(`#f-keywords`), "quantum materials"),
				chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)))
			arrive(t, ctx, "/en/funds/princeton/committee?saved=1")
		}
		if body := mainText(); !strings.Contains(body, partnerReviewer.Email) || !strings.Contains(body, chair.Email) {
			t.Fatalf("the committee: %s", body)
		}
		signOut()

		// 2. The home applicant starts a proposal from the public call page.
		signIn(applicant.Email)
		for _, lang := range []string{"en", "ja"} {
			open("/" + lang + "/calls/princeton/10")
			checkAxe("the call page in " + lang)
			shoot("fund-call-" + lang)
		}
		fillProposal := func(titleJa, titleEn string) {
			t.Helper()
			open("/en/calls/princeton/10")
			do(t, ctx, chromedp.Click(chromedp.CSS(`main a.button[href$="/proposals/new"]`)))
			arrive(t, ctx, "/en/calls/princeton/10/proposals/new")
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`input[name="grant"][value="seed"]`)),
				chromedp.SetValue(chromedp.CSS(`[name="title.ja"]`), titleJa),
				chromedp.SetValue(chromedp.CSS(`[name="title.en"]`), titleEn),
				chromedp.SetValue(chromedp.CSS(`[name="abstract.ja"]`), "両校の研究室が協働し、量子材料の新しい測定法を開発する。"),
				chromedp.SetValue(chromedp.CSS(`[name="abstract.en"]`), "Two laboratories develop new measurements of quantum materials together."),
				chromedp.SetValue(chromedp.CSS(`[name="plan.en"]`), "Workshops in Tokyo and Princeton; exchanges of students."),
				chromedp.SetValue(chromedp.CSS(`[name="keywords"]`), "quantum materials"),
				chromedp.SetValue(chromedp.CSS(`[name="members[0].name"]`), "田中 花子"),
				chromedp.SetValue(chromedp.CSS(`[name="members[0].email"]`), applicant.Email),
				chromedp.SetValue(chromedp.CSS(`[name="members[0].role"]`), "lead"),
				chromedp.SetValue(chromedp.CSS(`[name="members[0].side"]`), "home"),
				chromedp.SetValue(chromedp.CSS(`[name="members[0].unit"]`), "eng"),
				chromedp.SetValue(chromedp.CSS(`[name="members[1].name"]`), "John Smith"),
				chromedp.SetValue(chromedp.CSS(`[name="members[1].email"]`), coleadEmail),
				chromedp.SetValue(chromedp.CSS(`[name="members[1].role"]`), "colead"),
				chromedp.SetValue(chromedp.CSS(`[name="members[1].side"]`), "partner"),
				chromedp.SetValue(chromedp.CSS(`[name="members[1].affiliation"]`), "Physics"),
				chromedp.SetValue(chromedp.CSS(`[name="budget.home.1.travel"]`), "1,500,000"),
				chromedp.SetValue(chromedp.CSS(`[name="budget.partner.1.travel"]`), "12,000"),
				chromedp.Click(chromedp.CSS(`button[name="action"][value="save"]`)))
		}
		// proposalID waits for a proposal's page after its save.
		proposalID := func() int64 {
			t.Helper()
			re := regexp.MustCompile(`/en/proposals/(\d+)\?saved=1$`)
			for deadline := time.Now().Add(20 * time.Second); ; {
				if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
					if m := re.FindStringSubmatch(loc); m != nil {
						do(t, ctx, chromedp.WaitReady(chromedp.CSS("footer")))
						id, _ := strconv.ParseInt(m[1], 10, 64)
						return id
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("not at a saved proposal: %s\n%s", get(t, ctx, chromedp.Location()), mainText())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		const titleJa, titleEn = "量子材料の共同研究", "Joint research on quantum materials"
		fillProposal(titleJa, titleEn)
		id := proposalID()
		page := "/proposals/" + strconv.FormatInt(id, 10)
		for _, lang := range []string{"en", "ja"} {
			open("/" + lang + page)
			checkAxe("the proposal form in " + lang)
			shoot("fund-proposal-" + lang)
		}
		signOut()

		// The co-lead's invitation, in English, followed in the browser:
		// a name, a password, then an authenticator app.
		inv := mailTo(coleadEmail, "")
		link := regexp.MustCompile(`https?://\S+/en/invitations/[A-Za-z0-9_-]+`).FindString(inv.Text)
		if link == "" || !strings.Contains(inv.Text, "Tenth call for joint research") {
			t.Fatalf("the invitation: %q\n%s", inv.Subject, inv.Text)
		}
		do(t, ctx, chromedp.Navigate(link),
			chromedp.SetValue(chromedp.CSS(`input[name="name"]`), "John Smith"),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
			chromedp.SetValue(chromedp.CSS(`input[name="password_confirm"]`), testPassword),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
		arrive(t, ctx, "/en/account/mfa")
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/en/account/mfa/totp"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`code.mfa-secret`)))
		secret := strings.ReplaceAll(get(t, ctx, chromedp.Text(chromedp.CSS(`code.mfa-secret`))), " ", "")
		code, err := totp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`form[action="/en/account/mfa/totp/confirm"] input[name="code"]`), code),
			chromedp.Click(chromedp.CSS(`form[action="/en/account/mfa/totp/confirm"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`.mfa-codes`)))
		// The proposal is theirs to edit: the plan, and the CV.
		open("/en" + page)
		need(`[name="plan.en"]`)
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`[name="plan.en"]`), "Workshops in Tokyo and Princeton; exchanges of students; a joint paper."),
			chromedp.Click(chromedp.CSS(`button[name="action"][value="save"]`)))
		arrive(t, ctx, "/en"+page+"?saved=1")
		pdf := filepath.Join(t.TempDir(), "cv.pdf")
		if err := os.WriteFile(pdf, storetest.PDF("CV of the leads"), 0o644); err != nil {
			t.Fatal(err)
		}
		open("/en" + page) // away from ?saved=1, to see the upload's
		do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#u-cv`), []string{pdf}),
			chromedp.Click(chromedp.CSS(`form.upload button[type="submit"]`)))
		arrive(t, ctx, "/en"+page+"?saved=1")
		if body := mainText(); !strings.Contains(body, "cv.pdf") {
			t.Fatalf("the upload is not listed: %s", body)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/transition"]:has(input[name="verb"][value="submit"]) button`)))
		arrive(t, ctx, "/en"+page+"?done=submit")
		signOut()
		// The receipts, in each applicant's language.
		if m := mailTo(applicant.Email, "申請を受け付けました："+titleJa); !strings.Contains(m.Text, titleJa) {
			t.Errorf("the lead's receipt: %s", m.Text)
		}
		if m := mailTo(coleadEmail, "Proposal received: "+titleEn); !strings.Contains(m.Text, titleEn) {
			t.Errorf("the co-lead's receipt: %s", m.Text)
		}

		// 3. A late submission is refused: a second draft, ready, whose
		// call closes while its page is open.
		signIn(applicant.Email)
		fillProposal("遅れた申請", "A late proposal")
		late := proposalID()
		latePage := "/en/proposals/" + strconv.FormatInt(late, 10)
		open(latePage)
		do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#u-cv`), []string{pdf}),
			chromedp.Click(chromedp.CSS(`form.upload button[type="submit"]`)))
		arrive(t, ctx, latePage+"?saved=1")
		call, err := db.Call(bg, office, "utokyo", "princeton", 10)
		if err != nil {
			t.Fatal(err)
		}
		call.Closes = time.Now().Add(-time.Minute).UTC()
		if _, err := db.PutCall(bg, office, "utokyo", call); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/transition"]:has(input[name="verb"][value="submit"]) button`)),
			chromedp.WaitVisible(chromedp.CSS(`#f-call`)))
		if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`#f-call`))); !strings.Contains(msg, "The call has closed") {
			t.Errorf("the late submission: %q", msg)
		}
		if p, _, err := db.Proposal(bg, applicant, "utokyo", late); err != nil || p.State != partnerhub.ProposalDraft {
			t.Errorf("the late proposal is %q (%v)", p.State, err)
		}
		signOut()
		if got := mailsTo(applicant.Email); len(got) != 0 {
			t.Errorf("mail about the refused submission: %q", got[0].Subject)
		}

		// 4. The chair assigns three reviewers.
		signIn(chair.Email)
		board := "/en/calls/princeton/10/review"
		for _, u := range []*partnerhub.User{conflicted, reviewer, partnerReviewer} {
			open(board)
			do(t, ctx, chromedp.Click(chromedp.CSS(`#p-`+strconv.FormatInt(id, 10)+` .suggestions form:has(input[name="reviewer"][value="`+strconv.FormatInt(u.ID, 10)+`"]) button`)))
			arrive(t, ctx, board+"?saved=1")
		}
		if body := get(t, ctx, chromedp.Text(chromedp.CSS(`#p-`+strconv.FormatInt(id, 10)+` ul.reviewers`))); !strings.Contains(body, partnerReviewer.Name) || !strings.Contains(body, conflicted.Name) {
			t.Fatalf("assigned: %s", body)
		}
		if strings.Contains(mainText(), "A late proposal") {
			t.Error("the draft that missed the deadline is on the review board")
		}
		signOut()

		// One declares a conflict, and the proposal is gone for them.
		review := "/en/proposals/" + strconv.FormatInt(id, 10) + "/review"
		signIn(conflicted.Email)
		open(review)
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-reason`), "I co-authored with the lead last year."),
			chromedp.Click(chromedp.CSS(`form[action$="/conflict"] button`)))
		arrive(t, ctx, board+"?declared=1")
		if body := mainText(); strings.Contains(body, titleEn) {
			t.Errorf("the conflicted member's list still shows the proposal: %s", body)
		}
		for _, p := range []string{review, "/en" + page, "/api/v1/proposals/" + strconv.FormatInt(id, 10)} {
			if got := status(p); got != 404 {
				t.Errorf("the conflicted member: GET %s answers %d", p, got)
			}
		}
		signOut()

		// The other two score every criterion and submit.
		for i, u := range []*partnerhub.User{reviewer, partnerReviewer} {
			signIn(u.Email)
			if i == 0 {
				for _, lang := range []string{"en", "ja"} {
					open("/" + lang + "/proposals/" + strconv.FormatInt(id, 10) + "/review")
					shoot("fund-review-" + lang)
				}
			}
			// What the conflicted member was refused, a reviewer gets.
			for _, p := range []string{review, "/api/v1/proposals/" + strconv.FormatInt(id, 10)} {
				if got := status(p); got != 200 {
					t.Errorf("the reviewer %s: GET %s answers %d", u.Email, p, got)
				}
			}
			open(review)
			n := strconv.Itoa(i + 1)
			do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-scores-merit`), strconv.Itoa(5-i)),
				chromedp.SetValue(chromedp.CSS(`#f-scores-collab`), "4"),
				chromedp.SetValue(chromedp.CSS(`#f-for_committee`), "COMMITTEE-ONLY-"+n+": the travel budget is high."),
				chromedp.SetValue(chromedp.CSS(`#f-for_applicants`), "FOR-APPLICANTS-"+n+": a clear plan."),
				chromedp.Click(chromedp.CSS(`button[name="op"][value="submit"]`)))
			arrive(t, ctx, review+"?saved=1")
			signOut()
		}

		// 5. The chair reads the ranking, awards, and sends the letters.
		signIn(chair.Email)
		for _, lang := range []string{"en", "ja"} {
			open("/" + lang + "/calls/princeton/10/ranking")
			checkAxe("the ranking in " + lang)
			shoot("fund-ranking-" + lang)
		}
		if body := mainText(); !strings.Contains(body, titleJa) {
			t.Errorf("the ranking lacks the proposal: %s", body)
		}
		decision := "/en/proposals/" + strconv.FormatInt(id, 10) + "/decision"
		open(decision)
		do(t, ctx, chromedp.Click(chromedp.CSS(`#f-outcome-award`)),
			chromedp.SetValue(chromedp.CSS(`#f-home_amount`), "2,000,000"),
			chromedp.SetValue(chromedp.CSS(`#f-partner_amount`), "20,000"),
			chromedp.SetValue(chromedp.CSS(`#f-meeting`), time.Now().In(jst).Format("2006-01-02")),
			chromedp.Click(chromedp.CSS(`form.decision-form button[type="submit"]`)))
		arrive(t, ctx, decision+"?saved=1")
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/decision/letters"] button`)))
		arrive(t, ctx, decision+"?letters=1")
		signOut()
		for _, l := range []struct{ to, subject string }{
			{applicant.Email, "申請「" + titleJa + "」の審査結果のお知らせ"},
			{coleadEmail, "The committee's decision on your proposal “" + titleEn + "”"},
		} {
			m := mailTo(l.to, l.subject)
			for _, want := range []string{"FOR-APPLICANTS-1", "FOR-APPLICANTS-2"} {
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
					t.Errorf("the letter to %s lacks %s:\n%s", l.to, want, m.Text)
				}
			}
			if strings.Contains(m.Text+m.HTML, "COMMITTEE-ONLY") {
				t.Errorf("the letter to %s shows the committee's comments:\n%s", l.to, m.Text)
			}
		}

		// 6. The project is public, signed out.
		for _, p := range []struct{ path, want string }{
			{"/en/funds/princeton", titleEn}, {"/ja/funds/princeton", titleJa},
			{"/en/projects/" + strconv.FormatInt(id, 10), titleEn}, {"/ja/projects/" + strconv.FormatInt(id, 10), titleJa},
		} {
			open(p.path)
			if body := mainText(); !strings.Contains(body, p.want) {
				t.Errorf("%s lacks %q: %s", p.path, p.want, body)
			}
		}
	})
}
