package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

// Paging of lists. Every API list answers {"items": [...], "next": URL|null}
// and takes `limit` (default 100, at most 1,000); `next` is the URL of the
// following page, made from Deps.BaseURL (never from the request's Host).
// Lists held in memory (partners, units, phases, activities, the bin) page
// with an opaque `cursor`; the audit log and histories, read from the
// database newest first, page with `before` (an event id); the mobility
// figures keep their `offset`.

const (
	defaultLimit = 100  // items of an API page when no limit is given
	maxLimit     = 1000 // the largest limit an API list accepts
	pageSize     = 50   // items of a portal page
)

// pageParams are a list request's paging parameters, read apart from its
// filters so that each list's filter parser stays the one the portal uses.
type pageParams struct {
	limit     int
	cursor    cursor
	hasCursor bool
	errs      partnerhub.FieldErrors
}

// paging reads `limit` and `cursor` and refuses parameters a list does
// not take (filters named in allowed, `lang`, `limit` and `cursor`). It
// returns the rest, for the list's filter parser: the filters alone, so
// that the parsers the portal shares stay as they are.
func paging(q url.Values, allowed ...string) (url.Values, pageParams) {
	all := append(slices.Clone(allowed), "limit", "cursor")
	pg := pageParams{errs: params(q, all...)}
	pg.limit = parseLimit(q, pg.errs)
	pg.cursor, pg.hasCursor = parseCursor(q, pg.errs)
	rest := url.Values{}
	for k, v := range q {
		if k == "lang" || slices.Contains(allowed, k) {
			rest[k] = v
		}
	}
	return rest, pg
}

// merge reports the paging errors with those of the filters, at once.
func (pg pageParams) merge(filterErr error) error { return merge(pg.errs, filterErr) }

// first tells whether the request asks for the first page at the default
// limit, which the snapshot holds encoded.
func (pg pageParams) first() bool { return pg.limit == defaultLimit && !pg.hasCursor }

// parseLimit reads `limit`: a whole number from 1 to maxLimit.
func parseLimit(q url.Values, errs partnerhub.FieldErrors) int {
	v := single(q, errs, "limit")
	if v == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs.Add("limit", "bad_int", v)
		return defaultLimit
	}
	if n < 1 || n > maxLimit {
		errs.Add("limit", "out_of_range", 1, maxLimit)
		return defaultLimit
	}
	return n
}

// cursor is where the next page of an in-memory list starts: the number of
// items already given and the key of the last of them. The key lets a walk
// survive edits made between two pages: when the list has changed, the next
// page starts after that item wherever it now stands.
type cursor struct {
	offset int
	key    string
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(c.offset) + ":" + c.key))
}

