// Package saml_test signs in through a real SAML identity provider
// (SimpleSAMLphp, idp_test.go), over HTTP and in Chromium, on both
// engines: what the federation's IdP sends is accepted, and what an
// attacker could make of it (a byte changed, an assertion expired, posted
// twice, addressed to another service or place, its signature removed) is
// refused with a clear message and logged.
package saml_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/sso"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// logBuffer is the security log of the nodes, to assert what was logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clock is the nodes' clock, which a test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) move(d time.Duration) { c.offset.Store(int64(d)) }
func (c *clock) reset()               { c.offset.Store(0) }

// site is partnerhub with SAML sign-in: two nodes on one database behind
// one public URL (node A's), and the identity provider.
type site struct {
	base  string // the public URL: node A's
	nodeB string // node B, another node of the same site
	idp   *idp
	logs  *logBuffer
	clock *clock
	db    *store.DB
	sp    *sso.ServiceProvider
}

// newSite starts the site; extra are more sources of identity providers
// beside SimpleSAMLphp's signed metadata.
func newSite(t *testing.T, e storetest.Engine, extra ...sso.SAMLMetadataSource) *site {
	t.Helper()
	haveSimpleSAMLphp(t)
	ctx := context.Background()
	db := e.OpenBuiltin(t)
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &site{base: "http://" + lnA.Addr().String(), nodeB: "http://" + lnB.Addr().String(), logs: &logBuffer{}, clock: &clock{}, db: db}

	dir := t.TempDir()
	spKey, spCert := keyPair(t, "sp.example.ac.jp")
	writePEM(t, filepath.Join(dir, "sp.key"), "PRIVATE KEY", keyDER(t, spKey))
	writePEM(t, filepath.Join(dir, "sp.crt"), "CERTIFICATE", spCert.Raw)
	entityID := s.base + sso.SAMLMetadataPath
	s.idp = startIdP(t, []sspSP{
		{EntityID: entityID, ACS: []string{s.base + sso.SAMLACSPath, s.base + "/saml/acs-elsewhere"}, SLO: s.base + sso.SAMLSLOPath, Cert: spCert},
		{EntityID: otherSP, ACS: []string{s.base + sso.SAMLACSPath}},
	})
	cfg := &sso.SAMLConfig{KeyFile: filepath.Join(dir, "sp.key"), CertFile: filepath.Join(dir, "sp.crt"),
		IdPs:         append([]sso.SAMLMetadataSource{{MetadataURL: s.idp.MetadataURL, SigningCertFile: s.idp.FedCertFile}}, extra...),
		Organisation: partnerhub.Text{Ja: "例示大学", En: "Example University"},
		Contacts:     []sso.SAMLContact{{Type: "technical", Name: "Partnerships office", Email: "sso@example.ac.jp"}}}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(s.logs, nil))
	for _, ln := range []net.Listener{lnA, lnB} {
		// Every node reads the same configuration and metadata, and
		// answers at the same public URL.
		sp, err := sso.NewServiceProvider(cfg, s.base, nil, logger)
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if s.sp == nil {
			s.sp = sp
		}
		srv, err := web.NewServer(ctx, web.Deps{Source: db, Home: "utokyo", Messages: msgs, Logger: logger,
			Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Invitations: db, Federation: db,
			BaseURL: s.base, SAML: sp, SAMLReplay: db, Now: s.clock.now})
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: srv}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
	}
	return s
}

// preauthorise lets one identity of the IdP in, with role, as an
// administrator does on the single sign-on page.
func (s *site) preauthorise(t *testing.T, subject string, role partnerhub.Role) {
	t.Helper()
	ctx := context.Background()
	admin, err := s.db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office-" + strings.ToLower(string(role)) + "@example.ac.jp",
		Name: "Office", Role: partnerhub.RoleAdmin}, "a long and private passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.AddPreAuthorisation(ctx, admin, "utokyo", partnerhub.PreAuthorisation{Provider: idpEntityID, Subject: subject, Role: role}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// browserClient is a browser without JavaScript: a cookie jar, and
// redirects followed by hand so that a test can stop at any of them.
type browserClient struct {
	t   *testing.T
	c   *http.Client
	jar http.CookieJar
}

func newClient(t *testing.T) *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: t, jar: jar, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends one request and reads its answer.
func (b *browserClient) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

func (b *browserClient) get(u string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browserClient) post(u string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	return b.do(req)
}

