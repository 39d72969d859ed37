package web

// The joint review of a call, in the browser and through the API: the
// chair's assignments and each reviewer's list, a proposal's review form
// with its discussion, and the ranking (a page and a workbook). What a
// reader may see is the store's to decide; a proposal they are conflicted
// with answers as an unknown one does.

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// proposalParam reads a proposal's id from its address.
func proposalParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return id, nil
}

func (s *Server) reviews() (partnerhub.ReviewService, error) {
	if s.deps.Reviews == nil || s.deps.Funds == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return s.deps.Reviews, nil
}

func (s *Server) callPath(lang partnerhub.Lang, fund string, number int) string {
	return s.l(lang) + "/calls/" + url.PathEscape(fund) + "/" + strconv.Itoa(number)
}

func (s *Server) proposalReviewPath(lang partnerhub.Lang, id int64) string {
	return s.l(lang) + "/proposals/" + strconv.FormatInt(id, 10) + "/review"
}

// ---- the call's review page ----------------------------------------------------

type reviewBoardData struct {
	Board      partnerhub.ReviewBoard
	Grants     map[string]string // the call's grants' names, by code
	Action     string            // where assignments are posted
	ReviewBase string            // a proposal's review page, less its id
	Ranking    string
	Alert      string
	Saved      bool
}

func (s *Server) reviewBoardPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved", "declared").Err(); err != nil {
		return nil, err
	}
	return s.reviewBoard(r, v, "", http.StatusOK)
}

func (s *Server) reviewBoard(r *http.Request, v *view, alert string, status int) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return nil, err
	}
	b, err := rs.ReviewBoard(r.Context(), v.User, v.Home, fund, number)
	if err != nil {
		return nil, err
	}
	base := s.callPath(v.Lang, fund, number)
	d := &reviewBoardData{Board: b, Action: base + "/review/assign", ReviewBase: v.L() + "/proposals/",
		Ranking: base + "/ranking", Grants: map[string]string{}, Alert: alert, Saved: r.URL.Query().Get("saved") != "" || r.URL.Query().Get("declared") != ""}
	for _, g := range b.Call.Grants {
		d.Grants[g.Code] = mustText(v, g.Name)
	}
	return &page{Template: "fund_review_board", Title: v.P.T("review.board.title", mustText(v, b.Call.Title)), Status: status, Data: d,
		Parents: []crumb{{Label: mustText(v, b.Call.Title), Href: base}}}, nil
}

