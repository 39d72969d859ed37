package web

// A member's page of the network's administration: the member, the form
// that invites its administrators by mail, and its onboarding from a
// workbook (its units, phases, partners and teams), checked whole and
// refused with every problem by sheet, row and column, or written in one
// transaction. A workbook is hundreds of rows: it is read and written
// within the request.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/transfer"
)

// maxOnboardUpload bounds a workbook uploaded.
const maxOnboardUpload = 16 << 20

// maxMemberInvites bounds the addresses one form invites.
const maxMemberInvites = 20

type memberData struct {
	Member  *partnerhub.Member
	Portal  string
	Done    string
	Invite  memberInviteForm
	Errors  map[string]string
	Invited []string // addresses just invited
	// The onboarding's outcome: the file's problems, or what it did.
	File     string
	Error    string
	Problems []onboardProblem
	More     bool
	Result   *onboardSummary
}

type memberInviteForm struct {
	Emails, Lang string
}

// onboardProblem is a problem of a workbook as the page lists it.
type onboardProblem struct {
	Sheet   string
	Row     int
	Column  string
	Message string
	Key     string
}

// onboardSummary is what an import did, by sheet.
type onboardSummary struct {
	Sheets              []onboardCount
	InstitutionsCreated []string
	InstitutionsMatched []string
	Changed             bool
}

type onboardCount struct {
	Sheet                       string
	Created, Updated, Unchanged int
}

var memberDone = map[string]string{
	"added":   "onboard.done_added",
	"invited": "onboard.done_invited",
}

func (s *Server) memberPage(r *http.Request, v *view, d *memberData, status int) (*page, error) {
	slug := r.PathValue("slug")
	list, err := s.deps.MemberAdmin.Members(r.Context())
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		if m.Slug == slug {
			d.Member, d.Portal = &m, v.Portal(m.Slug)+"/"
		}
	}
	if d.Member == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.home_not_found", slug)
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if d.Invite.Lang == "" {
		d.Invite.Lang = string(v.Lang)
	}
	name, _ := d.Member.Name.In(v.Lang)
	return &page{Template: "onboard", Title: v.P.T("onboard.member_title", name), Status: status, Data: d,
		Parents: []crumb{{Label: v.P.T("onboard.members_title"), Href: v.L() + "/network/admin/members"}}}, nil
}

func (s *Server) memberView(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &memberData{}
	if key, ok := memberDone[r.URL.Query().Get("done")]; ok {
		d.Done = v.P.T(key, r.PathValue("slug"))
	}
	return s.memberPage(r, v, d, http.StatusOK)
}

// memberInvite invites the member's administrators: each address gets its
// own invitation (invitation.go), which makes an administrator's account in
// that member when accepted. Every address is checked before any is sent.
func (s *Server) memberInvite(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Invitations == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err := parseAccountForm(w, r); err != nil {
		return nil, err
	}
	slug := r.PathValue("slug")
	f := memberInviteForm{Emails: r.PostForm.Get("emails"), Lang: r.PostForm.Get("lang")}
	bad := func(key string, args ...any) (*page, error) {
		return s.memberPage(r, v, &memberData{Invite: f, Errors: map[string]string{"emails": v.P.T(key, args...)}}, http.StatusBadRequest)
	}
	m, err := s.deps.MemberAdmin.Member(r.Context(), slug)
	if err != nil {
		return nil, err
	}
	var emails []string
	for _, e := range strings.FieldsFunc(f.Emails, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		e = partnerhub.NormalizeEmail(e)
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return bad("onboard.bad_email", e)
		}
		if !slices.Contains(emails, e) {
			emails = append(emails, e)
		}
	}
	switch {
	case len(emails) == 0:
		return bad("onboard.no_emails")
	case len(emails) > maxMemberInvites:
		return bad("onboard.too_many_emails", maxMemberInvites)
	}
	lang, ok := partnerhub.ParseLang(f.Lang)
	if !ok {
		lang = v.Lang
	}
	var sent []string
	var refused []string
	for _, e := range emails {
		spec := partnerhub.InvitationSpec{Email: e, Name: e, Lang: lang, Role: partnerhub.RoleAdmin,
			Note: partnerhub.Text{Ja: s.deps.Messages.Printer(partnerhub.Japanese).T("onboard.invite_note", m.Programme.Ja),
				En: s.deps.Messages.Printer(partnerhub.English).T("onboard.invite_note", m.Programme.En)}}
		inv, err := s.deps.Invitations.Invite(r.Context(), v.User, slug, spec, s.deps.Now())
		if err != nil {
			fields, ferr := fieldErrors(v, err)
			if ferr != nil {
				return nil, ferr
			}
			msg := fields["email"]
			for _, m := range fields {
				if msg == "" {
					msg = m
				}
			}
			refused = append(refused, e+": "+msg)
			continue
		}
		s.logSecurity(r, "invitation_sent", "invitation", inv.ID, "member", slug, "role", string(partnerhub.RoleAdmin))
		sent = append(sent, e)
	}
	if len(refused) > 0 {
		d := &memberData{Invite: f, Invited: sent, Errors: map[string]string{"emails": strings.Join(refused, " / ")}}
		return s.memberPage(r, v, d, http.StatusBadRequest)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/network/admin/members/"+slug+"?done=invited", http.StatusSeeOther)
	return nil, nil
}

