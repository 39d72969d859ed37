package web

// Second factors in the browser: enrolment on the account pages (an
// authenticator app, recovery codes, passkeys) and the gate that keeps an
// administrator without one from everything else. The second step of
// sign-in is in mfa_signin.go.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"partnerhub"
	"partnerhub/authn"
)

const (
	// ceremonyTTL is how long a half-done sign-in or passkey registration
	// waits.
	ceremonyTTL = 5 * time.Minute
	// maxCeremonyBody bounds a WebAuthn answer: a few kilobytes in
	// practice.
	maxCeremonyBody = 64 << 10
	// totpIssuer names the site in authenticator apps.
	totpIssuer = "partnerhub"
)

// ---- the gate --------------------------------------------------------------

// mustEnrol reports whether u may do nothing but enrol a second factor: a
// user without one whom Deps.MFARequired names. The private pages, the
// account pages and the API all ask it. A failure to look is a refusal.
func (s *Server) mustEnrol(r *http.Request, u *partnerhub.User) bool {
	if s.deps.MFA == nil || !s.deps.MFARequired.Needs(u) || u.SessionMFA {
		// SessionMFA: the identity provider vouched for a second factor.
		return false
	}
	f, err := s.deps.MFA.Factors(r.Context(), u.ID)
	if err != nil {
		s.deps.Logger.Error("factors", "path", r.URL.Path, "err", err)
		return true
	}
	return !f.Any()
}

// enrolKey picks the message of an administrator, of a guest (who always
// must enrol), or of anyone else held because everyone must enrol.
func enrolKey(u *partnerhub.User, admin, everyone, guest string) string {
	switch {
	case partnerhub.MustHaveFactor(u):
		return admin
	case u != nil && u.Role == partnerhub.RoleGuest:
		return guest
	}
	return everyone
}

// enrolPages serves the pages of one's second factors: like accountPages,
// for the holder of a session only, but open to those the gate holds.
func (s *Server) enrolPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.sessionUser(r)
		if u == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, s.signinURL(lang, s.l(lang)+"/account/mfa"), http.StatusSeeOther)
			return
		}
		if step := s.accountGate(r, u); step != nil && step.path != "/account/mfa" && s.pageGate(w, r, lang, u) {
			return
		}
		if s.deps.MFA == nil {
			s.answer(w, r, s.accountView(r, lang, "/account", "", u), func(http.ResponseWriter, *http.Request, *view) (*page, error) {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			})
			return
		}
		v := s.accountView(r, lang, "/account/mfa", "", u)
		s.answer(w, r, v, h)
	})
}

// ---- the enrolment page ----------------------------------------------------

type mfaData struct {
	User      *partnerhub.User
	Factors   partnerhub.Factors
	MustEnrol bool // a user held without a factor: why they are here
	// EnrolKey is the message that says why: administrators are held
	// whatever the setting, others only when everyone is.
	EnrolKey string
	// Secret is the pending TOTP secret in groups of four, for typing.
	Secret string
	// Codes are recovery codes just made, shown on this answer only.
	Codes    []string
	Passkeys []passkeyRow
	Notice   string
	Errors   map[string]string
}

type passkeyRow struct {
	ID                int64
	Name              string
	Created, Used     string
	CreatedAt, UsedAt string
}

func (s *Server) mfaView(r *http.Request, v *view, d *mfaData, status int) (*page, error) {
	f, err := s.deps.MFA.Factors(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	d.User, d.Factors = v.User, f
	d.MustEnrol = s.deps.MFARequired.Needs(v.User) && !f.Any()
	d.EnrolKey = enrolKey(v.User, "mfa.must_enrol", "mfa.must_enrol_everyone", "mfa.must_enrol_guest")
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if f.TOTPPending {
		secret, err := s.deps.MFA.PendingTOTP(r.Context(), v.User.ID)
		if err != nil {
			return nil, err
		}
		d.Secret = groupSecret(secret)
	}
	for _, p := range f.Passkeys {
		row := passkeyRow{ID: p.ID, Name: p.Name}
		row.Created, row.CreatedAt = stamp(&p.CreatedAt)
		row.Used, row.UsedAt = stamp(p.LastUsedAt)
		d.Passkeys = append(d.Passkeys, row)
	}
	return &page{Template: "mfa", Title: v.P.T("mfa.title"), Description: v.P.T("mfa.description"), Status: status, Data: d}, nil
}

// groupSecret writes a base32 secret in groups of four letters.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	d := &mfaData{}
	switch r.URL.Query().Get("done") {
	case "passkey":
		d.Notice = v.P.T("mfa.passkey_added")
	}
	return s.mfaView(r, v, d, http.StatusOK)
}

