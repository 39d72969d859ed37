package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// Proposals as their applicants write them: the form of a new proposal to
// a call, the page of one (a form while it may change, a record once
// sent), its attachments, submission and withdrawal, and the list of
// one's own. The form works without JavaScript: rows of applicants are
// added by asking for more, totals of the budget are the server's.

// errNoFunds answers for a server that keeps no funds.
func (s *Server) errNoFunds() error {
	if s.deps.Funds == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return nil
}

// proposalPath is a proposal's page.
func (s *Server) proposalPath(lang partnerhub.Lang, id int64) string {
	return s.l(lang) + partnerhub.ProposalPath(id)
}

// blankMemberRows are the empty rows of applicants the form offers below
// those filled in; "more rows" adds as many again.
const blankMemberRows = 2

// maxProposalForm bounds a proposal's form: its texts are long.
const maxProposalForm = 1 << 20

type proposalForm struct {
	Call      partnerhub.Call
	Fund      partnerhub.Fund
	P         partnerhub.Proposal // as stored (ID 0 for a new one)
	New       bool
	Editable  bool // the form, not the record
	Applicant bool // the reader applies with it: submits, withdraws
	Action    string
	Vals      map[string]string // what the inputs hold
	Grants    []grantOpt
	Units     []unitOpt
	Members   []memberRow
	Roles     []partnerhub.MemberRole
	Sides     []partnerhub.Side
	HomeUnits []unitOpt
	Budget    []budgetSide
	Files     []fileRow
	Errors    map[string]string
	Summary   []summaryEntry
	Alert     string
	Verbs     []partnerhub.Verb
	Deadline  string
	Closes    time.Time
	Open      bool
	JaNote    bool // the call takes English only: Japanese is optional
	Done      string
}

type grantOpt struct {
	Code, Name, Ceilings string
	Months               int
	Selected             bool
}

type unitOpt struct {
	Code, Name string
	Checked    bool
}

type memberRow struct {
	I                                          int
	Email, Name, Role, Side, Unit, Affiliation string
	Prefix                                     string // "members[3]"
}

type budgetSide struct {
	Side       partnerhub.Side
	Currency   string
	Years      []int
	Rows       []budgetRow
	YearTotals []string
	Total      string
	Ceiling    string
	CeilingAt  int64 // the ceiling's amount, 0 for none: for the page's script
	Over       bool
}

type budgetRow struct {
	Category partnerhub.BudgetCategory
	Cells    []budgetCell
	Total    string
}

type budgetCell struct {
	Name, Value, Label string
	Year               int
}

type fileRow struct {
	Spec     partnerhub.AttachmentSpec
	Current  *partnerhub.ProposalFile
	Href     string
	Size, At string
}

// ---- reading the form ------------------------------------------------------

// budgetName is the input of a side's amount in a year and category.
func budgetName(side partnerhub.Side, year int, c partnerhub.BudgetCategory) string {
	return "budget." + string(side) + "." + strconv.Itoa(year) + "." + string(c)
}

// budgetYears is how many years of budget the form shows: those of the
// longest grant of the call, and any year a line holds.
func budgetYears(c *partnerhub.Call, lines []partnerhub.BudgetLine) int {
	n := 1
	for _, g := range c.Grants {
		n = max(n, (g.Months+11)/12)
	}
	for _, l := range lines {
		n = max(n, min(l.Year, 10))
	}
	return n
}

