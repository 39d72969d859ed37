package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// practiceServers are utokyo's server (the first member) and kyoto's,
// on one database, with the people of a note's life: utokyo's
// coordinator and viewer, kyoto's admin, and a network administrator of
// kyoto (who edits the network's notes).
type practiceServers struct {
	*authServer
	kyoto  *authServer
	cookie map[string]*http.Cookie
	token  map[string]string
	act    string // a published activity of utokyo
	// atKyoto are the people of kyoto, who use kyoto's server.
	atKyoto map[string]bool
}

func newPracticeServers(t *testing.T, e storetest.Engine) *practiceServers {
	t.Helper()
	ctx := context.Background()
	db := e.OpenBuiltin(t)
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("kyoto-a"), testInst("kyoto-b")}, "kyoto-a", "kyoto-b")
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	serve := func(home string) *authServer {
		srv, err := NewServer(ctx, Deps{Source: db, Home: home, Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Notes: db})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		return &authServer{Server: hs, db: db, srv: srv}
	}
	ps := &practiceServers{authServer: serve("utokyo"), kyoto: serve("kyoto"), cookie: map[string]*http.Cookie{"public": nil}, token: map[string]string{"public": ""}, atKyoto: map[string]bool{}}
	for _, u := range []struct {
		name, home string
		user       partnerhub.User
	}{
		{"coordinator", "utokyo", partnerhub.User{Role: partnerhub.RoleCoordinator, Units: []string{"agr"}}},
		{"viewer", "utokyo", partnerhub.User{Role: partnerhub.RoleViewer}},
		{"editor", "kyoto", partnerhub.User{Role: partnerhub.RoleViewer, NetworkAdmin: true}},
		{"kyoto", "kyoto", partnerhub.User{Role: partnerhub.RoleAdmin}},
	} {
		u.user.Email, u.user.Name = u.name+"@"+u.home+".example.ac.jp", "Name of "+u.name
		got, err := db.CreateUser(ctx, u.home, &u.user, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := db.CreateToken(ctx, got.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ps.token[u.name] = raw
		if u.home == "kyoto" {
			ps.cookie[u.name] = ps.kyoto.signIn(t, got.Email)
			ps.atKyoto[u.name] = true
		} else {
			ps.cookie[u.name] = ps.signIn(t, got.Email)
		}
	}
	c, err := db.Catalog(ctx, "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Activities {
		if a.Published {
			ps.act = a.Slug
			break
		}
	}
	return ps
}

// api calls the API of utokyo's server (kyoto's for "kyoto") as who.
func (ps *practiceServers) api(t *testing.T, who, method, path string, body any) reply {
	t.Helper()
	srv := ps.authServer
	if ps.atKyoto[who] {
		srv = ps.kyoto
	}
	var in []byte
	if body != nil {
		in, _ = json.Marshal(body)
	}
	hdr := []any{}
	if body != nil {
		hdr = append(hdr, "Content-Type", "application/json")
	}
	if tok := ps.token[who]; tok != "" {
		hdr = append(hdr, "Authorization", "Bearer "+tok)
	}
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i].(string), hdr[i+1].(string))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// page gets or posts a page of utokyo's server as who.
func (ps *practiceServers) page(t *testing.T, who, method, path string, form url.Values) reply {
	t.Helper()
	srv := ps.authServer
	if ps.atKyoto[who] {
		srv = ps.kyoto
	}
	hdr := []any{}
	if c := ps.cookie[who]; c != nil {
		hdr = append(hdr, c)
	}
	if method == "POST" {
		hdr = append(hdr, "Origin", srv.URL)
	}
	return srv.send(t, method, path, form, hdr...)
}

func noteOf(t *testing.T, r reply) partnerhub.Note {
	t.Helper()
	var n partnerhub.Note
	if err := json.Unmarshal([]byte(r.body), &n); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return n
}

