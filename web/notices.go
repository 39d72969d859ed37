package web

// Notifications: the signed-in user's page of them, the unread count in
// the header, and the account page's choices of how each kind is mailed.

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/mail"
	"partnerhub/store"
)

// NoticeBox is the store's side of notifications.
type NoticeBox interface {
	Notifications(ctx context.Context, userID int64, limit int) ([]partnerhub.Notification, error)
	UnreadNotices(ctx context.Context, userID int64) (int, error)
	// MarkNoticesRead marks the user's ids read, or all with none.
	MarkNoticesRead(ctx context.Context, userID int64, ids []int64, now time.Time) error
	MailPreferences(ctx context.Context, userID int64) (map[partnerhub.NoticeKind]partnerhub.Delivery, error)
	SetMailPreferences(ctx context.Context, userID int64, prefs map[partnerhub.NoticeKind]partnerhub.Delivery) error
}

// noticesLimit is how many notifications the page shows.
const noticesLimit = 100

type noticesData struct {
	Items   []noticeRow
	Unread  int
	Limited bool
	Limit   int
	Marked  bool // some were just marked read
}

type noticeRow struct {
	ID                 int64
	Unread             bool
	Subject, Text      string // in the page's language
	Link               string
	Created, Created39 string
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return s.renderNotices(r, v, false)
}

func (s *Server) renderNotices(r *http.Request, v *view, marked bool) (*page, error) {
	if s.deps.Notices == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	ns, err := s.deps.Notices.Notifications(r.Context(), v.User.ID, noticesLimit)
	if err != nil {
		return nil, err
	}
	d := &noticesData{Limited: len(ns) == noticesLimit, Limit: noticesLimit, Marked: marked}
	for _, n := range ns {
		row := noticeRow{ID: n.ID, Unread: n.Unread(), Subject: mail.NoticeSubject(v.P, n.Notice), Text: mail.NoticeText(v.P, n.Notice),
			Link: v.L() + n.Path}
		row.Created, row.Created39 = n.CreatedAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST"), n.CreatedAt.UTC().Format(time.RFC3339)
		if row.Unread {
			d.Unread++
		}
		d.Items = append(d.Items, row)
	}
	v.Unread = d.Unread // the header agrees with the page
	return &page{Template: "notifications", Title: v.P.T("notices.title"), Data: d}, nil
}

// markNoticesRead marks one notification read (id) or all of them; an id
// of another user's changes nothing.
func (s *Server) markNoticesRead(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Notices == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	var ids []int64
	if raw := r.PostForm.Get("id"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			errs := partnerhub.FieldErrors{}
			errs.Add("id", "bad_int")
			return nil, errs.Err()
		}
		ids = []int64{id}
	}
	if err := s.deps.Notices.MarkNoticesRead(r.Context(), v.User.ID, ids, time.Now()); err != nil {
		return nil, err
	}
	return s.renderNotices(r, v, true)
}

// unreadNotices is the header's count for a signed-in page: one indexed
// count. A failure costs only the badge.
func (s *Server) unreadNotices(r *http.Request, u *partnerhub.User) int {
	if s.deps.Notices == nil || u == nil {
		return 0
	}
	n, err := s.deps.Notices.UnreadNotices(r.Context(), u.ID)
	if err != nil {
		s.deps.Logger.Warn("unread notices", "err", err)
	}
	return n
}

// noticePrefs is the account page's form of how each kind is mailed.
type noticePrefs struct {
	Kinds      []noticePrefRow
	Deliveries []partnerhub.Delivery
	Saved      bool
	Errors     map[string]string // field → message
}

type noticePrefRow struct {
	Kind     partnerhub.NoticeKind
	Field    string
	Delivery partnerhub.Delivery
	MustGet  bool
}

func (s *Server) noticePrefs(ctx context.Context, u *partnerhub.User) (*noticePrefs, error) {
	if s.deps.Notices == nil {
		return nil, nil
	}
	prefs, err := s.deps.Notices.MailPreferences(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	d := &noticePrefs{Deliveries: partnerhub.Deliveries, Errors: map[string]string{}}
	for _, k := range partnerhub.NoticeKinds {
		d.Kinds = append(d.Kinds, noticePrefRow{Kind: k, Field: store.PreferenceField(k), Delivery: prefs[k], MustGet: k.MustGet()})
	}
	return d, nil
}

// saveNoticePrefs records the choices of the form; with one bad, none is
// recorded and each bad field says why.
func (s *Server) saveNoticePrefs(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Notices == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	prefs := map[partnerhub.NoticeKind]partnerhub.Delivery{}
	for _, k := range partnerhub.NoticeKinds {
		if _, ok := r.PostForm[store.PreferenceField(k)]; ok {
			prefs[k] = partnerhub.Delivery(r.PostForm.Get(store.PreferenceField(k)))
		}
	}
	d := &accountData{}
	if err := s.deps.Notices.SetMailPreferences(r.Context(), v.User.ID, prefs); err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		p, err := s.accountPage(r, v, v.User, d, http.StatusBadRequest)
		if err == nil && d.Notices != nil {
			d.Notices.Errors = fields
			// Show what was sent, so that the error is next to it.
			for i, row := range d.Notices.Kinds {
				if sent, ok := prefs[row.Kind]; ok {
					d.Notices.Kinds[i].Delivery = sent
				}
			}
		}
		return p, err
	}
	p, err := s.accountPage(r, v, v.User, d, http.StatusOK)
	if err == nil && d.Notices != nil {
		d.Notices.Saved = true
	}
	return p, err
}