// reviewAssign assigns or unassigns a reviewer from the chair's page.
func (s *Server) reviewAssign(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	id, _ := strconv.ParseInt(r.PostForm.Get("proposal"), 10, 64)
	reviewer, _ := strconv.ParseInt(r.PostForm.Get("reviewer"), 10, 64)
	if r.PostForm.Get("op") == "unassign" {
		err = rs.Unassign(r.Context(), v.User, v.Home, id, reviewer)
	} else {
		err = rs.Assign(r.Context(), v.User, v.Home, id, reviewer)
	}
	if err == nil {
		http.Redirect(w, r, s.callPath(v.Lang, fund, number)+"/review?saved=1#p-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	return s.reviewBoard(r, v, fieldAlert(v, e), statusOf(e.Code))
}

// fieldAlert is an error's field messages in a sentence or two.
func fieldAlert(v *view, e *partnerhub.Error) string {
	var msgs []string
	for _, fe := range e.Fields {
		msgs = append(msgs, v.P.Field(fe))
	}
	return strings.Join(msgs, " ")
}

// ---- a proposal's review page --------------------------------------------------

type scoreRow struct {
	partnerhub.Criterion
	Field string // the input's name: scores.CODE
	Value string // what the form holds
	Error string
}

type reviewPageData struct {
	Proposal  partnerhub.Proposal
	Call      partnerhub.Call
	GrantName string
	Reviews   partnerhub.ProposalReviews
	Criteria  []scoreRow
	Scale     []int
	Comments  []partnerhub.ProposalComment
	Values    map[string]string
	Errors    map[string]string
	Alert     string
	Summary   []summaryEntry
	Action    string
	Conflict  string
	Discuss   string
	Board     string
	Submitted bool
	Saved     bool
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	return s.reviewView(r, v, nil, http.StatusOK)
}

// reviewView is the review page; failed is the form just refused, with
// its values and errors.
func (s *Server) reviewView(r *http.Request, v *view, failed *reviewPageData, status int) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	id, err := proposalParam(r)
	if err != nil {
		return nil, err
	}
	// Reviews first: it answers "not found" to all but the committee.
	revs, err := rs.Reviews(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, p.Fund, p.Call)
	if err != nil {
		return nil, err
	}
	comments, err := rs.Comments(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	d := failed
	if d == nil {
		d = &reviewPageData{Values: map[string]string{}, Errors: map[string]string{}}
		if m := revs.Mine; m != nil {
			for code, sc := range m.Scores {
				d.Values["scores."+code] = strconv.Itoa(sc)
			}
			d.Values["for_committee"], d.Values["for_applicants"] = m.ForCommittee, m.ForApplicants
			d.Values["version"] = strconv.Itoa(m.Version)
		}
	}
	d.Proposal, d.Call, d.Reviews, d.Comments = p, c, revs, comments
	d.GrantName = grantName(v, c, p.Grant)
	d.Submitted = revs.Mine != nil && revs.Mine.SubmittedAt != nil
	d.Saved = r.URL.Query().Get("saved") != ""
	for i := c.ScaleMin; i <= c.ScaleMax; i++ {
		d.Scale = append(d.Scale, i)
	}
	d.Criteria = nil
	for _, cr := range c.Criteria {
		f := "scores." + cr.Code
		d.Criteria = append(d.Criteria, scoreRow{Criterion: cr, Field: f, Value: d.Values[f], Error: d.Errors[f]})
	}
	d.Action = s.proposalReviewPath(v.Lang, id)
	d.Conflict = v.L() + "/proposals/" + strconv.FormatInt(id, 10) + "/conflict"
	d.Discuss = v.L() + "/proposals/" + strconv.FormatInt(id, 10) + "/comments"
	d.Board = s.callPath(v.Lang, p.Fund, p.Call) + "/review"
	return &page{Template: "fund_review", Title: v.P.T("review.title", mustText(v, p.Title)), Status: status, Data: d,
		Parents: []crumb{{Label: mustText(v, c.Title), Href: s.callPath(v.Lang, p.Fund, p.Call)},
			{Label: v.P.T("review.board.short"), Href: d.Board}}}, nil
}

// formFailure is the review page again with what was refused.
func (s *Server) formFailure(r *http.Request, v *view, err error, labels map[string]string) (*page, error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	d := &reviewPageData{Values: map[string]string{}, Errors: map[string]string{}, Alert: v.P.Error(e)}
	for k := range r.PostForm {
		d.Values[k] = r.PostForm.Get(k)
	}
	for f, fe := range e.Fields {
		d.Errors[f] = v.P.Field(fe)
		label, ok := labels[f]
		if !ok {
			label = f
		}
		d.Summary = append(d.Summary, summaryEntry{Target: "f-" + strings.ReplaceAll(f, ".", "-"), Label: label, Message: d.Errors[f]})
	}
	return s.reviewView(r, v, d, statusOf(e.Code))
}

// reviewSave saves the form: a draft, or submitted.
func (s *Server) reviewSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	id, err := proposalParam(r)
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	rev := partnerhub.ProposalReview{Proposal: id, Scores: map[string]int{},
		ForCommittee: r.PostForm.Get("for_committee"), ForApplicants: r.PostForm.Get("for_applicants")}
	rev.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	errs := partnerhub.FieldErrors{}
	for k, vs := range r.PostForm {
		code, ok := strings.CutPrefix(k, "scores.")
		if !ok || len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
		if err != nil {
			errs.Add(k, "not_integer")
			continue
		}
		rev.Scores[code] = n
	}
	labels := map[string]string{"for_committee": v.P.T("review.for_committee"), "for_applicants": v.P.T("review.for_applicants")}
	if p, _, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id); err == nil {
		if c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, p.Fund, p.Call); err == nil {
			for _, cr := range c.Criteria {
				labels["scores."+cr.Code] = mustText(v, cr.Name)
			}
		}
	}
	if err := errs.Err(); err != nil {
		return s.formFailure(r, v, err, labels)
	}
	_, err = rs.PutReview(r.Context(), v.User, v.Home, rev, r.PostForm.Get("op") == "submit")
	if err != nil {
		return s.formFailure(r, v, err, labels)
	}
	http.Redirect(w, r, s.proposalReviewPath(v.Lang, id)+"?saved=1", http.StatusSeeOther)
	return nil, nil
}