// memberOnboard reads the workbook uploaded and writes it into the member
// of the path: every problem of the file first, then the store's; nothing
// is written while any is left.
func (s *Server) memberOnboard(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	slug := r.PathValue("slug")
	show := func(status int, d *memberData) (*page, error) { return s.memberPage(r, v, d, status) }
	if _, err := s.deps.MemberAdmin.Member(r.Context(), slug); err != nil {
		return nil, err
	}
	tooBig := func() (*page, error) {
		s.logSecurity(r, "import_refused", "reason", "too_big", "limit", maxOnboardUpload)
		return show(http.StatusRequestEntityTooLarge, &memberData{Error: v.P.T("onboard.too_big", sizeText(maxOnboardUpload))})
	}
	limit := int64(maxOnboardUpload + 1<<20)
	if r.ContentLength > limit {
		return tooBig()
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooBig()
		}
		return show(http.StatusBadRequest, &memberData{Error: v.P.T("onboard.no_file")})
	}
	defer file.Close()
	name := filepath.Base(hdr.Filename)
	if !strings.EqualFold(filepath.Ext(name), ".xlsx") {
		return show(http.StatusBadRequest, &memberData{Error: v.P.T("onboard.bad_extension", name)})
	}
	res, problems, err := s.onboard(r, v.User, slug, file, v)
	if err != nil {
		return nil, err
	}
	d := &memberData{File: name}
	if len(problems) > 0 {
		d.Problems, d.More = problems[:min(len(problems), maxRegisterProblems)], len(problems) > maxRegisterProblems
		return show(http.StatusUnprocessableEntity, d)
	}
	d.Result = summarize(res)
	s.logSecurity(r, "member_onboarded", "member", slug, "changed", res.Changed())
	if slug == s.home(r) {
		if err := s.Reload(r.Context()); err != nil {
			s.deps.Logger.Error("reload after onboarding", "err", err)
		}
	}
	return show(http.StatusOK, d)
}

// onboard reads a workbook and has the store write it; the problems are in
// v's language.
func (s *Server) onboard(r *http.Request, u *partnerhub.User, slug string, file io.Reader, v *view) (*store.OnboardResult, []onboardProblem, error) {
	o, errs := transfer.ReadOnboarding(file)
	if len(errs) == 0 {
		res, refused, err := s.deps.MemberAdmin.Onboard(r.Context(), u, slug, o)
		if err != nil {
			return nil, nil, err
		}
		if len(refused) == 0 {
			return res, nil, nil
		}
		errs = refused
	}
	out := make([]onboardProblem, len(errs))
	for i, e := range errs {
		out[i] = onboardProblem{Sheet: e.Sheet, Row: e.Row, Column: e.Column, Message: v.P.T(e.Key, e.Args...), Key: e.Key}
	}
	return nil, out, nil
}

func summarize(res *store.OnboardResult) *onboardSummary {
	sum := &onboardSummary{InstitutionsCreated: res.InstitutionsCreated, InstitutionsMatched: res.InstitutionsMatched, Changed: res.Changed()}
	for _, sh := range transfer.OnboardSheets {
		sum.Sheets = append(sum.Sheets, onboardCount{Sheet: sh, Created: res.Created[sh], Updated: res.Updated[sh], Unchanged: res.Unchanged[sh]})
	}
	return sum
}

// onboardTemplate downloads the empty workbook: its notes in the page's
// language first.
func (s *Server) onboardTemplate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	name := fmt.Sprintf("partnerhub-onboarding-template-%s.xlsx", v.Lang)
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
	if err := transfer.WriteOnboardingTemplate(w, v.Lang); err != nil {
		s.deps.Logger.Error("onboarding template failed", "lang", string(v.Lang), "err", err)
	}
	return nil, nil
}
