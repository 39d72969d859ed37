package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// netBase is the BaseURL of the test deployments: absolute links start
// with it, whatever address httptest listens at.
const netBase = "https://network.example.org"

// network is a deployment of four members behind httptest: utokyo (the
// built-in data, first, at the root), kyoto and osaka (storetest.AddHome:
// "Partner of kyoto", …) and nagoya, added with AddMember, which also
// answers at its own host.
type network struct {
	*authServer // the Deployment's address; srv is the first member's Server
	dep         *Deployment
	deps        Deps
}

const nagoyaHost = "nagoya.example.org"

// newNetworkDB is the database of the network's four members.
func newNetworkDB(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	db := e.OpenBuiltin(t)
	addNetwork(t, db)
	return db
}

// addNetwork adds to a database holding the built-in data the network's
// three other members.
func addNetwork(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("shared-bc"), testInst("kyoto-only")},
		"shared-bc", "kyoto-only")
	storetest.AddHome(t, db, "osaka", []partnerhub.Institution{testInst("osaka-uni"), testInst("shared-bc"), testInst("osaka-only")},
		"shared-bc", "osaka-only")
	nagoya := testInst("nagoya-uni")
	if _, err := db.AddMember(ctx, nil, partnerhub.NewMember{Member: partnerhub.Member{Slug: "nagoya", Host: nagoyaHost,
		Programme: partnerhub.Text{Ja: "名古屋の事業", En: "Programme of nagoya"}}, Institution: &nagoya}); err != nil {
		t.Fatal(err)
	}
}

// newNetwork serves db's members through a Deployment keeping maxLoaded
// members besides the first.
func newNetwork(t *testing.T, db *store.DB, maxLoaded int) *network {
	t.Helper()
	return newNode(t, db, db, maxLoaded)
}

// newNode is newNetwork with another Editor: a node of its own, as a
// second app node on the same database.
func newNode(t *testing.T, db *store.DB, editor partnerhub.Editor, maxLoaded int) *network {
	t.Helper()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	q := testQueue(t, db)
	deps := Deps{Source: db, Messages: msgs, ContentHome: dataset.BuiltinHome, Accounts: db, Authenticator: authn.NewPasswords(db),
		Editor: editor, Mobility: db, Jobs: q, Imports: db, Chains: db, Documents: db, Calendars: db, Funds: db, Invitations: db,
		ProposalFiles: db, Decisions: db, Reviews: db, FundPeople: db, Mail: db, Notices: db, BaseURL: netBase, Search: db,
		Webhooks: jobs.RegisterWebhooks(q, db, jobs.WebhookConfig{})}
	dep, err := NewDeployment(context.Background(), deps, db, maxLoaded)
	if err != nil {
		t.Fatal(err)
	}
	startQueue(t, q)
	hs := httptest.NewServer(dep)
	t.Cleanup(hs.Close)
	return &network{authServer: &authServer{Server: hs, db: db, srv: dep.First(), q: q}, dep: dep, deps: deps}
}

