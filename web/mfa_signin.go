package web

// The second step of sign-in. After a right password, a user with a second
// factor gets no session but a ceremony (store: mfa_challenges) named by a
// cookie, valid for ceremonyTTL; the session starts when a code, a recovery
// code or a passkey proves the factor. Wrong codes count against the
// ceremony (MaxCodeFailures, then the password again) and against the
// user and the client's address, as sign-in failures do.

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"partnerhub"
	"partnerhub/authn"
)

const signinCookie = "ph_signin"

// secondStep starts the second step for u, if they have a factor, and
// sends the browser to it; done reports that it did.
func (s *Server) secondStep(w http.ResponseWriter, r *http.Request, v *view, u *partnerhub.User, next string, now time.Time) (done bool, err error) {
	if s.deps.MFA == nil {
		return false, nil
	}
	f, err := s.deps.MFA.Factors(r.Context(), u.ID)
	if err != nil || !f.Any() {
		return false, err
	}
	token, err := s.deps.MFA.CreateChallenge(r.Context(), u.ID, partnerhub.ChallengeSignin, "", now, ceremonyTTL)
	if err != nil {
		return false, err
	}
	s.setCeremonyCookie(w, r, signinCookie, token, now.Add(ceremonyTTL))
	s.logSecurity(r, "signin_second_step", "account", u.Email, "user", u.ID)
	w.Header().Set("Cache-Control", "no-store")
	to := v.L() + "/signin/factor"
	if q := nextQuery(next); q != "" {
		to += "?" + q
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true, nil
}

// pendingSignin is a sign-in between its two steps.
type pendingSignin struct {
	token   string
	c       *partnerhub.MFAChallenge
	user    *partnerhub.User
	factors partnerhub.Factors
}

// pending finds the sign-in the request's cookie names; nil when there is
// none, or it expired.
func (s *Server) pending(r *http.Request, now time.Time) (*pendingSignin, error) {
	if s.deps.MFA == nil || s.deps.Accounts == nil {
		return nil, nil
	}
	ck, err := r.Cookie(s.cookieName(r, signinCookie))
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	c, err := s.deps.MFA.Challenge(r.Context(), ck.Value, partnerhub.ChallengeSignin, now)
	if partnerhub.ErrorCode(err) == partnerhub.EUnauthorized {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.deps.MFA.UserByID(r.Context(), c.UserID)
	if partnerhub.ErrorCode(err) == partnerhub.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled || u.Home != s.home(r) {
		return nil, nil
	}
	f, err := s.deps.MFA.Factors(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return &pendingSignin{token: ck.Value, c: c, user: u, factors: f}, nil
}

// throttleKey is the name wrong codes of a user are counted under, among
// sign-in failures: not the address, whose failures a right password
// forgets.
func throttleKey(u *partnerhub.User) string { return "mfa:" + strconv.FormatInt(u.ID, 10) }

// throttledFactor refuses a user, or an address, with too many wrong codes
// or passwords lately.
func (s *Server) throttledFactor(r *http.Request, p *pendingSignin, now time.Time) error {
	byUser, byIP, err := s.deps.MFA.CountFailures(r.Context(), throttleKey(p.user), clientIP(r, s.deps.TrustedProxies), now.Add(-authn.CodeFailureWindow))
	if err != nil {
		return err
	}
	if byUser >= authn.MaxCodeFailuresPerUser || byIP >= authn.MaxCodeFailuresPerIP {
		s.logSecurity(r, "mfa_throttled", "account", p.user.Email, "user", p.user.ID)
		return partnerhub.Errorf(partnerhub.ETooMany, "error.signin_throttled", int(authn.CodeFailureWindow/time.Minute))
	}
	return nil
}

// failFactor counts a wrong code or a refused passkey; over
// MaxCodeFailures the ceremony ends (over reports it).
func (s *Server) failFactor(w http.ResponseWriter, r *http.Request, p *pendingSignin, factor string, now time.Time) (over bool, err error) {
	if err := s.deps.MFA.RecordFailure(r.Context(), throttleKey(p.user), clientIP(r, s.deps.TrustedProxies), now, now.Add(-24*time.Hour)); err != nil {
		return false, err
	}
	n, err := s.deps.MFA.FailChallenge(r.Context(), p.token)
	if err != nil && partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
		return false, err
	}
	s.logSecurity(r, "mfa_failed", "account", p.user.Email, "user", p.user.ID, "factor", factor, "failures", n)
	if n < authn.MaxCodeFailures && err == nil {
		return false, nil
	}
	if err := s.deps.MFA.DeleteChallenge(r.Context(), p.token); err != nil {
		return false, err
	}
	s.clearCeremonyCookie(w, r, signinCookie)
	return true, nil
}

// completeSignin ends the ceremony and starts the session.
func (s *Server) completeSignin(w http.ResponseWriter, r *http.Request, p *pendingSignin, factor string, now time.Time) error {
	if err := s.deps.MFA.DeleteChallenge(r.Context(), p.token); err != nil {
		return err
	}
	s.clearCeremonyCookie(w, r, signinCookie)
	if ck, err := r.Cookie(s.sessionCookieName(r)); err == nil && ck.Value != "" {
		if err := s.deps.Accounts.DeleteSession(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	token, err := s.deps.Accounts.CreateSession(r.Context(), p.user.ID, now, s.sessionSpec(r, clientIP(r, s.deps.TrustedProxies)))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, token, now.Add(s.deps.SessionTTL))
	s.rememberMailLanguage(r, p.user.ID)
	s.logSecurity(r, "signed_in", "account", p.user.Email, "user", p.user.ID, "factor", factor)
	return nil
}

type factorData struct {
	Next        string
	TOTP        bool // the code field takes an app's code as well as a recovery code
	Passkeys    bool
	Alert       string
	Errors      map[string]string
	BeginURL    string // the passkey ceremony, for mfa.js
	FinishURL   string
	PasskeyFail string // what mfa.js says when the browser gives up
}

func (s *Server) factorPage(v *view, p *pendingSignin, next string, status int, d *factorData) *page {
	d.Next, d.TOTP, d.Passkeys = next, p.factors.TOTP, len(p.factors.Passkeys) > 0
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	base := v.L() + "/signin/factor/passkey/"
	d.BeginURL, d.FinishURL = base+"begin", base+"finish"
	if q := nextQuery(next); q != "" {
		d.FinishURL += "?" + q
	}
	d.PasskeyFail = v.P.T("mfa.passkey_failed")
	return &page{Template: "signin_factor", Title: v.P.T("mfa.signin_title"), Description: v.P.T("mfa.signin_description"), Status: status, Data: d}
}

// restartSignin sends a browser without a sign-in under way back to the
// password.
func restartSignin(w http.ResponseWriter, r *http.Request, v *view, next string) (*page, error) {
	w.Header().Set("Cache-Control", "no-store")
	to := v.L() + "/signin"
	if q := nextQuery(next); q != "" {
		to += "?" + q
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil, nil
}

func (s *Server) cleanNext(next string, lang partnerhub.Lang) string {
	if next != "" && s.safeNext(next, lang) != next {
		return ""
	}
	return next
}

func (s *Server) factorForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	next := s.cleanNext(r.URL.Query().Get("next"), v.Lang)
	v.Query = nextQuery(next)
	p, err := s.pending(r, time.Now())
	if err != nil {
		return nil, err
	}
	if p == nil {
		return restartSignin(w, r, v, next)
	}
	return s.factorPage(v, p, next, http.StatusOK, &factorData{}), nil
}

// totpShape is what an app's code looks like, spaces aside; anything else
// is taken for a recovery code.
var totpShape = regexp.MustCompile(`^[0-9]{6}$`)

func (s *Server) factorCode(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	formErr := r.ParseForm()
	next := s.cleanNext(r.PostForm.Get("next"), v.Lang)
	v.Query = nextQuery(next)
	now := time.Now()
	p, err := s.pending(r, now)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return restartSignin(w, r, v, next)
	}
	d := &factorData{Errors: map[string]string{}}
	if formErr != nil {
		d.Alert = v.P.T("error.invalid")
		return s.factorPage(v, p, next, http.StatusBadRequest, d), nil
	}
	if err := s.throttledFactor(r, p, now); err != nil {
		var e *partnerhub.Error
		if !errors.As(err, &e) || e.Code != partnerhub.ETooMany {
			return nil, err
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(authn.CodeFailureWindow.Seconds())))
		d.Alert = v.P.Error(e)
		return s.factorPage(v, p, next, http.StatusTooManyRequests, d), nil
	}
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	if code == "" {
		d.Errors["code"] = v.P.Field(partnerhub.FieldError{Key: "required"})
		return s.factorPage(v, p, next, http.StatusBadRequest, d), nil
	}
	factor, ok := "recovery", false
	if totpShape.MatchString(code) {
		factor = "totp"
		if p.factors.TOTP {
			ok, err = s.deps.MFA.CheckTOTP(r.Context(), p.user.ID, false, now, func(secret string) (int64, bool) {
				return authn.TOTPStep(secret, code, now)
			})
		}
	} else if len(code) <= 64 {
		ok, err = s.deps.MFA.UseRecoveryCode(r.Context(), p.user.ID, authn.RecoveryHash(code), now)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		over, err := s.failFactor(w, r, p, factor, now)
		if err != nil {
			return nil, err
		}
		if over {
			return s.signinPage(v, http.StatusUnauthorized, &signinData{Next: next, Alert: v.P.T("mfa.too_many_codes"), Errors: map[string]string{}}), nil
		}
		d.Errors["code"] = v.P.T("mfa.wrong_code")
		return s.factorPage(v, p, next, http.StatusUnauthorized, d), nil
	}
	if factor == "recovery" {
		s.logSecurity(r, "mfa_recovery_used", "account", p.user.Email, "user", p.user.ID)
	}
	if err := s.completeSignin(w, r, p, factor, now); err != nil {
		return nil, err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.safeNext(next, v.Lang), http.StatusSeeOther)
	return nil, nil
}

// passkeySigninBegin returns the options for navigator.credentials.get,
// limited to the user's passkeys.
func (s *Server) passkeySigninBegin(w http.ResponseWriter, r *http.Request) (any, error) {
	now := time.Now()
	p, err := s.pending(r, now)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.ceremony_expired")
	}
	if err := s.throttledFactor(r, p, now); err != nil {
		return nil, err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(r, p.user)
	if err != nil {
		return nil, err
	}
	if len(wu.creds) == 0 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "mfa.no_passkey")
	}
	assertion, session, err := wa.BeginLogin(wu)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	if err := s.deps.MFA.SetChallengeData(r.Context(), p.token, string(data)); err != nil {
		return nil, err
	}
	return assertion, nil
}

