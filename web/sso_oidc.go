package web

// OpenID Connect sign-in (sso/oidc.go does the protocol): the start, which
// sends the browser to the provider with a sealed flow cookie, and the
// callback (the redirect URI registered at the provider), which checks the
// provider's answer against that cookie and hands the identity to
// federatedSignIn. Whatever goes wrong ends on a bilingual page that says
// what happened, and in the security log.

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"os"
	"regexp"
	"strings"

	"partnerhub"
	"partnerhub/sso"
)

// oidcFlowCookie holds a sign-in's flow while the browser is at the
// provider (sso/oidc_flow.go says why a cookie).
const oidcFlowCookie = "ph_oidc"

// startOIDC makes the relying party of the providers single sign-on's
// configuration names, unless the caller gave one (Deps.OIDC), and starts
// their discovery in the background for as long as ctx lasts (serve's
// life). A client secret named by client_secret_env is read from the
// process's environment.
func (s *Server) startOIDC(ctx context.Context) error {
	if s.deps.OIDC != nil || s.deps.SSO == nil || len(s.deps.SSO.OIDC) == 0 {
		return nil
	}
	rp, err := sso.NewRelyingParty(s.deps.SSO.OIDC, os.Getenv, nil, s.deps.Logger)
	if err != nil {
		return err
	}
	rp.Discover(ctx)
	s.deps.OIDC = rp
	return nil
}

func (s *Server) oidcChoices() []sso.Choice {
	var out []sso.Choice
	for _, c := range s.deps.OIDC.Clients() {
		out = append(out, sso.Choice{ID: "oidc-" + c.Config.ID, Protocol: sso.OIDC, Name: c.Config.Name,
			StartURL: s.deps.Prefix + "/sso/oidc/" + c.Config.ID})
	}
	return out
}

// oidcRedirectURL is the provider's redirect URI for this site: the one
// to register with it.
func (s *Server) oidcRedirectURL(id string) string {
	return s.base() + "/sso/oidc/" + id + "/callback"
}

// oidcLang is the language of a sign-in's pages: next's, else the
// reader's choice or browser's.
func (s *Server) oidcLang(r *http.Request, next string) partnerhub.Lang {
	for _, l := range partnerhub.Langs {
		if next == s.l(l) || strings.HasPrefix(next, s.l(l)+"/") {
			return l
		}
	}
	choice := ""
	if ck, err := r.Cookie(s.langCookieName(r)); err == nil {
		choice = ck.Value
	}
	return s.deps.Messages.Negotiate(choice, r.Header.Get("Accept-Language"))
}

// oidcView is the view of a sign-in's pages: their language switch leads
// to the sign-in page.
func (s *Server) oidcView(r *http.Request, lang partnerhub.Lang) *view {
	return s.accountView(r, lang, "/signin", "", s.sessionUser(r))
}

// oidcStart begins a sign-in at the provider named in the path.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	lang := s.oidcLang(r, next)
	if next != "" && s.safeNext(next, lang) != next {
		next = ""
	}
	v := s.oidcView(r, lang)
	s.answer(w, r, v, func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		c := s.deps.OIDC.Client(r.PathValue("provider"))
		if c == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		now := s.deps.Now()
		authURL, f, err := c.Begin(r.Context(), s.oidcRedirectURL(c.Config.ID),
			sso.Flow{Next: next, Lang: string(lang), Expires: now.Add(sso.OIDCFlowTTL).Unix()})
		if err != nil {
			return s.oidcFailed(r, v, c, oidcReasonOf(err), err)
		}
		sealed, err := c.Seal(f)
		if err != nil {
			return nil, err
		}
		http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, oidcFlowCookie), Value: sealed, Path: s.cookiePath(),
			MaxAge: int(sso.OIDCFlowTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
		w.Header().Set("Cache-Control", "no-store")
		name, _ := c.Config.Name.In(lang)
		// Not a redirect: a page that moves on. The invitation's and the
		// account page's choices are forms, which reach here by their
		// redirect; a form's redirect to another site is blocked by the
		// pages' CSP (form-action 'self'), a page's own navigation is not.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return nil, oidcContinue.Execute(w, map[string]string{"Lang": string(lang), "URL": authURL,
			"Title": v.P.T("sso_oidc.continue_title", name), "Label": v.P.T("sso_oidc.continue", name)})
	})
}

