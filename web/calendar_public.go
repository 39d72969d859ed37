package web

// Public iCalendar feeds of the programme's activities: /{lang}/activities.ics,
// and one per partner and per unit. They are the same for everyone (drafts
// never appear, whoever asks, since a feed URL is pasted into calendar
// programs and shared), so they are cached with the snapshot like any public
// page.
//
// Partial dates: an activity dated only by month or year becomes an all-day
// event spanning the whole month or year (a fiscal year from April to
// March), and its description says how precisely it is dated. Leaving such
// activities out would drop most of the programme's record, whose sources
// date events by month or year; the events are marked transparent, so that
// a long one never makes its subscriber look busy. Activities without a
// date (or dated only by phase) are left out: a calendar cannot show them.

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"partnerhub"
)

// feedRefresh is how often subscribers are asked to look again.
const feedRefresh = "PT12H"

var hdrCalendar = []string{"text/calendar; charset=utf-8"}

// activityFeed serves a feed of activities; by is "" for all of them,
// "partner" or "unit" for those of the partner or unit the path names.
func (s *Server) activityFeed(lang partnerhub.Lang, by string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		snap := s.snap.Load()
		// The path alone names a feed: a query cannot fill the cache.
		key := "ics|" + string(lang) + "|" + r.URL.Path
		c, err := snap.pages.get(key, func() (*rendered, error) {
			v := s.newView(r, lang, "", snap)
			var deadlines []calEvent
			if by == "" {
				// The programme's feed holds the calls' deadlines too; they
				// change only with a write, which makes a new snapshot.
				var err error
				if deadlines, err = s.publicDeadlines(r, v); err != nil {
					return nil, err
				}
			}
			b, err := activityCalendar(v, by, r.PathValue("key"), snap, deadlines...)
			if err != nil {
				return nil, err
			}
			return s.feedBody(b), nil
		})
		if err != nil {
			v := s.newView(r, lang, "", snap)
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		s.writeFeed(w, r, c, hdrCalendar)
	}
}

// feedBody is a calendar ready to send; its ETag is of its content, which
// holds the time its data was read, so it changes with the data.
func (s *Server) feedBody(b []byte) *rendered {
	rb := rawBody(b)
	return &rendered{status: http.StatusOK, body: b, gz: s.gzipped(b), etag: rb.etag[0], length: rb.length}
}

func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, c *rendered, contentType []string) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Cache-Control"] = hdrNoCache
	h["X-Content-Type-Options"] = hdrNosniff
	h["Vary"] = []string{"Accept-Encoding"}
	h["Etag"] = []string{c.etag}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, c.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if len(c.gz) < len(c.body) && acceptsGzip(r) {
		h["Content-Encoding"] = []string{"gzip"}
		h["Content-Length"] = []string{strconv.Itoa(len(c.gz))}
		w.Write(c.gz)
		return
	}
	h["Content-Length"] = c.length
	w.Write(c.body)
}

// activityCalendar writes the feed of the activities by selects.
func activityCalendar(v *view, by, key string, snap *snapshot, extra ...calEvent) ([]byte, error) {
	f := partnerhub.ActivityFilter{}
	name := v.P.T("ical.activities_name", v.P.T("site.brand"))
	switch by {
	case "partner":
		p, err := v.X.Partner(key)
		if err != nil {
			return nil, err
		}
		f.Partner = key
		name = v.P.T("ical.activities_of", mustText(v, p.Name))
	case "unit":
		u, err := v.X.Unit(key)
		if err != nil {
			return nil, err
		}
		f.Unit = key
		name = v.P.T("ical.activities_of", mustText(v, u.Name))
	}
	cal := newCalendar(string(v.Lang), name, v.P.T("ical.activities_desc"), snap.loaded, feedRefresh)
	for _, a := range v.X.Activities(f) {
		if a.Start.IsZero() {
			continue
		}
		cal.event(activityEvent(v, a))
	}
	for _, e := range extra {
		cal.event(e)
	}
	return cal.bytes(), nil
}

// activityEvent is an activity as an event of a feed in v's language.
func activityEvent(v *view, a *partnerhub.Activity) calEvent {
	e := calEvent{
		UID:        calUID(v.Base, "activity", a.Slug),
		Start:      a.Start.First(),
		End:        cmp.Or(a.End, a.Start).Last().AddDate(0, 0, 1),
		Summary:    mustText(v, a.Title),
		URL:        v.Base + v.L() + "/activities/" + url.PathEscape(a.Slug),
		Categories: []string{v.P.T("kind." + string(a.Kind))},
	}
	var d []string
	line := func(label, value string) {
		if value != "" {
			d = append(d, v.P.T(label)+v.P.T("label.colon")+value)
		}
	}
	if other, fallback := a.Title.In(v.Other); !fallback && other != "" && other != e.Summary {
		d = append(d, other)
	}
	if s := mustText(v, a.Summary); s != "" {
		d = append(d, s)
	}
	line("label.when", formatWhen(v, a))
	if a.Start.Precision() != partnerhub.DayPrecision || (!a.End.IsZero() && a.End.Precision() != partnerhub.DayPrecision) {
		d = append(d, v.P.T("ical.partial_date"))
	}
	line("label.kind", v.P.T("kind."+string(a.Kind)))
	if a.Format != "" {
		line("label.format", v.P.T("format."+string(a.Format)))
	}
	var host string
	if in, ok := v.X.Institution(a.Host); ok {
		host = mustText(v, in.Name)
		line("label.host", host)
	}
	if a.Participants != nil {
		line("label.participants", count(v, a.Participants))
	}
	var partners []string
	for _, slug := range a.Partners {
		if p, err := v.X.Partner(slug); err == nil {
			partners = append(partners, mustText(v, p.Name))
		}
	}
	line("label.partners", strings.Join(partners, v.P.T("ical.list_sep")))
	d = append(d, e.URL)
	e.Description = strings.Join(d, "\n")
	e.Location = cmp.Or(mustText(v, a.Venue), host)
	return e
}

// calUID names an event for good: by what it is and the site it comes from,
// never by the language of the feed, so both languages' feeds name one
// event alike.
func calUID(base, kind, key string) string {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	return kind + "-" + key + "@" + host
}

// CalendarFeed is the URL of the public feed of the page's activities, ""
// on a page that has none: the activities page, a partner's and a unit's.
func (v *view) CalendarFeed() string {
	p := v.L()
	switch rest, _ := strings.CutPrefix(v.Path, "/"); {
	case rest == "activities":
		return v.Base + p + "/activities.ics"
	case strings.HasPrefix(rest, "partners/") && !strings.Contains(rest[len("partners/"):], "/"):
		if _, err := v.X.Partner(rest[len("partners/"):]); err == nil {
			return v.Base + p + "/" + rest + "/activities.ics"
		}
	case strings.HasPrefix(rest, "units/") && !strings.Contains(rest[len("units/"):], "/"):
		if _, err := v.X.Unit(rest[len("units/"):]); err == nil {
			return v.Base + p + "/" + rest + "/activities.ics"
		}
	}
	return ""
}
