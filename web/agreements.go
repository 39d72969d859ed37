package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"partnerhub"
	"partnerhub/transfer"
)

// The agreements index: every agreement of the programme, or of one
// partner, filtered by kind, level and status. Drafts are in the index of
// a signed-in user only, because the view's data holds them only then.

// agreementRow is one agreement with the partner it is with.
type agreementRow struct {
	A       partnerhub.Agreement
	Partner *partnerhub.PartnerView
	With    *partnerhub.Institution // the member institution that signed, for groups; nil when the agreement names none
	Units   []partnerhub.Unit       // the units that signed, for unit-level agreements
}

// agreementFilter is the index's filters, checked.
type agreementFilter struct {
	Partner string
	Kind    partnerhub.AgreementKind
	Level   partnerhub.AgreementLevel
	Status  partnerhub.AgreementStatus
}

// parseAgreementFilter reads and checks the filters: an unknown partner or
// value is a field error, never an empty list.
func parseAgreementFilter(x *partnerhub.Index, q url.Values) (agreementFilter, error) {
	errs := params(q, "partner", "kind", "level", "status")
	f := agreementFilter{
		Partner: single(q, errs, "partner"),
		Kind:    partnerhub.AgreementKind(single(q, errs, "kind")),
		Level:   partnerhub.AgreementLevel(single(q, errs, "level")),
		Status:  partnerhub.AgreementStatus(single(q, errs, "status")),
	}
	if f.Partner != "" {
		if _, err := x.Partner(f.Partner); err != nil {
			errs.Add("partner", "unknown_partner", f.Partner)
		}
	}
	if f.Kind != "" && !slices.Contains(partnerhub.AgreementKinds, f.Kind) {
		errs.Add("kind", "one_of", joinEnum(partnerhub.AgreementKinds))
	}
	if f.Level != "" && !slices.Contains(partnerhub.AgreementLevels, f.Level) {
		errs.Add("level", "one_of", joinEnum(partnerhub.AgreementLevels))
	}
	if f.Status != "" && !slices.Contains(partnerhub.AgreementStatuses, f.Status) {
		errs.Add("status", "one_of", joinEnum(partnerhub.AgreementStatuses))
	}
	return f, errs.Err()
}

func joinEnum[E ~string](vs []E) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ", "
		}
		out += string(v)
	}
	return out
}

func (f agreementFilter) IsZero() bool { return f == agreementFilter{} }

// agreementRows are the agreements the filter lets through, newest
// signature first; undated ones last, in the data's order.
func agreementRows(x *partnerhub.Index, f agreementFilter) []agreementRow {
	var out []agreementRow
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		if f.Partner != "" && p.Slug != f.Partner {
			continue
		}
		for _, a := range p.Agreements {
			if f.Kind != "" && a.Kind != f.Kind || f.Level != "" && a.Level != f.Level || f.Status != "" && a.Status != f.Status {
				continue
			}
			row := agreementRow{A: a, Partner: p}
			if in, ok := x.Institution(a.Institution); ok && a.Institution != "" {
				row.With = in
			}
			for _, code := range a.Units {
				if u, err := x.Unit(code); err == nil {
					row.Units = append(row.Units, u.Unit)
				}
			}
			out = append(out, row)
		}
	}
	slices.SortStableFunc(out, func(a, b agreementRow) int {
		switch {
		case a.A.Signed.IsZero() && b.A.Signed.IsZero():
			return 0
		case a.A.Signed.IsZero():
			return 1
		case b.A.Signed.IsZero():
			return -1
		}
		return b.A.Signed.Compare(a.A.Signed)
	})
	return out
}

type agreementsData struct {
	Filter   listFilter
	Errors   map[string]string
	Rows     []agreementRow
	Partner  *partnerhub.PartnerView // the partner the index is narrowed to; nil for the whole programme
	Owner    *partnerhub.Institution
	Filtered bool
	Partners []*partnerhub.PartnerView
	Kinds    []partnerhub.AgreementKind
	Levels   []partnerhub.AgreementLevel
	Statuses []partnerhub.AgreementStatus
	CSV      template.URL // the downloads, with the filters in use
	XLSX     template.URL
}

