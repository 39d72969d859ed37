package web

import (
	"context"
	ics "github.com/arran4/golang-ical"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestAgreementLife carries an agreement from draft through the built-in
// two-step chain (NTU's lead unit's coordinator, then the office) to signed
// and in force on its page, on both engines; every refusal is shown by the
// field it concerns, in the reader's language, and changes nothing.
func TestAgreementLife(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		const slug = "ntu-exchange-2026"
		page := "/en/agreements/" + slug
		if r := ed.call(t, "admin", "POST", "/api/v1/agreements", map[string]any{"slug": slug, "partner": "ntu", "kind": "exchange", "level": "university",
			"title": map[string]string{"ja": "学生交流協定（国立台湾大学、2026年）", "en": "Student exchange agreement with NTU (2026)"}, "published": true}); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		version := func() string {
			t.Helper()
			r := ed.call(t, "admin", "GET", "/api/v1/agreements/"+slug, nil)
			if r.status != 200 {
				t.Fatalf("read: %d %s", r.status, r.body)
			}
			i := strings.Index(r.body, `"version":`)
			return strings.TrimRight(strings.SplitN(r.body[i+len(`"version":`):], ",", 2)[0], "}\n")
		}
		stage := func() string {
			t.Helper()
			r := ed.call(t, "admin", "GET", "/api/v1/agreements/"+slug, nil)
			i := strings.Index(r.body, `"stage":"`)
			if i < 0 {
				t.Fatalf("no stage: %s", r.body)
			}
			return strings.SplitN(r.body[i+len(`"stage":"`):], `"`, 2)[0]
		}
		act := func(role, lang, verb, comment string) reply {
			t.Helper()
			return ed.send(t, "POST", "/"+lang+"/agreements/"+slug+"/transition",
				url.Values{"verb": {verb}, "comment": {comment}, "version": {version()}}, ed.cookie[role])
		}
		moved := func(r reply, verb string) {
			t.Helper()
			if r.status != http.StatusSeeOther || r.header.Get("Location") != page+"?done="+verb {
				t.Fatalf("%s: %d %s %.300s", verb, r.status, r.header.Get("Location"), r.body)
			}
		}
		refused := func(what string, r reply, status int, want string, before string) {
			t.Helper()
			if r.status != status || !strings.Contains(r.body, want) || !strings.Contains(r.body, `class="field-error"`) {
				t.Errorf("%s: %d, want %d with %q: %.2000s", what, r.status, status, want, r.body)
			}
			if got := stage(); got != before {
				t.Errorf("%s changed the stage: %s, want %s", what, got, before)
			}
		}

		// A draft is the office's own: not on the public portal.
		if r := ed.send(t, "GET", page, nil); r.status != http.StatusNotFound {
			t.Errorf("public draft page: %d", r.status)
		}
		if r := ed.send(t, "GET", page, nil, ed.cookie["admin"]); r.status != 200 || !strings.Contains(r.body, `value="submit"`) {
			t.Fatalf("draft page: %d %.500s", r.status, r.body)
		}
		refused("viewer submits", act("viewer", "en", "submit", ""), http.StatusForbidden, "", "draft")
		moved(act("admin", "en", "submit", ""), "submit")
		r := ed.send(t, "GET", page, nil, ed.cookie["admin"])
		if !strings.Contains(r.body, `<li class="step-waiting">Coordinator of the lead unit`) || !strings.Contains(r.body, `<li class="step-pending">Programme office`) {
			t.Errorf("review steps: %.3000s", r.body)
		}
		if strings.Contains(r.body, `value="approve"`) {
			t.Error("the office is offered the coordinator's step")
		}
		// The approval waiting is in the coordinator's personal calendar
		// (parsed with an iCalendar library), and not in the office's.
		for role, want := range map[string]bool{"coordinator": true, "admin": false} {
			u, err := ed.db.UserByEmail(context.Background(), role+"@example.ac.jp")
			if err != nil {
				t.Fatal(err)
			}
			secret, err := ed.db.CreateCalendarFeed(context.Background(), u.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var ev *ics.VEvent
			for uid, e := range parseFeed(t, ed.send(t, "GET", "/en/calendar/"+secret+".ics", nil)) {
				if strings.HasPrefix(uid, "agreement-approval-"+slug+"@") {
					ev = e
				}
			}
			ok := ev != nil
			if ok != want || ok && propValue(ev, ics.ComponentPropertySummary) != "Waiting for your approval: Student exchange agreement with NTU (2026)" {
				t.Errorf("%s's calendar: approval event %v, want %v", role, ok, want)
			}
		}

		// Someone not in the chain, in either language; a return without a reason.
		refused("the office approves the coordinator's step", act("admin", "en", "approve", ""), http.StatusForbidden,
			"You are not the approver of the step this agreement waits for.", "review")
		refused("…in Japanese", act("admin", "ja", "approve", ""), http.StatusForbidden, "あなたは、この協定が待っている段階の承認者ではありません。", "review")
		refused("the viewer returns it", act("viewer", "en", "return", "no"), http.StatusForbidden, "not the approver", "review")
		refused("a return without a reason", act("coordinator", "en", "return", ""), http.StatusBadRequest, "Say why the agreement goes back", "review")
		refused("…in Japanese", act("coordinator", "ja", "return", ""), http.StatusBadRequest, "差し戻す理由を書いてください", "review")

		// The coordinator of NTU's lead unit, then the office.
		if r := ed.send(t, "GET", page, nil, ed.cookie["coordinator"]); !strings.Contains(r.body, `value="approve"`) || !strings.Contains(r.body, `value="return"`) {
			t.Errorf("the coordinator is not offered the step: %.3000s", r.body)
		}
		moved(act("coordinator", "en", "approve", "Our faculty agrees."), "approve")
		refused("the coordinator approves twice", act("coordinator", "en", "approve", ""), http.StatusForbidden, "not the approver", "review")
		moved(act("admin", "en", "approve", ""), "approve")
		if got := stage(); got != "approved" {
			t.Fatalf("after the chain: %s", got)
		}

		// A transition the stage does not allow, and signing without a date.
		refused("submit an approved agreement", act("admin", "en", "submit", ""), http.StatusConflict, "does not apply to an agreement that is approved", "approved")
		refused("sign without a date", act("admin", "en", "sign", ""), http.StatusBadRequest, "Enter the signing date", "approved")
		refused("…in Japanese", act("admin", "ja", "sign", ""), http.StatusBadRequest, "締結日を入力してください", "approved")

		// An edit sets the dates; it cannot move the stage, nor put the
		// expiry before the signing.
		rec := map[string]any{"slug": slug, "partner": "ntu", "kind": "exchange", "level": "university", "stage": "signed",
			"title":  map[string]string{"ja": "学生交流協定（国立台湾大学、2026年）", "en": "Student exchange agreement with NTU (2026)"},
			"signed": "2026-04-01", "expires": "2026-03-31", "published": true}
		rec["version"], _ = strconv.Atoi(version())
		if r := ed.call(t, "admin", "PUT", "/api/v1/agreements/"+slug, rec); r.status != http.StatusBadRequest || !strings.Contains(r.body, `"expires":"Cannot be before the signing date."`) {
			t.Errorf("expiry before signing: %d %s", r.status, r.body)
		}
		rec["expires"] = "2031-03-31"
		if r := ed.call(t, "admin", "PUT", "/api/v1/agreements/"+slug, rec); r.status != 200 {
			t.Fatalf("dates: %d %s", r.status, r.body)
		}
		if got := stage(); got != "approved" {
			t.Fatalf("an edit moved the stage to %s", got)
		}
		moved(act("admin", "en", "sign", ""), "sign")

		// Signed and in force: now public, without documents or history.
		pub := ed.send(t, "GET", page, nil)
		if pub.status != 200 || !strings.Contains(pub.body, `<span class="status status-active">In force</span>`) {
			t.Errorf("public page: %d %.2000s", pub.status, pub.body)
		}
		for _, private := range []string{"/documents", "review-steps", "agreement-history", "Coordinator of the lead unit"} {
			if strings.Contains(pub.body, private) {
				t.Errorf("the public page shows %q", private)
			}
		}
		r = ed.send(t, "GET", page, nil, ed.cookie["admin"])
		for _, want := range []string{"Submit for approval", "Approve", "Record as signed", "Our faculty agrees.", "Draft a renewal"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("signed-in page lacks %q", want)
			}
		}
	})
}

