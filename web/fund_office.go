package web

// The office's pages of joint funds: the list of funds of those who hold a
// role in one, a fund's form, its committee, and a call's form. A call's
// opening and closing are entered in Japan time (datetime-local inputs
// read in Asia/Tokyo) and stored as instants; the form shows the partner's
// local time beside them. Bad input is shown again with every problem at
// its field, in the reader's language, and nothing is written.

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// blankRows is how many empty rows a repeatable table offers.
const blankRows = 2

// withFunds answers 404 when the server keeps no funds.
func (s *Server) withFunds(h privateHandler) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s.deps.Funds == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		return h(w, r, v)
	}
}

// ---- the list of funds --------------------------------------------------------

type fundItem struct {
	Fund   partnerhub.Fund
	Admin  bool // may edit the fund, its committee and its calls
	Calls  []callItem
	Seats  int
	Drafts int
}

type fundsData struct {
	Funds    []fundItem
	CanMake  bool // may create a fund (the home's administrators)
	Partners map[string]string
}

// fundsPage lists the funds in which the reader holds a role (all of them
// for the home's administrators), each with its calls, drafts included.
func (s *Server) fundsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	funds, err := s.deps.Funds.Funds(r.Context(), v.User, v.Home)
	if err != nil {
		return nil, err
	}
	d := &fundsData{CanMake: v.User.Role == partnerhub.RoleAdmin}
	now := s.deps.Now()
	for _, f := range funds {
		a, err := s.deps.Funds.FundAccess(r.Context(), v.User, v.Home, f.Slug)
		if err != nil {
			return nil, err
		}
		if !a.Committee() {
			continue
		}
		full, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, f.Slug)
		if err != nil {
			return nil, err
		}
		it := fundItem{Fund: full, Admin: a.Has(partnerhub.FundAdmin), Seats: len(full.Seats)}
		calls, err := s.deps.Funds.Calls(r.Context(), v.User, v.Home, partnerhub.CallFilter{Fund: f.Slug})
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			it.Calls = append(it.Calls, s.callItem(v, c, &full, now))
			if !c.Published {
				it.Drafts++
			}
		}
		d.Funds = append(d.Funds, it)
	}
	return &page{Template: "funds", Title: v.P.T("funds.title"), Data: d}, nil
}

// ---- shared by the forms ------------------------------------------------------

// formErrors are a refused write's problems: the message for the whole
// form, each field's message by the domain's key ("grants[0].code"), and
// the summary above the form, in the form's order.
type formErrors struct {
	Message  string
	Fields   map[string]string
	Summary  []summaryEntry
	Conflict bool // the record changed meanwhile: the form now edits the current version
	Status   int
}

// field is the message at key, "" when none.
func (e *formErrors) At(key string) string {
	if e == nil {
		return ""
	}
	return e.Fields[key]
}

// Any is the first message at a key that starts with one of prefixes.
func (e *formErrors) Any(prefixes ...string) string {
	if e == nil {
		return ""
	}
	for _, k := range slices.Sorted(mapKeys(e.Fields)) {
		for _, p := range prefixes {
			if k == p || strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[") {
				return e.Fields[k]
			}
		}
	}
	return ""
}