// reviewConflict declares the reader's conflict with a proposal; it is
// gone from their pages at once, so they go back to their list.
func (s *Server) reviewConflict(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	id, err := proposalParam(r)
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), v.User, v.Home, id)
	if err != nil {
		return nil, err
	}
	if err := rs.DeclareConflict(r.Context(), v.User, v.Home, id, r.PostForm.Get("reason")); err != nil {
		return s.formFailure(r, v, err, map[string]string{"reason": v.P.T("review.conflict_reason")})
	}
	http.Redirect(w, r, s.callPath(v.Lang, p.Fund, p.Call)+"/review?declared=1", http.StatusSeeOther)
	return nil, nil
}

// reviewComment adds to a proposal's discussion.
func (s *Server) reviewComment(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, err
	}
	id, err := proposalParam(r)
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	if _, err := rs.AddComment(r.Context(), v.User, v.Home, id, r.PostForm.Get("body")); err != nil {
		return s.formFailure(r, v, err, map[string]string{"body": v.P.T("review.discussion.body")})
	}
	http.Redirect(w, r, s.proposalReviewPath(v.Lang, id)+"#discussion", http.StatusSeeOther)
	return nil, nil
}

// ---- the ranking ---------------------------------------------------------------

type rankingData struct {
	// L holds the column labels, each with its colon, read once for
	// every row (a thousand rows on a large call).
	L        map[string]string
	Call     partnerhub.Call
	Rows     []rankingRow
	Download string
	Board    string
	Review   string
	// Body is the table's rows, written here rather than by the template:
	// a call of a thousand proposals took the template 15 ms of the page's
	// 50 ms budget (bench/fund_test.go), and the page is the committee's
	// one view of the whole call.
	Body template.HTML
}

// rankingBody writes the rows of the ranking table, every value escaped.
func rankingBody(v *view, d *rankingData) template.HTML {
	var b strings.Builder
	b.Grow(len(d.Rows) * 600)
	esc := html.EscapeString
	cell := func(class, label, value string) {
		b.WriteString(`<td`)
		if class != "" {
			b.WriteString(` class="` + class + `"`)
		}
		b.WriteString(` data-label="` + esc(label) + `">` + esc(value) + `</td>` + "\n")
	}
	for _, x := range d.Rows {
		b.WriteString("<tr>\n")
		rank := "—"
		if x.Rank > 0 {
			rank = strconv.Itoa(x.Rank)
		}
		cell("num", d.L["rank"], rank)
		b.WriteString(`<th scope="row"><a href="` + esc(d.Review+strconv.FormatInt(x.Proposal, 10)+"/review") + `">`)
		b.WriteString(string(textHTML(v, x.Title)) + "</a></th>\n")
		cell("", d.L["grant"], x.GrantName)
		cell("num", d.L["mean"], x.MeanText)
		cell("num", d.L["spread"], x.SpreadText)
		cell("num", d.L["reviews"], x.ReviewsText)
		cell("num", d.L["conflicts"], strconv.Itoa(x.Conflicts))
		cell("", d.L["decision"], x.DecisionText)
		b.WriteString("</tr>")
	}
	return template.HTML(b.String()) // every value above is escaped
}