// user makes a user of a member and returns its session cookie, signed in
// at the member's portal.
func (n *network) user(t *testing.T, home, email string, role partnerhub.Role) (*partnerhub.User, *http.Cookie) {
	t.Helper()
	var units []string
	if role == partnerhub.RoleCoordinator {
		units = []string{home + "-unit"}
	}
	u, err := n.db.CreateUser(context.Background(), home, &partnerhub.User{Email: email, Name: "Name of " + email, Role: role, Units: units}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	r := n.send(t, "POST", n.dep.PortalPath(home)+"/en/signin", signinForm(email, testPassword))
	if r.status != http.StatusSeeOther || r.cookie() == nil {
		t.Fatalf("sign-in of %s at %s: %d %s", email, home, r.status, r.body)
	}
	return u, r.cookie()
}

// hosted sends a request to the deployment with another Host header.
func (n *network) hosted(t *testing.T, host, path string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", n.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// wantOwn checks that a member's page answers 200 with its own data and
// none of the others'.
func wantOwn(t *testing.T, r reply, what, own string, others ...string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("%s: %d, want 200: %.300s", what, r.status, r.body)
		return
	}
	if !strings.Contains(r.body, own) {
		t.Errorf("%s does not show %q", what, own)
	}
	for _, o := range others {
		if strings.Contains(r.body, o) {
			t.Errorf("%s shows another member's %q", what, o)
		}
	}
}

// TestDeploymentServesEveryMember: every member's portal answers at its
// path with its own data, the first at the root; the first's slug and a
// slug without its slash redirect; a member with a host answers there; an
// unknown or disabled member is not found.
func TestDeploymentServesEveryMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 0)
		if !n.dep.IsNetwork() || len(n.dep.Members()) != 4 || n.dep.Members()[0].Slug != "utokyo" {
			t.Fatalf("members: %+v", n.dep.Members())
		}
		for _, lang := range []string{"en", "ja"} {
			wantOwn(t, n.send(t, "GET", "/"+lang+"/partners", nil), "utokyo's partners at the root "+lang, "/"+lang+"/partners/ntu", "Partner of kyoto", "Partner of osaka")
			wantOwn(t, n.send(t, "GET", "/kyoto/"+lang+"/partners", nil), "kyoto's partners "+lang, "/kyoto/"+lang+"/partners/kyoto-partner", "Partner of osaka", "/partners/ntu")
			wantOwn(t, n.send(t, "GET", "/osaka/"+lang+"/activities", nil), "osaka's activities "+lang, "/osaka/"+lang+"/activities/osaka-activity", "Activity of kyoto")
			wantOwn(t, n.send(t, "GET", "/kyoto/"+lang+"/partners/kyoto-partner", nil), "kyoto's partner "+lang, "Partner of kyoto")
			// Another member's record is not there at this member's path.
			if r := n.send(t, "GET", "/osaka/"+lang+"/partners/kyoto-partner", nil); r.status != http.StatusNotFound {
				t.Errorf("kyoto's partner at osaka's path: %d", r.status)
			}
		}
		wantOwn(t, n.send(t, "GET", "/api/v1/partners/ntu", nil), "utokyo's API", `"slug":"ntu"`)
		wantOwn(t, n.send(t, "GET", "/kyoto/api/v1/partners", nil), "kyoto's API", `"slug":"kyoto-partner"`, "osaka-partner", `"ntu"`)
		if r := n.send(t, "GET", "/kyoto/api/v1/partners/ntu", nil); r.status != http.StatusNotFound {
			t.Errorf("utokyo's partner in kyoto's API: %d", r.status)
		}
		// The first member's slug is an alias of the root.
		for path, to := range map[string]string{"/utokyo/en/partners?q=x": "/en/partners?q=x", "/utokyo/": "/", "/utokyo": "/", "/kyoto": "/kyoto/",
			// Never to another site: the alias keeps its path on this one.
			"/utokyo//evil.example/x": "/evil.example/x", "/utokyo///evil.example": "/evil.example"} {
			r := n.send(t, "GET", path, nil)
			if r.status != http.StatusMovedPermanently || r.header.Get("Location") != to {
				t.Errorf("%s: %d to %q, want 301 to %q", path, r.status, r.header.Get("Location"), to)
			}
		}
		// A member's root sends the reader to a language, at its path.
		if r := n.send(t, "GET", "/kyoto/", nil); r.status/100 != 3 || !strings.HasPrefix(r.header.Get("Location"), "/kyoto/") {
			t.Errorf("/kyoto/: %d to %q", r.status, r.header.Get("Location"))
		}
		// nagoya, with no content, has its own name, at its path and its host.
		wantOwn(t, n.send(t, "GET", "/nagoya/en/", nil), "nagoya's home", "Programme of nagoya", "Programme of kyoto")
		r := n.hosted(t, nagoyaHost, "/en/")
		wantOwn(t, r, "nagoya's home at its host", "Programme of nagoya", "Programme of kyoto")
		if strings.Contains(r.body, `href="/nagoya/`) || !strings.Contains(r.body, `href="https://`+nagoyaHost+`/en/"`) {
			t.Errorf("nagoya's links at its own host: prefixed, or the canonical link is not its host's")
		}
		// Unknown slugs are not found, in a page.
		for _, p := range []string{"/nosuch/en/", "/nosuch/", "/nosuch/en/partners"} {
			if r := n.send(t, "GET", p, nil); r.status != http.StatusNotFound || !strings.Contains(r.body, "<html") {
				t.Errorf("%s: %d %.200s", p, r.status, r.body)
			}
		}

		// A disabled member is not served: by a new Deployment at once,
		// by this one once Watch has seen the write.
		if err := db.SetMemberDisabled(context.Background(), nil, "osaka", true); err != nil {
			t.Fatal(err)
		}
		if r := newNetwork(t, db, 0).send(t, "GET", "/osaka/en/", nil); r.status != http.StatusNotFound {
			t.Errorf("a disabled member at a new deployment: %d", r.status)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go n.dep.Watch(ctx, 20*time.Millisecond)
		deadline := time.Now().Add(5 * time.Second)
		for n.send(t, "GET", "/osaka/en/", nil).status != http.StatusNotFound {
			if time.Now().After(deadline) {
				t.Fatal("a disabled member still answers after Watch")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n.dep.IsNetwork() != true || len(n.dep.Members()) != 4 {
			t.Errorf("members after disabling osaka: %+v", n.dep.Members())
		}
	})
}

// TestDeploymentLoadsMembersBounded: with two members' Servers kept, four
// members visited keep at most three loaded (the first's too), and an
// evicted member answers again with its own data.
func TestDeploymentLoadsMembersBounded(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 2)
		own := map[string]string{"": "/en/partners/ntu", "/kyoto": "Partner of kyoto", "/osaka": "Partner of osaka", "/nagoya": "Programme of nagoya"}
		for range 2 {
			for _, p := range []string{"", "/kyoto", "/osaka", "/nagoya", "/kyoto"} {
				page := "/en/partners"
				if p == "/nagoya" {
					page = "/en/"
				}
				wantOwn(t, n.send(t, "GET", p+page, nil), p+page, own[p])
				if l := n.dep.Loaded(); l > 3 {
					t.Errorf("after %s: %d members loaded, want at most 3", p, l)
				}
			}
		}
		// osaka was evicted (kyoto and nagoya were used since): it answers.
		wantOwn(t, n.send(t, "GET", "/osaka/en/activities", nil), "osaka after eviction", "Activity of osaka", "Activity of kyoto")
	})
}