// refused turns a write's error into the form's errors; an error that is
// not the writer's to correct (not found, forbidden, ours) is returned.
func refused(v *view, err error, order []string, label func(key string) string) (*formErrors, error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || (e.Code != partnerhub.EInvalid && e.Code != partnerhub.EConflict) {
		return nil, err
	}
	fe := &formErrors{Message: v.P.Error(e), Fields: map[string]string{}, Status: statusOf(e.Code),
		Conflict: e.Code == partnerhub.EConflict && e.Current != nil}
	for k, f := range e.Fields {
		fe.Fields[k] = v.P.Field(f)
	}
	rank := func(k string) int {
		base, _ := splitFieldKey(k)
		if i := slices.Index(order, base); i >= 0 {
			return i
		}
		return len(order)
	}
	keys := slices.SortedFunc(mapKeys(fe.Fields), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	for _, k := range keys {
		fe.Summary = append(fe.Summary, summaryEntry{Target: "f-" + targetOf(k), Label: label(k), Message: fe.Fields[k]})
	}
	return fe, nil
}

// targetOf is the id of the input an error's key names: the key with its
// brackets and dots made dashes ("grants[0].code" is f-grants-0-code).
func targetOf(k string) string {
	r := strings.NewReplacer("[", "-", "]", "", ".", "-")
	return r.Replace(k)
}

// rowLabel names a key of a repeatable table for the summary: "Grants,
// row 2: Ceiling".
func rowLabel(v *view, k string, tables map[string]string, columns map[string]string) string {
	base, rest := splitFieldKey(k)
	label := v.P.T(cmp.Or(tables[base], "form.whole"))
	if !strings.HasPrefix(rest, "[") {
		switch rest {
		case ".ja":
			return v.P.T("form.in_lang.ja", label)
		case ".en":
			return v.P.T("form.in_lang.en", label)
		}
		return label
	}
	end := strings.Index(rest, "]")
	i, err := strconv.Atoi(rest[1:end])
	if err != nil {
		return label
	}
	label = v.P.T("form.item", label, i+1)
	col, _ := splitFieldKey(strings.TrimPrefix(rest[end+1:], "."))
	if c, ok := columns[col]; ok {
		label += v.P.T("form.colon") + v.P.T(c)
	}
	return label
}

func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	if bad := invalidUTF8(r.PostForm); bad != "" {
		return (partnerhub.FieldErrors{bad: {Key: "bad_utf8"}}).Err()
	}
	return nil
}

// formInt reads a whole number; "" is 0, anything else not a number is a
// field error.
func formInt(errs partnerhub.FieldErrors, key, s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		errs.Add(key, "bad_int", s)
	}
	return n
}

func formAmount(errs partnerhub.FieldErrors, key, s string) int64 {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		errs.Add(key, "bad_int", s)
	}
	return n
}

// at is the i-th value of a repeated form field, "" past its end.
func at(vals []string, i int) string {
	if i < len(vals) {
		return strings.TrimSpace(vals[i])
	}
	return ""
}

func rowCount(f url.Values, names ...string) int {
	n := 0
	for _, name := range names {
		n = max(n, len(f[name]))
	}
	return n
}

func blank(vals ...string) bool {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// datetimeLocal is how a datetime-local input writes an instant in Japan
// time.
const datetimeLocal = "2006-01-02T15:04"

// parseJST reads a datetime-local value as Japan time.
func parseJST(errs partnerhub.FieldErrors, key, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, partnerhub.Japan); err == nil {
			return t.UTC()
		}
	}
	errs.Add(key, "bad_datetime", s)
	return time.Time{}
}

func jstLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(partnerhub.Japan).Format(datetimeLocal)
}

func checked(f url.Values, name string) bool {
	v := f.Get(name)
	return v == "on" || v == "1" || v == "true"
}

// fundFor reads a fund and what the reader holds in it; only its
// administrators edit it, its committee and its calls.
func (s *Server) fundFor(r *http.Request, v *view, slug string) (partnerhub.Fund, error) {
	a, err := s.deps.Funds.FundAccess(r.Context(), v.User, v.Home, slug)
	if err != nil {
		return partnerhub.Fund{}, err
	}
	if !a.Has(partnerhub.FundAdmin) {
		return partnerhub.Fund{}, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_fund")
	}
	return s.deps.Funds.Fund(r.Context(), v.User, v.Home, slug)
}

func (s *Server) fundsPath(lang partnerhub.Lang) string { return s.l(lang) + "/funds" }

// ---- the fund's form -----------------------------------------------------------

