package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// editors is a server with one user of each role, each with an API token
// and a browser session.
type editors struct {
	*authServer
	token  map[string]string // role name -> bearer token ("" for nobody)
	cookie map[string]*http.Cookie
}

func newEditors(t *testing.T, e storetest.Engine) *editors {
	t.Helper()
	ts := newAuthServer(t, e)
	ed := &editors{authServer: ts, token: map[string]string{"nobody": ""}, cookie: map[string]*http.Cookie{"nobody": nil}}
	for _, u := range []struct {
		name  string
		role  partnerhub.Role
		units []string
	}{
		{"admin", partnerhub.RoleAdmin, nil},
		{"coordinator", partnerhub.RoleCoordinator, []string{"agr"}}, // NTU's lead unit; also in SNU's, ETHZ's, Stockholm's and Chile–Mexico's teams
		{"viewer", partnerhub.RoleViewer, nil},
	} {
		user := ts.addUser(t, u.name+"@example.ac.jp", u.role, u.units...)
		raw, _, err := ts.db.CreateToken(context.Background(), user.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ed.token[u.name] = raw
		ed.cookie[u.name] = ts.signIn(t, user.Email)
	}
	return ed
}

// call sends a JSON request as a role.
func (ed *editors) call(t *testing.T, role, method, path string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ed.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := ed.token[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := ed.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// record fetches a record as stored, for its version.
func (ed *editors) record(t *testing.T, entity partnerhub.Entity, key string) map[string]any {
	t.Helper()
	rec, _, err := ed.db.Record(context.Background(), "utokyo", entity, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

// TestAuthorizationMatrix walks every write route of the API and every
// editing page for every role, and checks allow or refuse.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		roles := []string{"nobody", "viewer", "coordinator", "admin"}
		type want map[string]int // role -> status; roles not named are refused 403 (401 for nobody)
		newActivity := func(slug string, partners ...string) map[string]any {
			return map[string]any{"slug": slug, "kind": "workshop", "title": map[string]string{"ja": "新しい", "en": "New"},
				"partners": partners, "units": []string{}, "institutions": []string{}, "published": true}
		}
		for _, role := range roles {
			t.Run(role, func(t *testing.T) {
				n := 0
				fresh := func() string { n++; return fmt.Sprintf("m-%s-%d", role, n) }
				for _, tc := range []struct {
					name   string
					method string
					path   func() string
					body   func() any
					allow  want
				}{
					{"create an activity of NTU", "POST", func() string { return "/api/v1/activities" },
						func() any { return newActivity(fresh(), "ntu") }, want{"coordinator": 201, "admin": 201}},
					{"create an activity of Cambridge", "POST", func() string { return "/api/v1/activities" },
						func() any { return newActivity(fresh(), "cambridge") }, want{"admin": 201}},
					{"create a programme-wide activity", "POST", func() string { return "/api/v1/activities" },
						func() any { return newActivity(fresh()) }, want{"admin": 201}},
					{"update an NTU activity", "PUT", func() string { return "/api/v1/activities/ntu-joint-conference-2019" },
						func() any { return ed.record(t, partnerhub.EntityActivity, "ntu-joint-conference-2019") }, want{"coordinator": 200, "admin": 200}},
					{"patch a Cambridge activity", "PATCH", func() string { return "/api/v1/activities/cambridge-voices-education-covid-2020" },
						func() any {
							return map[string]any{"version": ed.record(t, partnerhub.EntityActivity, "cambridge-voices-education-covid-2020")["version"]}
						}, want{"admin": 200}},
					{"update NTU's team", "PUT", func() string { return "/api/v1/partners/ntu/teams/3" },
						func() any { return ed.record(t, partnerhub.EntityTeam, "ntu/3") }, want{"coordinator": 200, "admin": 200}},
					{"update Cambridge's team", "PUT", func() string { return "/api/v1/partners/cambridge/teams/3" },
						func() any { return ed.record(t, partnerhub.EntityTeam, "cambridge/3") }, want{"admin": 200}},
					{"update a partner", "PUT", func() string { return "/api/v1/partners/ntu" },
						func() any { return ed.record(t, partnerhub.EntityPartner, "ntu") }, want{"admin": 200}},
					{"create an agreement of SNU", "POST", func() string { return "/api/v1/agreements" },
						func() any {
							return map[string]any{"slug": fresh(), "partner": "snu", "kind": "exchange", "level": "university",
								"title": map[string]string{"ja": "協定", "en": "Agreement"}, "units": []string{}, "status": "active", "published": false}
						}, want{"coordinator": 201, "admin": 201}},
					{"update an institution", "PUT", func() string { return "/api/v1/institutions/tohoku" },
						func() any { return ed.record(t, partnerhub.EntityInstitution, "tohoku") }, want{"admin": 200}},
					{"update a unit", "PUT", func() string { return "/api/v1/units/iog" },
						func() any { return ed.record(t, partnerhub.EntityUnit, "iog") }, want{"admin": 200}},
					{"delete an NTU activity", "DELETE", func() string {
						slug := fresh()
						ed.call(t, "admin", "POST", "/api/v1/activities", newActivity(slug, "ntu"))
						return "/api/v1/activities/" + slug + "?version=1"
					}, func() any { return nil }, want{"coordinator": 200, "admin": 200}},
					{"delete a partner", "DELETE", func() string {
						return fmt.Sprintf("/api/v1/partners/ytu?version=%v", ed.record(t, partnerhub.EntityPartner, "ytu")["version"])
					}, func() any { return nil }, want{"admin": 200}},
					{"restore a partner", "POST", func() string { return "/api/v1/partners/ytu/restore" }, func() any { return nil }, want{"admin": 200}},
					{"the audit log", "GET", func() string { return "/api/v1/audit" }, func() any { return nil }, want{"admin": 200}},
					{"the bin", "GET", func() string { return "/api/v1/bin" }, func() any { return nil }, want{"admin": 200}},
					{"a record's history", "GET", func() string { return "/api/v1/activities/ntu-joint-conference-2019/history" },
						func() any { return nil }, want{"viewer": 200, "coordinator": 200, "admin": 200}},
				} {
					expect, ok := tc.allow[role]
					if !ok {
						expect = http.StatusForbidden
						if role == "nobody" {
							expect = http.StatusUnauthorized
						}
					}
					if role == "admin" && tc.name == "restore a partner" {
						// only meaningful after the delete above, which admins did
					} else if role != "admin" && tc.name == "restore a partner" && expect == 200 {
						continue
					}
					r := ed.call(t, role, tc.method, tc.path(), tc.body())
					if r.status != expect {
						t.Errorf("%s: %d, want %d: %s", tc.name, r.status, expect, r.body)
					}
				}
			})
		}

		// Editing pages: the forms open for anyone signed in (saving is what is checked),
		// the bin and the audit log for admins only, and nothing for nobody.
		for _, role := range roles {
			for _, tc := range []struct {
				path  string
				allow map[string]int
			}{
				{"/en/edit/activity/ntu-joint-conference-2019", map[string]int{"viewer": 200, "coordinator": 200, "admin": 200}},
				{"/en/admin/bin", map[string]int{"viewer": 403, "coordinator": 403, "admin": 200}},
				{"/ja/admin/audit", map[string]int{"viewer": 403, "coordinator": 403, "admin": 200}},
				{"/en/history/partner/ntu", map[string]int{"viewer": 200, "coordinator": 200, "admin": 200}},
			} {
				r := ed.send(t, "GET", tc.path, nil, ed.cookie[role])
				expect, ok := tc.allow[role]
				if !ok {
					expect = http.StatusSeeOther // to the sign-in page
				}
				if r.status != expect {
					t.Errorf("%s GET %s: %d, want %d", role, tc.path, r.status, expect)
				}
			}
			// Saving a form of another unit's partner is refused.
			rec := ed.record(t, partnerhub.EntityActivity, "cambridge-voices-education-covid-2020")
			form := activityForm(rec)
			r := ed.send(t, "POST", "/en/edit/activity/cambridge-voices-education-covid-2020", form, ed.cookie[role])
			expect := map[string]int{"nobody": 303, "viewer": 403, "coordinator": 403, "admin": 303}[role]
			if r.status != expect {
				t.Errorf("%s saves a Cambridge activity: %d, want %d", role, r.status, expect)
			}
		}
	})
}

// TestEveryWriteRouteIsGuarded sends every write route of the API, as
// routes.go registers them, for nobody, a viewer and a coordinator on
// records outside their units: none gets through, and none changes anything.
func TestEveryWriteRouteIsGuarded(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	keys := map[partnerhub.Entity]string{
		partnerhub.EntityInstitution: "tohoku", partnerhub.EntityUnit: "iog", partnerhub.EntityPartner: "cambridge",
		partnerhub.EntityAgreement: "princeton-mou", partnerhub.EntityActivity: "cambridge-voices-education-covid-2020",
	}
	type route struct{ method, path string }
	var routes []route
	for _, w := range writeAPI {
		k := keys[w.entity]
		if k == "" {
			t.Fatalf("no record to try for %s", w.entity)
		}
		routes = append(routes, route{"POST", w.path}, route{"PUT", w.path + "/" + k}, route{"PATCH", w.path + "/" + k},
			route{"DELETE", w.path + "/" + k + "?version=1"}, route{"POST", w.path + "/" + k + "/restore"})
	}
	routes = append(routes, route{"PUT", "/api/v1/partners/cambridge/teams/3"}, route{"PATCH", "/api/v1/partners/cambridge/teams/3"},
		route{"GET", "/api/v1/audit"}, route{"GET", "/api/v1/bin"})
	before, _ := ed.db.Audit(context.Background(), "utokyo", partnerhub.AuditFilter{Limit: 1000})
	for _, role := range []string{"nobody", "viewer", "coordinator"} {
		for _, rt := range routes {
			var body any
			if rt.method == "POST" || rt.method == "PUT" || rt.method == "PATCH" {
				body = map[string]any{"version": 1}
			}
			r := ed.call(t, role, rt.method, rt.path, body)
			want := http.StatusForbidden
			if role == "nobody" {
				want = http.StatusUnauthorized
			}
			// A coordinator's malformed body may be refused before the role is
			// checked; either way nothing is written (checked below).
			if r.status != want && !(role == "coordinator" && r.status == http.StatusBadRequest) {
				t.Errorf("%s %s %s: %d, want %d", role, rt.method, rt.path, r.status, want)
			}
		}
	}
	after, _ := ed.db.Audit(context.Background(), "utokyo", partnerhub.AuditFilter{Limit: 1000})
	if len(after) != len(before) {
		t.Fatalf("refused requests wrote %d audit events", len(after)-len(before))
	}
}

// activityForm is the form a browser sends for an activity as stored.
func activityForm(rec map[string]any) url.Values {
	b, _ := json.Marshal(rec)
	var a partnerhub.Activity
	json.Unmarshal(b, &a)
	vals := forms[partnerhub.EntityActivity].values(&a)
	vals.Set("version", fmt.Sprint(a.Version))
	return vals
}

func TestConcurrentEditsOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		const slug = "tsinghua-language-exchange-2021-03"
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := ed.record(t, partnerhub.EntityActivity, slug)
				rec["summary"] = map[string]string{"ja": fmt.Sprint("編集", i), "en": fmt.Sprint("edit ", i)}
				r := ed.call(t, "admin", "PUT", "/api/v1/activities/"+slug, rec)
				if r.status == 200 {
					// The body is the record this write made, at the
					// version its ETag names, even when another write
					// landed before the response was made.
					var got struct {
						Version int               `json:"version"`
						Summary map[string]string `json:"summary"`
					}
					json.Unmarshal([]byte(r.body), &got)
					if etag := fmt.Sprintf(`"v%d"`, got.Version); r.header.Get("ETag") != etag || got.Summary["en"] != fmt.Sprint("edit ", i) {
						t.Errorf("a write of %q answered ETag %s with version %d and summary %q", fmt.Sprint("edit ", i), r.header.Get("ETag"), got.Version, got.Summary["en"])
					}
				}
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[200]+statuses[409] != 20 || statuses[200] == 0 {
			t.Fatalf("statuses %v: every request must end in 200 or 409", statuses)
		}
		events, err := ed.db.Audit(context.Background(), "utokyo", partnerhub.AuditFilter{Key: slug})
		if err != nil || len(events) != statuses[200] {
			t.Fatalf("%d audit events for %d successes (%v)", len(events), statuses[200], err)
		}
		if v := ed.record(t, partnerhub.EntityActivity, slug)["version"]; v != float64(1+statuses[200]) {
			t.Fatalf("version %v after %d successes", v, statuses[200])
		}
	})
}

