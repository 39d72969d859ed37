package web

// The call's form: a fund's administrators open and change its calls,
// dates typed in Japan time.

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"partnerhub"
)

// ---- the call's form -------------------------------------------------------------

type grantRow struct {
	Code, NameJa, NameEn, Months string
	Amount, Currency             [2]string
	Key                          string    // "grants[i]" of the call as read, for its errors
	Ceil                         [2]string // the key of each ceiling's errors, "" when its cells were blank
	ID                           string
	Errs                         map[string]string
}

type criterionRow struct {
	Code, NameJa, NameEn, Weight, Key, ID string
	Errs                                  map[string]string
}

type attachmentRow struct {
	Code, NameJa, NameEn, Key, ID string
	Required                      bool
	Errs                          map[string]string
}

// rowErrors are the messages of a table's row by column, read from the
// form's errors at the row's key.
func rowErrors(e *formErrors, key string, cols ...string) map[string]string {
	out := map[string]string{}
	if key == "" {
		return out
	}
	for _, c := range cols {
		switch c {
		case "name_ja":
			out[c] = cmp.Or(e.At(key+".name.ja"), e.At(key+".name"))
		case "name_en":
			out[c] = e.At(key + ".name.en")
		default:
			out[c] = e.Any(key + "." + c)
		}
	}
	return out
}

// rowID is the prefix of a row's inputs' ids: its key's for a row read,
// a new one for a blank row.
func rowID(key, table string, i int) string {
	if key != "" {
		return targetOf(key)
	}
	return table + "-" + strconv.Itoa(i)
}

type callForm struct {
	New         bool
	Fund        partnerhub.Fund
	Call        partnerhub.Call // as typed
	Opens       string          // the datetime-local values, in Japan time
	Closes      string
	OpensAt     *callTimes // the stored instants, in Japan and the partner's time
	ClosesAt    *callTimes
	Numbers     map[string]string // number, budget amount, scale: as typed
	Grants      []grantRow
	Criteria    []criterionRow
	Attachments []attachmentRow
	Err         *formErrors
	Action      string
	Public      string
	Zone        string
}

var callOrder = []string{"fund", "number", "title", "text", "eligibility", "opens", "closes", "grants", "budget",
	"criteria", "scale_min", "scale_max", "attachments", "interim_due", "final_due", "version"}

var callLabels = map[string]string{"fund": "calls.fund", "number": "calls.number", "title": "calls.call_title", "text": "calls.text",
	"eligibility": "calls.eligibility", "opens": "calls.opens", "closes": "calls.closes", "grants": "calls.grants", "budget": "calls.budget",
	"criteria": "calls.criteria", "scale_min": "calls.scale", "scale_max": "calls.scale", "attachments": "calls.attachments",
	"interim_due": "calls.interim_due", "final_due": "calls.final_due"}

var callColumns = map[string]string{"code": "calls.code", "name": "calls.name", "months": "calls.months", "ceilings": "calls.ceiling",
	"weight": "calls.weight", "required": "calls.required"}

