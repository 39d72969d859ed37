package web

// Atom feeds: the programme's activities (/{lang}/activities.atom), each
// partner's and each unit's, and the network's published good-practice
// notes (/{lang}/network/practice/notes.atom), each in the language of its
// path, texts falling back to the other language where a record has only
// one. Like the .ics feeds they are public, the same for everyone: no
// draft, no unpublished note, whoever asks.
//
// An entry's id is the canonical URL of its record's page in the feed's
// language: it outlives every edit (a slug or a note's number never
// changes). An activity has no time of its own for `updated`: it is when
// the audit log last saw the record written; a record the log has never
// seen (the built-in data, imported without history) takes its activity's
// first day, else the first day of its phase (1 April of the phase's
// first year), else of the programme's first phase. `published` is given
// for notes (when the editors published them), not for activities, whose
// time of publication nothing records. Entries come newest `updated` first
// (notes: newest published first), at most feedLimit of them.

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"partnerhub"
)

// feedLimit is how many entries a feed holds: a reader polls it often, and
// older records stay on the pages.
const feedLimit = 50

var hdrAtom = []string{"application/atom+xml; charset=utf-8"}

// latestWriter is what the store answers (store.DB): when each record was
// last written. Without it an activity's `updated` is its date.
type latestWrites interface {
	LatestWrites(ctx context.Context, home string, entity partnerhub.Entity) (map[string]time.Time, error)
}

// activityAtom serves an Atom feed of activities; by is "" for all of
// them, "partner" or "unit" for those of the partner or unit the path
// names. It is cached with the snapshot, as the .ics feeds are.
func (s *Server) activityAtom(lang partnerhub.Lang, by string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		snap := s.snap.Load()
		key := "atom|" + string(lang) + "|" + r.URL.Path
		c, err := snap.pages.get(key, func() (*rendered, error) {
			v := s.newView(r, lang, "", snap)
			f, err := s.activityFeedOf(r.Context(), v, by, r.PathValue("key"))
			if err != nil {
				return nil, err
			}
			b, err := f.bytes()
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
		w.Header()["Last-Modified"] = snap.lastModified
		s.writeAtom(w, r, c, snap.loaded)
	}
}

// notesAtom serves the feed of the network's published notes, read live
// as the library is.
func (s *Server) notesAtom(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := s.newView(r, lang, "", s.snap.Load())
		c, err := s.notesFeed(r.Context(), v)
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		// No Last-Modified: a withdrawn note leaves the feed without making
		// any time newer, so only the ETag tells a change.
		s.writeAtom(w, r, c, time.Time{})
	}
}

// writeAtom sends a feed, or 304 when the reader has it (If-None-Match;
// If-Modified-Since only when since is known and no ETag is asked about).
func (s *Server) writeAtom(w http.ResponseWriter, r *http.Request, c *rendered, since time.Time) {
	if inm := r.Header.Get("If-None-Match"); inm == "" && !since.IsZero() {
		if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !since.Truncate(time.Second).After(ims) {
			h := w.Header()
			h["Etag"] = []string{c.etag}
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.writeFeed(w, r, c, hdrAtom)
}

// feedTitle is the title of the feed of activities by selects, in v's
// language; err when the partner or unit is unknown.
func feedTitle(v *view, by, key string) (string, error) {
	switch by {
	case "partner":
		p, err := v.X.Partner(key)
		if err != nil {
			return "", err
		}
		return v.P.T("feeds.activities_with", mustText(v, p.Name)), nil
	case "unit":
		u, err := v.X.Unit(key)
		if err != nil {
			return "", err
		}
		return v.P.T("feeds.activities_of", mustText(v, u.Name)), nil
	}
	return v.P.T("feeds.activities", v.SiteName()), nil
}

// activityFeedOf is the feed of the activities by selects.
func (s *Server) activityFeedOf(ctx context.Context, v *view, by, key string) (*atomFeed, error) {
	title, err := feedTitle(v, by, key)
	if err != nil {
		return nil, err
	}
	f := partnerhub.ActivityFilter{}
	page := v.L() + "/activities"
	switch by {
	case "partner":
		f.Partner, page = key, v.L()+"/partners/"+url.PathEscape(key)
	case "unit":
		f.Unit, page = key, v.L()+"/units/"+url.PathEscape(key)
	}
	written := map[string]time.Time{}
	if lw, ok := s.deps.Editor.(latestWrites); ok {
		if written, err = lw.LatestWrites(ctx, v.Home, partnerhub.EntityActivity); err != nil {
			return nil, err
		}
	}
	type dated struct {
		a  *partnerhub.Activity
		at time.Time
	}
	var list []dated
	for _, a := range v.X.Activities(f) {
		list = append(list, dated{a, cmp.Or(written[a.Slug], activityTime(v, a))})
	}
	slices.SortStableFunc(list, func(x, y dated) int {
		if c := y.at.Compare(x.at); c != 0 {
			return c
		}
		return strings.Compare(x.a.Slug, y.a.Slug)
	})
	feed := s.newAtomFeed(v, title, v.P.T("feeds.activities_desc"), page)
	for i, d := range list {
		if i == feedLimit {
			break
		}
		feed.Entries = append(feed.Entries, activityEntry(v, d.a, d.at))
	}
	feed.stamp(v)
	return feed, nil
}

// activityTime stands for when an activity was written when the audit log
// does not know (see the file's comment).
func activityTime(v *view, a *partnerhub.Activity) time.Time {
	if !a.Start.IsZero() {
		return a.Start.First()
	}
	phases := v.X.Phases()
	for _, p := range phases {
		if p.Number == a.Phase {
			return time.Date(p.StartYear, time.April, 1, 0, 0, 0, 0, partnerhub.Japan)
		}
	}
	if len(phases) > 0 {
		first := slices.MinFunc(phases, func(x, y partnerhub.Phase) int { return x.StartYear - y.StartYear })
		return time.Date(first.StartYear, time.April, 1, 0, 0, 0, 0, partnerhub.Japan)
	}
	return time.Unix(0, 0)
}

func activityEntry(v *view, a *partnerhub.Activity, at time.Time) atomEntry {
	href := v.Base + v.L() + "/activities/" + url.PathEscape(a.Slug)
	var sum []string
	if w := formatWhen(v, a); w != "" {
		sum = append(sum, w)
	}
	if s := mustText(v, a.Summary); s != "" {
		sum = append(sum, s)
	}
	e := atomEntry{ID: href, Title: plainText(mustText(v, a.Title)), Updated: atomDate(at),
		Links:      []atomLink{{Rel: "alternate", Type: "text/html", Href: href, Hreflang: string(v.Lang)}},
		Categories: []atomCategory{{Term: string(a.Kind), Label: v.P.T("kind." + string(a.Kind))}}}
	if len(sum) > 0 {
		t := plainText(strings.Join(sum, "\n"))
		e.Summary = &t
	}
	return e
}

// newAtomFeed starts a feed of v's language whose HTML page is page (a
// path under the portal); its id is its own canonical URL.
func (s *Server) newAtomFeed(v *view, title, subtitle, page string) *atomFeed {
	self := v.Base + v.L() + v.Path
	sub := plainText(subtitle)
	author := atomPerson{Name: mustText(v, v.Owner().Name), URI: v.Base + v.L() + "/"}
	if author.Name == "" {
		author.Name = v.SiteName()
	}
	return &atomFeed{Lang: string(v.Lang), ID: self, Title: plainText(title), Subtitle: &sub, Author: author,
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: v.Base + page, Hreflang: string(v.Lang)},
		}}
}