type contributionRow struct {
	Year, Side, Amount, Currency string
	ID                           string            // the prefix of its inputs' ids
	Errs                         map[string]string // by column
}

type fundForm struct {
	New           bool
	Fund          partnerhub.Fund // as typed
	Contributions []contributionRow
	Partners      []option
	Sides         []partnerhub.Side
	Err           *formErrors
	Action        string
}

var fundOrder = []string{"slug", "name", "summary", "partners", "partner_zone", "home_currency", "partner_currency",
	"contributions", "declared_calls", "declared_projects", "version"}

var fundLabels = map[string]string{"slug": "funds.slug", "name": "funds.name", "summary": "funds.summary", "partners": "funds.partners",
	"partner_zone": "funds.partner_zone", "home_currency": "funds.home_currency", "partner_currency": "funds.partner_currency",
	"contributions": "funds.contributions", "declared_calls": "funds.declared_calls", "declared_projects": "funds.declared_projects"}

var contributionColumns = map[string]string{"year": "funds.year", "side": "funds.side", "amount": "funds.amount"}

func (s *Server) fundFormPage(v *view, ff *fundForm) *page {
	ff.Sides = partnerhub.Sides
	for _, p := range v.X.Partners(partnerhub.PartnerFilter{}) {
		ff.Partners = append(ff.Partners, option{Value: p.Slug, Label: mustText(v, p.Name)})
	}
	if ff.Contributions == nil {
		for _, c := range ff.Fund.Contributions {
			ff.Contributions = append(ff.Contributions, contributionRow{Year: strconv.Itoa(c.Year), Side: string(c.Side),
				Amount: strconv.FormatInt(c.Amount.Amount, 10), Currency: c.Amount.Currency})
		}
	}
	for range blankRows {
		ff.Contributions = append(ff.Contributions, contributionRow{})
	}
	if ff.Err == nil {
		ff.Err = &formErrors{}
	}
	n := 0
	for i := range ff.Contributions {
		row := &ff.Contributions[i]
		key := ""
		if !blank(row.Year, row.Amount, row.Currency) {
			key = "contributions[" + strconv.Itoa(n) + "]"
			n++
		}
		row.ID, row.Errs = rowID(key, "contributions", i), rowErrors(ff.Err, key, "year", "side", "amount")
	}
	title := v.P.T("funds.new")
	ff.Action = s.fundsPath(v.Lang) + "/new"
	if !ff.New {
		title = v.P.T("funds.edit", mustText(v, ff.Fund.Name))
		ff.Action = s.fundsPath(v.Lang) + "/" + ff.Fund.Slug + "/edit"
	}
	p := &page{Template: "fund_form", Title: title, Data: ff, Parents: []crumb{{Label: v.P.T("funds.title"), Href: s.fundsPath(v.Lang)}},
		Status: ff.Err.Status}
	return p
}

func (s *Server) fundNewForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if v.User.Role != partnerhub.RoleAdmin {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
	}
	return s.fundFormPage(v, &fundForm{New: true, Fund: partnerhub.Fund{HomeCurrency: "JPY", PartnerCurrency: "USD"}}), nil
}

func (s *Server) fundEditForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	f, err := s.fundFor(r, v, r.PathValue("fund"))
	if err != nil {
		return nil, err
	}
	return s.fundFormPage(v, &fundForm{Fund: f}), nil
}

