package web

// The agreement's page: what the public may know of it (kind, level,
// parties, dates, status, its renewals), and for signed-in users its
// review, the actions open to them, and its history. Its documents have a
// page of their own, for signed-in users only.

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

// agreementData is what the agreement's page shows.
type agreementData struct {
	A        *partnerhub.Agreement
	Partner  *partnerhub.PartnerView
	With     *partnerhub.Institution // the consortium member that signed; nil when none is named
	Units    []partnerhub.Unit
	Versions []partnerhub.Agreement // the chain of renewals, oldest first, this one included
	// For signed-in users.
	Steps   []reviewStep
	Verbs   []partnerhub.Verb // the actions open to the reader
	History []partnerhub.AuditEvent
	Renew   template.URL // the form of a renewal, prefilled
	Errors  map[string]string
	Comment string
	Done    string // the verb just applied
}

// reviewStep is a step of the review under way, as the page lists it.
type reviewStep struct {
	Label string
	State string // done, waiting or pending
}

// findAgreement is the agreement of slug in v's index: a signed one for
// the public, any for a signed-in reader.
func findAgreement(v *view, slug string) (*partnerhub.Agreement, error) {
	c := v.X.Catalog()
	for i := range c.Agreements {
		if c.Agreements[i].Slug == slug {
			return &c.Agreements[i], nil
		}
	}
	return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", slug)
}

func (s *Server) agreementPage(r *http.Request, v *view) (*page, error) {
	a, err := findAgreement(v, r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	d := &agreementData{A: a, Versions: renewalChain(v.X.Catalog().Agreements, a)}
	if p, err := v.X.Partner(a.Partner); err == nil {
		d.Partner = p
	}
	if in, ok := v.X.Institution(a.Institution); ok && a.Institution != "" {
		d.With = in
	}
	for _, code := range a.Units {
		if u, err := v.X.Unit(code); err == nil {
			d.Units = append(d.Units, u.Unit)
		}
	}
	if v.User != nil {
		if err := s.agreementPrivate(r, v, d); err != nil {
			return nil, err
		}
	}
	return &page{Template: "agreement", Title: mustText(v, a.Title), Description: v.P.T("agreement.page_description",
		v.P.T("agreement.kind."+string(a.Kind)), v.P.T("agreement.status."+string(a.Status))), Data: d}, nil
}

// agreementPrivate fills what only signed-in users see.
func (s *Server) agreementPrivate(r *http.Request, v *view, d *agreementData) error {
	a := d.A
	units := approvingUnits(d.Partner, a)
	if a.Review != nil && a.Stage == partnerhub.StageReview {
		for i, st := range a.Review.Chain {
			label := v.P.T("approver." + string(st.Approver))
			if st.Approver == partnerhub.ApproverPerson {
				label += " (" + st.Email + ")"
			}
			state := "pending"
			switch {
			case i < a.Review.Step:
				state = "done"
			case i == a.Review.Step:
				state = "waiting"
			}
			d.Steps = append(d.Steps, reviewStep{Label: label, State: state})
		}
	}
	for _, verb := range a.Verbs() {
		if a.RenewedBy != "" {
			break // a renewed agreement lives on in its new version
		}
		if slices.Contains(partnerhub.ReviewVerbs, verb) && a.Stage == partnerhub.StageReview {
			if st := a.WaitingStep(); st == nil || !st.CanApprove(v.User, units) {
				continue
			}
		} else if v.User.Role == partnerhub.RoleViewer {
			continue
		}
		d.Verbs = append(d.Verbs, verb)
	}
	if s.deps.Editor != nil {
		events, err := s.deps.Editor.Audit(r.Context(), s.home(r), partnerhub.AuditFilter{Entity: partnerhub.EntityAgreement, Key: a.Slug, Limit: 200})
		if err != nil {
			return err
		}
		d.History = events
	}
	if a.Stage == partnerhub.StageSigned && a.RenewedBy == "" && v.User.Role != partnerhub.RoleViewer {
		q := url.Values{"renews": {a.Slug}, "partner": {a.Partner}, "kind": {string(a.Kind)}, "level": {string(a.Level)}}
		if a.Institution != "" {
			q.Set("institution", a.Institution)
		}
		if len(a.Units) > 0 {
			q["units"] = a.Units
		}
		d.Renew = template.URL(v.L() + "/edit/agreement/new?" + q.Encode())
	}
	d.Done = r.URL.Query().Get("done")
	if !slices.Contains(partnerhub.AgreementVerbs, partnerhub.Verb(d.Done)) {
		d.Done = ""
	}
	return nil
}

// approvingUnits are the units whose coordinators approve a's coordinator
// step, as the store decides them: its own, or the partner's lead unit in
// the latest phase with a team.
func approvingUnits(p *partnerhub.PartnerView, a *partnerhub.Agreement) []string {
	if len(a.Units) > 0 {
		return a.Units
	}
	if p == nil {
		return nil
	}
	latest := -1
	var out []string
	for _, t := range p.Teams {
		if t.Phase < latest {
			continue
		}
		for _, u := range t.Units {
			if u.Lead {
				latest, out = t.Phase, []string{u.Code}
			}
		}
	}
	return out
}

// renewalChain is a's line of versions, oldest first: the ones it renews
// and the ones that renew it, among those the reader may see.
func renewalChain(all []partnerhub.Agreement, a *partnerhub.Agreement) []partnerhub.Agreement {
	bySlug := map[string]partnerhub.Agreement{}
	next := map[string]string{}
	for _, o := range all {
		bySlug[o.Slug] = o
		if o.Renews != "" {
			if cur, ok := next[o.Renews]; !ok || o.Stage == partnerhub.StageSigned && bySlug[cur].Stage != partnerhub.StageSigned {
				next[o.Renews] = o.Slug
			}
		}
	}
	first := a.Slug
	seen := map[string]bool{first: true}
	for {
		prev, ok := bySlug[bySlug[first].Renews]
		if !ok || seen[prev.Slug] {
			break
		}
		first = prev.Slug
		seen[first] = true
	}
	var out []partnerhub.Agreement
	seen = map[string]bool{}
	for slug := first; slug != "" && !seen[slug]; slug = next[slug] {
		seen[slug] = true
		out = append(out, bySlug[slug])
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// agreementTransit applies the verb the agreement page's form names; a
// refusal shows the page again with the reason by the field it concerns.
func (s *Server) agreementTransit(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	slug := r.PathValue("slug")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	t := partnerhub.Transition{Verb: partnerhub.Verb(r.PostForm.Get("verb")), Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
	_, err := s.apply(r, partnerhub.Transit(v.User, s.home(r), partnerhub.EntityAgreement, slug, version, t))
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, v.L()+"/agreements/"+slug+"?done="+url.QueryEscape(string(t.Verb)), http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code == partnerhub.EInternal || e.Code == partnerhub.ENotFound || e.Code == partnerhub.EUnauthorized {
		return nil, err
	}
	v.X = s.full.Load().index
	v.Path, v.Query = "/agreements/"+slug, "" // the language switch leads to the page, not the form's target
	p, perr := s.agreementPage(r, v)
	if perr != nil {
		return nil, err
	}
	d := p.Data.(*agreementData)
	d.Comment = t.Comment
	d.Errors = map[string]string{}
	for f, fe := range e.Fields {
		d.Errors[f] = v.P.T("field."+fe.Key, fe.Args...)
	}
	if len(d.Errors) == 0 {
		d.Errors["verb"] = v.P.T(e.Message, e.Args...)
	}
	p.Status = statusOf(e.Code)
	return p, nil
}