// TestApprovalChains: administrators set a kind's chain on its page; a
// named person must be a user of the programme, said by the row in the
// reader's language; the next submission of that kind follows the new
// chain, and the named person, whatever their role, approves their step.
func TestApprovalChains(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		exec := ed.addUser(t, "exec@example.ac.jp", partnerhub.RoleViewer)
		ed.cookie["exec"] = ed.signIn(t, exec.Email)
		tok, _, err := ed.db.CreateToken(context.Background(), exec.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ed.token["exec"] = tok
		if r := ed.send(t, "GET", "/en/admin/approvals", nil, ed.cookie["coordinator"]); r.status != http.StatusForbidden {
			t.Errorf("a coordinator sees the chains: %d", r.status)
		}
		r := ed.send(t, "GET", "/ja/admin/approvals", nil, ed.cookie["admin"])
		if r.status != 200 || !strings.Contains(r.body, `id="chain-mou"`) || !strings.Contains(r.body, "（既定）") {
			t.Fatalf("chains page: %d %.500s", r.status, r.body)
		}
		set := func(lang string, approvers, emails []string) reply {
			return ed.send(t, "POST", "/"+lang+"/admin/approvals/mou", url.Values{"approver": approvers, "email": emails}, ed.cookie["admin"])
		}
		for lang, want := range map[string]string{"en": "No active user of this programme has the address nobody@example.ac.jp.",
			"ja": "nobody@example.ac.jp というアドレスの有効な利用者はこのプログラムにいません。"} {
			r := set(lang, []string{"coordinator", "office", "person", ""}, []string{"", "", "nobody@example.ac.jp", ""})
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, want) || !strings.Contains(r.body, `value="nobody@example.ac.jp" autocomplete="off" aria-invalid="true"`) {
				t.Errorf("%s: unknown person: %d %.3000s", lang, r.status, r.body)
			}
		}
		if r := set("en", []string{"", ""}, []string{"", ""}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "This field is required.") {
			t.Errorf("an empty chain: %d", r.status)
		}
		if r := set("en", []string{"office", "person"}, []string{"", "exec@example.ac.jp"}); r.status != http.StatusSeeOther {
			t.Fatalf("save: %d %.500s", r.status, r.body)
		}
		if r := ed.send(t, "GET", "/en/admin/approvals?saved=mou", nil, ed.cookie["admin"]); !strings.Contains(r.body, `<option value="person" selected>Named person</option>`) {
			t.Errorf("saved chain not shown")
		}

		// The next memorandum follows the new chain: the office, then the executive.
		const slug = "pku-mou-2027"
		if r := ed.call(t, "admin", "POST", "/api/v1/agreements", map[string]any{"slug": slug, "partner": "pku", "kind": "mou", "level": "university",
			"title": map[string]string{"ja": "覚書の更新（北京大学）", "en": "Renewal of the memorandum with PKU"}, "renews": "pku-mou", "published": true}); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		transit := func(role, verb string, version int) reply {
			return ed.call(t, role, "POST", "/api/v1/agreements/"+slug+"/transitions", map[string]any{"verb": verb, "version": version})
		}
		for _, step := range []struct {
			role, verb string
			version    int
			status     int
		}{{"admin", "submit", 1, 200}, {"exec", "approve", 2, 403}, {"admin", "approve", 2, 200}, {"admin", "approve", 3, 403}, {"exec", "approve", 3, 200}} {
			if r := transit(step.role, step.verb, step.version); r.status != step.status {
				t.Fatalf("%s %s: %d, want %d: %s", step.role, step.verb, r.status, step.status, r.body)
			}
		}
		if r := ed.call(t, "admin", "GET", "/api/v1/agreements/"+slug, nil); !strings.Contains(r.body, `"stage":"approved"`) {
			t.Errorf("after the new chain: %s", r.body)
		}
	})
}
