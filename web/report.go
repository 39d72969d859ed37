package web

// The annual report as a PDF: /{lang}/report/{year}.pdf. It is public:
// made from the public snapshot (published records only), the public calls
// and the awarded projects, the same for everyone, so it is kept with the
// snapshot like a page and rendered once per version of the data. A year
// outside the programme's data is a 404 page.

import (
	"net/http"
	"strconv"
	"strings"

	"partnerhub"
	"partnerhub/report"
)

var hdrPDF = []string{"application/pdf"}

// reportYear reads "2024.pdf"; ok is false for anything else.
func reportYear(file string) (int, bool) {
	s, found := strings.CutSuffix(file, ".pdf")
	if !found || len(s) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	return y, err == nil && y >= 1000
}

// reportInput gathers what the report of year shows, as the public sees it.
func (s *Server) reportInput(r *http.Request, v *view, snap *snapshot, year int) (report.Input, error) {
	in := report.Input{Lang: v.Lang, Year: year, Index: v.X, P: v.P, Own: v.Own, Date: snap.loaded}
	src := report.Sources{Mobility: s.deps.Mobility}
	if s.deps.Funds != nil {
		src.Calls = s.deps.Funds
	}
	if s.deps.Decisions != nil {
		src.Projects = s.deps.Decisions
	}
	if err := report.Gather(r.Context(), v.Home, src, &in); err != nil {
		return in, err
	}
	world, _, err := s.maps.get()
	if err != nil {
		return in, err
	}
	in.World = world
	return in, nil
}

func (s *Server) annualReport(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		snap := s.snap.Load()
		v := s.newView(r, lang, "", snap)
		year, ok := reportYear(r.PathValue("file"))
		notFound := partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		if !ok || r.URL.RawQuery != "" {
			s.privatePage(w, r, v, s.errorPage(v, notFound))
			return
		}
		key := "report|" + string(lang) + "|" + strconv.Itoa(year)
		c, err := snap.pages.get(key, func() (*rendered, error) {
			in, err := s.reportInput(r, v, snap, year)
			if err != nil {
				return nil, err
			}
			if !report.HasYear(v.X, in.Mobility, year) {
				return nil, notFound
			}
			var b strings.Builder
			if err := report.Write(&b, in); err != nil {
				return nil, err
			}
			body := []byte(b.String())
			rb := rawBody(body)
			// A PDF's streams are compressed already: no gzip copy.
			return &rendered{status: http.StatusOK, body: body, etag: rb.etag[0], length: rb.length}, nil
		})
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		h := w.Header()
		h["Content-Type"] = hdrPDF
		h["Cache-Control"] = hdrNoCache
		h["X-Content-Type-Options"] = hdrNosniff
		h["Etag"] = []string{c.etag}
		name := "report-" + strconv.Itoa(year) + "-" + string(lang) + ".pdf"
		h.Set("Content-Disposition", `inline; filename="`+name+`"`)
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, c.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Length"] = c.length
		if r.Method != http.MethodHead {
			w.Write(c.body)
		}
	}
}

// reportLinkYear is the year whose report the phases page links to: the
// last year of the programme's data, not after this year.
func (s *Server) reportLinkYear(v *view) int {
	_, last := report.Years(v.X, nil)
	if now := partnerhub.Today(s.deps.Now()).Year(); last > now {
		last = now
	}
	return last
}
