package web

// Accounts in the browser and on the API: who makes a request (an API token
// or a session cookie), the sign-in, sign-out and account pages, and the
// protection of every form against cross-site requests.

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"partnerhub"
	"partnerhub/authn"
)

const (
	sessionCookie = "ph_session"
	// sessionTTL is how long a sign-in lasts unless Deps.SessionTTL says
	// otherwise; the cookie expires with it.
	sessionTTL = 12 * time.Hour
	// sessionIdle ends a session that made no request for this long,
	// unless Deps.SessionIdle says otherwise.
	sessionIdle = 30 * time.Minute
	// maxAccountForm bounds the body of the sign-in and token forms.
	maxAccountForm = 16 << 10
)

// secureRequest reports a request that reached us over HTTPS: directly,
// through a trusted proxy that says so, or at a site whose public URL is
// https (browsers reach it over HTTPS only).
func (s *Server) secureRequest(r *http.Request) bool {
	if r.TLS != nil || strings.HasPrefix(s.deps.BaseURL, "https:") {
		return true
	}
	return r.Header.Get("X-Forwarded-Proto") == "https" && trustedPeer(r, s.deps.TrustedProxies)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: token, Path: s.cookiePath(), Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
}

// trustedPeer reports whether the request comes straight from one of the
// trusted proxies.
func trustedPeer(r *http.Request, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && inPrefixes(ap.Addr().Unmap(), trusted)
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address sign-in failures are counted against: the peer's,
// or, when the peer is a trusted proxy (a load balancer), the nearest
// address in X-Forwarded-For that is not itself a trusted proxy. A client
// cannot forge the entries its proxies append; one that reaches the app
// directly from a trusted network can, but only to spread its attempts over
// more addresses — the per-address limit still holds.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !inPrefixes(peer, trusted) {
		return peer.String()
	}
	// Several header lines are one list; the nearest hop is last.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: believe nothing further
		}
		if a = a.Unmap(); !inPrefixes(a, trusted) {
			return a.String()
		}
		peer = a // another trusted proxy: look one hop further
	}
	return peer.String()
}

// safeNext is where to go after signing in: a path of this site, never
// another site ("//evil.example", "https://evil.example", "/\evil.example",
// which browsers read as "//"). Anything else gives the account page.
func (s *Server) safeNext(next string, lang partnerhub.Lang) string {
	def := s.l(lang) + "/account"
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return def
	}
	if strings.IndexFunc(next, unicode.IsControl) >= 0 {
		return def
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return def
	}
	return next
}

// signinURL is the sign-in page that returns to next.
func (s *Server) signinURL(lang partnerhub.Lang, next string) string {
	return s.l(lang) + "/signin?next=" + url.QueryEscape(next)
}

// ---- rendering -------------------------------------------------------------

// accountView is the view of a page that depends on who asks (never
// cached). path is the page's own path without the language, so that the
// language switch and the canonical link of a page answered to a POST point
// at the page, not at the form's target.
// u is who is signed in, for the header, or nil.
func (s *Server) accountView(r *http.Request, lang partnerhub.Lang, path, query string, u *partnerhub.User) *view {
	v := s.newView(r, lang, "", s.snap.Load())
	v.Path, v.Query, v.User = path, query, u
	v.Canonical = v.Base + s.l(lang) + path
	return v
}

// privatePage sends a page rendered for one person: never stored by caches,
// never framed by another site.
func (s *Server) privatePage(w http.ResponseWriter, r *http.Request, v *view, p *page) {
	if v.User != nil && s.deps.Notices != nil {
		v.Notices = true
		if p.Template != "notifications" { // which counts them itself
			v.Unread = s.unreadNotices(r, v.User)
		}
	}
	c, err := s.render(v, p)
	if err != nil {
		s.deps.Logger.Error("render", "path", r.URL.Path, "err", err)
		http.Error(w, "500", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = hdrHTML
	h["Cache-Control"] = hdrNoStore
	h["Vary"] = hdrVaryWho
	h.Set("Content-Language", string(v.Lang))
	h.Set("Content-Length", strconv.Itoa(len(c.body)))
	if c.status == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfter)
	}
	w.WriteHeader(c.status)
	w.Write(c.body)
}