func (s *Server) callFormPage(v *view, cf *callForm) *page {
	c := &cf.Call
	zone := cf.Fund.Zone()
	cf.Zone = zone.String()
	if cf.Numbers == nil {
		cf.Numbers = map[string]string{"number": itoaZ(c.Number), "budget": i64Z(c.Budget.Amount), "scale_min": strconv.Itoa(c.ScaleMin),
			"scale_max": strconv.Itoa(c.ScaleMax)}
		cf.Opens, cf.Closes = jstLocal(c.Opens), jstLocal(c.Closes)
		for i, g := range c.Grants {
			row := grantRow{Code: g.Code, NameJa: g.Name.Ja, NameEn: g.Name.En, Months: itoaZ(g.Months), Key: "grants[" + strconv.Itoa(i) + "]"}
			for j, m := range g.Ceilings {
				if j < 2 {
					row.Amount[j], row.Currency[j] = strconv.FormatInt(m.Amount, 10), m.Currency
					row.Ceil[j] = row.Key + ".ceilings[" + strconv.Itoa(j) + "]"
				}
			}
			cf.Grants = append(cf.Grants, row)
		}
		for i, cr := range c.Criteria {
			cf.Criteria = append(cf.Criteria, criterionRow{Code: cr.Code, NameJa: cr.Name.Ja, NameEn: cr.Name.En, Weight: itoaZ(cr.Weight),
				Key: "criteria[" + strconv.Itoa(i) + "]"})
		}
		for i, a := range c.Attachments {
			cf.Attachments = append(cf.Attachments, attachmentRow{Code: a.Code, NameJa: a.Name.Ja, NameEn: a.Name.En, Required: a.Required,
				Key: "attachments[" + strconv.Itoa(i) + "]"})
		}
	}
	for range blankRows {
		cf.Grants = append(cf.Grants, grantRow{Currency: [2]string{cf.Fund.PartnerCurrency, cf.Fund.HomeCurrency}})
		cf.Criteria = append(cf.Criteria, criterionRow{})
		cf.Attachments = append(cf.Attachments, attachmentRow{})
	}
	if cf.Err == nil {
		cf.Err = &formErrors{}
	}
	e := cf.Err
	for i := range cf.Grants {
		g := &cf.Grants[i]
		g.ID, g.Errs = rowID(g.Key, "grants", i), rowErrors(e, g.Key, "code", "name_ja", "name_en", "months")
		for j := range 2 {
			if g.Ceil[j] != "" {
				g.Errs["ceil"+strconv.Itoa(j)] = e.Any(g.Ceil[j])
			}
		}
	}
	for i := range cf.Criteria {
		k := &cf.Criteria[i]
		k.ID, k.Errs = rowID(k.Key, "criteria", i), rowErrors(e, k.Key, "code", "name_ja", "name_en", "weight")
	}
	for i := range cf.Attachments {
		a := &cf.Attachments[i]
		a.ID, a.Errs = rowID(a.Key, "attachments", i), rowErrors(e, a.Key, "code", "name_ja", "name_en")
	}
	title := v.P.T("calls.new_in", mustText(v, cf.Fund.Name))
	cf.Action = v.L() + "/calls/new?fund=" + url.QueryEscape(cf.Fund.Slug)
	if !cf.New {
		title = v.P.T("calls.edit", mustText(v, c.Title))
		cf.Public = v.L() + c.Path()
		cf.Action = cf.Public + "/edit"
	}
	p := &page{Template: "call_form", Title: title, Data: cf, Parents: []crumb{{Label: v.P.T("funds.title"), Href: s.fundsPath(v.Lang)}},
		Status: cf.Err.Status}
	return p
}

func itoaZ(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func i64Z(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// callNewForm offers a new call of the fund ?fund=, numbered after its
// last, with the usual scale of 1 to 5.
func (s *Server) callNewForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	q := r.URL.Query()
	errs := params(q, "fund")
	slug := single(q, errs, "fund")
	if err := errs.Err(); err != nil {
		return nil, err
	}
	f, err := s.fundFor(r, v, slug)
	if err != nil {
		return nil, err
	}
	calls, err := s.deps.Funds.Calls(r.Context(), v.User, v.Home, partnerhub.CallFilter{Fund: slug})
	if err != nil {
		return nil, err
	}
	next := f.DeclaredCalls + 1
	for _, c := range calls {
		next = max(next, c.Number+1)
	}
	c := partnerhub.Call{Fund: slug, Number: next, ScaleMin: 1, ScaleMax: 5,
		Budget: partnerhub.Money{Currency: f.PartnerCurrency}}
	return s.callFormPage(v, &callForm{New: true, Fund: f, Call: c}), nil
}

func (s *Server) callEditForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	f, err := s.fundFor(r, v, r.PathValue("fund"))
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.call_not_found", f.Slug+"/"+r.PathValue("number"))
	}
	c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, f.Slug, n)
	if err != nil {
		return nil, err
	}
	cf := &callForm{Fund: f, Call: c}
	s.stampTimes(cf, c, f)
	return s.callFormPage(v, cf), nil
}