// parseAmount reads an amount as people write it: "1,500,000", "¥ 12 000".
func parseAmount(s string) (int64, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', ' ', '\u00a0', '¥', '$', '，', '円':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// readProposalForm turns the form into a proposal, and the values as
// typed; what is not even a number is a field error of its own input.
// Budget lines keep, by index, the input they came from, so that the
// store's problems of "budget[2].amount" are shown at that input.
func readProposalForm(form url.Values, c *partnerhub.Call, base partnerhub.Proposal) (partnerhub.Proposal, map[string]string, map[int]string, partnerhub.FieldErrors) {
	p := base
	vals := map[string]string{}
	errs := partnerhub.FieldErrors{}
	get := func(name string) string {
		v := strings.ReplaceAll(form.Get(name), "\r\n", "\n")
		vals[name] = v
		return strings.TrimSpace(v)
	}
	p.Grant = get("grant")
	p.Title = partnerhub.Text{Ja: get("title.ja"), En: get("title.en")}
	p.Abstract = partnerhub.Text{Ja: get("abstract.ja"), En: get("abstract.en")}
	p.Plan = partnerhub.Text{Ja: get("plan.ja"), En: get("plan.en")}
	p.Keywords = get("keywords")
	p.Units = nonEmpty(form["units"])
	p.Members = []partnerhub.ProposalMember{}
	rows := 0
	for k := range form {
		if rest, ok := strings.CutPrefix(k, "members["); ok {
			if i, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, ']'))]); err == nil && i < partnerhub.MaxProposalMembers+50 {
				rows = max(rows, i+1)
			}
		}
	}
	for i := range rows {
		pre := "members[" + strconv.Itoa(i) + "]"
		m := partnerhub.ProposalMember{Email: strings.TrimSpace(form.Get(pre + ".email")), Name: strings.TrimSpace(form.Get(pre + ".name")),
			Role: partnerhub.MemberRole(form.Get(pre + ".role")), Side: partnerhub.Side(form.Get(pre + ".side")),
			Unit: strings.TrimSpace(form.Get(pre + ".unit")), Affiliation: strings.TrimSpace(form.Get(pre + ".affiliation"))}
		if form.Get(pre+".remove") != "" || m.Email == "" && m.Name == "" && m.Affiliation == "" {
			continue // a blank row, or one taken away
		}
		if m.Side == partnerhub.SidePartner {
			m.Unit = "" // a partner's people belong to no home unit
		}
		p.Members = append(p.Members, m)
	}
	p.Budget = []partnerhub.BudgetLine{}
	at := map[int]string{}
	years := budgetYears(c, base.Budget)
	for _, side := range partnerhub.Sides {
		for y := 1; y <= years; y++ {
			for _, cat := range partnerhub.BudgetCategories {
				name := budgetName(side, y, cat)
				raw := get(name)
				n, ok := parseAmount(raw)
				switch {
				case !ok:
					errs.Add(name, "bad_int", raw)
				case n != 0:
					at[len(p.Budget)] = name
					p.Budget = append(p.Budget, partnerhub.BudgetLine{Year: y, Side: side, Category: cat, Amount: n})
				}
			}
		}
	}
	return p, vals, at, errs
}

// proposalVals are the inputs of a stored proposal.
func proposalVals(p partnerhub.Proposal) map[string]string {
	vals := map[string]string{"grant": p.Grant, "title.ja": p.Title.Ja, "title.en": p.Title.En, "abstract.ja": p.Abstract.Ja,
		"abstract.en": p.Abstract.En, "plan.ja": p.Plan.Ja, "plan.en": p.Plan.En, "keywords": p.Keywords}
	for _, l := range p.Budget {
		vals[budgetName(l.Side, l.Year, l.Category)] = strconv.FormatInt(l.Amount, 10)
	}
	return vals
}

// ---- showing it --------------------------------------------------------------