// readFund reads the fund's form; what cannot be read is in errs.
func readFund(f url.Values, errs partnerhub.FieldErrors) (partnerhub.Fund, []contributionRow) {
	fd := partnerhub.Fund{
		Slug:        strings.TrimSpace(f.Get("slug")),
		Name:        partnerhub.Text{Ja: strings.TrimSpace(f.Get("name.ja")), En: strings.TrimSpace(f.Get("name.en"))},
		Summary:     partnerhub.Text{Ja: strings.TrimSpace(f.Get("summary.ja")), En: strings.TrimSpace(f.Get("summary.en"))},
		Partners:    f["partners"],
		PartnerZone: strings.TrimSpace(f.Get("partner_zone")), HomeCurrency: strings.ToUpper(strings.TrimSpace(f.Get("home_currency"))),
		PartnerCurrency:  strings.ToUpper(strings.TrimSpace(f.Get("partner_currency"))),
		DeclaredCalls:    formInt(errs, "declared_calls", f.Get("declared_calls")),
		DeclaredProjects: formInt(errs, "declared_projects", f.Get("declared_projects")),
		ConflictByUnit:   checked(f, "conflict_by_unit"), ReviewsOpen: checked(f, "reviews_open"),
	}
	fd.Version, _ = strconv.Atoi(f.Get("version"))
	var rows []contributionRow
	n := rowCount(f, "c_year", "c_side", "c_amount", "c_currency")
	for i := range n {
		row := contributionRow{Year: at(f["c_year"], i), Side: at(f["c_side"], i), Amount: at(f["c_amount"], i), Currency: strings.ToUpper(at(f["c_currency"], i))}
		if blank(row.Year, row.Amount, row.Currency) {
			continue
		}
		k := "contributions[" + strconv.Itoa(len(rows)) + "]"
		rows = append(rows, row)
		fd.Contributions = append(fd.Contributions, partnerhub.Contribution{Year: formInt(errs, k+".year", row.Year),
			Side: partnerhub.Side(row.Side), Amount: partnerhub.Money{Amount: formAmount(errs, k+".amount.amount", row.Amount), Currency: row.Currency}})
	}
	return fd, rows
}

// fundSave creates (at /funds/new) or updates a fund from its form.
func (s *Server) fundSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if slug := r.PathValue("fund"); slug != "" {
		if _, err := s.fundFor(r, v, slug); err != nil {
			return nil, err
		}
	} else if v.User.Role != partnerhub.RoleAdmin {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
	}
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	errs := partnerhub.FieldErrors{}
	fd, rows := readFund(r.PostForm, errs)
	ff := &fundForm{New: r.PathValue("fund") == "", Fund: fd, Contributions: rows}
	if ff.New {
		fd.Version = 0
	} else {
		fd.Slug = r.PathValue("fund")
		ff.Fund.Slug = fd.Slug
	}
	var err error
	if err = errs.Err(); err == nil {
		_, err = s.deps.Funds.PutFund(r.Context(), v.User, v.Home, fd)
	} else if e := fd.Validate(); e != nil {
		mergeFieldErrors(errs, e)
		err = errs.Err()
	}
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, s.fundsPath(v.Lang)+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	label := func(k string) string { return rowLabel(v, k, fundLabels, contributionColumns) }
	cur, _ := conflictCurrent(err).(partnerhub.Fund)
	if ff.Err, err = refused(v, err, fundOrder, label); err != nil {
		return nil, err
	}
	if ff.Err.Conflict {
		// The form now edits the current version: sending it again keeps
		// what the reader typed, knowingly.
		ff.Fund.Version = cur.Version
	}
	return s.fundFormPage(v, ff), nil
}

// conflictCurrent is the record a version conflict carries.
func conflictCurrent(err error) any {
	var e *partnerhub.Error
	if errors.As(err, &e) {
		return e.Current
	}
	return nil
}

// mergeFieldErrors adds a record's validation to the errors of reading its
// form, without a second message for a field that could not be read.
func mergeFieldErrors(errs partnerhub.FieldErrors, err error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) {
		return
	}
	for k, fe := range e.Fields {
		if _, ok := errs[k]; !ok && !hasPrefixKey(errs, k) {
			errs[k] = fe
		}
	}
}

// hasPrefixKey reports whether errs holds a key k starts with at a part
// boundary ("contributions[0].amount" for "contributions[0].amount.amount").
func hasPrefixKey(errs partnerhub.FieldErrors, k string) bool {
	for e := range errs {
		if strings.HasPrefix(k, e+".") || strings.HasPrefix(e, k+".") {
			return true
		}
	}
	return false
}