func countNotes(t *testing.T, r reply) int {
	t.Helper()
	var l struct{ Notes []partnerhub.Note }
	if r.status != 200 || json.Unmarshal([]byte(r.body), &l) != nil {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	return len(l.Notes)
}

// The notes' API through a note's life: written and submitted by a
// member's coordinator, published by a network editor; a draft is nobody
// else's to read, through either member's server, until it is published;
// stale writes are refused; attachments are sent as attachments.
func TestPracticeAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ps := newPracticeServers(t, e)
		body := map[string]any{"title": map[string]string{"ja": "海外拠点の運営", "en": "Running an office abroad"},
			"body":  map[string]string{"ja": "拠点は二人で始めました。", "en": "We began the office with two people."},
			"topic": "offices_abroad", "tags": []string{"Office", "ASEAN"}, "partners": []string{"ntu"}, "activities": []string{ps.act}}
		if r := ps.api(t, "public", "POST", "/api/v1/network/notes", body); r.status != 401 {
			t.Fatalf("the public wrote a note: %d %s", r.status, r.body)
		}
		if r := ps.api(t, "viewer", "POST", "/api/v1/network/notes", body); r.status != 403 {
			t.Fatalf("a viewer wrote a note: %d %s", r.status, r.body)
		}
		bad := map[string]any{"title": map[string]string{"ja": "x"}, "topic": "gossip"}
		if r := ps.api(t, "coordinator", "POST", "/api/v1/network/notes", bad); r.status != 400 || !strings.Contains(r.body, `"topic"`) {
			t.Fatalf("a bad note: %d %s", r.status, r.body)
		}
		r := ps.api(t, "coordinator", "POST", "/api/v1/network/notes", body)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		n := noteOf(t, r)
		path := "/api/v1/network/notes/" + strconv.FormatInt(n.ID, 10)
		if r.header.Get("Location") != path || n.State != partnerhub.NoteDraft || n.Home != "utokyo" {
			t.Fatalf("created %+v at %s", n, r.header.Get("Location"))
		}
		for _, who := range []string{"public", "kyoto", "editor"} {
			if got := countNotes(t, ps.api(t, who, "GET", "/api/v1/network/notes", nil)); got != 0 {
				t.Fatalf("%s lists %d notes of a draft", who, got)
			}
			if r := ps.api(t, who, "GET", path, nil); r.status != 404 {
				t.Fatalf("%s reads a draft: %d", who, r.status)
			}
		}
		if got := countNotes(t, ps.api(t, "viewer", "GET", "/api/v1/network/notes", nil)); got != 1 {
			t.Fatalf("the office lists %d", got)
		}
		body["version"] = 1
		body["title"] = map[string]string{"ja": "海外拠点の運営", "en": "Running an office abroad, in practice"}
		if r := ps.api(t, "coordinator", "PUT", path, body); r.status != 200 || noteOf(t, r).Version != 2 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := ps.api(t, "coordinator", "PUT", path, body); r.status != 409 {
			t.Fatalf("a stale update: %d %s", r.status, r.body)
		}
		if r := ps.api(t, "kyoto", "PUT", path, body); r.status != 404 {
			t.Fatalf("another member's update: %d %s", r.status, r.body)
		}
		tr := func(who, verb string, version int, comment string) reply {
			return ps.api(t, who, "POST", path+"/transitions", map[string]any{"verb": verb, "version": version, "comment": comment})
		}
		if r := tr("coordinator", "publish", 2, ""); r.status != 403 {
			t.Fatalf("a writer published: %d %s", r.status, r.body)
		}
		if r := tr("coordinator", "submit", 2, ""); r.status != 200 || noteOf(t, r).State != partnerhub.NoteSubmitted {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		if got := countNotes(t, ps.api(t, "editor", "GET", "/api/v1/network/notes?state=submitted", nil)); got != 1 {
			t.Fatalf("the editor lists %d submitted", got)
		}
		if got := countNotes(t, ps.api(t, "public", "GET", "/api/v1/network/notes", nil)); got != 0 {
			t.Fatalf("the public lists a submitted note")
		}
		if r := tr("editor", "return", 3, ""); r.status != 400 || !strings.Contains(r.body, "comment") {
			t.Fatalf("a return without comment: %d %s", r.status, r.body)
		}
		if r := tr("editor", "publish", 3, ""); r.status != 200 || noteOf(t, r).State != partnerhub.NotePublished {
			t.Fatalf("publish: %d %s", r.status, r.body)
		}
		for _, who := range []string{"public", "kyoto"} {
			if got := countNotes(t, ps.api(t, who, "GET", "/api/v1/network/notes?topic=offices_abroad&q=office", nil)); got != 1 {
				t.Fatalf("%s lists %d published", who, got)
			}
		}
		if got := countNotes(t, ps.api(t, "public", "GET", "/api/v1/network/notes?topic=joint_funds", nil)); got != 0 {
			t.Fatalf("topic filter: %d", got)
		}
		if r := ps.api(t, "public", "GET", "/api/v1/network/notes?topic=gossip", nil); r.status != 400 {
			t.Fatalf("a bad topic: %d", r.status)
		}
		pub := noteOf(t, ps.api(t, "public", "GET", path, nil))
		if len(pub.Partners) != 1 || pub.Partners[0].Slug != "ntu" || pub.Partners[0].Name.En == "" {
			t.Fatalf("published note's partners %+v", pub.Partners)
		}
		// Attachments: withdrawn first, since only the office's editable
		// notes take one.
		if r := tr("editor", "withdraw", 4, ""); r.status != 200 {
			t.Fatalf("withdraw: %d %s", r.status, r.body)
		}
		ct, mb := multipartFileField(t, "version", "5", "page.html", []byte("<script>alert(1)</script>"))
		if r := ps.raw(t, "coordinator", "POST", path+"/files", ct, mb); r.status != 400 || !strings.Contains(r.body, "file") {
			t.Fatalf("an HTML attachment: %d %s", r.status, r.body)
		}
		ct, mb = multipartFileField(t, "version", "5", "plan.pdf", storetest.PDF("Plan"))
		r = ps.raw(t, "coordinator", "POST", path+"/files", ct, mb)
		if r.status != 201 {
			t.Fatalf("attach: %d %s", r.status, r.body)
		}
		var f partnerhub.NoteFile
		json.Unmarshal([]byte(r.body), &f)
		filePath := path + "/files/" + strconv.FormatInt(f.ID, 10)
		if r := ps.api(t, "public", "GET", filePath, nil); r.status != 404 {
			t.Fatalf("the public downloads a withdrawn note's file: %d", r.status)
		}
		if r := tr("coordinator", "submit", 6, ""); r.status != 200 {
			t.Fatalf("submit again: %d %s", r.status, r.body)
		}
		if r := tr("editor", "publish", 7, ""); r.status != 200 {
			t.Fatalf("publish again: %d %s", r.status, r.body)
		}
		r = ps.api(t, "public", "GET", filePath, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment; ") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.body, "Plan") {
			t.Fatalf("download: %d %v", r.status, r.header)
		}
		r = ps.page(t, "public", "GET", "/en/network/practice/"+strconv.FormatInt(n.ID, 10)+"/files/"+strconv.FormatInt(f.ID, 10), nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment; ") {
			t.Fatalf("download from the page: %d %v", r.status, r.header)
		}
	})
}

