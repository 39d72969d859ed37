package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// secret is the mark of everything member A (kyoto) keeps to itself: its
// drafts, documents, proposals and accounts carry it, and no response to
// anyone else may show it. Its e-mail addresses carry it in lower case.
const secret = "ISOLATION-SECRET-A-"

// figureSecret is the count of A's unpublished figure, as a raw figure
// shows it.
const figureSecret = `"count":8647`

// memberA is what kyoto keeps: the keys the walk puts in every route's
// path parameters.
type memberA struct {
	admin      *partnerhub.User
	users      map[partnerhub.Role]*partnerhub.User
	tokenID    int64
	proposal   int64
	file       int64
	document   int64
	invitation *partnerhub.Invitation
	// A draft good-practice note of A's with an attachment, and a network
	// event with a registrant: neither is for B's eyes, nor the public's.
	note, noteFile, event int64
	webhook               int64 // a webhook subscription
	// Single sign-on: a pre-authorisation, a role rule and the admin's
	// linked university identity, each naming the secret.
	preauth, rule, identity int64
}

// newMemberA gives kyoto a draft activity, a draft agreement, an
// agreement's uploaded documents, an unpublished figure, a fund with a
// call and a submitted proposal with an attachment, an invitation, and a
// user of every role (with an API token each).
func newMemberA(t *testing.T, n *network) *memberA {
	t.Helper()
	ctx := context.Background()
	db := n.db
	a := &memberA{users: map[partnerhub.Role]*partnerhub.User{}}
	for i, role := range []partnerhub.Role{partnerhub.RoleAdmin, partnerhub.RoleCoordinator, partnerhub.RoleViewer, partnerhub.RoleGuest} {
		u := &partnerhub.User{Email: fmt.Sprintf("%s%d-%s@kyoto.example.org", strings.ToLower(secret), 10+i, role), Name: fmt.Sprintf("%s%d", secret, 20+i), Role: role}
		if role == partnerhub.RoleCoordinator {
			u.Units = []string{"kyoto-unit"}
		}
		u, err := db.CreateUser(ctx, "kyoto", u, testPassword)
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		a.users[role] = u
	}
	a.admin = a.users[partnerhub.RoleAdmin]
	_, tok, err := db.CreateToken(ctx, a.admin.ID, partnerhub.TokenSpec{Name: secret + "30", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.tokenID = tok.ID
	text := func(n int) partnerhub.Text {
		return partnerhub.Text{Ja: fmt.Sprintf("%s%d（日本語）", secret, n), En: fmt.Sprintf("%s%d", secret, n)}
	}
	for _, rec := range []partnerhub.Record{
		&partnerhub.Activity{Slug: "kyoto-draft-activity", Kind: partnerhub.Workshop, Title: text(1), Host: "kyoto-uni",
			Partners: []string{"kyoto-partner"}, Units: []string{"kyoto-unit"}},
		&partnerhub.Agreement{Slug: "kyoto-draft-agreement", Partner: "kyoto-partner", Institution: "shared-bc", Kind: partnerhub.Exchange,
			Level: partnerhub.UniversityLevel, Title: text(2), Stage: partnerhub.StageDraft},
	} {
		if _, err := db.Apply(ctx, partnerhub.Create(a.admin, "kyoto", rec)); err != nil {
			t.Fatalf("%T: %v", rec, err)
		}
	}
	for _, ag := range []string{"kyoto-agreement", "kyoto-draft-agreement"} {
		doc, err := db.AddDocument(ctx, a.admin, "kyoto", ag, partnerhub.DocumentDraft, secret+"3.pdf", storetest.PDF(secret+"4"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		a.document = doc.ID
	}
	if err := db.PutMobility(ctx, a.admin, "kyoto", partnerhub.Mobility{Partner: "kyoto-partner", Unit: "kyoto-unit", Year: 2022,
		Direction: partnerhub.Outbound, Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 8647}); err != nil {
		t.Fatal(err)
	}
	fund := partnerhub.Fund{Slug: "kyoto-fund", Partners: []string{"kyoto-partner"}, Name: partnerhub.Text{Ja: "京都ファンド", En: "Kyoto fund"},
		HomeCurrency: "JPY", PartnerCurrency: "USD"}
	if _, err := db.PutFund(ctx, a.admin, "kyoto", fund); err != nil {
		t.Fatal(err)
	}
	call := partnerhub.Call{Fund: "kyoto-fund", Number: 1, Title: partnerhub.Text{Ja: "第1回", En: "First call"},
		Opens: time.Now().Add(-time.Hour), Closes: time.Now().Add(24 * time.Hour),
		Grants:      []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12}},
		Criteria:    []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
		Attachments: []partnerhub.AttachmentSpec{{Code: "cv", Name: partnerhub.Text{Ja: "履歴書", En: "CV"}}},
		ScaleMin:    1, ScaleMax: 5, Published: true}
	if _, err := db.PutCall(ctx, a.admin, "kyoto", call); err != nil {
		t.Fatal(err)
	}
	lead := a.users[partnerhub.RoleViewer]
	p, err := db.CreateProposal(ctx, lead, "kyoto", partnerhub.Proposal{Fund: "kyoto-fund", Call: 1, Grant: "seed",
		Title: text(5), Abstract: text(6), Plan: text(42),
		Budget: []partnerhub.BudgetLine{{Year: 1, Side: partnerhub.SideHome, Category: partnerhub.BudgetTravel, Amount: 1234567}},
		Members: []partnerhub.ProposalMember{
			{Email: lead.Email, Name: secret + "7", Role: partnerhub.MemberLead, Side: partnerhub.SideHome, Unit: "kyoto-unit"},
			{Email: strings.ToLower(secret) + "8@partner.example.org", Name: secret + "9", Role: partnerhub.MemberCoLead, Side: partnerhub.SidePartner, Affiliation: "X"}},
		Units: []string{"kyoto-unit"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := db.AddProposalFile(ctx, lead, "kyoto", p.ID, "cv", secret+"40.pdf", storetest.PDF(secret+"41"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p, err = db.TransitProposal(ctx, lead, "kyoto", p.ID, p.Version, partnerhub.VerbSubmitProposal, time.Now()); err != nil {
		t.Fatal(err)
	}
	a.proposal, a.file = p.ID, f.ID
	note, err := db.CreateNote(ctx, a.admin, partnerhub.Note{Title: text(60), Body: text(61), Topic: partnerhub.TopicJointResearch,
		Tags: []string{secret + "62"}})
	if err != nil {
		t.Fatal(err)
	}
	nf, err := db.AddNoteFile(ctx, a.admin, note.ID, note.Version, secret+"63.pdf", storetest.PDF(secret+"64"))
	if err != nil {
		t.Fatal(err)
	}
	a.note, a.noteFile = note.ID, nf.ID
	// The event is the network's, organised by a network administrator of
	// the first member; its registrant is the secret.
	organiser, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "organiser@network.example.org", Name: "Organiser",
		Role: partnerhub.RoleViewer, NetworkAdmin: true}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	ev, err := db.PutNetworkEvent(ctx, organiser, partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "例会", En: "Meeting"},
		Kind: partnerhub.EventWorkshop, Online: true, Starts: now.Add(72 * time.Hour), Ends: now.Add(74 * time.Hour), Capacity: 1,
		RegistrationOpens: now.Add(-time.Hour), RegistrationCloses: now.Add(48 * time.Hour), State: partnerhub.EventPublished}, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // one confirmed, one waiting
		if err := db.Register(ctx, ev.ID, partnerhub.Registrant{Name: fmt.Sprintf("%s%d", secret, 70+i), Affiliation: fmt.Sprintf("%s%d", secret, 72+i),
			Email: fmt.Sprintf("%s%d@registrant.example.org", strings.ToLower(secret), 74+i), Lang: partnerhub.English}, now); err != nil {
			t.Fatal(err)
		}
	}
	a.event = ev.ID
	if a.invitation, err = db.Invite(ctx, a.admin, "kyoto", partnerhub.InvitationSpec{Email: strings.ToLower(secret) + "50@example.org",
		Name: secret + "51", Lang: partnerhub.English}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A webhook subscription, whose address names the secret.
	sub, err := db.CreateWebhook(ctx, a.admin, "kyoto", partnerhub.WebhookSpec{URL: "https://" + strings.ToLower(secret) + "52.example.org/hooks",
		Kinds: []partnerhub.WebhookKind{partnerhub.WebhookRecordCreated}}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.webhook = sub.ID
	idp := "https://idp." + strings.ToLower(secret) + ".example.org/idp/shibboleth"
	pre, err := db.AddPreAuthorisation(ctx, a.admin, "kyoto", partnerhub.PreAuthorisation{Provider: idp,
		Subject: strings.ToLower(secret) + "53@kyoto.example.org", Role: partnerhub.RoleViewer}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.preauth = pre.ID
	rule, err := db.AddRoleRule(ctx, a.admin, "kyoto", partnerhub.RoleRule{Provider: idp, Affiliation: "faculty", Role: partnerhub.RoleGuest}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.rule = rule.ID
	if err := db.LinkIdentity(ctx, a.admin, partnerhub.FederatedClaim{Protocol: "saml", Provider: idp,
		Subject: strings.ToLower(secret) + "54@kyoto.example.org", Name: secret + "55", Lang: partnerhub.English}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ids, err := db.FederatedIdentities(ctx, a.admin.ID)
	if err != nil || len(ids) != 1 {
		t.Fatalf("A's admin's linked identities: %v, %v", ids, err)
	}
	a.identity = ids[0].ID
	return a
}

// state is everything of kyoto's as JSON: no request of anyone else may
// change it.
func (a *memberA) state(t *testing.T, n *network) string {
	t.Helper()
	ctx := context.Background()
	c, err := n.db.Catalog(ctx, "kyoto")
	if err != nil {
		t.Fatal(err)
	}
	audit, err := n.db.Audit(ctx, "kyoto", partnerhub.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	mob, _, err := n.db.ListMobility(ctx, "kyoto", partnerhub.MobilityFilter{}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := n.db.Documents(ctx, a.admin, "kyoto", "kyoto-agreement")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := n.db.Proposal(ctx, a.admin, "kyoto", a.proposal)
	if err != nil {
		t.Fatal(err)
	}
	invs, err := n.db.Invitations(ctx, a.admin, "kyoto")
	if err != nil {
		t.Fatal(err)
	}
	var users []any
	for _, u := range a.users {
		got, err := n.db.UserByEmail(ctx, u.Email)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, got)
	}
	sort.Slice(users, func(i, j int) bool { return fmt.Sprint(users[i]) < fmt.Sprint(users[j]) })
	b, err := json.Marshal([]any{c, audit, mob, docs, p, invs, users})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// isolationRoute finds every route of routes.go: its pattern expression.
var isolationRoute = regexp.MustCompile(`mux\.Handle(?:Func)?\(((?:"[^"]*"|[A-Za-z_.()]+)(?:\s*\+\s*(?:"[^"]*"|[A-Za-z_.()]+))*)\s*,`)

// routeTerm is one term of a pattern expression.
var routeTerm = regexp.MustCompile(`"[^"]*"|[A-Za-z_.()]+`)

// expandRoutes evaluates each pattern of routes.go for every value its
// loop variables take: p is a language's path, ep an edited entity's
// form path, e.path a path of the write API, string(e) an edited entity.
// A term it does not know fails the test: the walk must learn it.
func expandRoutes(t *testing.T, src string) []string {
	t.Helper()
	var out []string
	for _, m := range isolationRoute.FindAllStringSubmatch(src, -1) {
		terms := routeTerm.FindAllString(m[1], -1)
		type binding struct{ p, entity, apiPath string }
		var bindings []binding
		uses := func(term string) bool { return slices.Contains(terms, term) }
		switch {
		case uses("e.path"):
			for _, w := range writeAPI {
				bindings = append(bindings, binding{apiPath: w.path, entity: string(w.entity)})
			}
		case uses("ep") || uses("string(e)"):
			for _, l := range partnerhub.Langs {
				for _, e := range editEntities {
					bindings = append(bindings, binding{p: "/" + string(l), entity: string(e)})
				}
			}
		case uses("p") || uses("np") || uses("mp"):
			for _, l := range partnerhub.Langs {
				bindings = append(bindings, binding{p: "/" + string(l)})
			}
		default:
			bindings = []binding{{}}
		}
		for _, b := range bindings {
			var s strings.Builder
			for _, term := range terms {
				switch {
				case strings.HasPrefix(term, `"`):
					s.WriteString(strings.Trim(term, `"`))
				case term == "p":
					s.WriteString(b.p)
				case term == "np": // the network's good-practice library
					s.WriteString(b.p + "/network/practice")
				case term == "mp": // the network administrator's members
					s.WriteString(b.p + "/network/admin/members")
				case term == "ep":
					s.WriteString(b.p + "/edit/" + b.entity)
				case term == "e.path":
					s.WriteString(b.apiPath)
				case term == "string(e)":
					s.WriteString(b.entity)
				default:
					t.Errorf("route %s: the walk does not know %q: teach expandRoutes", m[1], term)
				}
			}
			out = append(out, s.String())
		}
	}
	return slices.Compact(out)
}

// fill puts A's keys in a path's parameters, by the segment before each
// (or the parameter's name alone). ok is false for a parameter it cannot
// fill: the route must be taught to it, or skipped with a reason.
func (a *memberA) fill(path string) (string, bool) {
	segs := strings.Split(path, "/")
	ok := true
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		name := strings.Trim(s, "{}.")
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		var v string
		switch name {
		case "$":
			v = ""
		case "slug", "key":
			v = map[string]string{"partners": "kyoto-partner", "activities": "kyoto-draft-activity", "agreements": "kyoto-draft-agreement",
				"units": "kyoto-unit", "institutions": "kyoto-uni", "activity": "kyoto-draft-activity", "agreement": "kyoto-draft-agreement",
				"partner": "kyoto-partner", "unit": "kyoto-unit", "institution": "kyoto-uni",
				// The network's pages name a member by its slug.
				"members": "kyoto",
				// A partner's health (web/health.go).
				"health": "kyoto-partner"}[prev]
			if prev == "partners" && strings.HasSuffix(path, ".ics") {
				v = "kyoto-partner"
			}
			if prev == "activities" && segs[1] == "api" && len(segs) > 4 && segs[3] == "projects" {
				v = "kyoto-draft-activity"
			}
			if (prev == "activity" || prev == "agreement" || prev == "partner" || prev == "unit" || prev == "institution") && len(segs) > i-2 && i >= 3 && segs[i-3] == "bin" {
				v = map[string]string{"activity": "kyoto-draft-activity", "agreement": "kyoto-draft-agreement", "partner": "kyoto-partner",
					"unit": "kyoto-unit", "institution": "kyoto-uni"}[prev]
			}
		case "choice":
			// A way to sign in (web/sso.go): the network configures
			// none, so every member answers 404.
			v = "kyoto-idp"
		case "provider":
			// An OpenID provider's id (web/sso_oidc.go): the network
			// configures none, so every member answers 404.
			v = "kyoto-idp"
		case "code":
			v = "kyoto-unit"
		case "fund":
			v = "kyoto-fund"
		case "number":
			v = "1"
		case "partner":
			v = "kyoto-partner"
		case "phase":
			v = "1"
		case "entity":
			v = "activity"
		case "user":
			v = id(a.admin.ID)
		case "role":
			v = "chair"
		case "kind":
			v = map[string]string{"approvals": "exchange", "reports": "interim"}[prev]
		case "token":
			v = a.invitation.Token
			if prev == "registrations" {
				v = "not-a-registration-token" // the real ones are mailed to their holders only
			}
		case "file":
			v = id(a.file)
			if strings.Contains(path, "/notes/") || strings.Contains(path, "/practice/") {
				v = id(a.noteFile)
			}
		case "id":
			v = map[string]string{"proposals": id(a.proposal), "projects": id(a.proposal), "documents": id(a.document),
				"tokens": id(a.tokenID), "invitations": id(a.invitation.ID), "sessions": "1", "jobs": "1", "import": "1",
				"passkeys": "1", "notes": id(a.note), "practice": id(a.note), "events": id(a.event), "webhooks": id(a.webhook),
				"preauthorisations": id(a.preauth), "rules": id(a.rule), "identities": id(a.identity)}[prev]
		case "action":
			v = map[string]string{"webhooks": "pause"}[segs[i-2]]
		}
		if v == "" && name != "$" {
			ok = false
		}
		segs[i] = v
	}
	out := strings.Join(segs, "/")
	if strings.HasSuffix(path, "{$}") {
		out = strings.TrimSuffix(out, "/") + "/"
	}
	if strings.HasSuffix(path, "/search") {
		// Search for a word of every secret of A's: its drafts' titles
		// hold it (the query itself, echoed, is not the secret).
		out += "?q=" + strings.SplitN(secret, "-", 2)[0]
	}
	return out, ok
}

// isolationSkips are the routes the walk does not send, each with why.
var isolationSkips = map[string]string{
	// The health checks answer anyone, the same for every member.
	"GET /healthz": "no member's data", "GET /readyz": "no member's data",
}

// TestNetworkIsolation walks every route of routes.go through the
// Deployment, with A's (kyoto's) record keys in the path, as the public
// and as each role of member B (osaka) by session and by token, at A's
// portal and at the first member's root: no response shows anything A
// keeps to itself, no write succeeds, and nothing of A changes.
func TestNetworkIsolation(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := expandRoutes(t, string(src))
	if len(routes) < 200 {
		t.Fatalf("routes.go gave only %d routes", len(routes))
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 0)
		a := newMemberA(t, n)
		// A's own admin sees the secrets at A's portal: the walk looks for
		// something that is there.
		_, aSession := n.user(t, "kyoto", "second-admin@kyoto.example.org", partnerhub.RoleAdmin)
		for _, p := range []string{"/kyoto/en/activities/kyoto-draft-activity", "/kyoto/en/agreements/kyoto-draft-agreement", fmt.Sprintf("/kyoto/en/proposals/%d", a.proposal)} {
			if r := n.send(t, "GET", p, nil, aSession); r.status != 200 || !strings.Contains(r.body, secret) {
				t.Fatalf("A's admin does not see A's secret at %s: %d", p, r.status)
			}
		}
		before := a.state(t, n)

		type actor struct {
			name    string
			session *http.Cookie
			token   string
		}
		actors := []actor{{name: "the public"}}
		for _, role := range []partnerhub.Role{partnerhub.RoleAdmin, partnerhub.RoleCoordinator, partnerhub.RoleViewer, partnerhub.RoleGuest} {
			u, session := n.user(t, "osaka", "b-"+string(role)+"@osaka.example.org", role)
			raw, _, err := db.CreateToken(context.Background(), u.ID, partnerhub.TokenSpec{Name: "b", Scope: partnerhub.ScopeWrite}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			actors = append(actors, actor{name: "B's " + string(role), session: session, token: raw})
		}
		// leaks names the mark of A's that a response shows: A's secrets
		// anywhere, A's public figure anywhere but at A's own portal (its
		// statistics are open data there).
		leaks := func(at, body string) string {
			marks := []string{secret, strings.ToLower(secret)}
			if at != "/kyoto" {
				marks = append(marks, figureSecret, "8647")
			}
			for _, m := range marks {
				if strings.Contains(body, m) {
					return m
				}
			}
			return ""
		}
		walked := 0
		for _, route := range routes {
			if why, ok := isolationSkips[route]; ok && why != "" {
				continue
			}
			method, path, hasMethod := strings.Cut(route, " ")
			if !hasMethod {
				method, path = "GET", route
			}
			if strings.HasSuffix(path, "/") && !strings.HasSuffix(path, "{$}") {
				path += "isolation-nothing" // a subtree's catch-all
			}
			filled, ok := a.fill(path)
			if !ok {
				t.Errorf("route %q: the walk cannot fill its parameters: teach memberA.fill, or skip it in isolationSkips with a reason", route)
				continue
			}
			write := method != "GET" && method != "HEAD"
			// A's portal, the first member's root, and B's own portal (where
			// B is signed in, and A's keys name nothing of B's).
			for _, at := range []string{"/kyoto", "", "/osaka"} {
				for _, who := range actors {
					target := at + filled
					var r reply
					isAPI := strings.HasPrefix(filled, "/api/")
					switch {
					case isAPI && who.token != "":
						r = n.sendBody(t, method, target, "application/json", []byte(`{"version":1}`), "Authorization", "Bearer "+who.token)
					case write:
						r = n.send(t, method, target, url.Values{"version": {"1"}}, who.session)
					default:
						r = n.send(t, method, target, nil, who.session)
					}
					walked++
					what := fmt.Sprintf("%s %s as %s", method, target, who.name)
					if m := leaks(at, r.body); m != "" && !invitationHolder(at, filled) {
						t.Errorf("%s: %d shows A's %q", what, r.status, m)
					}
					for _, h := range []string{"Location", "Content-Disposition"} {
						if m := leaks(at, r.header.Get(h)); m != "" {
							t.Errorf("%s: %s shows A's %q", what, h, m)
						}
					}
					if r.status >= 500 {
						t.Errorf("%s: %d %.200s", what, r.status, r.body)
					}
					if !write || at == "/osaka" {
						// At B's own portal B acts on B's own account: only
						// A's state (below) and the leaks above tell.
						continue
					}
					switch {
					case r.status == http.StatusSeeOther:
						if !writeMayRedirect(at, filled, r.header.Get("Location")) {
							t.Errorf("%s: a write redirected to %q", what, r.header.Get("Location"))
						}
					case r.status/100 == 2:
						if !writeMayAnswer2xx(filled) {
							t.Errorf("%s: a write answered %d: %.300s", what, r.status, r.body)
						}
					case !slices.Contains(refusals, r.status):
						t.Errorf("%s: %d, want one of %v: %.300s", what, r.status, refusals, r.body)
					}
				}
			}
		}
		if after := a.state(t, n); after != before {
			t.Errorf("requests of others changed member A:\nbefore %s\nafter  %s", before, after)
		}
		t.Logf("%d routes, %d requests", len(routes), walked)
	})
}

// refusals are how a write of someone else at A's portal (or at the
// first member's) is refused.
var refusals = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
	http.StatusMethodNotAllowed, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests}

// invitationHolder: an invitation's link shows the invitation (its name
// and address) to whoever holds it, at its member's portal: the link is
// the invitee's credential, not a key anyone can guess.
func invitationHolder(at, path string) bool {
	return at == "/kyoto" && strings.Contains(path, "/invitations/") && !strings.Contains(path, "/admin/")
}

// writeMayAnswer2xx: the writes that answer 2xx without writing anything
// of A's: a sign-in form shown again with its error, a passkey ceremony's
// refusal in its own JSON.
func writeMayAnswer2xx(path string) bool {
	return strings.HasSuffix(path, "/signin") || strings.HasSuffix(path, "/signin/factor")
}

// writeMayRedirect: a write refused to someone not signed in (or signed in
// at another member) sends them to sign in; signing out goes home.
func writeMayRedirect(at, path, loc string) bool {
	return strings.Contains(loc, "/signin") || strings.HasSuffix(path, "/signout") && strings.HasPrefix(loc, at+"/")
}
