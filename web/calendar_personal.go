package web

// Personal calendar feeds: /{lang}/calendar/{secret}.ics lists the deadlines
// of the secret's owner. A calendar program cannot sign in, so the secret in
// the URL is its credential: the answer is never stored by a cache, never
// indexed, and an unknown or revoked secret is a plain 404 (logged, without
// the secret).

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"partnerhub"
)

// deadlineHorizon is how far ahead a personal feed looks.
const deadlineHorizon = 1 // year

// alarmBefore is when a deadline's reminder goes off.
const alarmBefore = 30 * 24 * time.Hour

// deadlineSource gives the events of one kind of deadline of u, from today
// to the horizon, read from v's index (drafts included).
type deadlineSource func(v *view, u *partnerhub.User, today, horizon time.Time) []calEvent

// deadlineSources are what a personal feed lists.
var deadlineSources = []deadlineSource{agreementExpiries, approvalsWaiting}

var hdrNoIndex = []string{"noindex, nofollow"}

func (s *Server) personalFeed(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = hdrNoStore
		h["X-Robots-Tag"] = hdrNoIndex
		h["X-Content-Type-Options"] = hdrNosniff
		// The URL is a secret: a link followed from the feed must not
		// carry it in a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		secret, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		if !ok || s.deps.Calendars == nil {
			http.NotFound(w, r)
			return
		}
		u, err := s.deps.Calendars.CalendarUser(r.Context(), secret, s.deps.Now())
		if err == nil && u.Home != s.deps.Home {
			err = partnerhub.Errorf(partnerhub.ENotFound, "error.calendar_not_found")
		}
		if err != nil {
			var e *partnerhub.Error
			if !errors.As(err, &e) || e.Code != partnerhub.ENotFound {
				s.failPlain(w, redactedPath(r), err) // the path holds the feed's secret
				return
			}
			s.logSecurity(redactedPath(r), "calendar_feed_unknown")
			http.NotFound(w, r)
			return
		}
		// A guest's feed is made from what the public sees.
		snap := s.snap.Load()
		if partnerhub.CanReadDrafts(u) {
			snap = s.full.Load()
		}
		v := s.newView(r, lang, "", snap)
		v.User = u
		now := s.deps.Now()
		calls, err := s.personalDeadlines(r, v, u, now)
		if err != nil {
			s.failPlain(w, redactedPath(r), err)
			return
		}
		b := personalCalendar(v, u, now, calls...)
		h["Content-Type"] = hdrCalendar
		w.Write(b)
	}
}

// redactedPath is r with the secret cut out of its path, for the log.
func redactedPath(r *http.Request) *http.Request {
	r2 := r.Clone(r.Context())
	if i := strings.LastIndexByte(r2.URL.Path, '/'); i >= 0 {
		r2.URL.Path = r2.URL.Path[:i+1] + "…"
	}
	return r2
}

// personalCalendar writes u's deadlines from now on.
func personalCalendar(v *view, u *partnerhub.User, now time.Time, extra ...calEvent) []byte {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	horizon := today.AddDate(deadlineHorizon, 0, 0)
	cal := newCalendar(string(v.Lang), v.P.T("ical.personal_name", u.Name), v.P.T("ical.personal_desc"), now, "PT1H")
	for _, source := range deadlineSources {
		for _, e := range source(v, u, today, horizon) {
			cal.event(e)
		}
	}
	for _, e := range extra {
		cal.event(e)
	}
	return cal.bytes()
}

// agreementExpiries are the expiries of the agreements u looks after: all
// of them for an administrator; for a coordinator, those of their units, or
// of a partner whose current team holds one of their units. A viewer looks
// after none.
func agreementExpiries(v *view, u *partnerhub.User, today, horizon time.Time) []calEvent {
	var out []calEvent
	for i := range v.X.Catalog().Agreements {
		a := &v.X.Catalog().Agreements[i]
		if a.Expires.IsZero() || a.Expires.Last().Before(today) || a.Expires.First().After(horizon) || !looksAfter(v, u, a) ||
			a.Status == partnerhub.Renewed || a.Status == partnerhub.Terminated {
			continue
		}
		title := mustText(v, a.Title)
		e := calEvent{
			UID:        calUID(v.Base, "agreement-expiry", a.Slug),
			Start:      a.Expires.First(),
			End:        a.Expires.Last().AddDate(0, 0, 1),
			Summary:    v.P.T("ical.expires_summary", title),
			URL:        v.Base + v.L() + "/agreements/" + url.PathEscape(a.Slug),
			Categories: []string{v.P.T("ical.category_expiry"), v.P.T("agreement.kind." + string(a.Kind))},
			Alarm:      alarmBefore,
		}
		var d []string
		line := func(label, value string) {
			if value != "" {
				d = append(d, v.P.T(label)+v.P.T("label.colon")+value)
			}
		}
		if !a.Published {
			e.Status = "TENTATIVE"
			e.Summary = v.P.T("ical.draft_mark") + e.Summary
			d = append(d, v.P.T("ical.draft_note"))
		}
		if p, err := v.X.Partner(a.Partner); err == nil {
			line("label.partner", mustText(v, p.Name))
		}
		line("label.kind", v.P.T("agreement.kind."+string(a.Kind)))
		line("form.level", v.P.T("agreement.level."+string(a.Level)))
		line("form.signed", formatDate(v, a.Signed))
		line("form.expires", formatDate(v, a.Expires))
		if a.Expires.Precision() != partnerhub.DayPrecision {
			d = append(d, v.P.T("ical.partial_expiry"))
		}
		d = append(d, e.URL)
		e.Description = strings.Join(d, "\n")
		out = append(out, e)
	}
	return out
}

