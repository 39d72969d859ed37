package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"partnerhub"
)

// The committee's decisions in the browser and the API, the letters, and
// what awarded projects owe: their reports and their links to activities.
// Every read and write goes through the store's FundAccess: a person
// conflicted with a proposal gets what an unknown address gets.

// decisionPages serves the decision pages to the signed-in, when the
// server keeps funds; anyone else gets an unknown address.
func (s *Server) decisionPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	signedIn := s.fundPrivate(lang, "", h)
	unknown := s.pageFor(lang, "", s.notFoundPage)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Decisions == nil || s.deps.Funds == nil {
			unknown.ServeHTTP(w, r)
			return
		}
		signedIn.ServeHTTP(w, r)
	})
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.proposal_not_found", r.PathValue("id"))
	}
	return id, nil
}

// decisionForm is the decision form's values as typed.
type decisionForm struct {
	Outcome, HomeAmount, PartnerAmount, Meeting, NoteJa, NoteEn string
	Version                                                     int
}

type decisionData struct {
	Proposal   partnerhub.Proposal
	Fund       partnerhub.Fund
	Form       decisionForm
	Outcomes   []partnerhub.Outcome
	Errors     map[string]string
	Alert      string
	Summary    []summaryEntry
	Action     string
	Letters    string // where to send this proposal's letters
	CallAction string // where to send the whole call's letters
	Sent       int    // how many proposals' letters were just queued
	HasSent    bool   // letters were just sent
}

// decisionPage shows the decision form of a proposal to those who may
// record it.
func (s *Server) decisionPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved", "letters").Err(); err != nil {
		return nil, err
	}
	d := &decisionData{}
	if n, err := strconv.Atoi(r.URL.Query().Get("letters")); err == nil && n >= 0 {
		d.Sent, d.HasSent = n, true
	}
	return s.decisionView(r, v, d, http.StatusOK, true)
}

func (s *Server) decisionView(r *http.Request, v *view, d *decisionData, status int, fill bool) (*page, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, a, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	if !a.CanManage(id) {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_fund")
	}
	f, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, p.Fund)
	if err != nil {
		return nil, err
	}
	d.Proposal, d.Fund, d.Outcomes = p, f, partnerhub.Outcomes
	base := v.L() + "/proposals/" + strconv.FormatInt(id, 10) + "/decision"
	d.Action, d.Letters = base, base+"/letters"
	d.CallAction = v.L() + "/calls/" + p.Fund + "/" + strconv.Itoa(p.Call) + "/letters"
	if fill && p.Decision != nil {
		dc := p.Decision
		d.Form = decisionForm{Outcome: string(dc.Outcome), Meeting: dc.Meeting.String(), NoteJa: dc.Note.Ja, NoteEn: dc.Note.En, Version: dc.Version}
		if dc.HomeAmount.Amount != 0 {
			d.Form.HomeAmount = strconv.FormatInt(dc.HomeAmount.Amount, 10)
		}
		if dc.PartnerAmount.Amount != 0 {
			d.Form.PartnerAmount = strconv.FormatInt(dc.PartnerAmount.Amount, 10)
		}
	}
	title, _ := p.Title.In(v.Lang)
	return &page{Template: "decision", Title: v.P.T("fund_decisions.decision_title", title), Status: status, Data: d}, nil
}