// afterEnrol redirects to the enrolment page after a change.
func afterEnrol(w http.ResponseWriter, r *http.Request, v *view, anchor string) (*page, error) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account/mfa"+anchor, http.StatusSeeOther)
	return nil, nil
}

// parseAccountForm reads a small form of the account pages.
func parseAccountForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	return nil
}

// ---- TOTP ------------------------------------------------------------------

// totpStart makes a new secret, pending until a code of it is entered.
func (s *Server) totpStart(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	secret, _, err := authn.NewTOTP(totpIssuer, v.User.Email)
	if err != nil {
		return nil, err
	}
	if err := s.deps.MFA.StartTOTP(r.Context(), v.User.ID, secret, time.Now()); err != nil {
		return nil, err
	}
	return afterEnrol(w, r, v, "#totp")
}

// totpQR is the QR code of the pending secret, an image of this site (the
// Content-Security-Policy allows no data: URL).
func (s *Server) totpQR(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	secret, err := s.deps.MFA.PendingTOTP(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	png, err := authn.TOTPQR(totpIssuer, v.User.Email, secret, 240)
	if err != nil {
		return nil, err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	w.Write(png)
	return nil, nil
}

// totpConfirm takes the pending secret once the user enters a code of it,
// and, for a user without recovery codes, shows their first ones.
func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	if err := parseAccountForm(w, r); err != nil {
		return nil, err
	}
	d := &mfaData{Errors: map[string]string{}}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	now := time.Now()
	if code == "" {
		d.Errors["code"] = v.P.Field(partnerhub.FieldError{Key: "required"})
		return s.mfaView(r, v, d, http.StatusBadRequest)
	}
	ok, err := s.deps.MFA.CheckTOTP(r.Context(), v.User.ID, true, now, func(secret string) (int64, bool) {
		return authn.TOTPStep(secret, code, now)
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		d.Errors["code"] = v.P.T("mfa.wrong_code")
		return s.mfaView(r, v, d, http.StatusBadRequest)
	}
	s.logSecurity(r, "mfa_factor_added", "factor", "totp")
	d.Notice = v.P.T("mfa.totp_added")
	if err := s.firstRecoveryCodes(r, v.User.ID, d, now); err != nil {
		return nil, err
	}
	return s.mfaView(r, v, d, http.StatusOK)
}

// firstRecoveryCodes makes recovery codes for a user who has none, into d.
func (s *Server) firstRecoveryCodes(r *http.Request, userID int64, d *mfaData, now time.Time) error {
	f, err := s.deps.MFA.Factors(r.Context(), userID)
	if err != nil || f.RecoveryLeft > 0 {
		return err
	}
	codes, hashes := authn.NewRecoveryCodes()
	if err := s.deps.MFA.SetRecoveryCodes(r.Context(), userID, hashes, now); err != nil {
		return err
	}
	s.logSecurity(r, "mfa_recovery_regenerated")
	d.Codes = codes
	return nil
}

// totpRemove removes the authenticator app, given a current code of it or
// the password: a session left open on a shared computer is not enough.
func (s *Server) totpRemove(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	if err := parseAccountForm(w, r); err != nil {
		return nil, err
	}
	d := &mfaData{Errors: map[string]string{}}
	code, password := strings.TrimSpace(r.PostForm.Get("code")), r.PostForm.Get("password")
	now := time.Now()
	proved := false
	switch {
	case code != "":
		ok, err := s.deps.MFA.CheckTOTP(r.Context(), v.User.ID, false, now, func(secret string) (int64, bool) {
			return authn.TOTPStep(secret, code, now)
		})
		if err != nil {
			return nil, err
		}
		proved = ok
		if !ok {
			d.Errors["remove"] = v.P.T("mfa.wrong_code")
		}
	case password != "" && s.deps.Authenticator != nil:
		_, err := s.deps.Authenticator.Authenticate(r.Context(), s.home(r), partnerhub.Credentials{
			Email: v.User.Email, Password: password, IP: clientIP(r, s.deps.TrustedProxies), At: now})
		var e *partnerhub.Error
		switch {
		case err == nil:
			proved = true
		case errors.As(err, &e) && (e.Code == partnerhub.EUnauthorized || e.Code == partnerhub.ETooMany):
			d.Errors["remove"] = v.P.Error(e)
		default:
			return nil, err
		}
	default:
		d.Errors["remove"] = v.P.T("mfa.remove_proof")
	}
	if !proved {
		s.logSecurity(r, "mfa_remove_refused", "factor", "totp")
		return s.mfaView(r, v, d, http.StatusBadRequest)
	}
	if err := s.deps.MFA.RemoveTOTP(r.Context(), v.User.ID, s.deps.MFARequired.Needs(v.User)); err != nil {
		if e := (*partnerhub.Error)(nil); errors.As(err, &e) && e.Code == partnerhub.EConflict {
			d.Errors["remove"] = v.P.Error(e)
			return s.mfaView(r, v, d, http.StatusConflict)
		}
		return nil, err
	}
	s.logSecurity(r, "mfa_factor_removed", "factor", "totp")
	return afterEnrol(w, r, v, "#totp")
}

// recoveryRegenerate replaces the recovery codes and shows the new ones
// once.
func (s *Server) recoveryRegenerate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	f, err := s.deps.MFA.Factors(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	if !f.Any() {
		return nil, partnerhub.Errorf(partnerhub.EConflict, "mfa.recovery_needs_factor")
	}
	codes, hashes := authn.NewRecoveryCodes()
	if err := s.deps.MFA.SetRecoveryCodes(r.Context(), v.User.ID, hashes, time.Now()); err != nil {
		return nil, err
	}
	s.logSecurity(r, "mfa_recovery_regenerated")
	return s.mfaView(r, v, &mfaData{Codes: codes}, http.StatusOK)
}

// ---- passkeys --------------------------------------------------------------

// passkeyRemove removes one of the user's passkeys.
func (s *Server) passkeyRemove(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/mfa"); done || err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "mfa.no_passkey")
	}
	if err := s.deps.MFA.RemovePasskey(r.Context(), v.User.ID, id, s.deps.MFARequired.Needs(v.User)); err != nil {
		if e := (*partnerhub.Error)(nil); errors.As(err, &e) && e.Code == partnerhub.EConflict {
			return s.mfaView(r, v, &mfaData{Errors: map[string]string{"passkeys": v.P.Error(e)}}, http.StatusConflict)
		}
		return nil, err
	}
	s.logSecurity(r, "mfa_factor_removed", "factor", "passkey", "passkey", id)
	return afterEnrol(w, r, v, "#passkeys")
}

// waUser is a user as the WebAuthn library sees them. The user handle is
// the account's number: no name or address goes into authenticators.
type waUser struct {
	u     *partnerhub.User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte                         { return []byte(strconv.FormatInt(w.u.ID, 10)) }
func (w waUser) WebAuthnName() string                       { return w.u.Email }
func (w waUser) WebAuthnDisplayName() string                { return w.u.Name }
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// webAuthnUser loads a user's passkeys for a ceremony.
func (s *Server) webAuthnUser(r *http.Request, u *partnerhub.User) (waUser, error) {
	f, err := s.deps.MFA.Factors(r.Context(), u.ID)
	if err != nil {
		return waUser{}, err
	}
	wu := waUser{u: u}
	for _, p := range f.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			return waUser{}, err
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, nil
}

// webAuthn is the relying party: this site as its base URL names it, so
// that a passkey made here works nowhere else and a request's Host, which
// the client chooses, plays no part.
func (s *Server) webAuthn() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.deps.BaseURL)
	if err != nil {
		return nil, err
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: totpIssuer, RPOrigins: []string{s.deps.BaseURL}})
}