// ---- sign-in and sign-out --------------------------------------------------

type signinData struct {
	Email  string
	Next   string
	Alert  string            // a message for the whole form (throttling)
	Errors map[string]string // field → message
	User   *partnerhub.User  // already signed in
	SSO    []ssoLink         // the identity providers to sign in through
}

func (s *Server) signinPage(v *view, status int, d *signinData) *page {
	d.SSO = s.ssoLinks(v, d.Next)
	return &page{Template: "signin", Title: v.P.T("signin.title"), Description: v.P.T("signin.description"), Status: status, Data: d}
}

func nextQuery(next string) string {
	if next == "" {
		return ""
	}
	return "next=" + url.QueryEscape(next)
}

// accountForm serves the sign-in and sign-out forms, which anyone may
// send: the header shows who holds the session, if anyone.
func (s *Server) accountForm(lang partnerhub.Lang, path string, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.accountView(r, lang, path, "", s.sessionUser(r))
		s.answer(w, r, v, h)
	})
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	next := r.URL.Query().Get("next")
	if next != "" && s.safeNext(next, v.Lang) != next {
		next = ""
	}
	v.Query = nextQuery(next)
	return s.signinPage(v, http.StatusOK, &signinData{Next: next, User: v.User}), nil
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	formErr := r.ParseForm()
	email, password := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	if next != "" && s.safeNext(next, v.Lang) != next {
		next = ""
	}
	v.Query = nextQuery(next)
	d := &signinData{Email: email, Next: next, Errors: map[string]string{}}
	if s.deps.Accounts == nil || s.deps.Authenticator == nil {
		d.Alert = v.P.T("signin.unavailable")
		return s.signinPage(v, http.StatusServiceUnavailable, d), nil
	}
	if formErr != nil {
		d.Alert = v.P.T("error.invalid")
		return s.signinPage(v, http.StatusBadRequest, d), nil
	}
	if email == "" {
		d.Errors["email"] = v.P.Field(partnerhub.FieldError{Key: "required"})
	}
	if password == "" {
		d.Errors["password"] = v.P.Field(partnerhub.FieldError{Key: "required"})
	}
	if len(d.Errors) > 0 {
		return s.signinPage(v, http.StatusBadRequest, d), nil
	}
	now := s.deps.Now()
	ip := clientIP(r, s.deps.TrustedProxies)
	u, err := s.deps.Authenticator.Authenticate(r.Context(), s.home(r), partnerhub.Credentials{Email: email, Password: password, IP: ip, At: now})
	if err == nil && u.Home != s.home(r) {
		// A user of another programme has no account here; say no more.
		err = partnerhub.Errorf(partnerhub.EUnauthorized, "error.signin_failed")
	}
	var e *partnerhub.Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Code == partnerhub.ETooMany:
		s.logSecurity(r, "signin_throttled", "account", email)
		if wait := (*authn.Wait)(nil); errors.As(err, &wait) {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.D.Seconds())))
		}
		d.Alert = v.P.Error(e)
		return s.signinPage(v, http.StatusTooManyRequests, d), nil
	case errors.As(err, &e) && e.Code == partnerhub.EUnauthorized:
		// One message for an unknown address, a wrong password and a
		// disabled account, shown at the password.
		s.logSecurity(r, "signin_failed", "account", email)
		d.Errors["password"] = v.P.Error(e)
		return s.signinPage(v, http.StatusUnauthorized, d), nil
	default:
		return nil, err
	}
	// A user with a second factor is sent to prove it; the session waits.
	if done, err := s.secondStep(w, r, v, u, next, now); done || err != nil {
		return nil, err
	}
	// A new session for a new sign-in: end the one this browser had.
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" {
		if err := s.deps.Accounts.DeleteSession(r.Context(), ck.Value); err != nil {
			return nil, err
		}
	}
	token, err := s.deps.Accounts.CreateSession(r.Context(), u.ID, now, s.sessionSpec(r, ip))
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(w, r, token, now.Add(s.deps.SessionTTL))
	s.rememberMailLanguage(r, u.ID)
	s.logSecurity(r, "signed_in", "account", u.Email, "user", u.ID)
	w.Header().Set("Cache-Control", "no-store")
	dest := s.safeNext(next, v.Lang)
	if step := s.accountGate(r, u); step != nil {
		dest = v.L() + step.path
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil, nil
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" && s.deps.Accounts != nil {
		if err := s.deps.Accounts.DeleteSession(r.Context(), ck.Value); err != nil {
			return nil, err
		}
	}
	s.clearSessionCookie(w, r)
	s.logSecurity(r, "signed_out")
	if s.sso.logout != nil {
		if done, err := s.sso.logout(w, r, v.Lang, v.User); done || err != nil {
			return nil, err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/", http.StatusSeeOther)
	return nil, nil
}

// ---- the account page and API tokens ---------------------------------------

type accountData struct {
	User   *partnerhub.User
	Units  []partnerhub.Unit
	Tokens []tokenRow
	// A token just made: its raw value is shown on this answer only.
	NewToken, NewTokenName string
	Name                   string // typed into the token form
	Scope                  string // chosen in the token form
	Days                   int    // chosen in the token form
	Lifetimes              []int  // the lifetimes offered, in days
	Scopes                 []partnerhub.TokenScope
	Errors                 map[string]string
	Mail                   *mailPref        // the language of mail (web/mail.go); nil: no mail
	Calendar               *calendarSection // nil without calendar feeds (calendar_personal.go)
	Notices                *noticePrefs     // how notices are mailed (web/notices.go); nil: no notices
	SSO                    *ssoAccount      // linked identities (web/sso_account.go); nil: no single sign-on
}

type tokenRow struct {
	ID                       int64
	Name                     string
	Active                   bool
	Created, Used, Revoked   string // for reading
	CreatedAt, UsedAt, RevAt string // for <time datetime>
	Expires, ExpAt           string // "" for a token made before tokens expired
	Scope                    string
}

func stamp(t *time.Time) (human, machine string) {
	if t == nil {
		return "", ""
	}
	// People read times as the office keeps them, in Tokyo; machines in UTC.
	return t.In(partnerhub.Japan).Format("2006-01-02 15:04 JST"), t.UTC().Format(time.RFC3339)
}

// accountPage loads what the account page shows for u.
func (s *Server) accountPage(r *http.Request, v *view, u *partnerhub.User, d *accountData, status int) (*page, error) {
	toks, err := s.deps.Accounts.Tokens(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	d.User = u
	if d.Mail, err = s.mailPref(r.Context(), u); err != nil {
		return nil, err
	}
	d.Lifetimes, d.Scopes = partnerhub.TokenLifetimes, partnerhub.TokenScopes
	if d.Days == 0 {
		d.Days = partnerhub.DefaultTokenLifetime
	}
	if d.Scope == "" {
		d.Scope = string(partnerhub.ScopeRead)
	}
	for _, code := range u.Units {
		unit := partnerhub.Unit{Code: code, Name: partnerhub.Text{Ja: code, En: code}}
		for _, x := range v.X.Units() {
			if x.Code == code {
				unit = x
			}
		}
		d.Units = append(d.Units, unit)
	}
	if err := s.fillCalendar(r, u, d); err != nil {
		return nil, err
	}
	if d.Notices, err = s.noticePrefs(r.Context(), u); err != nil {
		return nil, err
	}
	if d.SSO, err = s.ssoAccountSection(r, v, u); err != nil {
		return nil, err
	}
	for _, t := range toks {
		row := tokenRow{ID: t.ID, Name: t.Name, Active: t.Active(time.Now()), Scope: string(t.Scope)}
		row.Created, row.CreatedAt = stamp(&t.CreatedAt)
		row.Expires, row.ExpAt = stamp(t.ExpiresAt)
		row.Used, row.UsedAt = stamp(t.LastUsedAt)
		row.Revoked, row.RevAt = stamp(t.RevokedAt)
		d.Tokens = append(d.Tokens, row)
	}
	return &page{Template: "account", Title: v.P.T("account.title"), Description: v.P.T("account.description"), Status: status, Data: d}, nil
}

// accountPages serves a page of one's own account: only the holder of a
// session may open it (an API token cannot make more tokens), and anyone
// else is sent to sign in and back. Its language switch and canonical link
// point at the account page, whatever form the page answers.
func (s *Server) accountPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.sessionUser(r)
		if u == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, s.signinURL(lang, s.l(lang)+"/account"), http.StatusSeeOther)
			return
		}
		if s.pageGate(w, r, lang, u) {
			return
		}
		v := s.accountView(r, lang, "/account", "", u)
		s.answer(w, r, v, h)
	})
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return s.accountPage(r, v, v.User, &accountData{}, http.StatusOK)
}