// parseDecision reads a decision from the form; what cannot be read is a
// field error.
func parseDecision(r *http.Request, f partnerhub.Fund) (partnerhub.Decision, decisionForm, partnerhub.FieldErrors) {
	form := decisionForm{Outcome: r.PostFormValue("outcome"), HomeAmount: strings.TrimSpace(r.PostFormValue("home_amount")),
		PartnerAmount: strings.TrimSpace(r.PostFormValue("partner_amount")), Meeting: strings.TrimSpace(r.PostFormValue("meeting")),
		NoteJa: r.PostFormValue("note_ja"), NoteEn: r.PostFormValue("note_en")}
	form.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	errs := partnerhub.FieldErrors{}
	d := partnerhub.Decision{Outcome: partnerhub.Outcome(form.Outcome), Note: partnerhub.Text{Ja: form.NoteJa, En: form.NoteEn}, Version: form.Version}
	amount := func(field, s, currency string) partnerhub.Money {
		if s == "" {
			return partnerhub.Money{}
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
		if err != nil {
			errs.Add(field+".amount", "bad_int")
		}
		return partnerhub.Money{Amount: n, Currency: currency}
	}
	d.HomeAmount = amount("home_amount", form.HomeAmount, f.HomeCurrency)
	d.PartnerAmount = amount("partner_amount", form.PartnerAmount, f.PartnerCurrency)
	if form.Meeting != "" {
		m, err := partnerhub.ParsePartialDate(form.Meeting)
		if err != nil {
			errs.Add("meeting", "bad_date")
		}
		d.Meeting = m
	}
	return d, form, errs
}

// decisionFields are the form's fields in its order, with their labels.
var decisionFields = []struct{ name, input, label string }{
	{"outcome", "f-outcome-award", "fund_decisions.outcome"},
	{"home_amount.amount", "f-home_amount", "fund_decisions.home_amount"},
	{"home_amount.currency", "f-home_amount", "fund_decisions.home_amount"},
	{"partner_amount.amount", "f-partner_amount", "fund_decisions.partner_amount"},
	{"partner_amount.currency", "f-partner_amount", "fund_decisions.partner_amount"},
	{"meeting", "f-meeting", "fund_decisions.meeting"},
	{"note.ja", "f-note_ja", "fund_decisions.note_ja"},
	{"note.en", "f-note_en", "fund_decisions.note_en"},
	{"note", "f-note_ja", "fund_decisions.note_ja"},
}

// decisionSave records the decision from the form, or shows the form
// again with what was wrong at each field.
func (s *Server) decisionSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	f, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, p.Fund)
	if err != nil {
		return nil, err
	}
	dec, form, errs := parseDecision(r, f)
	if err = errs.Err(); err == nil {
		_, err = s.deps.Decisions.Decide(r.Context(), v.User, v.Home, id, dec)
	}
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, v.L()+"/proposals/"+strconv.FormatInt(id, 10)+"/decision?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	d := &decisionData{Form: form, Alert: v.P.Error(e), Errors: map[string]string{}}
	for name, fe := range e.Fields {
		d.Errors[name] = v.P.Field(fe)
	}
	for _, f := range decisionFields {
		if msg, ok := d.Errors[f.name]; ok {
			d.Summary = append(d.Summary, summaryEntry{Target: f.input, Label: v.P.T(f.label), Message: msg})
		}
	}
	return s.decisionView(r, v, d, statusOf(e.Code), false)
}

// lettersSend queues the letters of one proposal (from its decision page)
// or of a whole call, then goes back to the decision page.
func (s *Server) lettersSend(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	var n int
	var err error
	back := r.PostFormValue("back")
	if r.PathValue("fund") != "" {
		number, cerr := strconv.Atoi(r.PathValue("number"))
		if cerr != nil || number <= 0 {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		n, err = s.deps.Decisions.SendLetters(r.Context(), v.User, v.Home, r.PathValue("fund"), number, 0)
	} else {
		id, ierr := pathID(r)
		if ierr != nil {
			return nil, ierr
		}
		p, _, perr := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
		if perr != nil {
			return nil, perr
		}
		n, err = s.deps.Decisions.SendLetters(r.Context(), v.User, v.Home, p.Fund, p.Call, id)
		back = "/proposals/" + strconv.FormatInt(id, 10) + "/decision"
	}
	if err != nil {
		return nil, err
	}
	s.afterWrite(r)
	if !strings.HasPrefix(back, "/proposals/") && !strings.HasPrefix(back, "/funds/") || strings.Contains(back, "//") {
		back = "/proposals"
	}
	http.Redirect(w, r, v.L()+back+"?letters="+strconv.Itoa(n), http.StatusSeeOther)
	return nil, nil
}

// ---- reports and links ---------------------------------------------------------

type reportRow struct {
	partnerhub.ProjectReport
	State partnerhub.ReportState
}

type reportsData struct {
	Proposal   partnerhub.Proposal
	Reports    []reportRow
	CanSubmit  bool
	CanLink    bool
	Links      []*partnerhub.Activity
	Unknown    []string // linked activities the portal does not show
	Activities []*partnerhub.Activity
	Kind       string
	Body       string
	Activity   string
	Errors     map[string]string
	Alert      string
	Action     string
	LinkAction string
	Public     string // the project's public page, once public
}

// reportsPage lists an awarded project's reports, with the form to submit
// them for its applicants, and the activities it led to.
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	return s.reportsView(r, v, &reportsData{}, http.StatusOK)
}