func looksAfter(v *view, u *partnerhub.User, a *partnerhub.Agreement) bool {
	switch u.Role {
	case partnerhub.RoleAdmin:
		return true
	case partnerhub.RoleCoordinator:
		mine := func(code string) bool { return slices.Contains(u.Units, code) }
		if slices.ContainsFunc(a.Units, mine) {
			return true
		}
		if p, err := v.X.Partner(a.Partner); err == nil {
			return slices.ContainsFunc(p.Units, func(t partnerhub.TeamUnit) bool { return mine(t.Code) })
		}
	}
	return false
}

// ---- the account page's section ---------------------------------------------

// calendarSection is what the account page shows of the user's feed.
type calendarSection struct {
	Feed               *partnerhub.CalendarFeed
	Created, CreatedAt string
	Used, UsedAt       string
	NewURLs            []calendarLink // a feed just made: shown on this answer only
}

type calendarLink struct {
	Label, URL string
}

// fillCalendar loads the account page's calendar section; none without a
// calendar service.
func (s *Server) fillCalendar(r *http.Request, u *partnerhub.User, d *accountData) error {
	if s.deps.Calendars == nil {
		d.Calendar = nil
		return nil
	}
	if d.Calendar == nil {
		d.Calendar = &calendarSection{}
	}
	f, err := s.deps.Calendars.CalendarFeed(r.Context(), u.ID)
	if err != nil || f == nil {
		return err
	}
	d.Calendar.Feed = f
	d.Calendar.Created, d.Calendar.CreatedAt = stamp(&f.CreatedAt)
	d.Calendar.Used, d.Calendar.UsedAt = stamp(f.UsedAt)
	return nil
}

// createCalendar makes (or replaces) the user's feed and shows its URLs
// once, in the answer to the POST itself.
func (s *Server) createCalendar(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Calendars == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.calendar_not_found")
	}
	had, err := s.deps.Calendars.CalendarFeed(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	secret, err := s.deps.Calendars.CreateCalendarFeed(r.Context(), v.User.ID, s.deps.Now())
	if err != nil {
		return nil, err
	}
	s.logSecurity(r, "calendar_feed_created", "replaced", had != nil)
	d := &accountData{Calendar: &calendarSection{}}
	for _, l := range []partnerhub.Lang{v.Lang, v.Other} {
		d.Calendar.NewURLs = append(d.Calendar.NewURLs, calendarLink{Label: v.P.T("ical.in_" + string(l)),
			URL: s.deps.BaseURL + s.l(l) + "/calendar/" + secret + ".ics"})
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.accountPage(r, v, v.User, d, http.StatusOK)
}

func (s *Server) revokeCalendar(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Calendars == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.calendar_not_found")
	}
	if err := s.deps.Calendars.RevokeCalendarFeed(r.Context(), v.User.ID); err != nil {
		return nil, err
	}
	s.logSecurity(r, "calendar_feed_revoked")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account#calendar", http.StatusSeeOther)
	return nil, nil
}

// approvalsWaiting are the agreements whose review waits for u: each an
// event of today, so that the calendar shows what is on the desk now.
func approvalsWaiting(v *view, u *partnerhub.User, today, _ time.Time) []calEvent {
	var out []calEvent
	for i := range v.X.Catalog().Agreements {
		a := &v.X.Catalog().Agreements[i]
		st := a.WaitingStep()
		if st == nil {
			continue
		}
		p, _ := v.X.Partner(a.Partner)
		if !st.CanApprove(u, approvingUnits(p, a)) {
			continue
		}
		e := calEvent{
			UID:        calUID(v.Base, "agreement-approval", a.Slug),
			Start:      today,
			End:        today.AddDate(0, 0, 1),
			Summary:    v.P.T("ical.approval_summary", mustText(v, a.Title)),
			URL:        v.Base + v.L() + "/agreements/" + url.PathEscape(a.Slug),
			Categories: []string{v.P.T("ical.category_approval")},
		}
		e.Description = v.P.T("ical.approval_note") + "\n" + e.URL
		out = append(out, e)
	}
	return out
}
