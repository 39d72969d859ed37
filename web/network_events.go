package web

// The network's events in the browser: the public list and event pages
// with their registration form (no account), the private page of a cancel
// link, and the iCalendar feed. The organisers' pages are in
// network_events_admin.go, the API in network_events_api.go.
//
// Registrants are never shown here: a page says how many places are left
// and how many wait, nothing of who.

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// eventTimeLayout is how an event's instants are written, in Japan time.
const eventTimeLayout = "2006-01-02 15:04"

// eventTime is an instant as pages show it: in Japan time, and in
// RFC 3339 for <time>.
type eventTime struct{ JST, RFC3339 string }

func eventTimeOf(t time.Time) eventTime {
	return eventTime{JST: t.In(partnerhub.Japan).Format(eventTimeLayout) + " JST", RFC3339: t.UTC().Format(time.RFC3339)}
}

// eventCard is an event as the list and its page show it.
type eventCard struct {
	partnerhub.NetworkEvent
	Href                   string
	From, To, Opens, Close eventTime
	Open                   bool // registration open now
	NotYet                 bool // registration not open yet
	Ended                  bool
}

func (s *Server) eventCard(v *view, e partnerhub.NetworkEvent) eventCard {
	now := s.deps.Now()
	return eventCard{NetworkEvent: e, Href: v.L() + partnerhub.EventPath(e.ID),
		From: eventTimeOf(e.Starts), To: eventTimeOf(e.Ends), Opens: eventTimeOf(e.RegistrationOpens), Close: eventTimeOf(e.RegistrationCloses),
		Open: e.RegistrationOpen(now), NotYet: e.State == partnerhub.EventPublished && now.Before(e.RegistrationOpens),
		Ended: !now.Before(e.Ends)}
}

// eventPages serve the network events' public pages: anyone may read
// them; someone signed in gets their own (uncached) view, where an
// organiser sees drafts and the links to organise.
func (s *Server) eventPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.liveView(w, r, lang, "")
		if !ok {
			return
		}
		s.answer(w, r, v, func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			if s.deps.NetworkEvents == nil {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			return h(w, r, v)
		})
	})
}

// organiser reports whether the page's reader organises the network's
// events (the store decides again at every read and write).
func organiser(v *view) bool { return partnerhub.IsNetworkEditor(v.User) }

type eventsData struct {
	Upcoming, Past []eventCard
	Organiser      bool
	NewHref, ICS   string
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	list, err := s.deps.NetworkEvents.NetworkEvents(r.Context(), v.User, partnerhub.EventFilter{Drafts: organiser(v)}, s.deps.Now())
	if err != nil {
		return nil, err
	}
	d := &eventsData{Organiser: organiser(v), NewHref: v.L() + "/network/events/new",
		ICS: v.L() + "/network/events.ics"}
	for _, e := range list {
		c := s.eventCard(v, e)
		if c.Ended {
			d.Past = append(d.Past, c)
		} else {
			d.Upcoming = append(d.Upcoming, c)
		}
	}
	return &page{Template: "network_events", Title: v.P.T("nevent.title"), Description: v.P.T("nevent.description"), Data: d, Parents: []crumb{}}, nil
}

// eventID reads the event's id from the path.
func eventID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "nevent.error.not_found", r.PathValue("id"))
	}
	return id, nil
}

type eventData struct {
	eventCard
	Organiser bool
	EditHref  string
	RegsHref  string
	Form      partnerhub.Registrant // as typed
	Err       *formErrors
	Received  bool // a registration was just sent
	Action    string
}

func (s *Server) eventPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := eventID(r)
	if err != nil {
		return nil, err
	}
	e, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	d := &eventData{Received: r.URL.Query().Get("registered") == "1", Form: partnerhub.Registrant{Lang: v.Lang}}
	return s.eventPageOf(v, e, d), nil
}