func (s *Server) reportsView(r *http.Request, v *view, d *reportsData, status int) (*page, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, a, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.deps.Decisions.Reports(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	links, err := s.deps.Decisions.ProjectLinks(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	now := s.deps.Now()
	d.Proposal = p
	for _, rep := range rs {
		d.Reports = append(d.Reports, reportRow{ProjectReport: rep, State: rep.State(now)})
	}
	d.CanSubmit = a.View(id) == partnerhub.ViewApplicant
	d.CanLink = d.CanSubmit || a.Has(partnerhub.FundAdmin) && a.View(id) == partnerhub.ViewCommittee
	for _, slug := range links {
		if act, err := v.X.Activity(slug); err == nil {
			d.Links = append(d.Links, act)
		} else {
			d.Unknown = append(d.Unknown, slug)
		}
	}
	if d.CanLink {
		for i := range v.X.Catalog().Activities {
			d.Activities = append(d.Activities, &v.X.Catalog().Activities[i])
		}
	}
	base := v.L() + "/projects/" + strconv.FormatInt(id, 10)
	d.Action, d.LinkAction = base+"/reports", base+"/activities"
	if _, err := s.deps.Decisions.Project(r.Context(), v.Home, id); err == nil {
		d.Public = base
	}
	title, _ := p.Title.In(v.Lang)
	return &page{Template: "project_reports", Title: v.P.T("fund_decisions.reports_title", title), Status: status, Data: d}, nil
}

// reportSubmit records a report from the form.
func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	kind, body := partnerhub.ReportKind(r.PostFormValue("kind")), r.PostFormValue("body")
	err = s.deps.Decisions.SubmitReport(r.Context(), v.User, v.Home, id, kind, body)
	return s.afterProjectWrite(w, r, v, id, err, &reportsData{Kind: string(kind), Body: body})
}

// activityLink links or unlinks an activity from the form.
func (s *Server) activityLink(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	slug := strings.TrimSpace(r.PostFormValue("activity"))
	err = s.deps.Decisions.LinkActivity(r.Context(), v.User, v.Home, id, slug, r.PostFormValue("unlink") != "")
	return s.afterProjectWrite(w, r, v, id, err, &reportsData{Activity: slug})
}

func (s *Server) afterProjectWrite(w http.ResponseWriter, r *http.Request, v *view, id int64, err error, d *reportsData) (*page, error) {
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, v.L()+"/projects/"+strconv.FormatInt(id, 10)+"/reports?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	d.Alert, d.Errors = v.P.Error(e), map[string]string{}
	for name, fe := range e.Fields {
		d.Errors[name] = v.P.Field(fe)
	}
	return s.reportsView(r, v, d, statusOf(e.Code))
}

type dueRow struct {
	partnerhub.DueReport
	State partnerhub.ReportState
	Href  string
}

// fundReportsPage lists a fund's reports not submitted, for its
// administrators and chairs: which are due soon, which overdue.
func (s *Server) fundReportsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	slug := r.PathValue("fund")
	f, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, slug)
	if err != nil {
		return nil, err
	}
	due, err := s.deps.Decisions.DueReports(r.Context(), v.User, v.Home, slug)
	if err != nil {
		return nil, err
	}
	now := s.deps.Now()
	rows := []dueRow{}
	for _, d := range due {
		rows = append(rows, dueRow{DueReport: d, State: d.State(now),
			Href: v.L() + "/projects/" + strconv.FormatInt(d.Proposal, 10) + "/reports"})
	}
	name, _ := f.Name.In(v.Lang)
	return &page{Template: "fund_reports", Title: v.P.T("fund_decisions.fund_reports_title", name), Data: rows,
		Parents: []crumb{{Label: name, Href: v.L() + "/funds/" + slug}}}, nil
}