// follow follows redirects from u until a page answers.
func (b *browserClient) follow(res *http.Response, body string) (*http.Response, string) {
	b.t.Helper()
	for i := 0; res.StatusCode >= 300 && res.StatusCode < 400; i++ {
		if i > 10 {
			b.t.Fatal("too many redirects")
		}
		loc, err := res.Location()
		if err != nil {
			b.t.Fatal(err)
		}
		res, body = b.get(loc.String())
	}
	return res, body
}

var (
	reAuthState = regexp.MustCompile(`name="AuthState" value="([^"]+)"`)
	reFormPost  = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*action="([^"]+)"`)
	reHidden    = regexp.MustCompile(`<input type="hidden" name="(SAMLResponse|RelayState)" value="([^"]*)"`)
)

// idpAnswer is the form the identity provider has the browser post to
// the service provider.
type idpAnswer struct {
	Action string
	Form   url.Values
}

// loginAtIdP follows the way from the identity provider's first page
// through its login form (unless its session already signs the person
// in) to the answer it posts back.
func (b *browserClient) loginAtIdP(res *http.Response, body, user string) idpAnswer {
	b.t.Helper()
	res, body = b.follow(res, body)
	if m := reAuthState.FindStringSubmatch(body); m != nil {
		form := url.Values{"username": {user}, "password": {"password"}, "AuthState": {html.UnescapeString(m[1])}}
		res, body = b.post(res.Request.URL.String(), form)
		res, body = b.follow(res, body)
	}
	m := reFormPost.FindStringSubmatch(body)
	if m == nil || res.StatusCode != http.StatusOK {
		b.t.Fatalf("the identity provider answered %d without a form to post back:\n%s", res.StatusCode, tail(body, 2000))
	}
	a := idpAnswer{Action: html.UnescapeString(m[1]), Form: url.Values{}}
	for _, h := range reHidden.FindAllStringSubmatch(body, -1) {
		a.Form.Set(h[1], html.UnescapeString(h[2]))
	}
	if a.Form.Get("SAMLResponse") == "" {
		b.t.Fatalf("no SAMLResponse in the identity provider's answer:\n%s", tail(body, 2000))
	}
	return a
}

// begin starts a sign-in at the site and returns the redirect to the
// identity provider (not yet followed).
func (s *site) begin(b *browserClient, query string) *http.Response {
	b.t.Helper()
	lang := "en"
	if strings.Contains(query, "lang=ja") {
		lang = "ja"
	}
	res, _ := b.get(s.base + "/" + lang + "/signin/saml/start?idp=" + url.QueryEscape(idpEntityID) + query)
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("start: %d", res.StatusCode)
	}
	loc, _ := res.Location()
	if !strings.HasPrefix(loc.String(), s.idp.URL+"/saml2/idp/SSOService.php?") {
		b.t.Fatalf("start sends to %s", loc)
	}
	return res
}

// signIn goes through the identity provider as user and returns its
// answer, not yet posted, with the request cookie the site set.
func (s *site) signIn(b *browserClient, user, query string) (idpAnswer, *http.Cookie) {
	b.t.Helper()
	res := s.begin(b, query)
	a := s.answerTo(b, res, user)
	return a, s.requestCookie(b, a)
}

func (s *site) answerTo(b *browserClient, res *http.Response, user string) idpAnswer {
	b.t.Helper()
	return b.loginAtIdP(res, "", user)
}

// requestCookie is the cookie that holds the sign-in a RelayState names.
func (s *site) requestCookie(b *browserClient, a idpAnswer) *http.Cookie {
	b.t.Helper()
	u, _ := url.Parse(s.base + "/saml/acs")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "ph_saml_"+a.Form.Get("RelayState") {
			return c
		}
	}
	b.t.Fatalf("no request cookie for RelayState %q", a.Form.Get("RelayState"))
	return nil
}

// logged reports a line of the log that holds every part.
func (s *site) logged(parts ...string) bool {
	for _, line := range strings.Split(s.logs.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// refused posts an answer and checks it is refused for reason, with the
// message in English and the line in the security log.
func (s *site) refused(t *testing.T, b *browserClient, to string, form url.Values, cookie *http.Cookie, reason string, status int, message string) {
	t.Helper()
	res, body := b.post(to, form, cookie)
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d:\n%s", reason, res.StatusCode, status, tail(body, 1500))
	}
	if !strings.Contains(body, "Sign-in refused") || !strings.Contains(html.UnescapeString(body), message) {
		t.Fatalf("%s: the page lacks %q:\n%s", reason, message, tail(body, 1500))
	}
	if !s.logged(`"event":"saml_refused"`, `"reason":"`+reason+`"`) {
		t.Fatalf("%s: not logged as refused:\n%s", reason, tail(s.logs.String(), 3000))
	}
	if strings.Contains(res.Header.Get("Set-Cookie"), "ph_session") && !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("%s: a refused answer opened a session", reason)
	}
}