// stamp sets the feed's `updated`: its newest entry's, or for an empty
// feed the time its data was read.
func (f *atomFeed) stamp(v *view) {
	f.Updated = atomDate(v.snap.loaded)
	if len(f.Entries) > 0 {
		f.Updated = slices.MaxFunc(f.Entries, func(x, y atomEntry) int { return strings.Compare(string(x.Updated), string(y.Updated)) }).Updated
	}
}

// notesFeed is the feed of the published notes, newest published first.
func (s *Server) notesFeed(ctx context.Context, v *view) (*rendered, error) {
	if err := s.errNoNotes(); err != nil {
		return nil, err
	}
	ns, err := s.deps.Notes.Notes(ctx, nil, partnerhub.NoteFilter{Limit: feedLimit})
	if err != nil {
		return nil, err
	}
	cards, err := s.noteCards(ctx, v, ns)
	if err != nil {
		return nil, err
	}
	feed := s.newAtomFeed(v, v.P.T("feeds.notes", v.P.T("practice.title")), v.P.T("practice.intro"), practicePath(v, ""))
	for _, c := range cards {
		n := c.N
		if n.State != partnerhub.NotePublished {
			continue // the store gives the public nothing else; a second lock
		}
		href := v.Base + c.Href
		e := atomEntry{ID: href, Title: plainText(mustText(v, n.Title)), Updated: atomDate(n.UpdatedAt),
			Author:     &atomPerson{Name: c.Member},
			Links:      []atomLink{{Rel: "alternate", Type: "text/html", Href: href, Hreflang: string(v.Lang)}},
			Categories: []atomCategory{{Term: string(n.Topic), Label: c.Topic}}}
		if n.PublishedAt != nil {
			p := atomDate(*n.PublishedAt)
			e.Published = &p
			if n.PublishedAt.After(n.UpdatedAt) {
				e.Updated = p
			}
		}
		for _, t := range n.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t})
		}
		if c.Summary != "" {
			t := plainText(c.Summary)
			e.Summary = &t
		}
		feed.Entries = append(feed.Entries, e)
	}
	feed.stamp(v)
	b, err := feed.bytes()
	if err != nil {
		return nil, err
	}
	return s.feedBody(b), nil
}

// feedLink is a feed a page offers, for <link rel="alternate"> and a
// visible link.
type feedLink struct{ Href, Title string }

// AtomFeed is the Atom feed of the page, nil on a page that has none: the
// activities page, a partner's and a unit's, and the notes' library.
func (v *view) AtomFeed() *feedLink {
	if v.Page != nil && v.Page.Template == "network_practice" {
		if d, ok := v.Page.Data.(*practiceLibrary); ok && d.Filters {
			return &feedLink{Href: v.Base + practicePath(v, "/notes.atom"), Title: v.P.T("feeds.notes", v.P.T("practice.title"))}
		}
		return nil
	}
	cal := v.CalendarFeed()
	if cal == "" {
		return nil
	}
	var title string
	switch rest, _ := strings.CutPrefix(v.Path, "/"); {
	case rest == "activities":
		title, _ = feedTitle(v, "", "")
	case strings.HasPrefix(rest, "partners/"):
		title, _ = feedTitle(v, "partner", rest[len("partners/"):])
	case strings.HasPrefix(rest, "units/"):
		title, _ = feedTitle(v, "unit", rest[len("units/"):])
	}
	return &feedLink{Href: strings.TrimSuffix(cal, ".ics") + ".atom", Title: title}
}
