package web

// The administrators' page of single sign-on: who it admits. Identities
// pre-authorised one by one, and role rules by provider and affiliation,
// each shown with what it grants; added with field-level messages,
// removed, every change audited by the store.

import (
	"net/http"
	"strconv"
	"strings"

	"partnerhub"
)

type ssoAdminData struct {
	PreAuths []partnerhub.PreAuthorisation
	Rules    []partnerhub.RoleRule
	Roles    []partnerhub.Role
	// Affiliations are the eduPersonAffiliation values offered.
	Affiliations []string
	// Providers are the entity IDs and issuers of the rules and
	// pre-authorisations, offered as the provider field's suggestions.
	Providers []string
	PreForm   preAuthForm
	RuleForm  roleRuleForm
	PreErrors map[string]string
	RuleErrs  map[string]string
	Done      string
}

type preAuthForm struct{ Provider, Subject, Role string }
type roleRuleForm struct{ Provider, Affiliation, Role string }

// ssoAdminDone are the notices of what was just done, by ?done=.
var ssoAdminDone = map[string]string{
	"preauth_added":   "sso.done_preauth_added",
	"preauth_removed": "sso.done_preauth_removed",
	"rule_added":      "sso.done_rule_added",
	"rule_removed":    "sso.done_rule_removed",
}

func (s *Server) ssoAdminPage(r *http.Request, v *view, d *ssoAdminData, status int) (*page, error) {
	if s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	var err error
	if d.PreAuths, err = s.deps.Federation.PreAuthorisations(r.Context(), v.User, s.home(r)); err != nil {
		return nil, err
	}
	if d.Rules, err = s.deps.Federation.RoleRules(r.Context(), v.User, s.home(r)); err != nil {
		return nil, err
	}
	d.Roles, d.Affiliations = partnerhub.FederatedRoles, partnerhub.Affiliations
	seen := map[string]bool{}
	for _, x := range d.Rules {
		if !seen[x.Provider] {
			seen[x.Provider] = true
			d.Providers = append(d.Providers, x.Provider)
		}
	}
	for _, x := range d.PreAuths {
		if !seen[x.Provider] {
			seen[x.Provider] = true
			d.Providers = append(d.Providers, x.Provider)
		}
	}
	if d.PreForm.Role == "" {
		d.PreForm.Role = string(partnerhub.RoleViewer)
	}
	if d.RuleForm.Role == "" {
		d.RuleForm.Role = string(partnerhub.RoleViewer)
	}
	if d.PreErrors == nil {
		d.PreErrors = map[string]string{}
	}
	if d.RuleErrs == nil {
		d.RuleErrs = map[string]string{}
	}
	return &page{Template: "sso_admin", Title: v.P.T("sso.admin_title"), Status: status, Data: d}, nil
}

func (s *Server) ssoAdmin(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &ssoAdminData{}
	if key, ok := ssoAdminDone[r.URL.Query().Get("done")]; ok {
		d.Done = v.P.T(key)
	}
	return s.ssoAdminPage(r, v, d, http.StatusOK)
}

func (s *Server) ssoAdminDoneTo(w http.ResponseWriter, r *http.Request, v *view, done, anchor string) (*page, error) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/admin/sso?done="+done+"#"+anchor, http.StatusSeeOther)
	return nil, nil
}

func (s *Server) ssoAddPreAuth(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	f := preAuthForm{Provider: strings.TrimSpace(r.PostForm.Get("provider")), Subject: strings.TrimSpace(r.PostForm.Get("subject")), Role: r.PostForm.Get("role")}
	p, err := s.deps.Federation.AddPreAuthorisation(r.Context(), v.User, s.home(r),
		partnerhub.PreAuthorisation{Provider: f.Provider, Subject: f.Subject, Role: partnerhub.Role(f.Role)}, s.deps.Now())
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		return s.ssoAdminPage(r, v, &ssoAdminData{PreForm: f, PreErrors: fields}, http.StatusBadRequest)
	}
	s.logSecurity(r, "sso_preauth_added", "preauth", p.ID, "provider", p.Provider, "subject", p.Subject, "role", string(p.Role))
	return s.ssoAdminDoneTo(w, r, v, "preauth_added", "preauth")
}

func (s *Server) ssoAddRule(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Federation == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAccountForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	f := roleRuleForm{Provider: strings.TrimSpace(r.PostForm.Get("provider")), Affiliation: strings.TrimSpace(r.PostForm.Get("affiliation")), Role: r.PostForm.Get("role")}
	rule, err := s.deps.Federation.AddRoleRule(r.Context(), v.User, s.home(r),
		partnerhub.RoleRule{Provider: f.Provider, Affiliation: f.Affiliation, Role: partnerhub.Role(f.Role)}, s.deps.Now())
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		return s.ssoAdminPage(r, v, &ssoAdminData{RuleForm: f, RuleErrs: fields}, http.StatusBadRequest)
	}
	s.logSecurity(r, "sso_rule_added", "rule", rule.ID, "provider", rule.Provider, "affiliation", rule.Affiliation, "role", string(rule.Role))
	return s.ssoAdminDoneTo(w, r, v, "rule_added", "rules")
}

// ssoRemove removes a pre-authorisation (rule false) or a role rule.
func (s *Server) ssoRemove(rule bool) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s.deps.Federation == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		if rule {
			if err := s.deps.Federation.RemoveRoleRule(r.Context(), v.User, s.home(r), id, s.deps.Now()); err != nil {
				return nil, err
			}
			s.logSecurity(r, "sso_rule_removed", "rule", id)
			return s.ssoAdminDoneTo(w, r, v, "rule_removed", "rules")
		}
		if err := s.deps.Federation.RemovePreAuthorisation(r.Context(), v.User, s.home(r), id, s.deps.Now()); err != nil {
			return nil, err
		}
		s.logSecurity(r, "sso_preauth_removed", "preauth", id)
		return s.ssoAdminDoneTo(w, r, v, "preauth_removed", "preauth")
	}
}