// raw sends a body of a content type to utokyo's API as who.
func (ps *practiceServers) raw(t *testing.T, who, method, path, ct string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, ps.URL+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	if tok := ps.token[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// multipartFileField is a multipart body of one field and a file.
func multipartFileField(t *testing.T, field, value, filename string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(field, value)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// The library's pages: the form refuses bad input at the field in the
// reader's language and changes nothing; a draft's page, its form and its
// office's list are the office's only (another member's admin and the
// public find nothing, a viewer may read but not write); the review queue
// is the editors'; the published note is in the library in both
// languages, linked to its partner's page on the writer's portal.
func TestPracticePages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ps := newPracticeServers(t, e)
		ctx := context.Background()
		form := url.Values{"title.ja": {"交流の記録"}, "title.en": {""}, "topic": {"staff_exchange"}, "body.ja": {"本文"},
			"body.en": {"Body"}, "tags": {"Staff, 職員"}, "partners": {"ntu, no-such-partner"}}
		r := ps.page(t, "coordinator", "POST", "/ja/network/practice/new", form)
		wantPage(t, r, 400, "必須", "自大学にパートナーno-such-partnerはありません。", "交流の記録", "Staff, 職員")
		if ns, _ := ps.db.Notes(ctx, nil, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeVisible}); len(ns) != 0 {
			t.Fatalf("a refused form saved %d notes", len(ns))
		}
		if r := ps.page(t, "viewer", "POST", "/en/network/practice/new", form); r.status != 403 {
			t.Fatalf("a viewer posted a note: %d", r.status)
		}
		if r := ps.page(t, "public", "GET", "/en/network/practice/new", nil); r.status != 303 {
			t.Fatalf("the public's form: %d", r.status)
		}
		form.Set("title.en", "Staff exchange, recorded")
		form.Set("partners", "ntu")
		r = ps.page(t, "coordinator", "POST", "/en/network/practice/new", form)
		if r.status != 303 || !strings.HasSuffix(r.header.Get("Location"), "/edit?saved=1") {
			t.Fatalf("create: %d %s", r.status, r.header.Get("Location"))
		}
		note := strings.TrimSuffix(strings.TrimPrefix(r.header.Get("Location"), "/en"), "/edit?saved=1")
		wantPage(t, ps.page(t, "coordinator", "GET", "/en"+note, nil), 200, "Staff exchange, recorded", "Draft", "Submit for review")
		wantPage(t, ps.page(t, "viewer", "GET", "/ja/network/practice/mine", nil), 200, "交流の記録", "下書き")
		if r := ps.page(t, "viewer", "GET", "/en"+note, nil); r.status != 200 || strings.Contains(r.body, "Submit for review") {
			t.Fatalf("a viewer's page of the draft: %d", r.status)
		}
		for _, who := range []string{"public", "kyoto"} {
			for _, p := range []string{"/en" + note, "/en" + note + "/edit"} {
				if r := ps.page(t, who, "GET", p, nil); r.status != 404 && r.status != 303 {
					t.Fatalf("%s GET %s: %d", who, p, r.status)
				}
			}
			if r := ps.page(t, who, "GET", "/en/network/practice", nil); strings.Contains(r.body, "Staff exchange, recorded") {
				t.Fatalf("%s's library lists a draft", who)
			}
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(note, "/network/practice/"), 10, 64)
		// kyoto's admin, on kyoto's portal, cannot touch it.
		for _, p := range []string{"/edit", "/transition"} {
			r := ps.kyoto.send(t, "POST", "/en"+note+p, url.Values{"verb": {"submit"}, "version": {"1"}, "title.ja": {"x"}, "title.en": {"x"}, "topic": {"other"}},
				ps.cookie["kyoto"], "Origin", ps.kyoto.URL)
			if r.status != 404 {
				t.Fatalf("kyoto's admin POST %s: %d", p, r.status)
			}
		}
		if n, _ := ps.db.Note(ctx, nil, id); n != nil {
			t.Fatal("the public reads the draft")
		}
		// The review queue is the editors'.
		if r := ps.page(t, "coordinator", "GET", "/en/network/practice/review", nil); r.status != 403 {
			t.Fatalf("a coordinator's review queue: %d", r.status)
		}
		r = ps.page(t, "coordinator", "POST", "/en"+note+"/transition", url.Values{"verb": {"submit"}, "version": {"1"}})
		wantRedirect(t, r, "/en"+note+"?saved=1")
		wantPage(t, ps.page(t, "editor", "GET", "/ja/network/practice/review", nil), 200, "交流の記録")
		r = ps.page(t, "editor", "POST", "/en"+note+"/transition", url.Values{"verb": {"return"}, "version": {"2"}})
		wantPage(t, r, 400, "Say what the writers should change.")
		r = ps.page(t, "editor", "POST", "/en"+note+"/transition", url.Values{"verb": {"publish"}, "version": {"2"}})
		wantRedirect(t, r, "/en"+note+"?saved=1")
		for lang, title := range map[string]string{"en": "Staff exchange, recorded", "ja": "交流の記録"} {
			wantPage(t, ps.page(t, "public", "GET", "/"+lang+"/network/practice?topic=staff_exchange", nil), 200, title)
			wantPage(t, ps.page(t, "kyoto", "GET", "/"+lang+"/network/practice?tag=staff", nil), 200, title)
			wantPage(t, ps.page(t, "public", "GET", "/"+lang+note, nil), 200, title, `href="/`+lang+`/partners/ntu"`)
		}
		if r := ps.page(t, "public", "GET", "/en/network/practice?q=nothing+like+it", nil); strings.Contains(r.body, "Staff exchange, recorded") {
			t.Fatal("a query that matches nothing listed the note")
		}
		if r := ps.page(t, "public", "GET", "/en/network/practice?topic=gossip", nil); r.status != 400 {
			t.Fatalf("a bad topic: %d", r.status)
		}
		// Markup typed into a note is text.
		wantPage(t, ps.page(t, "public", "GET", "/en"+note, nil), 200, "Body")
	})
}