// parseCursor reads `cursor`; ok is false when none was given. Anything
// that is not a cursor this server made is a field error.
func parseCursor(q url.Values, errs partnerhub.FieldErrors) (c cursor, ok bool) {
	v := single(q, errs, "cursor")
	if v == "" {
		return cursor{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	off, key, found := strings.Cut(string(b), ":")
	n, nerr := strconv.Atoi(off)
	if err != nil || !found || nerr != nil || n < 1 || key == "" {
		errs.Add("cursor", "bad_cursor")
		return cursor{}, false
	}
	return cursor{offset: n, key: key}, true
}

// pageOf cuts one page out of a whole list: the items after the cursor (or
// from the start), at most limit of them, and the cursor of the following
// page when there is one.
func pageOf[T any](items []T, key func(T) string, limit int, c cursor, hasCursor bool) ([]T, *cursor) {
	start := 0
	if hasCursor {
		start = min(c.offset, len(items))
		if start == 0 || key(items[start-1]) != c.key {
			// The list has changed since the cursor was made: go on after
			// its last item wherever it now stands or, when that item is
			// gone, from where it stood, so that the item which followed
			// it is not skipped. A list that has shrunk below the cursor
			// ends there with an empty page, so that a client following
			// `next` while others edit finishes without an error.
			if i := slices.IndexFunc(items, func(it T) bool { return key(it) == c.key }); i >= 0 {
				start = i + 1
			} else {
				start = min(c.offset-1, len(items))
			}
		}
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if end == len(items) {
		return page, nil
	}
	return page, &cursor{offset: end, key: key(items[end-1])}
}

// nextURL is the absolute URL of the request's path with its query, one
// parameter set to a new value: the following page keeps every filter.
func (s *Server) nextURL(r *http.Request, param, value string) *string {
	q := r.URL.Query()
	q.Set(param, value)
	u := s.base() + r.URL.Path + "?" + q.Encode()
	return &u
}

// writePage writes the page of an in-memory list that pg asks for.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, key func(T) string, pg pageParams) error {
	page, next := pageOf(items, key, pg.limit, pg.cursor, pg.hasCursor)
	out := list(page)
	if next != nil {
		out.Next = s.nextURL(r, "cursor", next.String())
	}
	return writeJSON(w, r, out)
}

// writeWhole answers a list that has no filters: its first page at the
// default limit from the snapshot, any other page cut for the request.
func writeWhole[T any](s *Server, w http.ResponseWriter, r *http.Request, first body, items []T, key func(T) string) error {
	_, pg := paging(r.URL.Query())
	if err := pg.errs.Err(); err != nil {
		return err
	}
	if pg.first() {
		return writeBody(w, r, first)
	}
	return writePage(s, w, r, items, key, pg)
}

// firstPage is the first page of a list at the default limit, encoded once
// per snapshot: the answer to a request without parameters, the most
// frequent one, costs no encoding.
func firstPage[T any](base, path string, items []T, key func(T) string) listBody[T] {
	page, next := pageOf(items, key, defaultLimit, cursor{}, false)
	out := list(page)
	if next != nil {
		u := base + path + "?cursor=" + next.String()
		out.Next = &u
	}
	return out
}

// Keys of the lists paged in memory.
func partnerKey(p *partnerhub.PartnerView) string { return p.Slug }
func unitKey(u partnerhub.Unit) string            { return u.Code }
func phaseKey(p partnerhub.Phase) string          { return strconv.Itoa(p.Number) }
func activityKey(a *partnerhub.Activity) string   { return a.Slug }
func binKey(b partnerhub.BinItem) string          { return string(b.Entity) + "/" + b.Key }

// ActivityPartners are the partners an activity names, for the activity
// item of every list: an entry that names no partner tells a reader little.
func (v *view) ActivityPartners(a *partnerhub.Activity) []*partnerhub.PartnerView {
	var out []*partnerhub.PartnerView
	for _, slug := range a.Partners {
		if p, err := v.X.Partner(slug); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// ActivityUnits are the units an activity names, in its order.
func (v *view) ActivityUnits(a *partnerhub.Activity) []*partnerhub.UnitView {
	var out []*partnerhub.UnitView
	for _, code := range a.Units {
		if u, err := v.X.Unit(code); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// pager is the page links under a paged portal list.
type pager struct {
	Page, Pages int
	From, To    int // the items shown, counted from 1
	Total       int
	Prev, Next  string // "" on the first and the last page
	Links       []pageLink
}

// pageLink is one link of a pager, or a gap (…) between links.
type pageLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

// parsePage reads the `page` of a portal list of total items: a whole
// number from 1 to the number of pages (1 for an empty list).
func parsePage(q url.Values, errs partnerhub.FieldErrors, total int) int {
	pages := max(1, (total+pageSize-1)/pageSize)
	v := single(q, errs, "page")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs.Add("page", "bad_int", v)
		return 1
	}
	if n < 1 || n > pages {
		errs.Add("page", "page_range", pages)
		return 1
	}
	return n
}

// newPager builds the links of page n of total items. Each link is the
// list's path with the request's query, page aside: the filters stay.
func newPager(path string, q url.Values, n, total int) *pager {
	pages := max(1, (total+pageSize-1)/pageSize)
	rest := withoutPage(q)
	href := func(i int) string {
		switch {
		case i > 1 && rest != "":
			return path + "?" + rest + "&page=" + strconv.Itoa(i)
		case i > 1:
			return path + "?page=" + strconv.Itoa(i)
		case rest != "":
			return path + "?" + rest
		}
		return path
	}
	p := &pager{Page: n, Pages: pages, Total: total, From: min((n-1)*pageSize+1, total), To: min(n*pageSize, total)}
	if n > 1 {
		p.Prev = href(n - 1)
	}
	if n < pages {
		p.Next = href(n + 1)
	}
	// The first, the last and two either side of the current page; a gap
	// stands for the pages left out, so 50 pages make a short row.
	for i := 1; i <= pages; i++ {
		if i == 1 || i == pages || (i >= n-2 && i <= n+2) {
			p.Links = append(p.Links, pageLink{N: i, Href: href(i), Current: i == n})
		} else if last := p.Links[len(p.Links)-1]; !last.Gap {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
	}
	return p
}

// withoutPage is a query without its `page`, encoded: what a link to the
// whole filtered list (a download, another page) starts from.
func withoutPage(q url.Values) string {
	out := url.Values{}
	for k, v := range q {
		if k != "page" {
			out[k] = v
		}
	}
	return out.Encode()
}