// fill completes d for the template from the proposal shown (as typed, or
// as stored).
func (s *Server) fillProposalForm(v *view, d *proposalForm, shown partnerhub.Proposal, extraRows int) {
	c, f := &d.Call, &d.Fund
	now := s.deps.Now()
	d.Open = c.State(now) == partnerhub.CallOpen
	d.Closes = c.Closes
	d.Deadline = c.Closes.In(partnerhub.Japan).Format("2006-01-02 15:04 JST")
	if z := f.Zone(); z != partnerhub.Japan {
		d.Deadline += " (" + c.Closes.In(z).Format("2006-01-02 15:04 MST") + ")"
	}
	d.JaNote = c.EnglishOnly
	d.Roles, d.Sides = partnerhub.MemberRoles, partnerhub.Sides
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	for _, g := range c.Grants {
		var ceil []string
		for _, m := range g.Ceilings {
			ceil = append(ceil, m.String())
		}
		d.Grants = append(d.Grants, grantOpt{Code: g.Code, Name: mustText(v, g.Name), Months: g.Months, Ceilings: strings.Join(ceil, " / "),
			Selected: g.Code == shown.Grant})
	}
	for _, u := range v.X.Units() {
		name := mustText(v, u.Name)
		d.HomeUnits = append(d.HomeUnits, unitOpt{Code: u.Code, Name: name})
		d.Units = append(d.Units, unitOpt{Code: u.Code, Name: name, Checked: slices.Contains(shown.Units, u.Code)})
	}
	for i, m := range shown.Members {
		d.Members = append(d.Members, memberRow{I: i, Prefix: "members[" + strconv.Itoa(i) + "]", Email: m.Email, Name: m.Name,
			Role: string(m.Role), Side: string(m.Side), Unit: m.Unit, Affiliation: m.Affiliation})
	}
	for range blankMemberRows + extraRows {
		i := len(d.Members)
		d.Members = append(d.Members, memberRow{I: i, Prefix: "members[" + strconv.Itoa(i) + "]", Role: string(partnerhub.MemberOther),
			Side: string(partnerhub.SidePartner)})
	}
	// The budget, from the inputs as typed: what is not a number counts
	// nothing in the totals.
	years := budgetYears(c, shown.Budget)
	g, _ := c.Grant(shown.Grant)
	for _, side := range partnerhub.Sides {
		cur := f.Currency(side)
		b := budgetSide{Side: side, Currency: cur}
		yearTotals := make([]int64, years)
		var total int64
		for y := 1; y <= years; y++ {
			b.Years = append(b.Years, y)
		}
		for _, cat := range partnerhub.BudgetCategories {
			row := budgetRow{Category: cat}
			var rowTotal int64
			for y := 1; y <= years; y++ {
				name := budgetName(side, y, cat)
				n, _ := parseAmount(d.Vals[name])
				rowTotal += n
				yearTotals[y-1] += n
				row.Cells = append(row.Cells, budgetCell{Name: name, Value: d.Vals[name], Year: y,
					Label: v.P.T("proposals.budget_cell", v.P.T("proposals.category."+string(cat)), y, cur)})
			}
			total += rowTotal
			row.Total = v.P.Num(rowTotal)
			b.Rows = append(b.Rows, row)
		}
		for _, t := range yearTotals {
			b.YearTotals = append(b.YearTotals, v.P.Num(t))
		}
		b.Total = partnerhub.Money{Amount: total, Currency: cur}.String()
		if m, ok := g.Ceiling(cur); ok {
			b.Ceiling, b.CeilingAt, b.Over = m.String(), m.Amount, total > m.Amount
		}
		d.Budget = append(d.Budget, b)
	}
	for _, a := range c.Attachments {
		row := fileRow{Spec: a}
		for i := range d.P.Files {
			if fl := &d.P.Files[i]; fl.Spec == a.Code {
				row.Current = fl
				row.Href = s.proposalPath(v.Lang, d.P.ID) + "/files/" + strconv.FormatInt(fl.ID, 10)
				row.Size = sizeText(fl.Size)
				row.At = fl.UploadedAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST")
			}
		}
		d.Files = append(d.Files, row)
	}
	if !d.New && d.Applicant {
		d.Verbs = d.P.Verbs()
	}
	d.Summary = proposalSummary(v, d)
}