// passkeySigninFinish checks the authenticator's assertion and starts the
// session.
func (s *Server) passkeySigninFinish(w http.ResponseWriter, r *http.Request) (any, error) {
	now := time.Now()
	p, err := s.pending(r, now)
	if err != nil {
		return nil, err
	}
	if p == nil || p.c.Data == "" {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.ceremony_expired")
	}
	if err := s.throttledFactor(r, p, now); err != nil {
		return nil, err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal([]byte(p.c.Data), &session); err != nil {
		return nil, err
	}
	// The ceremony's challenge is spent, right or wrong.
	if err := s.deps.MFA.SetChallengeData(r.Context(), p.token, ""); err != nil {
		return nil, err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(r, p.user)
	if err != nil {
		return nil, err
	}
	cred, err := wa.FinishLogin(wu, session, r)
	if err == nil && cred.Authenticator.CloneWarning {
		err = errCloned
	}
	if err != nil {
		s.logSecurity(r, "mfa_passkey_refused", "reason", webauthnReason(err), "user", p.user.ID)
		if _, ferr := s.failFactor(w, r, p, "passkey", now); ferr != nil {
			return nil, ferr
		}
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.passkey_failed")
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	if err := s.deps.MFA.UpdatePasskey(r.Context(), p.user.ID, cred.ID, raw, now); err != nil {
		return nil, err
	}
	if err := s.completeSignin(w, r, p, "passkey", now); err != nil {
		return nil, err
	}
	lang := s.langFor(r)
	return map[string]string{"redirect": s.safeNext(s.cleanNext(r.URL.Query().Get("next"), lang), lang)}, nil
}

// errCloned refuses a passkey whose signature counter went back: a copy of
// it may exist.
var errCloned = partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.passkey_failed")