// ---- API -------------------------------------------------------------------------

// apiDecide records a decision: PUT /api/v1/proposals/{id}/decision.
func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Decisions == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	u, d, err := apiWrite[partnerhub.Decision](s, w, r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err = s.deps.Decisions.Decide(r.Context(), u, s.home(r), id, d)
	if err != nil {
		return err
	}
	s.afterWrite(r)
	w.Header().Set("ETag", `"v`+strconv.Itoa(d.Version)+`"`)
	return writeStatusJSON(w, http.StatusOK, d)
}

// decisionsUser is how the decisions' API calls start: the service there,
// someone signed in, no query parameters.
func (s *Server) decisionsUser(r *http.Request) (*partnerhub.User, error) {
	if s.deps.Decisions == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return s.signedIn(r)
}

// apiLetters sends decision letters: POST /api/v1/proposals/{id}/letters
// (one proposal) or POST /api/v1/calls/{fund}/{number}/letters (a call).
func (s *Server) apiLetters(w http.ResponseWriter, r *http.Request) error {
	u, err := s.decisionsUser(r)
	if err != nil {
		return err
	}
	var n int
	if r.PathValue("fund") != "" {
		number, cerr := strconv.Atoi(r.PathValue("number"))
		if cerr != nil || number <= 0 {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		n, err = s.deps.Decisions.SendLetters(r.Context(), u, s.home(r), r.PathValue("fund"), number, 0)
	} else {
		id, ierr := pathID(r)
		if ierr != nil {
			return ierr
		}
		p, _, perr := s.deps.Funds.Proposal(r.Context(), u, s.home(r), id)
		if perr != nil {
			return perr
		}
		n, err = s.deps.Decisions.SendLetters(r.Context(), u, s.home(r), p.Fund, p.Call, id)
	}
	if err != nil {
		return err
	}
	s.afterWrite(r)
	return writeStatusJSON(w, http.StatusOK, map[string]int{"sent": n})
}

// apiReports lists a project's reports: GET /api/v1/projects/{id}/reports.
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) error {
	u, err := s.decisionsUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rs, err := s.deps.Decisions.Reports(r.Context(), u, s.home(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, struct {
		Items []partnerhub.ProjectReport `json:"items"`
		Next  *string                    `json:"next"`
	}{rs, nil})
}

// apiSubmitReport submits a report: PUT /api/v1/projects/{id}/reports/{kind}
// with {"body": "..."}.
func (s *Server) apiSubmitReport(w http.ResponseWriter, r *http.Request) error {
	u, err := s.decisionsUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	if err := s.deps.Decisions.SubmitReport(r.Context(), u, s.home(r), id, partnerhub.ReportKind(r.PathValue("kind")), in.Body); err != nil {
		return err
	}
	return s.apiReports(w, r)
}

// apiLinkActivity links (PUT) or unlinks (DELETE) an activity:
// /api/v1/projects/{id}/activities/{slug}.
func (s *Server) apiLinkActivity(w http.ResponseWriter, r *http.Request) error {
	u, err := s.decisionsUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.deps.Decisions.LinkActivity(r.Context(), u, s.home(r), id, r.PathValue("slug"), r.Method == http.MethodDelete); err != nil {
		return err
	}
	s.afterWrite(r)
	links, err := s.deps.Decisions.ProjectLinks(r.Context(), u, s.home(r), id)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, map[string][]string{"activities": links})
}