// ---- the committee -------------------------------------------------------------

type committeeData struct {
	Fund   partnerhub.Fund
	Roles  []partnerhub.FundRole
	Sides  []partnerhub.Side
	Units  []option
	Seat   partnerhub.FundSeat // the seat being added, as typed
	Email  string
	Err    *formErrors
	Action string
}

var seatOrder = []string{"email", "user_id", "role", "side", "unit", "keywords"}

var seatLabels = map[string]string{"email": "funds.seat_email", "user_id": "funds.seat_email", "role": "funds.role",
	"side": "funds.side", "unit": "funds.unit", "keywords": "funds.keywords"}

func (s *Server) committeeView(r *http.Request, v *view, d *committeeData) (*page, error) {
	f, err := s.fundFor(r, v, r.PathValue("fund"))
	if err != nil {
		return nil, err
	}
	d.Fund, d.Roles, d.Sides = f, partnerhub.FundRoles, partnerhub.Sides
	d.Action = s.fundsPath(v.Lang) + "/" + f.Slug + "/committee"
	d.Units = []option{{Value: "", Label: v.P.T("funds.no_unit")}}
	for _, u := range v.X.Units() {
		d.Units = append(d.Units, option{Value: u.Code, Label: mustText(v, u.Name)})
	}
	if d.Err == nil {
		d.Err = &formErrors{}
	}
	p := &page{Template: "fund_committee", Title: v.P.T("funds.committee_of", mustText(v, f.Name)), Data: d,
		Parents: []crumb{{Label: v.P.T("funds.title"), Href: s.fundsPath(v.Lang)}}, Status: d.Err.Status}
	return p, nil
}

func (s *Server) committeePage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	return s.committeeView(r, v, &committeeData{Seat: partnerhub.FundSeat{Role: partnerhub.FundMember, Side: partnerhub.SideHome}})
}

// committeeSeat seats the person of the e-mail address typed.
func (s *Server) committeeSeat(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	if s.deps.FundPeople == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	f := r.PostForm
	d := &committeeData{Email: strings.TrimSpace(f.Get("email")), Seat: partnerhub.FundSeat{Role: partnerhub.FundRole(f.Get("role")),
		Side: partnerhub.Side(f.Get("side")), Unit: strings.TrimSpace(f.Get("unit")), Keywords: strings.TrimSpace(f.Get("keywords"))}}
	fund := r.PathValue("fund")
	seat := d.Seat
	seat.UserID = -1 // for Validate: the person is found by address
	errs := partnerhub.FieldErrors{}
	if d.Email == "" {
		errs.Add("email", "required")
	}
	mergeFieldErrors(errs, seat.Validate())
	delete(errs, "user_id")
	err := errs.Err()
	if err == nil {
		err = s.deps.FundPeople.SeatByEmail(r.Context(), v.User, v.Home, fund, d.Email, d.Seat)
	}
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, s.fundsPath(v.Lang)+"/"+fund+"/committee?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	label := func(k string) string { return rowLabel(v, k, seatLabels, nil) }
	if d.Err, err = refused(v, err, seatOrder, label); err != nil {
		return nil, err
	}
	return s.committeeView(r, v, d)
}

// committeeRemove takes a role in the fund from a person.
func (s *Server) committeeRemove(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	id, _ := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	fund := r.PathValue("fund")
	if err := s.deps.Funds.RemoveFundSeat(r.Context(), v.User, v.Home, fund, id, partnerhub.FundRole(r.PostForm.Get("role"))); err != nil {
		return nil, err
	}
	s.afterWrite(r)
	http.Redirect(w, r, s.fundsPath(v.Lang)+"/"+fund+"/committee?saved=1", http.StatusSeeOther)
	return nil, nil
}