// The service provider's metadata names what a federation registers, and
// the identity provider's metadata was read with the federation's
// signature checked, with its display names in both languages.
func TestSAMLMetadata(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e)
		b := newClient(t)
		res, body := b.get(s.base + "/saml/metadata")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/samlmetadata+xml" {
			t.Fatalf("metadata: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{`entityID="` + s.base + `/saml/metadata"`, `Location="` + s.base + `/saml/acs"`,
			`WantAssertionsSigned="true"`, `AuthnRequestsSigned="true"`, `urn:oid:1.3.6.1.4.1.5923.1.1.1.6`,
			`urn:oid:1.3.6.1.4.1.32264.1.1.3`, "sso@example.ac.jp", "例示大学", `Location="` + s.base + `/saml/slo"`} {
			if !strings.Contains(body, want) {
				t.Errorf("SP metadata lacks %s", want)
			}
		}
		idps := s.sp.IdPs()
		if len(idps) != 1 || idps[0].EntityID != idpEntityID || idps[0].Name.Ja != "例示大学" || idps[0].Name.En != "Example University" || !idps[0].SingleLogout {
			t.Fatalf("identity providers read: %+v", idps)
		}
		// The discovery page lists it by name in both languages, and a
		// search by either finds it; one that matches nothing says so.
		_, en := b.get(s.base + "/en/signin/saml?q=example")
		_, ja := b.get(s.base + "/ja/signin/saml?q=" + url.QueryEscape("例示"))
		if !strings.Contains(en, "Example University") || !strings.Contains(en, "例示大学") || !strings.Contains(ja, "例示大学") {
			t.Fatalf("discovery pages lack the IdP:\n%s", tail(ja, 2000))
		}
		if _, none := b.get(s.base + "/en/signin/saml?q=nowhere"); !strings.Contains(none, "No institution matches") || strings.Contains(none, "<li data-search") {
			t.Fatal("a search that matches nothing lists something, or says nothing")
		}
	})
}

// Metadata whose signature is not the federation's is refused.
func TestSAMLMetadataSignature(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e)
		dir := t.TempDir()
		_, wrong := keyPair(t, "not-the-federation.example.org")
		writePEM(t, filepath.Join(dir, "wrong.crt"), "CERTIFICATE", wrong.Raw)
		spKey, spCert := keyPair(t, "sp2.example.ac.jp")
		writePEM(t, filepath.Join(dir, "sp.key"), "PRIVATE KEY", keyDER(t, spKey))
		writePEM(t, filepath.Join(dir, "sp.crt"), "CERTIFICATE", spCert.Raw)
		sp, err := sso.NewServiceProvider(&sso.SAMLConfig{KeyFile: filepath.Join(dir, "sp.key"), CertFile: filepath.Join(dir, "sp.crt"),
			IdPs: []sso.SAMLMetadataSource{{MetadataURL: s.idp.MetadataURL, SigningCertFile: filepath.Join(dir, "wrong.crt")}}}, s.base, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("metadata signed by another key: %v", err)
		}
		// The same metadata from a file, without a certificate to check,
		// is the operator's to vouch for.
		res, err := http.Get(s.idp.MetadataURL)
		if err != nil {
			t.Fatal(err)
		}
		md, _ := io.ReadAll(res.Body)
		res.Body.Close()
		write(t, filepath.Join(dir, "idp.xml"), string(md))
		sp, err = sso.NewServiceProvider(&sso.SAMLConfig{KeyFile: filepath.Join(dir, "sp.key"), CertFile: filepath.Join(dir, "sp.crt"),
			IdPs: []sso.SAMLMetadataSource{{MetadataFile: filepath.Join(dir, "idp.xml")}}}, s.base, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Load(context.Background()); err != nil || len(sp.IdPs()) != 1 {
			t.Fatalf("metadata file: %v, %d IdPs", err, len(sp.IdPs()))
		}
	})
}

