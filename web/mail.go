package web

// Mail: the administrators' outbox page, and the language a user's mail is
// written in (package mail writes and sends it).

import (
	"context"
	"net/http"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/mail"
)

// MailBox is the store's side of mail that pages show and change.
type MailBox interface {
	// Outbox lists up to limit messages, waiting and failed first.
	Outbox(ctx context.Context, limit int) ([]mail.Entry, error)
	// MailLanguage is the language of a user's mail, and whether they
	// chose it (or their first sign-in did).
	MailLanguage(ctx context.Context, userID int64) (partnerhub.Lang, bool, error)
	// SetMailLanguage records it; with onlyIfUnset, a choice made is kept.
	SetMailLanguage(ctx context.Context, userID int64, lang partnerhub.Lang, onlyIfUnset bool) error
}

// outboxLimit is how many messages the outbox page shows.
const outboxLimit = 200

type outboxData struct {
	Entries []outboxRow
	Server  string // where mail goes; "": nowhere yet
	Limited bool
	Limit   int
}

type outboxRow struct {
	mail.Entry
	State                string
	Created, Created3339 string
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Mail == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	es, err := s.deps.Mail.Outbox(r.Context(), outboxLimit)
	if err != nil {
		return nil, err
	}
	d := &outboxData{Server: s.deps.MailServer, Limited: len(es) == outboxLimit, Limit: outboxLimit}
	for _, e := range es {
		row := outboxRow{Entry: e, State: e.State()}
		row.Created, row.Created3339 = e.CreatedAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST"), e.CreatedAt.UTC().Format(time.RFC3339)
		d.Entries = append(d.Entries, row)
	}
	return &page{Template: "outbox", Title: v.P.T("mail.outbox.title"), Data: d}, nil
}

// mailPref is the account page's form of the language of mail.
type mailPref struct {
	Lang   partnerhub.Lang
	Chosen bool
	Saved  bool
	Langs  []partnerhub.Lang
	Error  string
}

func (s *Server) mailPref(ctx context.Context, u *partnerhub.User) (*mailPref, error) {
	if s.deps.Mail == nil {
		return nil, nil
	}
	lang, chosen, err := s.deps.Mail.MailLanguage(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &mailPref{Lang: lang, Chosen: chosen, Langs: []partnerhub.Lang{partnerhub.Japanese, partnerhub.English}}, nil
}

func (s *Server) saveMailLanguage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Mail == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	d := &accountData{}
	err := s.deps.Mail.SetMailLanguage(r.Context(), v.User.ID, partnerhub.Lang(r.PostForm.Get("language")), false)
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		p, err := s.accountPage(r, v, v.User, d, http.StatusBadRequest)
		if err == nil && d.Mail != nil {
			d.Mail.Error = fields["language"]
		}
		return p, err
	}
	s.logSecurity(r, "mail_language_set", "user", v.User.ID, "language", r.PostForm.Get("language"))
	p, err := s.accountPage(r, v, v.User, d, http.StatusOK)
	if err == nil && d.Mail != nil {
		d.Mail.Saved = true
	}
	return p, err
}

// rememberMailLanguage makes the language of a sign-in (the path's) the
// language of the user's mail, unless they chose one. A failure only
// costs the default.
func (s *Server) rememberMailLanguage(r *http.Request, userID int64) {
	if s.deps.Mail == nil {
		return
	}
	l, ok := partnerhub.ParseLang(strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0])
	if !ok {
		return
	}
	if err := s.deps.Mail.SetMailLanguage(r.Context(), userID, l, true); err != nil {
		s.deps.Logger.Warn("mail language", "err", err)
	}
}
