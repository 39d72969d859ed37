package web

// The approval chains page: administrators choose, for each kind of
// agreement, who approves it and in what order. Agreements already in
// review keep the chain they were submitted with.

import (
	"net/http"
	"strconv"
	"strings"

	"partnerhub"
)

// chainRows is how many steps the form offers beyond those a chain has.
const chainRows = 2

// approvalsData is what the page shows: every kind's chain as rows of a
// form, and the errors of the one just refused.
type approvalsData struct {
	Chains    []chainForm
	Approvers []partnerhub.ApproverKind
	Saved     string
}

type chainForm struct {
	Kind    partnerhub.AgreementKind
	BuiltIn bool
	Rows    []partnerhub.ApprovalStep
	Errors  map[string]string
}

func (s *Server) approvalsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return s.approvals(r, v, nil)
}

// approvals is the page, with failed standing in for its kind's chain.
func (s *Server) approvals(r *http.Request, v *view, failed *chainForm) (*page, error) {
	if s.deps.Chains == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	chains, err := s.deps.Chains.ApprovalChains(r.Context(), s.home(r))
	if err != nil {
		return nil, err
	}
	d := &approvalsData{Approvers: partnerhub.ApproverKinds, Saved: r.URL.Query().Get("saved")}
	for _, c := range chains {
		f := chainForm{Kind: c.Kind, BuiltIn: c.BuiltIn, Rows: c.Steps}
		if failed != nil && failed.Kind == c.Kind {
			f = *failed
		}
		for range chainRows {
			f.Rows = append(f.Rows, partnerhub.ApprovalStep{})
		}
		d.Chains = append(d.Chains, f)
	}
	p := &page{Template: "approvals", Title: v.P.T("approvals.title"), Data: d}
	if failed != nil {
		p.Status = http.StatusBadRequest
	}
	return p, nil
}

// saveChain replaces one kind's chain with the rows of its form; a row
// without an approver is left out.
func (s *Server) saveChain(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Chains == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	c := partnerhub.ApprovalChain{Kind: partnerhub.AgreementKind(r.PathValue("kind"))}
	approvers, emails := r.PostForm["approver"], r.PostForm["email"]
	for i, a := range approvers {
		if a == "" {
			continue
		}
		st := partnerhub.ApprovalStep{Approver: partnerhub.ApproverKind(a)}
		if i < len(emails) {
			st.Email = strings.TrimSpace(emails[i])
		}
		c.Steps = append(c.Steps, st)
	}
	err := s.deps.Chains.SetApprovalChain(r.Context(), v.User, s.home(r), c)
	if err == nil {
		http.Redirect(w, r, v.L()+"/admin/approvals?saved="+string(c.Kind)+"#chain-"+string(c.Kind), http.StatusSeeOther)
		return nil, nil
	}
	e, ok := err.(*partnerhub.Error)
	if !ok || e.Code != partnerhub.EInvalid || len(e.Fields) == 0 {
		return nil, err
	}
	if _, known := e.Fields["kind"]; known {
		return nil, err
	}
	failed := &chainForm{Kind: c.Kind, Rows: c.Steps, Errors: map[string]string{}}
	for f, fe := range e.Fields {
		// "steps.1.email" names the second row kept; the form numbers rows as shown.
		failed.Errors[f] = v.P.T("field."+fe.Key, fe.Args...)
	}
	return s.approvals(r, v, failed)
}

// stepField is the name of a row's field in a chain's errors.
func stepField(i int, name string) string { return "steps." + strconv.Itoa(i) + "." + name }