// What an attacker makes of a real assertion is refused, with a clear
// message, logged; the real one is accepted once, on any node.
func TestSAMLRefusals(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e)
		b := newClient(t)
		acs := s.base + "/saml/acs"

		// A byte changed in the signed assertion.
		a, ck := s.signIn(b, "tanaka", "")
		xmlResp := decode(t, a.Form.Get("SAMLResponse"))
		if !strings.Contains(xmlResp, "tanaka@example.ac.jp") {
			t.Fatalf("the assertion lacks the ePPN:\n%s", xmlResp)
		}
		tampered := url.Values{"RelayState": {a.Form.Get("RelayState")},
			"SAMLResponse": {encode(strings.Replace(xmlResp, "tanaka@example.ac.jp", "tanakb@example.ac.jp", 1))}}
		s.refused(t, b, acs, tampered, ck, "tampered", http.StatusForbidden, "altered on the way")

		// The assertion's signature taken off: nothing signs the answer.
		a, ck = s.signIn(b, "tanaka", "")
		unsigned := regexp.MustCompile(`(?s)<ds:Signature.*?</ds:Signature>`).ReplaceAllString(decode(t, a.Form.Get("SAMLResponse")), "")
		s.refused(t, b, acs, url.Values{"RelayState": {a.Form.Get("RelayState")}, "SAMLResponse": {encode(unsigned)}}, ck,
			"unsigned", http.StatusForbidden, "was not signed")

		// Expired: posted an hour later (the clock of the site moved).
		a, ck = s.signIn(b, "tanaka", "")
		s.clock.move(time.Hour)
		s.refused(t, b, acs, a.Form, ck, "expired", http.StatusBadRequest, "has expired")
		s.clock.reset()

		// Replayed: accepted once on node A, refused on node B, which
		// shares the database (and the public URL).
		a, ck = s.signIn(b, "tanaka", "")
		res, body := b.post(acs, a.Form, ck)
		if strings.Contains(body, "Sign-in refused") {
			t.Fatalf("the real answer was refused (%d):\n%s", res.StatusCode, tail(body, 1500))
		}
		if !s.logged(`"event":"saml_accepted"`, `"idp":"`+idpEntityID+`"`, `"subject":"tanaka@example.ac.jp"`, `"mfa":false`) {
			t.Fatalf("acceptance not logged:\n%s", tail(s.logs.String(), 2000))
		}
		s.refused(t, b, s.nodeB+"/saml/acs", a.Form, ck, "replayed", http.StatusForbidden, "already been used")

		// Posted without the request this browser began: refused too.
		s.refused(t, newClient(t), acs, a.Form, nil, "request", http.StatusForbidden, "does not match a sign-in begun in this browser")

		// Wrongly addressed: an assertion the IdP made for another
		// service provider (whose answers it posts here), for this
		// browser's request.
		res = s.begin(b, "")
		reqID, relay := requestOf(t, res)
		res, body = s.craftedRequest(t, b, reqID, relay, otherSP, "")
		a = b.loginAtIdP(res, body, "tanaka")
		s.refused(t, b, acs, a.Form, s.requestCookie(b, a), "audience", http.StatusForbidden, "meant for another service")

		// Wrongly addressed: an assertion for this service provider, sent
		// to another of its addresses, posted here.
		res = s.begin(b, "")
		reqID, relay = requestOf(t, res)
		res, body = s.craftedRequest(t, b, reqID, relay, s.sp.EntityID(), s.base+"/saml/acs-elsewhere")
		a = b.loginAtIdP(res, body, "tanaka")
		if a.Action != s.base+"/saml/acs-elsewhere" {
			t.Fatalf("the IdP posts to %s", a.Action)
		}
		s.refused(t, b, acs, a.Form, s.requestCookie(b, a), "destination", http.StatusForbidden, "addressed to another place")

		// Multi-factor: asked for only when the sign-in asks; an IdP that
		// does not assert it then is refused; one that does is believed.
		if _, body := requestXML(t, s.begin(b, "")); strings.Contains(body, "RequestedAuthnContext") {
			t.Fatalf("a sign-in that did not ask for MFA asks for it:\n%s", body)
		}
		res = s.begin(b, "&mfa=1")
		if _, body := requestXML(t, res); !strings.Contains(body, "https://refeds.org/profile/mfa") {
			t.Fatalf("a sign-in that asks for MFA does not:\n%s", body)
		}
		a = b.loginAtIdP(res, "", "tanaka")
		s.refused(t, b, acs, a.Form, s.requestCookie(b, a), "mfa", http.StatusBadRequest, "did not confirm one")
		k := newClient(t)
		a, ck = s.signIn(k, "kobayashi", "&mfa=1")
		if res, body := k.post(acs, a.Form, ck); strings.Contains(body, "Sign-in refused") {
			t.Fatalf("MFA sign-in refused (%d):\n%s", res.StatusCode, tail(body, 1500))
		}
		if !s.logged(`"event":"saml_accepted"`, `"subject":"kobayashi@example.ac.jp"`, `"mfa":true`) {
			t.Fatalf("MFA sign-in not logged as such:\n%s", tail(s.logs.String(), 2000))
		}

		// In Japanese, for a sign-in begun in Japanese.
		a, ck = s.signIn(b, "tanaka", "&lang=ja")
		s.clock.move(time.Hour)
		res, body = b.post(acs, a.Form, ck)
		s.clock.reset()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "サインインできませんでした") || !strings.Contains(body, "有効期限が切れています") {
			t.Fatalf("expired, in Japanese: %d\n%s", res.StatusCode, tail(body, 1000))
		}
	})
}