// proposalSummary lists the problems above the form, in its order, each
// linked to its input.
func proposalSummary(v *view, d *proposalForm) []summaryEntry {
	if len(d.Errors) == 0 {
		return nil
	}
	var out []summaryEntry
	add := func(name, label string) {
		if msg, ok := d.Errors[name]; ok {
			out = append(out, summaryEntry{Target: inputID(name), Label: label, Message: msg})
		}
	}
	add("call", v.P.T("proposals.deadline"))
	add("grant", v.P.T("proposals.grant"))
	for _, f := range []string{"title", "abstract", "plan"} {
		add(f, v.P.T("proposals."+f))
		add(f+".ja", v.P.T("proposals."+f)+" "+v.P.T("proposals.in_ja"))
		add(f+".en", v.P.T("proposals."+f)+" "+v.P.T("proposals.in_en"))
	}
	add("keywords", v.P.T("proposals.keywords"))
	for k := range d.Errors {
		if strings.HasPrefix(k, "units") {
			add(k, v.P.T("proposals.units"))
		}
	}
	add("members", v.P.T("proposals.members"))
	for _, m := range d.Members {
		for _, f := range []string{"email", "name", "role", "side", "unit", "affiliation"} {
			add(m.Prefix+"."+f, v.P.T("proposals.member_n", m.I+1)+" "+v.P.T("proposals.member."+f))
		}
	}
	add("budget", v.P.T("proposals.budget"))
	for _, b := range d.Budget {
		for _, r := range b.Rows {
			for _, c := range r.Cells {
				add(c.Name, c.Label)
			}
		}
	}
	for _, f := range d.Files {
		add("files."+f.Spec.Code, mustText(v, f.Spec.Name))
	}
	add("spec", v.P.T("proposals.files"))
	add("file", v.P.T("proposals.files"))
	// Anything else the store found, so that no problem goes unsaid.
	listed := map[string]bool{}
	for _, e := range out {
		listed[e.Target] = true
	}
	for k, msg := range d.Errors {
		if !listed[inputID(k)] {
			out = append(out, summaryEntry{Target: "proposal-form", Label: k, Message: msg})
		}
	}
	return out
}

// inputID is the id of the input named name.
func inputID(name string) string {
	return "f-" + name
}

func (s *Server) proposalPage(v *view, d *proposalForm, status int) *page {
	title := mustText(v, d.P.Title)
	switch {
	case d.New:
		title = v.P.T("proposals.new_title")
	case title == "":
		title = v.P.T("proposals.untitled", d.P.ID)
	}
	return &page{Template: "proposal", Title: title, Status: status, Data: d,
		Parents: []crumb{{Label: v.P.T("proposals.mine"), Href: v.L() + "/proposals"},
			{Label: mustText(v, d.Call.Title), Href: v.L() + d.Call.Path()}}}
}

// callOf reads the call and fund of a proposal's page.
func (s *Server) callOf(r *http.Request, v *view, fund string, number int) (partnerhub.Call, partnerhub.Fund, error) {
	c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, fund, number)
	if err != nil {
		return c, partnerhub.Fund{}, err
	}
	f, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, fund)
	return c, f, err
}

func callParams(r *http.Request) (string, int, error) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return "", 0, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return r.PathValue("fund"), n, nil
}

func proposalID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return id, nil
}

// ---- pages -------------------------------------------------------------------

// proposalNew shows the form of a new proposal, its first applicant the
// person who writes it, as the lead.
func (s *Server) proposalNew(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return nil, err
	}
	c, f, err := s.callOf(r, v, fund, number)
	if err != nil {
		return nil, err
	}
	p := partnerhub.Proposal{Fund: fund, Call: number, Members: []partnerhub.ProposalMember{{Email: v.User.Email, Name: v.User.Name,
		Role: partnerhub.MemberLead, Side: partnerhub.SideHome}}}
	if len(c.Grants) == 1 {
		p.Grant = c.Grants[0].Code
	}
	d := &proposalForm{Call: c, Fund: f, P: p, New: true, Editable: true, Vals: proposalVals(p),
		Action: v.L() + c.Path() + "/proposals/new"}
	s.fillProposalForm(v, d, p, 0)
	if !d.Open {
		d.Editable = false
		d.Alert = v.P.T("proposals.call_not_open")
	}
	return s.proposalPage(v, d, http.StatusOK), nil
}

// proposalCreate saves a new draft; refused, the form comes back with
// everything typed and the problems at their fields.
func (s *Server) proposalCreate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return nil, err
	}
	c, f, err := s.callOf(r, v, fund, number)
	if err != nil {
		return nil, err
	}
	base := partnerhub.Proposal{Fund: fund, Call: number}
	d := &proposalForm{Call: c, Fund: f, P: base, New: true, Editable: true, Action: v.L() + c.Path() + "/proposals/new"}
	return s.proposalSave(w, r, v, d, func(p partnerhub.Proposal) (partnerhub.Proposal, error) {
		return s.deps.Funds.CreateProposal(r.Context(), v.User, v.Home, p)
	})
}

