package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// tenants is the server of utokyo (newEditors) in a database that holds two
// more home institutions, kyoto and osaka, and a network administrator of
// utokyo.
type tenants struct {
	*editors
	ntu string // an institution all three homes use
}

func testInst(slug string) partnerhub.Institution {
	return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
}

func newTenants(t *testing.T, e storetest.Engine) *tenants {
	t.Helper()
	ctx := context.Background()
	ts := &tenants{editors: newEditors(t, e)}
	p, _, err := ts.db.Record(ctx, "utokyo", partnerhub.EntityPartner, "ntu")
	if err != nil {
		t.Fatal(err)
	}
	ts.ntu = p.(*partnerhub.Partner).Members[0]
	// shared-bc: kyoto and osaka; kyoto-only: kyoto; ntu's institution: all three.
	storetest.AddHome(t, ts.db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("shared-bc"), testInst("kyoto-only"), testInst(ts.ntu)},
		"shared-bc", "kyoto-only", ts.ntu, "shared-bc")
	storetest.AddHome(t, ts.db, "osaka", []partnerhub.Institution{testInst("osaka-uni"), testInst("shared-bc"), testInst(ts.ntu)},
		"shared-bc", ts.ntu)
	net, err := ts.db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "net@example.ac.jp", Name: "Network office",
		Role: partnerhub.RoleViewer, NetworkAdmin: true}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := ts.db.CreateToken(ctx, net.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts.token["network"], ts.cookie["network"] = raw, ts.signIn(t, net.Email)
	// A mobility figure of kyoto, which must not change either.
	kyotoAdmin, err := ts.db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "admin@kyoto.example.ac.jp", Name: "Kyoto office",
		Role: partnerhub.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.PutMobility(ctx, kyotoAdmin, "kyoto", partnerhub.Mobility{Partner: "kyoto-partner", Unit: "kyoto-unit", Year: 2022,
		Direction: partnerhub.Outbound, Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 4}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// others is everything of kyoto and osaka, and the registry's shared
// institutions, as JSON: a refused request must leave it as it was.
func (ts *tenants) others(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	state := map[string]any{}
	for _, home := range []string{"kyoto", "osaka"} {
		c, err := ts.db.Catalog(ctx, home)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := ts.db.Audit(ctx, home, partnerhub.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		mob, _, err := ts.db.ListMobility(ctx, home, partnerhub.MobilityFilter{}, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		state[home] = []any{c, audit, mob}
	}
	for _, slug := range []string{"shared-bc", "kyoto-only", ts.ntu} {
		rec, deleted, err := ts.db.Record(ctx, "utokyo", partnerhub.EntityInstitution, slug)
		if err != nil {
			t.Fatal(err)
		}
		state[slug] = []any{rec, deleted}
	}
	b, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// otherRecord is a record of another home (or of the registry) as JSON.
func (ts *tenants) otherRecord(t *testing.T, home string, entity partnerhub.Entity, key string) (partnerhub.Record, map[string]any) {
	t.Helper()
	rec, _, err := ts.db.Record(context.Background(), home, entity, key)
	if err != nil {
		t.Fatalf("%s %s of %s: %v", entity, key, home, err)
	}
	b, _ := json.Marshal(rec)
	var m map[string]any
	json.Unmarshal(b, &m)
	return rec, m
}

// writeRoutePattern finds the pattern of each write route in routes.go.
var writeRoutePattern = regexp.MustCompile(`mux\.Handle(?:Func)?\(("(?:POST|PUT|PATCH|DELETE) [^,]*),`)

// TestOtherHomesRecordsAreOutOfReach walks every write route as the admin of
// one home (utokyo) against the records of two others (kyoto and osaka) and
// the institutions they use: each is refused with 403 (a shared
// institution, saying so) or 404 (another home's record is not there for
// this home), and nothing of the other homes changes. A create always lands
// in the acting home.
func TestOtherHomesRecordsAreOutOfReach(t *testing.T) {
	// Every write route of routes.go is walked below, or named here as not
	// about a home's records; a new write route fails this test until it is.
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	walked := map[string]string{
		`"POST "+e.path`: "api create", `"PUT "+e.path+"/{key}"`: "api", `"PATCH "+e.path+"/{key}"`: "api",
		`"DELETE "+e.path+"/{key}"`: "api", `"POST "+e.path+"/{key}/restore"`: "api",
		`"PUT /api/v1/partners/{partner}/teams/{phase}"`: "team", `"PATCH /api/v1/partners/{partner}/teams/{phase}"`: "team",
		`"POST /api/v1/agreements/{key}/transitions"`: "transition", `"PUT /api/v1/mobility"`: "mobility",
		`"POST "+ep+"/new"`: "form create", `"POST "+ep+"/{key}"`: "form", `"POST "+ep+"/{key}/delete"`: "form",
		`"POST "+p+"/admin/bin/"+string(e)+"/{key}/restore"`: "form", `"POST "+p+"/edit/agreement/{key}/transition"`: "form",
		`"POST "+p+"/agreements/{slug}/transition"`: "form",
		`"POST "+p+"/edit/team/{partner}/{phase}"`:  "form", `"POST "+p+"/edit/mobility/new"`: "mobility",
		`"POST "+p+"/mobility/import"`: "mobility",
		// The acting home's own chains (SetApprovalChain takes the home of the request).
		`"POST "+p+"/admin/approvals/{kind}"`: "",
		// The acting home's own settings (UpdateMember takes the home of the
		// request; TestMemberSettingsPage).
		`"POST "+p+"/admin/member"`:                 "",
		`"POST /api/v1/agreements/{key}/documents"`: "documents", `"POST "+p+"/agreements/{slug}/documents"`: "documents",
		`"POST /api/v1/agreements/import"`: "register", `"POST "+p+"/agreements/import"`: "register",
		// Webhook subscriptions: the store finds one by id among the acting
		// home's only (store.subscription joins the home's slug); a new one
		// is the acting home's.
		`"POST "+p+"/admin/webhooks"`: "", `"POST "+p+"/admin/webhooks/{id}/{action}"`: "",
		// A failed job of the acting home only (TestAdminJobs).
		`"POST "+p+"/admin/jobs/{id}/retry"`: "",
		// The signed-in user's own account, not a record of a home.
		`"POST "+p+"/signin"`: "", `"POST "+p+"/signout"`: "", `"POST "+p+"/account/tokens"`: "", `"POST "+p+"/account/tokens/{id}/revoke"`: "", `"POST "+p+"/account/language"`: "",
		`"POST "+p+"/account/password"`: "", `"POST "+p+"/account/confirm"`: "", `"POST "+p+"/account/sessions/{id}/end"`: "", `"POST "+p+"/account/sessions/end-others"`: "",
		`"POST "+p+"/account/mfa/totp"`: "", `"POST "+p+"/account/mfa/totp/confirm"`: "", `"POST "+p+"/account/mfa/totp/remove"`: "",
		`"POST "+p+"/account/mfa/recovery"`: "", `"POST "+p+"/account/mfa/passkeys/{id}/remove"`: "",
		`"POST "+p+"/account/mfa/passkeys/begin"`: "", `"POST "+p+"/account/mfa/passkeys/finish"`: "",
		`"POST "+p+"/signin/factor"`: "", `"POST "+p+"/signin/factor/passkey/begin"`: "", `"POST "+p+"/signin/factor/passkey/finish"`: "",
		`"POST "+p+"/account/calendar"`: "", `"POST "+p+"/account/calendar/revoke"`: "",
		// Only the signed-in user's own notifications and mail choices
		// (TestNotificationsPage: another's id changes nothing).
		`"POST "+p+"/account/notifications"`: "", `"POST "+p+"/notifications/read"`: "",
		// A fund's review: the store reads a proposal and a call of the acting
		// home only, and TestFundReviewLeaksNothing walks these routes as
		// people conflicted with the proposal.
		`"POST /api/v1/calls/{fund}/{number}/assignments"`: "review", `"DELETE /api/v1/calls/{fund}/{number}/assignments"`: "review",
		`"PUT /api/v1/proposals/{id}/reviews"`: "review", `"POST /api/v1/proposals/{id}/conflicts"`: "review",
		`"POST /api/v1/proposals/{id}/comments"`: "review", `"POST "+p+"/calls/{fund}/{number}/review/assign"`: "review",
		`"POST "+p+"/proposals/{id}/review"`: "review", `"POST "+p+"/proposals/{id}/conflict"`: "review",
		`"POST "+p+"/proposals/{id}/comments"`: "review",
		// Invitations: an invite lands in the acting home; another home's
		// invitation, by id or by token, is not there (walked below).
		`"POST "+p+"/admin/invitations"`: "", `"POST "+p+"/admin/invitations/{id}/resend"`: "invitations",
		`"POST "+p+"/admin/invitations/{id}/revoke"`: "invitations", `"POST "+p+"/invitations/{token}"`: "invitations",
		// Single sign-on: an invitation's token is looked up in the acting
		// home only, as for the route above; linking and unlinking are the
		// signed-in user's own identities; the store finds pre-authorisations
		// and role rules of the acting home only (TestSSOAdminPages).
		`"POST "+p+"/invitations/{token}/sso/{choice}"`: "", `"POST "+p+"/account/sso/{choice}"`: "",
		`"POST "+p+"/account/sso/identities/{id}/unlink"`: "", `"POST "+p+"/admin/sso/preauthorisations"`: "",
		`"POST "+p+"/admin/sso/preauthorisations/{id}/remove"`: "", `"POST "+p+"/admin/sso/rules"`: "",
		`"POST "+p+"/admin/sso/rules/{id}/remove"`: "",
		// Proposals: the store finds a fund, its calls and proposals in the
		// acting home only (inFund, proposalByID by the home's slug), and
		// lets only a proposal's applicants write it (TestProposalForm,
		// TestProposalAPI, store's TestProposalFiles).
		`"POST /api/v1/calls/{fund}/{number}/proposals"`: "", `"PUT /api/v1/proposals/{id}"`: "",
		`"POST /api/v1/proposals/{id}/transition"`: "", `"POST /api/v1/proposals/{id}/files"`: "",
		`"POST "+p+"/calls/{fund}/{number}/proposals/new"`: "", `"POST "+p+"/proposals/{id}"`: "",
		`"POST "+p+"/proposals/{id}/transition"`: "", `"POST "+p+"/proposals/{id}/files"`: "",
		// A fund's decisions, letters, reports and links: the store finds the
		// proposal among the request's home's only (TestDecisionPages walks
		// them as a conflicted chair and as another proposal's applicant).
		`"PUT /api/v1/proposals/{id}/decision"`: "decisions", `"POST /api/v1/proposals/{id}/letters"`: "decisions",
		`"POST /api/v1/calls/{fund}/{number}/letters"`: "decisions", `"PUT /api/v1/projects/{id}/reports/{kind}"`: "decisions",
		`"PUT /api/v1/projects/{id}/activities/{slug}"`: "decisions", `"DELETE /api/v1/projects/{id}/activities/{slug}"`: "decisions",
		`"POST "+p+"/proposals/{id}/decision"`: "decisions", `"POST "+p+"/proposals/{id}/decision/letters"`: "decisions",
		`"POST "+p+"/calls/{fund}/{number}/letters"`: "decisions", `"POST "+p+"/projects/{id}/reports"`: "decisions",
		`"POST "+p+"/projects/{id}/activities"`: "decisions",
		// Funds and calls are found by slug in the acting home only
		// (store.fundBySlug); TestFundsOfOtherHomes walks them.
		`"POST /api/v1/funds"`: "funds", `"PUT /api/v1/funds/{fund}"`: "funds", `"PUT /api/v1/funds/{fund}/seats"`: "funds",
		`"DELETE /api/v1/funds/{fund}/seats/{user}/{role}"`: "funds", `"POST /api/v1/calls"`: "funds",
		`"PUT /api/v1/calls/{fund}/{number}"`: "funds", `"POST "+p+"/funds/new"`: "funds", `"POST "+p+"/funds/{fund}/edit"`: "funds",
		`"POST "+p+"/funds/{fund}/committee"`: "funds", `"POST "+p+"/funds/{fund}/committee/remove"`: "funds",
		`"POST "+p+"/calls/new"`: "funds", `"POST "+p+"/calls/{fund}/{number}/edit"`: "funds",
		// Good-practice notes: the store finds a note among those the caller
		// may read (another member's draft is not there) and Authorize
		// takes the note's own member; a new note is the caller's member's.
		// TestPracticeAPI and TestPracticePages walk them as another
		// member's admin, and store's TestPracticeNoteLife as every role.
		`"POST /api/v1/network/notes"`: "", `"PUT /api/v1/network/notes/{id}"`: "notes",
		`"POST /api/v1/network/notes/{id}/transitions"`: "notes", `"POST /api/v1/network/notes/{id}/files"`: "notes",
		`"POST "+np+"/new"`: "", `"POST "+np+"/{id}/edit"`: "notes", `"POST "+np+"/{id}/files"`: "notes",
		`"POST "+np+"/{id}/transition"`: "notes",
		// The network's events are the network's, not a home's: network
		// editors write them whatever their home (Authorize), anyone
		// registers, a cancel link acts by its token only
		// (TestNetworkEventPages, TestNetworkEventAPI).
		`"POST /api/v1/network/events"`: "", `"PUT /api/v1/network/events/{id}"`: "",
		`"POST /api/v1/network/events/{id}/registrations"`: "", `"POST "+p+"/network/events/{id}"`: "",
		`"POST "+p+"/network/registrations/{token}"`: "", `"POST "+p+"/network/events/new"`: "",
		`"POST "+p+"/network/events/{id}/edit"`: "",
		// The network's members: a network administrator's own, across
		// members by design; everyone else is refused (TestMembersPage,
		// TestMemberOnboarding walk them as a home's administrator).
		`"POST "+mp`: "network", `"POST "+mp+"/{slug}/disable"`: "network", `"POST "+mp+"/{slug}/enable"`: "network",
		`"POST "+mp+"/{slug}/invite"`: "network", `"POST "+mp+"/{slug}/onboard"`: "network",
		// SAML's assertion consumer service signs a person in; it writes
		// no record of a home (ssotest/saml).
		`"POST /saml/acs"`: "",
	}
	for _, m := range writeRoutePattern.FindAllStringSubmatch(string(src), -1) {
		if _, ok := walked[m[1]]; !ok {
			t.Errorf("write route %s is not walked: add it to TestOtherHomesRecordsAreOutOfReach", m[1])
		}
	}

	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTenants(t, e)
		// An invitation of kyoto's, tried below.
		kyotoAdmin, err := ts.db.UserByEmail(context.Background(), "admin@kyoto.example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := ts.db.Invite(context.Background(), kyotoAdmin, "kyoto", partnerhub.InvitationSpec{Email: "kyoto-guest@example.org",
			Name: "Kyoto guest", Lang: partnerhub.Japanese}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		before := ts.others(t)
		// The records of the other homes, by entity; institutions are the
		// registry's, used by one or both other homes (ntu's by utokyo too).
		others := map[partnerhub.Entity][]string{
			partnerhub.EntityInstitution: {"shared-bc", "kyoto-only", ts.ntu},
			partnerhub.EntityUnit:        {"kyoto-unit"}, partnerhub.EntityPartner: {"kyoto-partner", "kyoto-group", "osaka-partner"},
			partnerhub.EntityAgreement: {"kyoto-agreement", "osaka-agreement"}, partnerhub.EntityActivity: {"kyoto-activity", "osaka-activity"},
		}
		homeOf := func(key string) string {
			if strings.HasPrefix(key, "osaka-") {
				return "osaka"
			}
			return "kyoto"
		}
		refused := func(entity partnerhub.Entity, key string) int {
			if entity == partnerhub.EntityInstitution {
				return http.StatusForbidden
			}
			return http.StatusNotFound
		}
		check := func(what string, r reply, want ...int) {
			t.Helper()
			if !slices.Contains(want, r.status) {
				t.Errorf("%s: %d, want %v: %s", what, r.status, want, r.body)
			}
			if r.status == http.StatusForbidden && !strings.Contains(r.body, "network administrator") && !strings.Contains(r.body, "ネットワーク管理者") {
				t.Errorf("%s: the refusal does not say who may change it: %s", what, r.body)
			}
		}
		// The write API. Creates come last: what they make is the acting
		// home's, and would be found by the routes that follow.
		var creates []func()
		for _, w := range writeAPI {
			keys := others[w.entity]
			if len(keys) == 0 {
				t.Fatalf("no record of another home to try for %s", w.entity)
			}
			for _, key := range keys {
				home := homeOf(key)
				rec, body := ts.otherRecord(t, home, w.entity, key)
				v := rec.RecordVersion()
				want := refused(w.entity, key)
				check("PUT "+w.path+"/"+key, ts.call(t, "admin", "PUT", w.path+"/"+key, body), want)
				check("PATCH "+w.path+"/"+key, ts.call(t, "admin", "PATCH", w.path+"/"+key, map[string]any{"version": v}), want)
				check("DELETE "+w.path+"/"+key, ts.call(t, "admin", "DELETE", fmt.Sprintf("%s/%s?version=%d", w.path, key, v), nil), want)
				check("restore "+w.path+"/"+key, ts.call(t, "admin", "POST", w.path+"/"+key+"/restore", nil), want)
				creates = append(creates, func() {
					// A shared institution exists and is refused. Another
					// home's record is created in the acting home, or refused
					// when it names a record the acting home lacks.
					want := []int{http.StatusForbidden}
					if w.entity != partnerhub.EntityInstitution {
						want = []int{http.StatusCreated, http.StatusBadRequest}
					}
					check("POST "+w.path+" "+key, ts.call(t, "admin", "POST", w.path, body), want...)
				})
			}
		}
		check("PUT a team of kyoto", ts.call(t, "admin", "PUT", "/api/v1/partners/kyoto-partner/teams/1",
			map[string]any{"tier": "primary", "units": []string{}, "lead": "", "version": 1}), http.StatusNotFound, http.StatusBadRequest)
		check("PATCH a team of kyoto", ts.call(t, "admin", "PATCH", "/api/v1/partners/kyoto-partner/teams/1", map[string]any{"version": 1}), http.StatusNotFound)
		check("transition of kyoto's agreement", ts.call(t, "admin", "POST", "/api/v1/agreements/kyoto-agreement/transitions",
			map[string]any{"verb": "expire", "version": 1}), http.StatusNotFound)
		// Documents of another home's agreement: not there for this home.
		for _, key := range others[partnerhub.EntityAgreement] {
			for _, p := range []string{"/api/v1/agreements/" + key + "/documents", "/en/agreements/" + key + "/documents", "/ja/agreements/" + key + "/documents"} {
				check("document of "+key+" at "+p, ts.sendDoc(t, p, "draft", "draft.pdf", storetest.PDF("x"), ts.cookie["admin"], "Authorization", "Bearer "+ts.token["admin"]),
					http.StatusNotFound)
			}
		}
		mob := map[string]any{"partner": "kyoto-partner", "institution": "", "unit": "kyoto-unit", "year": 2022, "direction": "outbound",
			"category": "graduate", "programme": "exchange", "count": 99}
		check("PUT a figure of kyoto", ts.call(t, "admin", "PUT", "/api/v1/mobility", mob), http.StatusBadRequest, http.StatusNotFound)

		// The browser's forms, in both languages.
		for _, lang := range []string{"en", "ja"} {
			for _, entity := range editEntities {
				for _, key := range others[entity] {
					rec, _ := ts.otherRecord(t, homeOf(key), entity, key)
					form := forms[entity].values(rec)
					form.Set("version", fmt.Sprint(rec.RecordVersion()))
					want := refused(entity, key)
					base := "/" + lang + "/edit/" + string(entity) + "/" + key
					r := ts.send(t, "POST", base, form, ts.cookie["admin"])
					check("form "+base, r, want)
					if want == http.StatusForbidden {
						// The form says so above and on the slug, in the reader's language.
						msgs := map[string][]string{"en": {"This institution is shared with other programmes (", "Shared with other programmes ("},
							"ja": {"この機関はほかの事業（", "と共有している機関です。変更できるのはネットワーク管理者だけです。"}}[lang]
						for _, msg := range msgs {
							if !strings.Contains(r.body, msg) {
								t.Errorf("form %s: the page does not say %q", base, msg)
							}
						}
					}
					check("delete "+base, ts.send(t, "POST", base+"/delete", url.Values{"version": {fmt.Sprint(rec.RecordVersion())}}, ts.cookie["admin"]), want)
					check("restore "+key, ts.send(t, "POST", "/"+lang+"/admin/bin/"+string(entity)+"/"+key+"/restore", url.Values{}, ts.cookie["admin"]), want)
					if entity == partnerhub.EntityInstitution {
						check("form create "+key, ts.send(t, "POST", "/"+lang+"/edit/institution/new", form, ts.cookie["admin"]), http.StatusForbidden)
					}
				}
			}
			check("form transition", ts.send(t, "POST", "/"+lang+"/edit/agreement/kyoto-agreement/transition",
				url.Values{"verb": {"expire"}, "version": {"1"}}, ts.cookie["admin"]), http.StatusNotFound)
			for _, verb := range []string{"expire", "submit", "approve", "terminate"} {
				check("page transition "+verb, ts.send(t, "POST", "/"+lang+"/agreements/kyoto-agreement/transition",
					url.Values{"verb": {verb}, "comment": {"x"}, "version": {"1"}}, ts.cookie["admin"]), http.StatusNotFound)
			}
			check("form team", ts.send(t, "POST", "/"+lang+"/edit/team/kyoto-partner/1",
				url.Values{"tier": {"primary"}, "units": {"kyoto-unit"}, "version": {"1"}}, ts.cookie["admin"]), http.StatusNotFound, http.StatusBadRequest)
			check("form figure", ts.send(t, "POST", "/"+lang+"/edit/mobility/new", url.Values{"partner": {"kyoto-partner"}, "unit": {"kyoto-unit"},
				"year": {"2022"}, "direction": {"outbound"}, "category": {"graduate"}, "programme": {"exchange"}, "count": {"99"}}, ts.cookie["admin"]),
				http.StatusBadRequest, http.StatusNotFound)
		}
		// A register naming kyoto's partner, or renewing its agreement,
		// names nothing of the acting home: refused, by page and by API.
		reg := "Partner,Kind,Signed by,Title (Japanese),Title (English),Renews\n" +
			"kyoto-partner,exchange,university,協定,Agreement,\nntu,exchange,university,協定,Agreement,kyoto-agreement\n"
		for _, lang := range []string{"en", "ja"} {
			check("register page "+lang, ts.registerUpload(t, "admin", lang, "kyoto.csv", reg), http.StatusUnprocessableEntity)
		}
		check("register API", ts.registerAPI(t, "admin", "text/csv", "en", reg), http.StatusUnprocessableEntity)
		r := ts.upload(t, "admin", "en", "kyoto.csv", "partner,unit,year,direction,category,programme,count\nkyoto-partner,kyoto-unit,2022,outbound,graduate,exchange,99\n")
		wantPage(t, r, 200, "nothing was added")
		// Another home's invitation: not there for this home's admin, nor
		// at this home's link, and unchanged.
		for _, lang := range []string{"en", "ja"} {
			for _, action := range []string{"resend", "revoke"} {
				check("invitation "+action, ts.send(t, "POST", fmt.Sprintf("/%s/admin/invitations/%d/%s", lang, inv.ID, action), url.Values{}, ts.cookie["admin"]),
					http.StatusNotFound)
			}
			check("kyoto's invitation link", ts.send(t, "POST", "/"+lang+"/invitations/"+inv.Token,
				url.Values{"name": {"x"}, "password": {testPassword}, "password_confirm": {testPassword}}), http.StatusNotFound)
		}
		if list, err := ts.db.Invitations(context.Background(), kyotoAdmin, "kyoto"); err != nil || len(list) != 1 ||
			list[0].State(time.Now()) != partnerhub.InvitationPending || list[0].Sends != 1 {
			t.Errorf("kyoto's invitation changed: %+v %v", list, err)
		}
		for _, create := range creates {
			create()
		}

		if after := ts.others(t); after != before {
			t.Fatalf("refused requests changed other homes' records:\nbefore %s\nafter  %s", before, after)
		}
		// What utokyo created from the other homes' records is utokyo's own.
		for _, key := range []string{"kyoto-unit", "kyoto-partner", "osaka-partner"} {
			entity := partnerhub.EntityPartner
			if key == "kyoto-unit" {
				entity = partnerhub.EntityUnit
			}
			if _, _, err := ts.db.Record(context.Background(), "utokyo", entity, key); err != nil {
				t.Errorf("%s was not created in utokyo: %v", key, err)
			}
		}
	})
}

// TestSharedInstitutionChanges: the refusal names the sharing homes in the
// reader's language, field by field; a network administrator's change of a
// shared institution succeeds and is in the audit log of every home that
// uses it, with the actor named; a home's admin still changes, deletes and
// restores an institution only it uses, audited in its own log only.
func TestSharedInstitutionChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTenants(t, e)
		ctx := context.Background()

		// The API's refusal, in both languages, on the field.
		_, body := ts.otherRecord(t, "kyoto", partnerhub.EntityInstitution, "shared-bc")
		for lang, want := range map[string]string{"en": "shared with other programmes (kyoto, osaka): only a network administrator",
			"ja": "ほかの事業（kyoto, osaka）と共有しています。変更できるのはネットワーク管理者だけです"} {
			r := ts.call(t, "admin", "PATCH", "/api/v1/institutions/shared-bc?lang="+lang, map[string]any{"version": body["version"], "acronym": "X"})
			var ae apiError
			json.Unmarshal([]byte(r.body), &ae)
			if r.status != 403 || ae.Error.Code != "forbidden" || !strings.Contains(ae.Error.Message, want) || ae.Error.Fields["slug"] == "" {
				t.Errorf("%s: %d %s", lang, r.status, r.body)
			}
		}

		// The form says so before anyone types, to all but a network administrator.
		wantPage(t, ts.send(t, "GET", "/en/edit/institution/shared-bc", nil, ts.cookie["admin"]), 200,
			"This institution is shared with other programmes (kyoto, osaka): only a network administrator may change it.")
		wantPage(t, ts.send(t, "GET", "/ja/edit/institution/shared-bc", nil, ts.cookie["admin"]), 200,
			"この機関はほかの事業（kyoto, osaka）と共有しています。")
		if r := ts.send(t, "GET", "/en/edit/institution/shared-bc", nil, ts.cookie["network"]); r.status != 200 || strings.Contains(r.body, "shared with other programmes") {
			t.Errorf("a network administrator's form: %d, or it says only a network administrator may change it", r.status)
		}
		if r := ts.send(t, "GET", "/en/edit/institution/tohoku", nil, ts.cookie["admin"]); r.status != 200 || strings.Contains(r.body, "shared with other programmes") {
			t.Errorf("the form of an institution only utokyo uses: %d, or it says it is shared", r.status)
		}

		// The refusal is in the security log, with who tried and what.
		var logged bytes.Buffer
		logging := ts.homeServer(t, "utokyo", slog.New(slog.NewTextHandler(&logged, nil)))
		req, _ := http.NewRequest("DELETE", logging.URL+fmt.Sprintf("/api/v1/institutions/shared-bc?version=%v", body["version"]), nil)
		req.Header.Set("Authorization", "Bearer "+ts.token["admin"])
		if res, err := logging.Client().Do(req); err != nil || res.StatusCode != 403 {
			t.Fatalf("delete through the logging server: %v %v", res, err)
		}
		if line := logged.String(); !strings.Contains(line, "event=shared_record_refused") || !strings.Contains(line, "key=shared-bc") ||
			!strings.Contains(line, "action=delete") || !strings.Contains(line, "user=") || strings.Contains(line, ts.token["admin"]) {
			t.Errorf("security log: %q", line)
		}

		// A network administrator changes it: every home that uses it sees who did.
		r := ts.call(t, "network", "PATCH", "/api/v1/institutions/shared-bc", map[string]any{"version": body["version"], "acronym": "SBC"})
		if r.status != 200 || !strings.Contains(r.body, `"acronym":"SBC"`) {
			t.Fatalf("network admin's change: %d %s", r.status, r.body)
		}
		for _, home := range []string{"utokyo", "kyoto", "osaka"} {
			evs, err := ts.db.Audit(ctx, home, partnerhub.AuditFilter{Entity: partnerhub.EntityInstitution, Key: "shared-bc"})
			if err != nil || len(evs) != 1 || evs[0].Actor != "net@example.ac.jp" || evs[0].Action != partnerhub.ActionUpdate ||
				!strings.Contains(string(evs[0].After), `"acronym":"SBC"`) {
				t.Errorf("audit log of %s: %v %+v", home, err, evs)
			}
		}
		// kyoto's own server shows it to kyoto's admin, on the API and the audit page.
		kyoto := ts.homeServer(t, "kyoto", nil)
		kyotoAdmin, err := ts.db.UserByEmail(ctx, "admin@kyoto.example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := ts.db.CreateToken(ctx, kyotoAdmin.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req, _ = http.NewRequest("GET", kyoto.URL+"/api/v1/audit?entity=institution&key=shared-bc", nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		res, err := kyoto.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []partnerhub.AuditEvent `json:"items"`
		}
		json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if res.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].Actor != "net@example.ac.jp" {
			t.Errorf("kyoto's GET /api/v1/audit: %d %+v", res.StatusCode, page.Items)
		}
		kyotoCookie := (&authServer{Server: kyoto, db: ts.db}).signIn(t, "admin@kyoto.example.ac.jp")
		wantPage(t, (&authServer{Server: kyoto, db: ts.db}).send(t, "GET", "/en/admin/audit", nil, kyotoCookie), 200, "net@example.ac.jp", "shared-bc")
		// A network administrator's role in their home is unchanged: a viewer still changes no unit.
		if r := ts.call(t, "network", "PATCH", "/api/v1/units/law", map[string]any{"version": 1}); r.status != 403 {
			t.Errorf("network admin (a viewer) changed a unit: %d", r.status)
		}

		// An institution only utokyo uses: its admin creates, changes, deletes and restores it.
		inst := map[string]any{"slug": "tokyo-only", "name": map[string]string{"ja": "東京だけ", "en": "Tokyo only"}, "country": "JP"}
		for _, step := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"POST", "/api/v1/institutions", inst, 201},
			{"PATCH", "/api/v1/institutions/tokyo-only", map[string]any{"version": 1, "acronym": "TO"}, 200},
			{"DELETE", "/api/v1/institutions/tokyo-only?version=2", nil, 200},
			{"POST", "/api/v1/institutions/tokyo-only/restore", nil, 200},
		} {
			if r := ts.call(t, "admin", step.method, step.path, step.body); r.status != step.want {
				t.Fatalf("%s %s: %d %s", step.method, step.path, r.status, r.body)
			}
		}
		if evs, _ := ts.db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Key: "tokyo-only"}); len(evs) != 4 {
			t.Errorf("utokyo's audit of tokyo-only: %d events", len(evs))
		}
		for _, home := range []string{"kyoto", "osaka"} {
			if evs, _ := ts.db.Audit(ctx, home, partnerhub.AuditFilter{Key: "tokyo-only"}); len(evs) != 0 {
				t.Errorf("%s's audit log shows an institution it does not use: %+v", home, evs)
			}
		}
		// Once kyoto uses it too, it is shared: utokyo's admin may no longer change it.
		grp, _ := ts.otherRecord(t, "kyoto", partnerhub.EntityPartner, "kyoto-group")
		g := grp.(*partnerhub.Partner)
		g.Members = append(g.Members, "tokyo-only")
		if _, err := ts.db.Apply(ctx, partnerhub.Update(kyotoAdmin, "kyoto", g)); err != nil {
			t.Fatal(err)
		}
		if r := ts.call(t, "admin", "PATCH", "/api/v1/institutions/tokyo-only", map[string]any{"version": 4, "acronym": "T"}); r.status != 403 ||
			!strings.Contains(r.body, "(kyoto)") {
			t.Errorf("a change of an institution kyoto now uses: %d %s", r.status, r.body)
		}
	})
}

// homeServer serves another home of the same database.
func (ts *tenants) homeServer(t *testing.T, home string, logger *slog.Logger) *httptest.Server {
	t.Helper()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(context.Background(), Deps{Source: ts.db, Home: home, Messages: msgs, Accounts: ts.db,
		Authenticator: authn.NewPasswords(ts.db), Editor: ts.db, Mobility: ts.db, Documents: ts.db, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs
}
