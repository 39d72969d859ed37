package web

// SAML sign-in (GakuNin, eduGAIN): the service provider's metadata, the
// discovery page, the request sent to the chosen identity provider, the
// assertion consumer service and single logout. sso/saml*.go holds the
// protocol; federatedSignIn (web/sso.go) decides who the identity is here.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/sso"
)

const (
	// samlRequestCookie (+ the RelayState) holds one sign-in's request
	// until the identity provider answers; samlTTL bounds that.
	samlRequestCookie = "ph_saml_"
	samlTTL           = 10 * time.Minute
	// samlLastCookie remembers the identity provider last chosen.
	samlLastCookie = "ph_saml_idp"
	// samlSessionCookie holds what single logout needs of a sign-in.
	samlSessionCookie = "ph_saml_session"
	// maxSAMLForm bounds the body the identity provider posts.
	maxSAMLForm = 512 << 10
)

// relayStatePattern is the RelayState this service provider makes (and
// names its request cookie with).
var relayStatePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// samlChoices lists SAML sign-in: one choice per identity provider when
// the deployment trusts one or two (its own IdP), else the discovery page.
func (s *Server) samlChoices() []sso.Choice {
	sp := s.deps.SAML
	if sp == nil {
		return nil
	}
	idps := sp.IdPs()
	if len(idps) <= 2 {
		var out []sso.Choice
		for _, idp := range idps {
			out = append(out, sso.Choice{ID: "saml:" + idp.EntityID, Protocol: sso.SAML, Name: idp.Name,
				StartURL: s.deps.Prefix + "/saml/start?idp=" + url.QueryEscape(idp.EntityID)})
		}
		return out
	}
	return []sso.Choice{{ID: "saml", Protocol: sso.SAML,
		Name:     partnerhub.Text{Ja: "所属機関のアカウント（学認・eduGAIN）", En: "Your university (GakuNin / eduGAIN)"},
		StartURL: s.deps.Prefix + "/saml/start"}}
}

// samlLang is the language of a sign-in begun outside the pages of a
// language: next's, else the page's it was begun from (the Referer, sent
// within the site), else the reader's.
func (s *Server) samlLang(r *http.Request, next string) partnerhub.Lang {
	from := []string{next}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		from = append(from, ref.Path)
	}
	for _, p := range from {
		rest := strings.TrimPrefix(p, s.deps.Prefix+"/")
		if l, ok := partnerhub.ParseLang(strings.SplitN(rest, "/", 2)[0]); ok && rest != p {
			return l
		}
	}
	choice := ""
	if ck, err := r.Cookie(s.langCookieName(r)); err == nil {
		choice = ck.Value
	}
	return s.deps.Messages.Negotiate(choice, r.Header.Get("Accept-Language"))
}

// samlStartAny is each Choice's StartURL: the discovery page in the
// reader's language, or, with idp, that provider at once.
func (s *Server) samlStartAny(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := s.samlLang(r, q.Get("next"))
	path := "/signin/saml"
	if q.Get("idp") != "" {
		path += "/start"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.l(lang)+path+"?"+r.URL.RawQuery, http.StatusSeeOther)
}

