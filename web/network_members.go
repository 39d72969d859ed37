package web

// The network administrator's members page: every member of the
// deployment (its slug, names, programme, host, whether it is served and
// shares its statistics), the form that adds one, and disabling or
// enabling one, which needs a recent proof of the password like the other
// sensitive actions (reauth.go). Everyone but a network administrator is
// refused.

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/transfer"
)

// MemberAdmin keeps the members of a network deployment and onboards
// them from a workbook (store.DB).
type MemberAdmin interface {
	partnerhub.MemberService
	// Onboard writes a member's workbook; see store.DB.Onboard.
	Onboard(ctx context.Context, by *partnerhub.User, home string, o *transfer.Onboarding) (*store.OnboardResult, []transfer.SheetError, error)
}

// networkAdmin wraps a page of the network's administration: without the
// service it is not there (404), and only a network administrator is let
// through (403, as a home's admin pages refuse anyone else).
func (s *Server) networkAdmin(h privateHandler) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s.deps.MemberAdmin == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		if err := partnerhub.Authorize(v.User, partnerhub.ActionUpdate, partnerhub.EntityMember, partnerhub.Facts{}); err != nil {
			return nil, err
		}
		return h(w, r, v)
	}
}

type membersData struct {
	Members      []networkMemberRow
	Form         memberForm
	Errors       map[string]string
	Institutions []partnerhub.Institution // the registry's, for the form's list
	Done         string
}

type networkMemberRow struct {
	partnerhub.Member
	Portal string // the member's portal, as the lead's router serves it
}

// memberForm is the add form as typed.
type memberForm struct {
	Slug, Institution, NewInstitution, NameJa, NameEn, Country, Website string
	ProgrammeJa, ProgrammeEn, Host                                      string
	New, Share                                                          bool
}

// membersDone are the notices of what was just done, by ?done=.
var membersDone = map[string]string{
	"added":    "onboard.done_added",
	"disabled": "onboard.done_disabled",
	"enabled":  "onboard.done_enabled",
}

func (s *Server) membersPage(r *http.Request, v *view, d *membersData, status int) (*page, error) {
	list, err := s.deps.MemberAdmin.Members(r.Context())
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		d.Members = append(d.Members, networkMemberRow{Member: m, Portal: v.Portal(m.Slug) + "/"})
	}
	d.Institutions = slices.Clone(v.X.Catalog().Institutions)
	slices.SortFunc(d.Institutions, func(a, b partnerhub.Institution) int { return strings.Compare(a.Slug, b.Slug) })
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if d.Form.Country == "" {
		d.Form.Country = "JP"
	}
	return &page{Template: "network_members", Title: v.P.T("onboard.members_title"), Status: status, Data: d}, nil
}

func (s *Server) membersList(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &membersData{}
	p, err := s.membersPage(r, v, d, http.StatusOK)
	if err != nil {
		return nil, err
	}
	// The notice names a member only when it is one: a link cannot make
	// the page say something else.
	if key, ok := membersDone[r.URL.Query().Get("done")]; ok {
		slug := r.URL.Query().Get("slug")
		if slices.ContainsFunc(d.Members, func(m networkMemberRow) bool { return m.Slug == slug }) {
			d.Done = v.P.T(key, slug)
		}
	}
	return p, nil
}

// memberFields are the form's fields by the store's names of them, with
// "." read as "_" (programme.ja is programme_ja).
var memberFields = map[string]string{
	"programme": "programme_ja", "institution_slug": "new_institution", "institution_name": "name_en",
	"institution_name_ja": "name_ja", "institution_name_en": "name_en", "institution_country": "country",
	"institution_website": "website",
}

func (s *Server) memberAdd(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := parseAccountForm(w, r); err != nil {
		return nil, err
	}
	pf := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := memberForm{Slug: pf("slug"), Institution: pf("institution"), NewInstitution: pf("new_institution"),
		NameJa: pf("name_ja"), NameEn: pf("name_en"), Country: strings.ToUpper(pf("country")), Website: pf("website"),
		ProgrammeJa: pf("programme_ja"), ProgrammeEn: pf("programme_en"), Host: pf("host"),
		New: r.PostForm.Get("which") == "new", Share: r.PostForm.Get("share_statistics") != ""}
	nm := partnerhub.NewMember{Member: partnerhub.Member{Slug: f.Slug, Institution: f.Institution,
		Programme: partnerhub.Text{Ja: f.ProgrammeJa, En: f.ProgrammeEn}, Host: f.Host, ShareStatistics: f.Share}}
	errs := map[string]string{}
	if f.New {
		slug := f.NewInstitution
		if slug == "" {
			slug = f.Slug
		}
		nm.Institution = &partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: f.NameJa, En: f.NameEn},
			Country: f.Country, Website: f.Website}
	} else if f.Institution == "" {
		errs["institution"] = v.P.Field(partnerhub.FieldError{Key: "required"})
	}
	_, err := s.deps.MemberAdmin.AddMember(r.Context(), v.User, nm)
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		for k, m := range fields {
			k = strings.ReplaceAll(k, ".", "_")
			if to, ok := memberFields[k]; ok {
				k = to
			}
			if _, set := errs[k]; !set {
				errs[k] = m
			}
		}
	}
	if len(errs) > 0 {
		return s.membersPage(r, v, &membersData{Form: f, Errors: errs}, http.StatusBadRequest)
	}
	s.logSecurity(r, "member_added", "member", nm.Slug)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/network/admin/members/"+nm.Slug+"?done=added", http.StatusSeeOther)
	return nil, nil
}

// memberSetDisabled disables or enables the member of the path, after a
// recent proof of the password: a stolen session must not take a member's
// portal down.
func (s *Server) memberSetDisabled(disabled bool) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		slug := r.PathValue("slug")
		if sent, err := s.reauthFirst(w, r, v, "/network/admin/members"); sent || err != nil {
			return nil, err
		}
		if err := s.deps.MemberAdmin.SetMemberDisabled(r.Context(), v.User, slug, disabled); err != nil {
			return nil, err
		}
		done := "enabled"
		if disabled {
			done = "disabled"
		}
		s.logSecurity(r, "member_"+done, "member", slug)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, v.L()+"/network/admin/members?done="+done+"&slug="+slug, http.StatusSeeOther)
		return nil, nil
	}
}
