package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"partnerhub"
	"partnerhub/transfer"
)

// Every list downloads as CSV or XLSX, with the filters in use and headers
// in the reader's language: /{lang}/export/{list}?format=csv&tier=primary.

// exportTable checks the format asked for, then builds the list's table.
func exportTable(ctx context.Context, v *view, q url.Values, format string, list exportList) (transfer.Table, error) {
	if format != "csv" && format != "xlsx" {
		return transfer.Table{}, (partnerhub.FieldErrors{"format": {Key: "one_of", Args: []any{"csv, xlsx"}}}).Err()
	}
	return list(ctx, v, q)
}

// exportList builds the table of one list from a request's filters.
type exportList func(ctx context.Context, v *view, q url.Values) (transfer.Table, error)

func (s *Server) export(lang partnerhub.Lang, list exportList) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var u *partnerhub.User
		if hasCredentials(r) {
			u = s.user(r)
		}
		if u != nil && s.pageGate(w, r, lang, u) {
			return
		}
		if !partnerhub.CanReadDrafts(u) {
			u = nil // a guest exports what the public does
		}
		var v *view
		if u != nil {
			v = s.newPrivateView(r, lang, u)
		} else {
			v = s.newView(r, lang, "", s.snap.Load())
		}
		q := r.URL.Query()
		format := q.Get("format")
		q.Del("format")
		t, err := exportTable(r.Context(), v, q, format, list)
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		name := t.Name + "." + format
		h := w.Header()
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
		h["Cache-Control"] = hdrNoStore
		h["Vary"] = hdrVaryWho // a signed-in reader's download holds drafts
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			err = transfer.WriteCSV(w, t)
		} else {
			h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			err = transfer.WriteXLSX(w, t)
		}
		if err != nil {
			s.deps.Logger.Error("export failed", "path", r.URL.Path, "format", format, "err", err)
		}
	}
}

// marks joins the marks of a team's units, the lead marked.
func marks(v *view, units []partnerhub.TeamUnit) string {
	var out []string
	for _, u := range units {
		m := mustText(v, u.Abbr)
		if u.Lead {
			m += "*"
		}
		out = append(out, m)
	}
	return strings.Join(out, " ")
}

func tierText(v *view, t *partnerhub.Tier) string {
	if t == nil {
		return ""
	}
	return v.P.T("tier." + string(*t))
}

func (s *Server) exportPartners(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	f, err := partnerFilter(v.X, q)
	if err != nil {
		return transfer.Table{}, err
	}
	t := transfer.Table{Name: v.P.T("export.partners"), Headers: []string{
		v.P.T("export.slug"), v.P.T("export.name"), v.P.T("export.name_other"), v.P.T("form.short_name"), v.P.T("label.kind"),
		v.P.T("label.tier"), v.P.T("label.country"), v.P.T("label.members"), v.P.T("label.team"), v.P.T("label.units_count")}}
	for _, p := range v.X.Partners(f) {
		var members []string
		for _, m := range p.Members {
			members = append(members, mustText(v, m.Name))
		}
		countries := slices.Clone(p.Countries)
		other, _ := p.Name.In(v.Other)
		t.Rows = append(t.Rows, []any{p.Slug, mustText(v, p.Name), other, p.ShortName, v.P.T("partner.kind." + string(p.Kind)),
			tierText(v, p.Tier), strings.Join(countries, " "), strings.Join(members, "; "), marks(v, p.Units), len(p.Units)})
	}
	return t, nil
}

func (s *Server) exportUnits(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	if err := params(q).Err(); err != nil {
		return transfer.Table{}, err
	}
	t := transfer.Table{Name: v.P.T("export.units"), Headers: []string{
		v.P.T("form.code"), v.P.T("label.mark"), v.P.T("export.name"), v.P.T("export.name_other"), v.P.T("label.kind"), v.P.T("label.partners")}}
	for _, u := range v.X.Units() {
		uv, _ := v.X.Unit(u.Code)
		var partners []string
		for _, p := range uv.Partners {
			partners = append(partners, mustText(v, p.Name))
		}
		other, _ := u.Name.In(v.Other)
		t.Rows = append(t.Rows, []any{u.Code, mustText(v, u.Abbr), mustText(v, u.Name), other, v.P.T("unit_kind." + string(u.Kind)), strings.Join(partners, "; ")})
	}
	return t, nil
}

func (s *Server) exportActivities(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	f, err := activityFilter(v.X, q)
	if err != nil {
		return transfer.Table{}, err
	}
	t := transfer.Table{Name: v.P.T("export.activities"), Headers: []string{
		v.P.T("export.slug"), v.P.T("form.start"), v.P.T("form.end"), v.P.T("label.when"), v.P.T("form.title"), v.P.T("label.kind"),
		v.P.T("label.format"), v.P.T("label.partners"), v.P.T("label.units"), v.P.T("label.participants"), v.P.T("label.series"), v.P.T("form.edition"), v.P.T("form.published")}}
	for _, a := range v.X.Activities(f) {
		var partners, units []string
		for _, p := range a.Partners {
			if pv, err := v.X.Partner(p); err == nil {
				partners = append(partners, mustText(v, pv.Name))
			}
		}
		for _, c := range a.Units {
			if uv, err := v.X.Unit(c); err == nil {
				units = append(units, mustText(v, uv.Abbr))
			}
		}
		format := ""
		if a.Format != "" {
			format = v.P.T("format." + string(a.Format))
		}
		series := ""
		if se, ok := v.X.Series(a.Series); ok {
			series = mustText(v, se.Name)
		}
		var edition any
		if a.Edition > 0 {
			edition = a.Edition
		}
		t.Rows = append(t.Rows, []any{a.Slug, a.Start.String(), a.End.String(), formatWhen(v, a), mustText(v, a.Title), v.P.T("kind." + string(a.Kind)),
			format, strings.Join(partners, "; "), strings.Join(units, " "), count(v, a.Participants), series, edition, a.Published})
	}
	return t, nil
}

func count(v *view, c *partnerhub.Count) string {
	if c == nil {
		return ""
	}
	return v.P.T("qualifier."+string(c.Qualifier), c.Value)
}

func (s *Server) exportMatrix(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	if err := params(q).Err(); err != nil {
		return transfer.Table{}, err
	}
	units := v.X.Units()
	t := transfer.Table{Name: v.P.T("export.matrix"), Headers: []string{v.P.T("label.partner"), v.P.T("label.tier")}}
	for _, u := range units {
		t.Headers = append(t.Headers, mustText(v, u.Abbr))
	}
	t.Headers = append(t.Headers, v.P.T("label.units_count"))
	for _, p := range v.X.Partners(partnerhub.PartnerFilter{}) {
		row := []any{mustText(v, p.Name), tierText(v, p.Tier)}
		for _, u := range units {
			cell := ""
			for _, tu := range p.Units {
				if tu.Code == u.Code {
					cell = "●"
					if tu.Lead {
						cell = "◎"
					}
				}
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, append(row, len(p.Units)))
	}
	return t, nil
}