// samlMetadata serves the service provider's metadata, for registration
// with a federation.
func (s *Server) samlMetadata(w http.ResponseWriter, r *http.Request) {
	if s.deps.SAML == nil {
		s.bilingualNotFound(w, r)
		return
	}
	b, err := s.deps.SAML.Metadata()
	if err != nil {
		s.deps.Logger.Error("saml metadata", "err", err)
		http.Error(w, "500", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="partnerhub-sp-metadata.xml"`)
	w.Write(b)
}

// ---- the discovery page ----------------------------------------------------

type samlIdPRow struct {
	EntityID string
	Name     string // in the page's language
	Other    string // in the other, when it differs
	Search   string // both names and the entity ID, lower case, for saml.js
	StartURL string
}

type samlDiscoveryData struct {
	IdPs []samlIdPRow
	Last *samlIdPRow
	Q    string
	Next string
	MFA  bool
}

func (s *Server) samlDiscovery(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	sp := s.deps.SAML
	if sp == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	q := r.URL.Query()
	next := q.Get("next")
	if next != "" && s.safeNext(next, v.Lang) != next {
		next = ""
	}
	d := &samlDiscoveryData{Q: strings.TrimSpace(q.Get("q")), Next: next, MFA: q.Get("mfa") == "1"}
	v.Query = nextQuery(next)
	last := ""
	if ck, err := r.Cookie(samlLastCookie); err == nil {
		last, _ = url.QueryUnescape(ck.Value)
	}
	needle := strings.ToLower(d.Q)
	for _, idp := range sp.IdPs() {
		row := s.samlRow(v.Lang, idp, next, d.MFA)
		if idp.EntityID == last {
			r := row
			d.Last = &r
		}
		if needle != "" && !strings.Contains(row.Search, needle) {
			continue
		}
		d.IdPs = append(d.IdPs, row)
	}
	return &page{Template: "saml_discovery", Title: v.P.T("saml.discovery_title"), Description: v.P.T("saml.discovery_intro"),
		Status: http.StatusOK, Data: d}, nil
}

func (s *Server) samlRow(lang partnerhub.Lang, idp sso.IdP, next string, mfa bool) samlIdPRow {
	name, _ := idp.Name.In(lang)
	other, _ := idp.Name.In(otherLang(lang))
	if other == name {
		other = ""
	}
	start := url.Values{"idp": {idp.EntityID}}
	if next != "" {
		start.Set("next", next)
	}
	if mfa {
		start.Set("mfa", "1")
	}
	return samlIdPRow{EntityID: idp.EntityID, Name: name, Other: other,
		Search:   strings.ToLower(name + " " + other + " " + idp.EntityID),
		StartURL: s.l(lang) + "/signin/saml/start?" + start.Encode()}
}

func otherLang(l partnerhub.Lang) partnerhub.Lang {
	if l == partnerhub.Japanese {
		return partnerhub.English
	}
	return partnerhub.Japanese
}

// ---- the request -----------------------------------------------------------

// samlPending is one sign-in waiting for the identity provider's answer,
// kept in the browser that began it (a cookie named after the RelayState):
// the answer is accepted only in that browser, for that request.
type samlPending struct {
	ID   string          `json:"id"`
	IdP  string          `json:"idp"`
	Next string          `json:"next,omitempty"`
	Lang partnerhub.Lang `json:"lang"`
	MFA  bool            `json:"mfa,omitempty"`
}

// samlStart sends the browser to the chosen identity provider.
func (s *Server) samlStart(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	sp := s.deps.SAML
	if sp == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	q := r.URL.Query()
	next := q.Get("next")
	if next != "" && s.safeNext(next, v.Lang) != next {
		next = ""
	}
	entityID := q.Get("idp")
	mfa := q.Get("mfa") == "1"
	var nonce [16]byte
	rand.Read(nonce[:])
	relay := base64.RawURLEncoding.EncodeToString(nonce[:])
	req, err := sp.Start(entityID, relay, mfa)
	if err != nil {
		var e *partnerhub.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, err
	}
	b, _ := json.Marshal(samlPending{ID: req.ID, IdP: entityID, Next: next, Lang: v.Lang, MFA: mfa})
	// The identity provider's answer comes back as a cross-site POST:
	// a Lax cookie stays behind, so over HTTPS it is SameSite=None
	// (Secure). Over plain HTTP (development, tests) browsers refuse
	// None without Secure; Lax is all there is, and works when the
	// identity provider is on the same site.
	same, secure := http.SameSiteLaxMode, s.secureRequest(r)
	if secure {
		same = http.SameSiteNoneMode
	}
	http.SetCookie(w, &http.Cookie{Name: samlRequestCookie + relay, Value: base64.RawURLEncoding.EncodeToString(b),
		Path: s.deps.Prefix + "/saml/", MaxAge: int(samlTTL.Seconds()), HttpOnly: true, Secure: secure, SameSite: same})
	http.SetCookie(w, &http.Cookie{Name: samlLastCookie, Value: url.QueryEscape(entityID), Path: s.cookiePath(),
		MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, req.URL, http.StatusSeeOther)
	return nil, nil
}

// ---- the answer ------------------------------------------------------------

type samlRefusedData struct {
	Message string
	Retry   string // the discovery page
}

// samlACS is the assertion consumer service: it checks the identity
// provider's answer and hands the person to federatedSignIn.
func (s *Server) samlACS(w http.ResponseWriter, r *http.Request) {
	sp := s.deps.SAML
	if sp == nil {
		s.bilingualNotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	relay := r.PostFormValue("RelayState")
	var pending samlPending
	if relayStatePattern.MatchString(relay) {
		if ck, err := r.Cookie(samlRequestCookie + relay); err == nil {
			if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil {
				json.Unmarshal(b, &pending)
			}
		}
		// The request is answered once, whatever the answer.
		http.SetCookie(w, &http.Cookie{Name: samlRequestCookie + relay, Value: "", Path: s.deps.Prefix + "/saml/", MaxAge: -1,
			HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	}
	lang := pending.Lang
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		lang = s.samlLang(r, "")
	}
	if pending.ID == "" {
		// No request of this browser's: unsolicited, expired, begun in
		// another browser, or posted by someone else.
		s.samlRefuse(w, r, lang, &sso.Refusal{Reason: "request", Err: errors.New("no pending request for this RelayState in this browser")})
		return
	}
	id, sess, err := sp.Consume(r, sso.Answer{IdP: pending.IdP, RequestID: pending.ID, MFA: pending.MFA, Now: s.deps.Now(), Replay: s.deps.SAMLReplay})
	if err != nil {
		var ref *sso.Refusal
		if !errors.As(err, &ref) {
			ref = &sso.Refusal{Reason: "invalid", Err: err}
		}
		s.samlRefuse(w, r, lang, ref)
		return
	}
	s.logSecurity(r, "saml_accepted", "idp", id.Provider, "subject", id.Subject, "mfa", id.MFA)
	if b, err := json.Marshal(sess); err == nil {
		http.SetCookie(w, &http.Cookie{Name: samlSessionCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: s.cookiePath(),
			MaxAge: int(s.deps.SessionTTL.Seconds()), HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	}
	if err := s.federatedSignIn(w, r, lang, id, pending.Next); err != nil {
		v := s.accountView(r, lang, "/signin/saml", "", nil)
		s.logRefusal(r, err)
		s.privatePage(w, r, v, s.errorPage(v, err))
	}
}

// samlRefuse answers an identity provider's answer refused: a page that
// says why in the person's language, and a line in the security log.
func (s *Server) samlRefuse(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang, ref *sso.Refusal) {
	s.logSecurity(r, "saml_refused", "reason", ref.Reason, "err", ref.Err.Error())
	status := http.StatusForbidden
	switch ref.Reason {
	case "expired", "invalid", "identity", "status", "mfa":
		status = http.StatusBadRequest
	}
	v := s.accountView(r, lang, "/signin/saml", "", nil)
	s.privatePage(w, r, v, &page{Template: "saml_refused", Title: v.P.T("saml.refused_title"), Status: status,
		Data: &samlRefusedData{Message: v.P.T("saml.refused." + ref.Reason), Retry: s.l(lang) + "/signin/saml"}})
}

// ---- single logout ---------------------------------------------------------

type samlSignedOutData struct {
	IdP       string
	LogoutURL string
}

// samlLogout is sign-out's SAML single logout (the logout hook of
// web/sso.go), called once the local session has ended: when the sign-in
// came through an identity provider that offers single logout, it answers
// with the page that offers to end that session too (a link, not a
// redirect: the sign-out form may lead only to this site, CSP form-action)
// and reports true; else it leaves the answer to sign-out.
func (s *Server) samlLogout(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, _ *partnerhub.User) (bool, error) {
	ck, err := r.Cookie(samlSessionCookie)
	if err != nil || s.deps.SAML == nil {
		return false, nil
	}
	http.SetCookie(w, &http.Cookie{Name: samlSessionCookie, Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	var sess sso.SAMLSession
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || json.Unmarshal(b, &sess) != nil {
		return false, nil
	}
	u, err := s.deps.SAML.Logout(sess, string(l))
	if err != nil {
		s.deps.Logger.Warn("saml logout", "err", err)
		return false, nil
	}
	if u == "" {
		return false, nil
	}
	idp, _ := s.deps.SAML.IdP(sess.IdP)
	name, _ := idp.Name.In(l)
	v := s.accountView(r, l, "/", "", nil)
	s.privatePage(w, r, v, &page{Template: "saml_signedout", Title: v.P.T("saml.signedout_title"), Status: http.StatusOK,
		Data: &samlSignedOutData{IdP: name, LogoutURL: u}})
	return true, nil
}

// samlSLO is where the identity provider sends the browser back after
// single logout: the RelayState is the language to land in.
func (s *Server) samlSLO(w http.ResponseWriter, r *http.Request) {
	lang, ok := partnerhub.ParseLang(r.URL.Query().Get("RelayState"))
	if !ok {
		lang = s.samlLang(r, "")
	}
	if r.URL.Query().Get("SAMLRequest") != "" {
		// Logout begun at the identity provider is not supported: the
		// session here ends at its own time, or by signing out here.
		s.logSecurity(r, "saml_logout_request_ignored")
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.l(lang)+"/", http.StatusSeeOther)
}