// presentStatuses are the statuses some agreement the reader sees has, in
// the order of an agreement's life: a filter offers only what finds
// something.
func presentStatuses(x *partnerhub.Index) []partnerhub.AgreementStatus {
	var out []partnerhub.AgreementStatus
	for _, st := range partnerhub.AgreementStatuses {
		if slices.ContainsFunc(x.Catalog().Agreements, func(a partnerhub.Agreement) bool { return a.Status == st }) {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) agreementsPage(r *http.Request, v *view) (*page, error) {
	x := v.X
	q := r.URL.Query()
	f, err := parseAgreementFilter(x, q)
	errs, err := fieldErrors(v, err)
	if err != nil {
		return nil, err
	}
	p := &page{Template: "agreements", Title: v.P.T("agreements.title"), Description: v.P.T("agreements.description")}
	d := &agreementsData{
		Filter: listFilter{"partner": q.Get("partner"), "kind": q.Get("kind"), "level": q.Get("level"), "status": q.Get("status")},
		Errors: errs, Owner: v.Owner(), Filtered: !f.IsZero(),
		Partners: x.Partners(partnerhub.PartnerFilter{}), Kinds: partnerhub.AgreementKinds, Levels: partnerhub.AgreementLevels, Statuses: presentStatuses(x),
	}
	if errs != nil {
		p.Status = http.StatusBadRequest
	} else {
		d.Rows = agreementRows(x, f)
		exp := url.Values{}
		for k, val := range d.Filter {
			if val != "" {
				exp.Set(k, val)
			}
		}
		// Built here whole: a query given to the template as a string
		// would be escaped as one value and the filters lost.
		for _, format := range []string{"csv", "xlsx"} {
			exp.Set("format", format)
			u := template.URL(v.L() + "/export/agreements?" + exp.Encode())
			if format == "csv" {
				d.CSV = u
			} else {
				d.XLSX = u
			}
		}
		if f.Partner != "" {
			d.Partner, _ = x.Partner(f.Partner)
			// Narrowed to one partner, the page is that partner's: its
			// title and breadcrumbs say so.
			p.Title = v.P.T("agreements.title_of", mustText(v, d.Partner.Name))
			p.Parents = []crumb{{Label: v.P.T("nav.partners"), Href: v.L() + "/partners"},
				{Label: mustText(v, d.Partner.Name), Href: v.L() + "/partners/" + d.Partner.Slug}}
		}
	}
	p.Data = d
	return p, nil
}

// exportAgreements downloads the index with the same filters.
func (s *Server) exportAgreements(ctx context.Context, v *view, q url.Values) (transfer.Table, error) {
	f, err := parseAgreementFilter(v.X, q)
	if err != nil {
		return transfer.Table{}, err
	}
	owner := mustText(v, v.Owner().Name)
	t := transfer.Table{Name: v.P.T("export.agreements"), Headers: []string{
		v.P.T("export.slug"), v.P.T("label.partner"), v.P.T("form.title"), v.P.T("label.kind"), v.P.T("form.level"),
		v.P.T("agreements.parties"), v.P.T("form.signed"), v.P.T("form.expires"), v.P.T("form.status"), v.P.T("form.published")}}
	for _, r := range agreementRows(v.X, f) {
		a := r.A
		t.Rows = append(t.Rows, []any{a.Slug, mustText(v, r.Partner.Name), mustText(v, a.Title), v.P.T("agreement.kind." + string(a.Kind)),
			v.P.T("agreement.level." + string(a.Level)), parties(v, owner, r), a.Signed.String(), a.Expires.String(),
			v.P.T("agreement.status." + string(a.Status)), a.Published})
	}
	return t, nil
}

// parties names who signed, in one line for a spreadsheet: the home
// institution (and its units, for a unit-level agreement) and the partner
// (or the member institution that signed).
func parties(v *view, owner string, r agreementRow) string {
	ours := owner
	for _, u := range r.Units {
		ours += " " + mustText(v, u.Name)
	}
	theirs := mustText(v, r.Partner.Name)
	if r.With != nil {
		theirs = mustText(v, r.With.Name)
	}
	return v.P.T("agreements.between", ours, theirs)
}