// requestOf reads the ID and RelayState of the AuthnRequest a start
// redirect carries.
func requestOf(t *testing.T, res *http.Response) (id, relay string) {
	t.Helper()
	id, _ = requestXML(t, res)
	loc, _ := res.Location()
	return id, loc.Query().Get("RelayState")
}

// requestXML reads the AuthnRequest a start redirect carries: its ID and
// its XML.
func requestXML(t *testing.T, res *http.Response) (id, body string) {
	t.Helper()
	loc, _ := res.Location()
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		ID string `xml:"ID,attr"`
	}
	if err := xml.Unmarshal(x, &req); err != nil {
		t.Fatal(err)
	}
	return req.ID, string(x)
}

// craftedRequest sends the identity provider an AuthnRequest of the given
// ID, as issuer, answered at acs (its default when ""): what an attacker
// who holds another service provider's registration could send.
func (s *site) craftedRequest(t *testing.T, b *browserClient, id, relay, issuer, acs string) (*http.Response, string) {
	t.Helper()
	acsAttr := ""
	if acs != "" {
		acsAttr = ` AssertionConsumerServiceURL="` + acs + `" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"`
	}
	x := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s"%s><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		id, time.Now().UTC().Format(time.RFC3339), s.idp.URL+"/saml2/idp/SSOService.php", acsAttr, issuer)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write([]byte(x))
	w.Close()
	q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}, "RelayState": {relay}}
	return b.get(s.idp.URL + "/saml2/idp/SSOService.php?" + q.Encode())
}

func decode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encode(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMain(m *testing.M) {
	code := m.Run()
	os.Exit(code)
}

// Who gets in, on both engines, over HTTP: a pre-authorised faculty member
// lands with their role (and their affiliation as the IdP sent it); an
// identity nobody let in gets the no-access page, no session, and nothing
// beyond the public.
func TestSAMLRoles(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e)
		s.preauthorise(t, "tanaka@example.ac.jp", partnerhub.RoleViewer)
		acs := s.base + "/saml/acs"

		b := newClient(t)
		a, ck := s.signIn(b, "tanaka", "&next="+url.QueryEscape("/en/account"))
		res, body := b.post(acs, a.Form, ck)
		if loc, _ := res.Location(); res.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/en/account" {
			t.Fatalf("pre-authorised: %d %v\n%s", res.StatusCode, loc, tail(body, 1500))
		}
		res, body = b.get(s.base + "/en/account")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Viewer") || !strings.Contains(body, "tanaka.hanako@example.ac.jp") {
			t.Fatalf("account page: %d\n%s", res.StatusCode, tail(body, 2000))
		}
		if !s.logged(`"event":"sso_account_made"`, `"subject":"tanaka@example.ac.jp"`) {
			t.Fatalf("account made not logged:\n%s", tail(s.logs.String(), 2000))
		}

		u := newClient(t)
		a, ck = s.signIn(u, "stranger", "&next="+url.QueryEscape("/en/account"))
		res, body = u.post(acs, a.Form, ck)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "No access here") {
			t.Fatalf("unknown identity: %d\n%s", res.StatusCode, tail(body, 1500))
		}
		for _, c := range res.Cookies() {
			if strings.Contains(c.Name, "session") && c.Name != "ph_saml_session" && c.MaxAge >= 0 && c.Value != "" {
				t.Fatalf("an unknown identity got a session cookie %s", c.Name)
			}
		}
		if res, _ := u.get(s.base + "/en/account"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("an unknown identity reads the account page: %d", res.StatusCode)
		}
		if res, _ := u.get(s.base + "/en/admin/sso"); res.StatusCode == http.StatusOK {
			t.Fatal("an unknown identity reads the administrators' page")
		}
		if !s.logged(`"event":"sso_no_access"`, `"subject":"stranger@example.ac.jp"`) {
			t.Fatalf("no access not logged:\n%s", tail(s.logs.String(), 2000))
		}
	})
}