// TestHostileInput sends malformed and hostile input to the write API and
// the forms: each gets a 4xx with a clear message, nothing is stored, and
// text is escaped on output.
func TestHostileInput(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	ctx := context.Background()
	countAudit := func() int {
		evs, _ := ed.db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Limit: 1000})
		return len(evs)
	}
	base := func() map[string]any {
		return map[string]any{"slug": "hostile", "kind": "workshop", "title": map[string]string{"ja": "題", "en": "Title"},
			"partners": []string{"ntu"}, "units": []string{}, "institutions": []string{}, "published": true}
	}
	before := countAudit()
	for _, tc := range []struct {
		name   string
		body   any
		ctype  string
		status int
		field  string
	}{
		{"overlong title", with(base(), "title", map[string]string{"ja": "題", "en": strings.Repeat("x", partnerhub.MaxTextLen+1)}), "", 400, "title.en"},
		{"invalid UTF-8", []byte(`{"slug":"hostile","title":{"ja":"` + "\xff\xfe" + `","en":"x"}}`), "", 400, "body"},
		{"SQL in the slug", with(base(), "slug", "x'; DROP TABLE partners;--"), "", 400, "slug"},
		{"SQL in a reference", with(base(), "partners", []string{"ntu' OR '1'='1"}), "", 400, "partners[0]"},
		{"wrong type", with(base(), "title", 5), "", 400, "title"},
		{"wrong type in a list", with(base(), "partners", "ntu"), "", 400, "partners"},
		{"unknown field", with(base(), "is_admin", true), "", 400, "is_admin"},
		{"bad date", with(base(), "start", "2019-13"), "", 400, "body"},
		{"negative count", with(base(), "participants", map[string]any{"value": -5, "qualifier": "exact"}), "", 400, "participants.value"},
		{"not JSON", "slug=hostile", "application/x-www-form-urlencoded", 415, ""},
		{"broken JSON", `{"slug": "hostile",`, "", 400, "body"},
		{"two documents", `{"slug":"a"} {"slug":"b"}`, "", 400, "body"},
		{"huge body", append([]byte(`{"slug":"hostile","summary":{"en":"`), bytes.Repeat([]byte("a"), 2<<20)...), "", 413, ""},
	} {
		var rd io.Reader
		switch b := tc.body.(type) {
		case []byte:
			rd = bytes.NewReader(b)
		case string:
			rd = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			rd = bytes.NewReader(j)
		}
		req, _ := http.NewRequest("POST", ed.URL+"/api/v1/activities?lang=ja", rd)
		req.Header.Set("Content-Type", "application/json")
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		req.Header.Set("Authorization", "Bearer "+ed.token["admin"])
		res, err := ed.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e apiError
		json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d (%+v)", tc.name, res.StatusCode, tc.status, e)
			continue
		}
		if e.Error.Message == "" || strings.Contains(e.Error.Message, "error.") {
			t.Errorf("%s: no clear message: %+v", tc.name, e)
		}
		if tc.field != "" && e.Error.Fields[tc.field] == "" {
			t.Errorf("%s: no message for field %s: %v", tc.name, tc.field, e.Error.Fields)
		}
		for f, m := range e.Error.Fields {
			if strings.HasPrefix(m, "field.") || m == "" {
				t.Errorf("%s: field %s message %q", tc.name, f, m)
			}
		}
	}
	if after := countAudit(); after != before {
		t.Fatalf("hostile requests stored %d changes", after-before)
	}
	if _, _, err := ed.db.Record(ctx, "utokyo", partnerhub.EntityActivity, "hostile"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
		t.Fatalf("a hostile record was stored: %v", err)
	}

	// HTML and script in every text field are stored as text and escaped on every page.
	script := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	rec := with(base(), "title", map[string]string{"ja": script, "en": script}, "summary", map[string]string{"ja": script, "en": script},
		"venue", map[string]string{"ja": script, "en": script})
	if r := ed.call(t, "admin", "POST", "/api/v1/activities", rec); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/en/activities/hostile", "/ja/activities/hostile", "/en/partners/ntu", "/en/activities", "/en/"} {
		r := ed.send(t, "GET", path, nil)
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s shows the script unescaped", path)
		}
		if path == "/en/activities/hostile" && !strings.Contains(r.body, "&lt;script&gt;alert") {
			t.Errorf("%s does not show the text escaped", path)
		}
	}
	// The same through a form: overlong and invalid UTF-8 are refused with a field message, nothing stored.
	form := activityForm(ed.record(t, partnerhub.EntityActivity, "hostile"))
	form.Set("title.en", strings.Repeat("y", partnerhub.MaxTextLen+1))
	r := ed.send(t, "POST", "/ja/edit/activity/hostile", form, ed.cookie["admin"])
	if r.status != 400 || !strings.Contains(r.body, "長すぎます") || !strings.Contains(r.body, strings.Repeat("y", 100)) {
		t.Errorf("overlong form: %d", r.status)
	}
	form.Set("title.en", "ok\xff")
	r = ed.send(t, "POST", "/en/edit/activity/hostile", form, ed.cookie["admin"])
	if r.status != 400 || !strings.Contains(r.body, "not valid text") {
		t.Errorf("invalid UTF-8 form: %d", r.status)
	}
	if v := ed.record(t, partnerhub.EntityActivity, "hostile")["version"]; v != float64(1) {
		t.Fatalf("refused forms changed the record: version %v", v)
	}
}