// ceremonyHandler answers a step of a WebAuthn ceremony in JSON.
type ceremonyHandler func(w http.ResponseWriter, r *http.Request) (any, error)

// ceremony serves the JSON steps that mfa.js calls: their errors are the
// API's, their answers never cached.
func (s *Server) ceremony(h ceremonyHandler) http.Handler {
	// Not s.api: its gate would hold an administrator who is enrolling.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.ceremonyStep(w, r, h); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) ceremonyStep(w http.ResponseWriter, r *http.Request, h ceremonyHandler) error {
	w.Header().Set("Cache-Control", "no-store")
	if s.deps.MFA == nil || s.deps.Accounts == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCeremonyBody)
	out, err := h(w, r)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}

// registration is what a passkey's registration keeps between its steps.
type registration struct {
	Name    string               `json:"name"`
	Session webauthn.SessionData `json:"session"`
}

const registerCookie = "ph_passkey"

// passkeyRegisterBegin checks the passkey's name and returns the options
// for navigator.credentials.create.
func (s *Server) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) (any, error) {
	u := s.sessionUser(r)
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if err := s.reauthJSON(r); err != nil {
		return nil, err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		errs := partnerhub.FieldErrors{}
		errs.Add("name", "required")
		return nil, errs.Err()
	}
	if n := len([]rune(in.Name)); n > 100 {
		errs := partnerhub.FieldErrors{}
		errs.Add("name", "too_long_chars", 100)
		return nil, errs.Err()
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(r, u)
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, len(wu.creds))
	for i, c := range wu.creds {
		exclude[i] = c.Descriptor()
	}
	creation, session, err := wa.BeginRegistration(wu,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(registration{Name: in.Name, Session: *session})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	token, err := s.deps.MFA.CreateChallenge(r.Context(), u.ID, partnerhub.ChallengeRegister, string(data), now, ceremonyTTL)
	if err != nil {
		return nil, err
	}
	s.setCeremonyCookie(w, r, registerCookie, token, now.Add(ceremonyTTL))
	return creation, nil
}

// passkeyRegisterFinish checks the authenticator's answer and keeps the
// passkey.
func (s *Server) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) (any, error) {
	u := s.sessionUser(r)
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if err := s.reauthJSON(r); err != nil {
		return nil, err
	}
	ck, err := r.Cookie(s.cookieName(r, registerCookie))
	if err != nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.ceremony_expired")
	}
	now := time.Now()
	c, err := s.deps.MFA.Challenge(r.Context(), ck.Value, partnerhub.ChallengeRegister, now)
	if err != nil || c.UserID != u.ID {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "mfa.ceremony_expired")
	}
	// One answer per ceremony, right or wrong.
	if err := s.deps.MFA.DeleteChallenge(r.Context(), ck.Value); err != nil {
		return nil, err
	}
	s.clearCeremonyCookie(w, r, registerCookie)
	var reg registration
	if err := json.Unmarshal([]byte(c.Data), &reg); err != nil {
		return nil, err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(r, u)
	if err != nil {
		return nil, err
	}
	cred, err := wa.FinishRegistration(wu, reg.Session, r)
	if err != nil {
		s.logSecurity(r, "mfa_passkey_refused", "reason", webauthnReason(err))
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "mfa.passkey_failed")
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	p, err := s.deps.MFA.AddPasskey(r.Context(), partnerhub.Passkey{UserID: u.ID, Name: reg.Name, CredentialID: cred.ID, Credential: raw, CreatedAt: now})
	if err != nil {
		return nil, err
	}
	s.logSecurity(r, "mfa_factor_added", "factor", "passkey", "passkey", p.ID)
	lang := s.langFor(r)
	return map[string]string{"redirect": s.l(lang) + "/account/mfa?done=passkey#passkeys"}, nil
}

// webauthnReason is what the log keeps of a refused ceremony: the library's
// error type, never the data.
func webauthnReason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Type
	}
	return "invalid"
}

func (s *Server) setCeremonyCookie(w http.ResponseWriter, r *http.Request, name, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, name), Value: token, Path: s.cookiePath(), Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
}

func (s *Server) clearCeremonyCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r, name), Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(r)})
}