// rankingRow is a row of the ranking with its figures written out.
type rankingRow struct {
	partnerhub.RankingRow
	MeanText, SpreadText, GrantName, ReviewsText, DecisionText string
}

// grantName is a grant's name in the reader's language, or its code.
func grantName(v *view, c partnerhub.Call, code string) string {
	for _, g := range c.Grants {
		if g.Code == code {
			return mustText(v, g.Name)
		}
	}
	return code
}

func (s *Server) rankingRows(r *http.Request, v *view) (partnerhub.Call, []partnerhub.RankingRow, error) {
	rs, err := s.reviews()
	if err != nil {
		return partnerhub.Call{}, nil, err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return partnerhub.Call{}, nil, err
	}
	rows, err := rs.Ranking(r.Context(), v.User, v.Home, fund, number)
	if err != nil {
		return partnerhub.Call{}, nil, err
	}
	c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, fund, number)
	return c, rows, err
}

func (s *Server) rankingPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	c, rows, err := s.rankingRows(r, v)
	if err != nil {
		return nil, err
	}
	base := s.callPath(v.Lang, c.Fund, c.Number)
	shown := make([]rankingRow, len(rows))
	for i, x := range rows {
		shown[i] = rankingRow{RankingRow: x, MeanText: "—", SpreadText: "—", DecisionText: "—", GrantName: grantName(v, c, x.Grant),
			ReviewsText: v.P.T("ranking.reviews_of", x.Reviews, x.Assigned)}
		if x.Decision != "" {
			shown[i].DecisionText = v.P.T("ranking.outcome." + string(x.Decision))
		}
		if x.Mean != nil {
			shown[i].MeanText, shown[i].SpreadText = fmt.Sprintf("%.2f", *x.Mean), fmt.Sprintf("%.2f", *x.Spread)
		}
	}
	colon := v.P.T("label.colon")
	labels := map[string]string{}
	for _, k := range []string{"rank", "grant", "mean", "spread", "reviews", "conflicts", "decision"} {
		labels[k] = v.P.T("ranking."+k) + colon
	}
	d := &rankingData{L: labels, Call: c, Rows: shown, Download: base + "/ranking.xlsx", Board: base + "/review", Review: v.L() + "/proposals/"}
	d.Body = rankingBody(v, d)
	return &page{Template: "fund_ranking", Title: v.P.T("ranking.title", mustText(v, c.Title)), Data: d,
		Parents: []crumb{{Label: mustText(v, c.Title), Href: base}}}, nil
}

