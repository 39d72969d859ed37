package web

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/i18n"
)

//go:embed openapi.json
var openapiJSON []byte

var (
	hdrJSON    = []string{"application/json; charset=utf-8"}
	hdrNoCache = []string{"no-cache"}
	hdrNosniff = []string{"nosniff"}
)

// printer returns the printer of the request's language (see langFor).
func (s *Server) printer(r *http.Request) *i18n.Printer {
	return s.deps.Messages.Printer(s.info(r).lang)
}

// writeBody writes an encoded body, or 304 when the client holds it already.
// Clients revalidate every time (no-cache): the data can change at any edit.
func writeBody(w http.ResponseWriter, r *http.Request, b body) error {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Vary"] = hdrVaryWho // a signed-in reader sees drafts
	if hasCredentials(r) {
		h["Cache-Control"] = hdrNoStore
	} else {
		h["Cache-Control"] = hdrNoCache
	}
	h["Etag"] = b.etag
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, b.etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Length"] = b.length
	_, err := w.Write(b.b)
	return err
}

func etagMatch(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

// writeJSON encodes v for this request alone.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := newBody(v)
	if err != nil {
		return err
	}
	return writeBody(w, r, b)
}

// params checks that a query names only the allowed parameters (and lang),
// so that a misspelt filter is an error, not a silently ignored one.
func params(q url.Values, allowed ...string) partnerhub.FieldErrors {
	errs := partnerhub.FieldErrors{}
	for k := range q {
		if k != "lang" && !slices.Contains(allowed, k) {
			errs.Add(k, "unknown_param", strings.Join(append(allowed, "lang"), ", "))
		}
	}
	return errs
}

// noParams refuses every query parameter but lang.
func noParams(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	return params(r.URL.Query()).Err()
}

// single returns the one value of a parameter; a repeated one is an error.
func single(q url.Values, errs partnerhub.FieldErrors, key string) string {
	vs := q[key]
	if len(vs) > 1 {
		errs.Add(key, "duplicate", key)
	}
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapFor(r)
	if r.URL.RawQuery == "" {
		return writeBody(w, r, snap.partners)
	}
	q, pg := paging(r.URL.Query(), partnerParams...)
	f, err := partnerFilter(snap.index, q)
	if err := pg.merge(err); err != nil {
		return err
	}
	if f.IsZero() && pg.first() {
		return writeBody(w, r, snap.partners)
	}
	return writePage(s, w, r, snap.index.Partners(f), partnerKey, pg)
}

// The filters of the partner and activity lists, which the API's lists,
// the exports and the partner page share.
var (
	partnerParams  = []string{"tier", "unit", "phase", "country", "q"}
	activityParams = []string{"partner", "unit", "kind", "from", "to", "q"}
)

func partnerFilter(x *partnerhub.Index, q url.Values) (partnerhub.PartnerFilter, error) {
	errs := params(q, partnerParams...)
	f := partnerhub.PartnerFilter{
		Tier:    partnerhub.Tier(single(q, errs, "tier")),
		Unit:    single(q, errs, "unit"),
		Country: strings.ToUpper(single(q, errs, "country")),
		Q:       single(q, errs, "q"),
	}
	if v := single(q, errs, "phase"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs.Add("phase", "bad_int", v)
		}
		f.Phase = n
	}
	return f, merge(errs, x.ValidatePartnerFilter(f))
}

// merge adds the field errors of err to errs, so that one answer reports
// every problem of a request at once.
func merge(errs partnerhub.FieldErrors, err error) error {
	var e *partnerhub.Error
	if errors.As(err, &e) && e.Code == partnerhub.EInvalid {
		for f, fe := range e.Fields {
			errs.Add(f, fe.Key, fe.Args...)
		}
	} else if err != nil {
		return err
	}
	return errs.Err()
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapFor(r)
	if err := noParams(r); err != nil {
		return err
	}
	slug := r.PathValue("slug")
	b, ok := snap.partnerBy[slug]
	if !ok {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.partner_not_found", slug)
	}
	return writeBody(w, r, b)
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapFor(r)
	return writeWhole(s, w, r, snap.units, snap.index.Units(), unitKey)
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	code := r.PathValue("code")
	b, ok := s.snapFor(r).unitBy[code]
	if !ok {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.unit_not_found", code)
	}
	return writeBody(w, r, b)
}

func (s *Server) listPhases(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapFor(r)
	return writeWhole(s, w, r, snap.phases, snap.index.Phases(), phaseKey)
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapFor(r)
	if r.URL.RawQuery == "" {
		return writeBody(w, r, snap.activities)
	}
	q, pg := paging(r.URL.Query(), activityParams...)
	f, err := activityFilter(snap.index, q)
	if err := pg.merge(err); err != nil {
		return err
	}
	if f == (partnerhub.ActivityFilter{}) && pg.first() {
		return writeBody(w, r, snap.activities)
	}
	return writePage(s, w, r, snap.index.Activities(f), activityKey, pg)
}

func activityFilter(x *partnerhub.Index, q url.Values) (partnerhub.ActivityFilter, error) {
	errs := params(q, activityParams...)
	f := partnerhub.ActivityFilter{
		Partner: single(q, errs, "partner"),
		Unit:    single(q, errs, "unit"),
		Kind:    partnerhub.ActivityKind(single(q, errs, "kind")),
		Q:       single(q, errs, "q"),
	}
	for key, into := range map[string]*partnerhub.PartialDate{"from": &f.From, "to": &f.To} {
		v := single(q, errs, key)
		d, err := partnerhub.ParsePartialDate(v)
		if err != nil {
			errs.Add(key, "bad_date", v)
		}
		*into = d
	}
	return f, merge(errs, x.ValidateActivityFilter(f))
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	a, err := s.snapFor(r).index.Activity(r.PathValue("slug"))
	if err != nil {
		return err
	}
	return writeJSON(w, r, a)
}

// getAgreement is one agreement as the caller may see it: signed ones for
// the public, any for a signed-in caller.
func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	c := s.snapFor(r).index.Catalog()
	for i := range c.Agreements {
		if c.Agreements[i].Slug == r.PathValue("slug") {
			return writeJSON(w, r, &c.Agreements[i])
		}
	}
	return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", r.PathValue("slug"))
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	return writeBody(w, r, s.openapiBody)
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return partnerhub.Errorf(eMethod, "error.method_not_allowed")
	}
	return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// readyz answers 200 when the database answers and the data is loaded.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Source.Ping(ctx); err != nil {
		s.deps.Logger.Warn("not ready", "err", err)
		return partnerhub.Errorf(partnerhub.EUnavailable, "error.unavailable")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte("ready\n"))
	return err
}