// oidcContinue is the page that sends the browser on to the provider, at
// once (and by its link, where refresh is turned off).
var oidcContinue = template.Must(template.New("continue").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={{.URL}}"><title>{{.Title}}</title></head>
<body><main><h1>{{.Title}}</h1><p><a href="{{.URL}}">{{.Label}}</a></p></main></body></html>
`))

// oidcCallback is the provider's answer. The flow cookie is cleared
// whatever it says: a flow ends once.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	// The query holds the code: nothing this page links to learns it.
	w.Header().Set("Referrer-Policy", "no-referrer")
	c := s.deps.OIDC.Client(r.PathValue("provider"))
	var (
		f       sso.Flow
		flowErr error = errors.New("no flow cookie")
	)
	if ck, err := r.Cookie(s.cookieName(r, oidcFlowCookie)); err == nil && c != nil {
		f, flowErr = c.Open(ck.Value, s.deps.Now())
		http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, oidcFlowCookie), Value: "", Path: s.cookiePath(), MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
	}
	lang, ok := partnerhub.ParseLang(f.Lang)
	if !ok {
		lang = s.oidcLang(r, "")
	}
	v := s.oidcView(r, lang)
	s.answer(w, r, v, func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if c == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		q := r.URL.Query()
		if flowErr != nil {
			return s.oidcFailed(r, v, c, "no_flow", flowErr)
		}
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
			return s.oidcFailed(r, v, c, "state", errors.New("the state is not the flow's"))
		}
		if e := q.Get("error"); e != "" {
			return s.oidcFailed(r, v, c, "provider:"+oidcErrorCode(e), errors.New("the provider answered "+oidcErrorCode(e)))
		}
		code := q.Get("code")
		if code == "" {
			return s.oidcFailed(r, v, c, "no_code", errors.New("no code"))
		}
		id, err := c.Finish(r.Context(), s.oidcRedirectURL(c.Config.ID), f, code)
		if err != nil {
			return s.oidcFailed(r, v, c, oidcReasonOf(err), err)
		}
		s.logSecurity(r, "oidc_verified", "provider", c.Config.ID, "issuer", id.Provider, "subject", id.Subject, "mfa", id.MFA)
		return nil, s.federatedSignIn(w, r, lang, id, f.Next)
	})
}

// oidcErrorCodes is what an OAuth error code may look like (RFC 6749
// 4.1.2.1): anything else is not repeated to the log or the page.
var oidcErrorCodes = regexp.MustCompile(`^[a-z_]{1,64}$`)

func oidcErrorCode(e string) string {
	if oidcErrorCodes.MatchString(e) {
		return e
	}
	return "other"
}

func oidcReasonOf(err error) string {
	var e *sso.OIDCError
	if errors.As(err, &e) {
		return e.Reason
	}
	return "internal"
}

// oidcFailure says, for each reason a sign-in fails, its message and its
// status. A provider's own error codes are "provider:<code>".
func oidcFailure(reason string) (key string, args []any, status int) {
	switch reason {
	case "no_flow", "state", "no_code", sso.OIDCCodeRefused, sso.OIDCTokenInvalid, sso.OIDCNonce:
		return "sso_oidc.reason." + reason, nil, http.StatusBadRequest
	case sso.OIDCClaimsMissing, sso.OIDCProviderFailed:
		return "sso_oidc.reason." + reason, nil, http.StatusBadGateway
	case sso.OIDCUnreachable:
		return "sso_oidc.reason.unreachable", nil, http.StatusServiceUnavailable
	case "provider:access_denied":
		return "sso_oidc.provider.access_denied", nil, http.StatusForbidden
	case "provider:login_required", "provider:interaction_required", "provider:consent_required", "provider:account_selection_required":
		return "sso_oidc.provider.interaction", nil, http.StatusForbidden
	case "provider:temporarily_unavailable", "provider:server_error":
		return "sso_oidc.provider.unavailable", []any{strings.TrimPrefix(reason, "provider:")}, http.StatusServiceUnavailable
	}
	if code, ok := strings.CutPrefix(reason, "provider:"); ok {
		return "sso_oidc.provider.other", []any{code}, http.StatusBadGateway
	}
	return "sso_oidc.reason.internal", nil, http.StatusInternalServerError
}

// ssoFailedData is the bilingual page of a failed sign-in: the reader's
// language first, then the other.
type ssoFailedData struct{ Messages []ssoFailedMessage }

type ssoFailedMessage struct {
	Lang                       partnerhub.Lang
	Title, Text, Signin, Label string
}

// oidcFailed logs a refused sign-in (the reason and the error, never the
// code or a token) and answers its page.
func (s *Server) oidcFailed(r *http.Request, v *view, c *sso.OIDCClient, reason string, err error) (*page, error) {
	s.logSecurity(r, "oidc_refused", "provider", c.Config.ID, "reason", reason, "err", err.Error())
	key, args, status := oidcFailure(reason)
	d := &ssoFailedData{}
	for _, l := range []partnerhub.Lang{v.Lang, v.Other} {
		p := s.deps.Messages.Printer(l)
		name, _ := c.Config.Name.In(l)
		d.Messages = append(d.Messages, ssoFailedMessage{Lang: l, Title: p.T("sso_oidc.failed_title", name), Text: p.T(key, args...),
			Signin: s.l(l) + "/signin", Label: p.T("sso_oidc.again")})
	}
	return &page{Template: "sso_failed", Title: d.Messages[0].Title, Status: status, Data: d}, nil
}