// rankingXLSX is the ranking as a workbook: the page's rows, its headers
// in the reader's language.
func (s *Server) rankingXLSX(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	c, rows, err := s.rankingRows(r, v)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := v.P.T("ranking.sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	head := []any{v.P.T("ranking.rank"), v.P.T("ranking.proposal_id"), v.P.T("ranking.proposal"), v.P.T("ranking.grant"),
		v.P.T("ranking.mean"), v.P.T("ranking.spread"), v.P.T("ranking.reviews_done"), v.P.T("ranking.reviews_assigned"),
		v.P.T("ranking.conflicts"), v.P.T("ranking.decision")}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return nil, err
	}
	for i, x := range rows {
		row := []any{nil, x.Proposal, mustText(v, x.Title), grantName(v, c, x.Grant), nil, nil, x.Reviews, x.Assigned, x.Conflicts, nil}
		if x.Rank > 0 {
			row[0] = x.Rank
		}
		if x.Mean != nil {
			row[4], row[5] = *x.Mean, *x.Spread
		}
		if x.Decision != "" {
			row[9] = v.P.T("ranking.outcome." + string(x.Decision))
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	name := fmt.Sprintf("ranking-%s-%d-%s.xlsx", c.Fund, c.Number, v.Lang)
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
	h["Cache-Control"] = hdrNoStore
	if err := f.Write(w); err != nil {
		s.deps.Logger.Error("ranking download failed", "err", err)
	}
	return nil, nil
}

// ---- the API -------------------------------------------------------------------

// reviewReader is who asks through the API: signed in, and the review kept.
func (s *Server) reviewReader(r *http.Request) (*partnerhub.User, partnerhub.ReviewService, error) {
	rs, err := s.reviews()
	if err != nil {
		return nil, nil, err
	}
	u := s.user(r)
	if u == nil {
		return nil, nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	return u, rs, nil
}

// assignmentBody is what POST and DELETE of an assignment send.
type assignmentBody struct {
	Proposal   int64 `json:"proposal"`
	ReviewerID int64 `json:"reviewer_id"`
}

func (s *Server) apiAssignments(w http.ResponseWriter, r *http.Request) error {
	u, rs, err := s.reviewReader(r)
	if err != nil {
		return err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		if err := noParams(r); err != nil {
			return err
		}
		as, err := rs.Assignments(r.Context(), u, s.home(r), fund, number)
		if err != nil {
			return err
		}
		return writeStatusJSON(w, http.StatusOK, list(as))
	}
	if err := noParams(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in assignmentBody
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	// The proposal must be of this call: one of another is not found here.
	if _, err := rs.Assignments(r.Context(), u, s.home(r), fund, number); err != nil {
		return err
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), u, s.home(r), in.Proposal)
	if err != nil {
		return err
	}
	if p.Fund != fund || p.Call != number {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.proposal_not_found", in.Proposal)
	}
	if r.Method == http.MethodDelete {
		if err := rs.Unassign(r.Context(), u, s.home(r), in.Proposal, in.ReviewerID); err != nil {
			return err
		}
		return writeStatusJSON(w, http.StatusOK, in)
	}
	if err := rs.Assign(r.Context(), u, s.home(r), in.Proposal, in.ReviewerID); err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusCreated, in)
}

// reviewBody is a review as PUT sends it.
type reviewBody struct {
	Scores        map[string]int `json:"scores"`
	ForCommittee  string         `json:"for_committee"`
	ForApplicants string         `json:"for_applicants"`
	Version       int            `json:"version"`
	Submit        bool           `json:"submit"`
}

func (s *Server) apiReviews(w http.ResponseWriter, r *http.Request) error {
	u, rs, err := s.reviewReader(r)
	if err != nil {
		return err
	}
	id, err := proposalParam(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		revs, err := rs.Reviews(r.Context(), u, s.home(r), id)
		if err != nil {
			return err
		}
		return writeStatusJSON(w, http.StatusOK, revs)
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in reviewBody
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	out, err := rs.PutReview(r.Context(), u, s.home(r), partnerhub.ProposalReview{Proposal: id, Scores: in.Scores,
		ForCommittee: in.ForCommittee, ForApplicants: in.ForApplicants, Version: in.Version}, in.Submit)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, out)
}

func (s *Server) apiConflicts(w http.ResponseWriter, r *http.Request) error {
	u, rs, err := s.reviewReader(r)
	if err != nil {
		return err
	}
	id, err := proposalParam(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	if err := rs.DeclareConflict(r.Context(), u, s.home(r), id, in.Reason); err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusCreated, partnerhub.Conflict{Proposal: id, UserID: u.ID, Name: u.Name,
		Source: partnerhub.ConflictDeclared, Reason: strings.TrimSpace(in.Reason)})
}

func (s *Server) apiComments(w http.ResponseWriter, r *http.Request) error {
	u, rs, err := s.reviewReader(r)
	if err != nil {
		return err
	}
	id, err := proposalParam(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		cs, err := rs.Comments(r.Context(), u, s.home(r), id)
		if err != nil {
			return err
		}
		return writeStatusJSON(w, http.StatusOK, list(cs))
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
	c, err := rs.AddComment(r.Context(), u, s.home(r), id, in.Body)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusCreated, c)
}

func (s *Server) apiRanking(w http.ResponseWriter, r *http.Request) error {
	u, rs, err := s.reviewReader(r)
	if err != nil {
		return err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	rows, err := rs.Ranking(r.Context(), u, s.home(r), fund, number)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, list(rows))
}