func (s *Server) eventPageOf(v *view, e *partnerhub.NetworkEvent, d *eventData) *page {
	d.eventCard = s.eventCard(v, *e)
	d.Organiser = organiser(v)
	base := v.L() + partnerhub.EventPath(e.ID)
	d.EditHref, d.RegsHref, d.Action = base+"/edit", base+"/registrations", base
	if d.Err == nil {
		d.Err = &formErrors{}
	}
	title, _ := e.Title.In(v.Lang)
	desc, _ := e.Description.In(v.Lang)
	return &page{Template: "network_event", Title: title, Description: firstLine(desc), Status: d.Err.Status, Data: d,
		Parents: []crumb{{Label: v.P.T("nevent.title"), Href: v.L() + "/network/events"}}}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

var registrantOrder = []string{"name", "affiliation", "email", "language"}

var registrantLabels = map[string]string{"name": "nevent.name", "affiliation": "nevent.affiliation", "email": "nevent.email",
	"language": "nevent.language"}

// eventRegister registers someone from the event's form. Whether the
// address was registered before, the answer is the same page: only the
// address's holder is told, by mail.
func (s *Server) eventRegister(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := eventID(r)
	if err != nil {
		return nil, err
	}
	e, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	f := r.PostForm
	reg := partnerhub.Registrant{Name: f.Get("name"), Affiliation: f.Get("affiliation"), Email: f.Get("email"),
		Lang: partnerhub.Lang(f.Get("language"))}
	err = s.deps.NetworkEvents.Register(r.Context(), id, reg, s.deps.Now())
	if err == nil {
		http.Redirect(w, r, v.L()+partnerhub.EventPath(id)+"?registered=1#register", http.StatusSeeOther)
		return nil, nil
	}
	d := &eventData{Form: reg}
	label := func(k string) string { return v.P.T(registrantLabels[k]) }
	if d.Err, err = refused(v, err, registrantOrder, label); err != nil {
		return nil, err
	}
	return s.eventPageOf(v, e, d), nil
}

// ---- the cancel link ---------------------------------------------------------

type registrationData struct {
	Reg      *partnerhub.Registration
	Event    eventCard
	Done     bool
	Action   string
	EventURL string
}

// registrationPages serve a cancel link's page: to whoever holds the
// link, never cached, never indexed, the token out of the logs.
func (s *Server) registrationPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.accountView(r, lang, "/network/registrations/"+r.PathValue("token"), "", s.sessionUser(r))
		w.Header().Set("X-Robots-Tag", "noindex")
		w.Header().Set("Referrer-Policy", "no-referrer")
		r = withoutToken(r)
		s.answer(w, r, v, func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			if s.deps.NetworkEvents == nil {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			return h(w, r, v)
		})
	})
}

func (s *Server) registrationPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	reg, e, err := s.deps.NetworkEvents.RegistrationByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return nil, err
	}
	d := &registrationData{Reg: reg, Event: s.eventCard(v, *e), Action: v.L() + "/network/registrations/" + r.PathValue("token"),
		EventURL: v.L() + partnerhub.EventPath(e.ID)}
	return &page{Template: "network_event_registration", Title: v.P.T("nevent.cancel_title"), Data: d}, nil
}

func (s *Server) registrationCancel(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	reg, e, err := s.deps.NetworkEvents.RegistrationByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return nil, err
	}
	if err := s.deps.NetworkEvents.CancelRegistration(r.Context(), r.PathValue("token"), s.deps.Now()); err != nil {
		return nil, err
	}
	d := &registrationData{Reg: reg, Event: s.eventCard(v, *e), Done: true, EventURL: v.L() + partnerhub.EventPath(e.ID)}
	return &page{Template: "network_event_registration", Title: v.P.T("nevent.cancelled_title"), Data: d}, nil
}

// ---- the iCalendar feed -----------------------------------------------------

// eventFeed serves the published (and cancelled) events as iCalendar:
// the same for everyone, drafts never, registrants never.
func (s *Server) eventFeed(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := s.newView(r, lang, "", s.snap.Load())
		if s.deps.NetworkEvents == nil {
			s.privatePage(w, r, v, s.errorPage(v, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")))
			return
		}
		list, err := s.deps.NetworkEvents.NetworkEvents(r.Context(), nil, partnerhub.EventFilter{}, s.deps.Now())
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		cal := newCalendar(string(lang), v.P.T("nevent.title"), v.P.T("nevent.description"), s.deps.Now(), feedRefresh)
		host := strings.TrimPrefix(strings.TrimPrefix(s.deps.BaseURL, "https://"), "http://")
		for _, e := range list {
			ce := calEvent{UID: "network-event-" + strconv.FormatInt(e.ID, 10) + "@" + host, At: e.Starts, Until: e.Ends,
				URL: s.deps.BaseURL + "/" + string(lang) + partnerhub.EventPath(e.ID), Categories: []string{v.P.T("nevent.kind." + string(e.Kind))}}
			ce.Summary, _ = e.Title.In(lang)
			ce.Description, _ = e.Description.In(lang)
			ce.Location, _ = e.Venue.In(lang)
			if ce.Location == "" && e.Online {
				ce.Location = v.P.T("nevent.online")
			}
			if e.State == partnerhub.EventCancelled {
				ce.Status = "CANCELLED"
			}
			cal.event(ce)
		}
		s.writeFeed(w, r, s.feedBody(cal.bytes()), hdrCalendar)
	}
}