// TestEditFormFlow edits an activity in the browser's way: the form keeps
// what was typed after an error, a stale form shows what changed meanwhile,
// and deleting and restoring goes through the bin.
func TestEditFormFlow(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	const slug = "ntu-joint-conference-2019"
	form := activityForm(ed.record(t, partnerhub.EntityActivity, slug))

	// A bad date keeps everything typed and names the field.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("start", "2019-13")
	bad.Set("title.en", "Typed title")
	r := ed.send(t, "POST", "/en/edit/activity/"+slug, bad, ed.cookie["coordinator"])
	wantPage(t, r, 400, "Typed title", "2019-13", "is not a date")

	// Someone else saves first; the stale form shows what changed.
	other := ed.record(t, partnerhub.EntityActivity, slug)
	other["venue"] = map[string]string{"ja": "本郷キャンパス", "en": "Hongo campus"}
	if r := ed.call(t, "admin", "PUT", "/api/v1/activities/"+slug, other); r.status != 200 {
		t.Fatalf("admin's edit: %d %s", r.status, r.body)
	}
	form.Set("summary.en", "My new summary")
	r = ed.send(t, "POST", "/en/edit/activity/"+slug, form, ed.cookie["coordinator"])
	wantPage(t, r, 409, "Changed meanwhile", "Hongo campus", "My new summary")
	// Sending the form again, now at the current version, saves it.
	form.Set("version", "2")
	r = ed.send(t, "POST", "/en/edit/activity/"+slug, form, ed.cookie["coordinator"])
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/en/activities/"+slug) {
		t.Fatalf("save: %d %s", r.status, r.header.Get("Location"))
	}
	if got := ed.record(t, partnerhub.EntityActivity, slug)["summary"].(map[string]any)["en"]; got != "My new summary" {
		t.Fatalf("summary %v", got)
	}
	// The history shows both changes, with who made them.
	r = ed.send(t, "GET", "/en/history/activity/"+slug, nil, ed.cookie["viewer"])
	wantPage(t, r, 200, "admin@example.ac.jp", "coordinator@example.ac.jp", "My new summary")

	// Delete from the form and restore from the bin.
	r = ed.send(t, "POST", "/en/edit/activity/"+slug+"/delete", url.Values{"version": {"3"}}, ed.cookie["admin"])
	if r.status != 303 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := ed.send(t, "GET", "/en/activities/"+slug, nil); r.status != 404 {
		t.Fatalf("deleted activity still public: %d", r.status)
	}
	r = ed.send(t, "GET", "/en/admin/bin", nil, ed.cookie["admin"])
	wantPage(t, r, 200, slug)
	r = ed.send(t, "POST", "/en/admin/bin/activity/"+slug+"/restore", url.Values{}, ed.cookie["admin"])
	if r.status != 303 {
		t.Fatalf("restore: %d %s", r.status, r.body)
	}
	if r := ed.send(t, "GET", "/en/activities/"+slug, nil); r.status != 200 {
		t.Fatalf("restored activity: %d", r.status)
	}

	// A draft is seen by signed-in users only.
	draft := ed.record(t, partnerhub.EntityActivity, slug)
	draft["published"] = false
	if r := ed.call(t, "admin", "PUT", "/api/v1/activities/"+slug, draft); r.status != 200 {
		t.Fatalf("unpublish: %d", r.status)
	}
	if r := ed.send(t, "GET", "/en/activities/"+slug, nil); r.status != 404 {
		t.Fatalf("draft shown to the public: %d", r.status)
	}
	if r := ed.send(t, "GET", "/en/activities/"+slug, nil, ed.cookie["viewer"]); r.status != 200 || !strings.Contains(r.body, "draft") {
		t.Fatalf("draft hidden from a viewer: %d", r.status)
	}
	if r := ed.call(t, "nobody", "GET", "/api/v1/activities/"+slug, nil); r.status != 404 {
		t.Fatalf("draft in the public API: %d", r.status)
	}
	if r := ed.call(t, "viewer", "GET", "/api/v1/activities/"+slug, nil); r.status != 200 {
		t.Fatalf("draft hidden from a viewer's token: %d", r.status)
	}
}