// proposalSave reads the form and saves it with save, or shows it again.
func (s *Server) proposalSave(w http.ResponseWriter, r *http.Request, v *view, d *proposalForm, save func(partnerhub.Proposal) (partnerhub.Proposal, error)) (*page, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxProposalForm)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	if bad := invalidUTF8(r.PostForm); bad != "" {
		return nil, (partnerhub.FieldErrors{bad: {Key: "bad_utf8"}}).Err()
	}
	p, vals, at, errs := readProposalForm(r.PostForm, &d.Call, d.P)
	d.Vals = vals
	if ver, err := strconv.Atoi(r.PostForm.Get("version")); err == nil {
		p.Version = ver
	}
	more := 0
	if r.PostForm.Get("action") == "rows" {
		more = 3 // only more rows: nothing is saved
	} else if len(errs) == 0 {
		saved, err := save(p)
		if err == nil {
			http.Redirect(w, r, s.proposalPath(v.Lang, saved.ID)+"?saved=1", http.StatusSeeOther)
			return nil, nil
		}
		var e *partnerhub.Error
		if !errors.As(err, &e) || len(e.Fields) == 0 {
			return nil, err
		}
		for k, fe := range e.Fields {
			// A budget line's problem is its input's.
			if rest, ok := strings.CutPrefix(k, "budget["); ok {
				if i, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, ']'))]); err == nil && at[i] != "" {
					k = at[i]
				}
			}
			errs[k] = fe
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = statusOf(partnerhub.EInvalid)
		d.Errors = map[string]string{}
		for k, fe := range errs {
			d.Errors[k] = v.P.Field(fe)
		}
		d.Alert = v.P.T("proposals.not_saved")
	}
	s.fillProposalForm(v, d, p, more)
	d.P.Version = p.Version
	return s.proposalPage(v, d, status), nil
}

// proposalView shows a proposal: the form while its applicants may change
// it, the record otherwise.
func (s *Server) proposalView(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved", "done").Err(); err != nil {
		return nil, err
	}
	d, err := s.proposalData(r, v)
	if err != nil {
		return nil, err
	}
	switch r.URL.Query().Get("done") {
	case "submit":
		d.Done = v.P.T("proposals.done_submit")
	case "withdraw":
		d.Done = v.P.T("proposals.done_withdraw")
	}
	s.fillProposalForm(v, d, d.P, 0)
	return s.proposalPage(v, d, http.StatusOK), nil
}

// proposalData reads a proposal, its call and fund, for its page.
func (s *Server) proposalData(r *http.Request, v *view) (*proposalForm, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	id, err := proposalID(r)
	if err != nil {
		return nil, err
	}
	p, a, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	c, f, err := s.callOf(r, v, p.Fund, p.Call)
	if err != nil {
		return nil, err
	}
	d := &proposalForm{Call: c, Fund: f, P: p, Vals: proposalVals(p), Action: s.proposalPath(v.Lang, id)}
	d.Applicant = a.View(id) == partnerhub.ViewApplicant
	d.Editable = d.Applicant && p.State != partnerhub.ProposalSubmitted &&
		c.State(s.deps.Now()) == partnerhub.CallOpen
	return d, nil
}

// proposalUpdate saves the form of a proposal.
func (s *Server) proposalUpdate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d, err := s.proposalData(r, v)
	if err != nil {
		return nil, err
	}
	d.Editable = true // the store says whether it may change
	return s.proposalSave(w, r, v, d, func(p partnerhub.Proposal) (partnerhub.Proposal, error) {
		return s.deps.Funds.UpdateProposal(r.Context(), v.User, v.Home, p)
	})
}