// TestDeploymentSessionsStayWithTheirMember: a member's session cookie is
// scoped to its portal's path, and sent to another member's portal it
// signs no one in there.
func TestDeploymentSessionsStayWithTheirMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 0)
		_, kyoto := n.user(t, "kyoto", "admin@kyoto.example.org", partnerhub.RoleAdmin)
		if kyoto.Path != "/kyoto/" {
			t.Errorf("kyoto's session cookie has Path %q, want /kyoto/", kyoto.Path)
		}
		_, first := n.user(t, "utokyo", "admin@utokyo.example.org", partnerhub.RoleAdmin)
		if first.Path != "/" {
			t.Errorf("the first member's session cookie has Path %q, want /", first.Path)
		}
		// At home: signed in.
		if r := n.send(t, "GET", "/kyoto/en/account", nil, kyoto); r.status != http.StatusOK || !strings.Contains(r.body, "admin@kyoto.example.org") {
			t.Fatalf("kyoto's account page with kyoto's session: %d", r.status)
		}
		// Elsewhere: not signed in (sent to sign in), nothing of the account shown.
		for _, p := range []string{"/osaka/en/account", "/en/account", "/osaka/en/admin/audit", "/en/admin/audit"} {
			r := n.send(t, "GET", p, nil, kyoto)
			if strings.Contains(r.body, "admin@kyoto.example.org") || (r.status != http.StatusSeeOther && r.status != http.StatusNotFound && r.status != http.StatusUnauthorized) {
				t.Errorf("%s with kyoto's session: %d %.200s", p, r.status, r.body)
			}
			if r.status == http.StatusSeeOther && !strings.Contains(r.header.Get("Location"), "/signin") {
				t.Errorf("%s with kyoto's session: to %q", p, r.header.Get("Location"))
			}
		}
		if r := n.send(t, "GET", "/kyoto/en/account", nil, first); r.status != http.StatusSeeOther || strings.Contains(r.body, "admin@utokyo.example.org") {
			t.Errorf("kyoto's account page with utokyo's session: %d", r.status)
		}
		// The API answers the session at home only.
		if r := n.send(t, "GET", "/kyoto/api/v1/audit", nil, kyoto); r.status != http.StatusOK {
			t.Errorf("kyoto's audit API with kyoto's session: %d", r.status)
		}
		for _, p := range []string{"/osaka/api/v1/audit", "/api/v1/audit"} {
			if r := n.send(t, "GET", p, nil, kyoto); r.status != http.StatusUnauthorized {
				t.Errorf("%s with kyoto's session: %d %.200s", p, r.status, r.body)
			}
		}
	})
}

// TestDeploymentImportsRunAtTheirMember: a mobility import started at a
// member's portal is run by that member's Server (the worker finds it by
// its home) and its figures are that member's.
func TestDeploymentImportsRunAtTheirMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 1)
		_, kyoto := n.user(t, "kyoto", "admin@kyoto.example.org", partnerhub.RoleAdmin)
		// Load another member, so that kyoto's Server is evicted before its job runs.
		n.send(t, "GET", "/osaka/en/", nil)
		started := importAt(t, n, "/kyoto", kyoto, "partner,unit,year,direction,category,programme,count\nkyoto-partner,kyoto-unit,2023,outbound,graduate,exchange,7\n")
		if !strings.HasPrefix(started, "/kyoto/en/mobility/import/") {
			t.Errorf("the import's progress page is at %q, not kyoto's path", started)
		}
		n.send(t, "GET", "/osaka/en/", nil)
		deadline := time.Now().Add(20 * time.Second)
		for {
			mob, _, err := db.ListMobility(context.Background(), "kyoto", partnerhub.MobilityFilter{}, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(mob) == 1 && mob[0].Count == 7 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kyoto's import (%s) made no figure of kyoto: %+v", started, mob)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, home := range []string{"utokyo", "osaka"} {
			mob, _, _ := db.ListMobility(context.Background(), home, partnerhub.MobilityFilter{Partner: "kyoto-partner"}, 100, 0)
			if len(mob) != 0 {
				t.Errorf("kyoto's import wrote %s's figures: %+v", home, mob)
			}
		}
	})
}

// importAt posts a mobility file to a member's import page and returns
// the progress page it redirects to.
func importAt(t *testing.T, n *network, prefix string, session *http.Cookie, content string) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "figures.csv")
	fw.Write([]byte(content))
	mw.Close()
	r := n.sendBody(t, "POST", prefix+"/en/mobility/import", mw.FormDataContentType(), body.Bytes(), session)
	if r.status != http.StatusSeeOther {
		t.Fatalf("upload at %s: %d %.300s", prefix, r.status, r.body)
	}
	return r.header.Get("Location")
}