// stampTimes shows beside the inputs the instants stored, in Japan time
// and in the partner's.
func (s *Server) stampTimes(cf *callForm, c partnerhub.Call, f partnerhub.Fund) {
	if !c.Opens.IsZero() {
		t := timesOf(c.Opens, f.Zone())
		cf.OpensAt = &t
	}
	if !c.Closes.IsZero() {
		t := timesOf(c.Closes, f.Zone())
		cf.ClosesAt = &t
	}
}

// readCall reads the call's form; what cannot be read is in errs. Blank
// rows of the tables are left out, and the rows kept are numbered as the
// call numbers them, so that their errors find them.
func readCall(f url.Values, fund string, errs partnerhub.FieldErrors) *callForm {
	cf := &callForm{Opens: strings.TrimSpace(f.Get("opens")), Closes: strings.TrimSpace(f.Get("closes")),
		Numbers: map[string]string{"number": strings.TrimSpace(f.Get("number")), "budget": strings.TrimSpace(f.Get("budget.amount")),
			"scale_min": strings.TrimSpace(f.Get("scale_min")), "scale_max": strings.TrimSpace(f.Get("scale_max"))}}
	c := &cf.Call
	c.Fund = fund
	c.Number = formInt(errs, "number", cf.Numbers["number"])
	c.Title = partnerhub.Text{Ja: strings.TrimSpace(f.Get("title.ja")), En: strings.TrimSpace(f.Get("title.en"))}
	c.Body = partnerhub.Text{Ja: strings.TrimSpace(f.Get("text.ja")), En: strings.TrimSpace(f.Get("text.en"))}
	c.Eligibility = partnerhub.Text{Ja: strings.TrimSpace(f.Get("eligibility.ja")), En: strings.TrimSpace(f.Get("eligibility.en"))}
	c.Opens = parseJST(errs, "opens", cf.Opens)
	c.Closes = parseJST(errs, "closes", cf.Closes)
	c.Budget = partnerhub.Money{Amount: formAmount(errs, "budget.amount", cf.Numbers["budget"]),
		Currency: strings.ToUpper(strings.TrimSpace(f.Get("budget.currency")))}
	c.ScaleMin = formInt(errs, "scale_min", cf.Numbers["scale_min"])
	c.ScaleMax = formInt(errs, "scale_max", cf.Numbers["scale_max"])
	c.EnglishOnly, c.Published = checked(f, "english_only"), checked(f, "published")
	for _, d := range []struct {
		key string
		to  *partnerhub.PartialDate
	}{{"interim_due", &c.InterimDue}, {"final_due", &c.FinalDue}} {
		if s := strings.TrimSpace(f.Get(d.key)); s != "" {
			pd, err := partnerhub.ParsePartialDate(s)
			if err != nil {
				errs.Add(d.key, "bad_date", s)
			}
			*d.to = pd
		}
	}
	c.Version, _ = strconv.Atoi(f.Get("version"))

	n := rowCount(f, "g_code", "g_name_ja", "g_name_en", "g_months", "g_amount1", "g_amount2")
	for i := range n {
		row := grantRow{Code: at(f["g_code"], i), NameJa: at(f["g_name_ja"], i), NameEn: at(f["g_name_en"], i), Months: at(f["g_months"], i),
			Amount:   [2]string{at(f["g_amount1"], i), at(f["g_amount2"], i)},
			Currency: [2]string{strings.ToUpper(at(f["g_currency1"], i)), strings.ToUpper(at(f["g_currency2"], i))}}
		if blank(row.Code, row.NameJa, row.NameEn, row.Months, row.Amount[0], row.Amount[1]) {
			continue
		}
		row.Key = "grants[" + strconv.Itoa(len(c.Grants)) + "]"
		g := partnerhub.Grant{Code: row.Code, Name: partnerhub.Text{Ja: row.NameJa, En: row.NameEn}, Months: formInt(errs, row.Key+".months", row.Months),
			Ceilings: []partnerhub.Money{}}
		for j := range 2 {
			if blank(row.Amount[j]) {
				continue
			}
			row.Ceil[j] = row.Key + ".ceilings[" + strconv.Itoa(len(g.Ceilings)) + "]"
			g.Ceilings = append(g.Ceilings, partnerhub.Money{Amount: formAmount(errs, row.Ceil[j]+".amount", row.Amount[j]), Currency: row.Currency[j]})
		}
		cf.Grants = append(cf.Grants, row)
		c.Grants = append(c.Grants, g)
	}
	n = rowCount(f, "k_code", "k_name_ja", "k_name_en", "k_weight")
	for i := range n {
		row := criterionRow{Code: at(f["k_code"], i), NameJa: at(f["k_name_ja"], i), NameEn: at(f["k_name_en"], i), Weight: at(f["k_weight"], i)}
		if blank(row.Code, row.NameJa, row.NameEn, row.Weight) {
			continue
		}
		row.Key = "criteria[" + strconv.Itoa(len(c.Criteria)) + "]"
		cf.Criteria = append(cf.Criteria, row)
		c.Criteria = append(c.Criteria, partnerhub.Criterion{Code: row.Code, Name: partnerhub.Text{Ja: row.NameJa, En: row.NameEn},
			Weight: formInt(errs, row.Key+".weight", row.Weight)})
	}
	n = rowCount(f, "a_code", "a_name_ja", "a_name_en", "a_required")
	for i := range n {
		row := attachmentRow{Code: at(f["a_code"], i), NameJa: at(f["a_name_ja"], i), NameEn: at(f["a_name_en"], i), Required: at(f["a_required"], i) == "1"}
		if blank(row.Code, row.NameJa, row.NameEn) {
			continue
		}
		row.Key = "attachments[" + strconv.Itoa(len(c.Attachments)) + "]"
		cf.Attachments = append(cf.Attachments, row)
		c.Attachments = append(c.Attachments, partnerhub.AttachmentSpec{Code: row.Code, Name: partnerhub.Text{Ja: row.NameJa, En: row.NameEn},
			Required: row.Required})
	}
	return cf
}