// createToken makes an API token and shows it once, in the answer to the
// POST itself: it is never put in a URL or a cookie.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	d := &accountData{Errors: map[string]string{}, Name: r.PostForm.Get("name"), Scope: r.PostForm.Get("scope")}
	spec := partnerhub.TokenSpec{Name: d.Name, Scope: partnerhub.TokenScope(d.Scope)}
	if days := r.PostForm.Get("days"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil {
			n = -1 // refused by the store with the field's message
		}
		spec.Days, d.Days = n, n
	}
	status := http.StatusOK
	raw, tok, err := s.deps.Accounts.CreateToken(r.Context(), v.User.ID, spec, time.Now())
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		d.Errors, status = fields, http.StatusBadRequest
	} else {
		d.NewToken, d.NewTokenName, d.Name = raw, tok.Name, ""
		s.logSecurity(r, "token_created", "token", tok.ID, "scope", string(tok.Scope), "expires", tok.ExpiresAt)
	}
	return s.accountPage(r, v, v.User, d, status)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.token_not_found", r.PathValue("id"))
	}
	if err := s.deps.Accounts.RevokeToken(r.Context(), v.User.ID, id, time.Now()); err != nil {
		return nil, err
	}
	s.logSecurity(r, "token_revoked", "token", id)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account#tokens", http.StatusSeeOther)
	return nil, nil
}