// proposalTransit submits or withdraws a proposal, at the server's time;
// refused, the page shows why at the fields concerned.
func (s *Server) proposalTransit(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	id, err := proposalID(r)
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	verb := partnerhub.Verb(r.PostForm.Get("verb"))
	ctx := partnerhub.WithPageLang(r.Context(), v.Lang)
	_, err = s.deps.Funds.TransitProposal(ctx, v.User, v.Home, id, version, verb, s.deps.Now())
	if err == nil {
		http.Redirect(w, r, s.proposalPath(v.Lang, id)+"?done="+url.QueryEscape(string(verb)), http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	d, derr := s.proposalData(r, v)
	if derr != nil {
		return nil, derr
	}
	d.Errors = map[string]string{}
	for k, fe := range e.Fields {
		d.Errors[k] = v.P.Field(fe)
	}
	d.Alert = v.P.T("proposals.not_" + string(verb))
	if verb != partnerhub.VerbWithdraw && verb != partnerhub.VerbSubmitProposal {
		d.Alert = v.P.Error(e)
	}
	s.fillProposalForm(v, d, d.P, 0)
	return s.proposalPage(v, d, statusOf(e.Code)), nil
}

// proposalUpload stores an attachment from the page's form.
func (s *Server) proposalUpload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := proposalID(r)
	if err != nil {
		return nil, err
	}
	if s.deps.ProposalFiles == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	up, err := readUpload(w, r, s.deps.MaxDocumentBytes, "spec")
	if err == nil {
		_, err = s.deps.ProposalFiles.AddProposalFile(r.Context(), v.User, v.Home, id, up.kind, up.filename, up.data, s.deps.Now())
	}
	if err == nil {
		http.Redirect(w, r, s.proposalPath(v.Lang, id)+"?saved=1#files", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	d, derr := s.proposalData(r, v)
	if derr != nil {
		return nil, derr
	}
	d.Errors = map[string]string{}
	for k, fe := range e.Fields {
		if k == "file" && up.kind != "" { // the reader's problems, at the attachment's input
			k = "files." + up.kind
		}
		d.Errors[k] = v.P.Field(fe)
	}
	d.Alert = v.P.T("proposals.not_uploaded")
	s.fillProposalForm(v, d, d.P, 0)
	return s.proposalPage(v, d, statusOf(e.Code)), nil
}

// proposalDownload sends an attachment.
func (s *Server) proposalDownload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return nil, s.sendProposalFile(w, r, v.User, v.Home)
}

func (s *Server) sendProposalFile(w http.ResponseWriter, r *http.Request, u *partnerhub.User, home string) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	fileID, err := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err != nil || fileID <= 0 || s.deps.ProposalFiles == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	f, data, err := s.deps.ProposalFiles.ProposalFile(r.Context(), u, home, id, fileID)
	if err != nil {
		return err
	}
	sendDocument(w, partnerhub.AgreementDocument{Filename: f.Filename, ContentType: partnerhub.ContentTypePDF}, data)
	return nil
}

// myProposalRow is a line of one's proposals.
type myProposalRow struct {
	P                        partnerhub.Proposal
	Title, Call, Href, State string
	Deadline, Submitted      string
	Open                     bool
}

// myProposals lists the signed-in person's proposals, newest first.
func (s *Server) myProposals(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	if err := noParams(r); err != nil {
		return nil, err
	}
	ps, err := s.deps.Funds.MyProposals(r.Context(), v.User, v.Home)
	if err != nil {
		return nil, err
	}
	calls := map[string]partnerhub.Call{}
	var rows []myProposalRow
	for _, p := range slices.Backward(ps) {
		c, ok := calls[p.CallKey()]
		if !ok {
			if c, err = s.deps.Funds.Call(r.Context(), v.User, v.Home, p.Fund, p.Call); err != nil {
				return nil, err
			}
			calls[p.CallKey()] = c
		}
		row := myProposalRow{P: p, Title: mustText(v, p.Title), Call: mustText(v, c.Title), Href: s.proposalPath(v.Lang, p.ID),
			State:    v.P.T("proposals.state." + string(p.State)),
			Deadline: c.Closes.In(partnerhub.Japan).Format("2006-01-02 15:04 JST"), Open: c.State(s.deps.Now()) == partnerhub.CallOpen}
		if row.Title == "" {
			row.Title = v.P.T("proposals.untitled", p.ID)
		}
		if p.SubmittedAt != nil {
			row.Submitted = p.SubmittedAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST")
		}
		rows = append(rows, row)
	}
	return &page{Template: "proposals", Title: v.P.T("proposals.mine"), Data: map[string]any{"Rows": rows}}, nil
}