// callSave creates (at /calls/new?fund=) or updates a call from its form.
func (s *Server) callSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	slug, create := r.PathValue("fund"), r.PathValue("fund") == ""
	if create {
		q := r.URL.Query()
		errs := params(q, "fund")
		slug = single(q, errs, "fund")
		if err := errs.Err(); err != nil {
			return nil, err
		}
	}
	f, err := s.fundFor(r, v, slug)
	if err != nil {
		return nil, err
	}
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	errs := partnerhub.FieldErrors{}
	cf := readCall(r.PostForm, slug, errs)
	cf.New, cf.Fund = create, f
	c := cf.Call
	if create {
		c.Version = 0
	} else {
		n, err := strconv.Atoi(r.PathValue("number"))
		if err != nil || n < 1 {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.call_not_found", slug+"/"+r.PathValue("number"))
		}
		c.Number, cf.Call.Number, cf.Numbers["number"] = n, n, strconv.Itoa(n)
		stored, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, slug, n)
		if err != nil {
			return nil, err
		}
		s.stampTimes(cf, stored, f)
	}
	if err = errs.Err(); err == nil {
		_, err = s.deps.Funds.PutCall(r.Context(), v.User, v.Home, c)
	} else if e := c.Validate(); e != nil {
		mergeFieldErrors(errs, e)
		err = errs.Err()
	}
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, v.L()+c.Path()+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	label := func(k string) string { return rowLabel(v, k, callLabels, callColumns) }
	cur, ok := conflictCurrent(err).(partnerhub.Call)
	if cf.Err, err = refused(v, err, callOrder, label); err != nil {
		return nil, err
	}
	if ok && cf.Err.Conflict {
		cf.Call.Version = cur.Version
		s.stampTimes(cf, cur, f)
	}
	return s.callFormPage(v, cf), nil
}