// ---- cross-site requests ---------------------------------------------------

// protect wraps the whole server in the standard library's
// CrossOriginProtection, the defence against cross-site request forgery:
//
//   - GET, HEAD and OPTIONS always pass, so no handler may change anything
//     on them;
//   - any other method is refused (403) when the browser says the request
//     comes from elsewhere (Sec-Fetch-Site: cross-site or same-site), or,
//     for browsers without Sec-Fetch-Site, when the Origin header names
//     another host than the request's Host;
//   - a request with neither header passes. That is what same-origin
//     requests of very old browsers look like, and what every non-browser
//     client sends: curl and scripts calling the write API with
//     "Authorization: Bearer ph_…". Such requests are safe to let through:
//     a page on another site cannot make a browser send our bearer token
//     (it does not have it, and a cross-origin request with an
//     Authorization header needs a CORS preflight we never grant), and
//     a request that carries the session cookie from a browser carries
//     Sec-Fetch-Site or Origin as well.
//
// The refusal is a page in the language of the path, or the API's JSON error.
func (s *Server) protect(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	// The identity provider posts its SAML answer from its own site; the
	// answer's signature, and the request cookie it must match, protect it.
	cop.AddInsecureBypassPattern("POST /saml/acs")
	return cop.Handler(h)
}

func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	err := partnerhub.Errorf(partnerhub.EForbidden, "error.cross_origin")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	lang := partnerhub.English
	if l, ok := partnerhub.ParseLang(strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]); ok {
		lang = l
	}
	s.logRefusal(r, err)
	v := s.accountView(r, lang, "/", "", nil)
	s.privatePage(w, r, v, &page{Template: "error", Title: v.P.T("account.refused_title"), Status: http.StatusForbidden,
		Data: &errorData{Message: v.P.Error(err)}})
}

// sessionSpec is how a session opened by r behaves, and what its owner
// will see of where it was opened.
func (s *Server) sessionSpec(r *http.Request, ip string) partnerhub.SessionSpec {
	return partnerhub.SessionSpec{TTL: s.deps.SessionTTL, Idle: max(s.deps.SessionIdle, 0), Max: max(s.deps.MaxSessions, 0),
		IP: ip, UserAgent: r.UserAgent()}
}
