package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// Editing in the browser: one generic form per entity (forms.go), the
// history of a record, the bin and the audit log. Every page here depends on
// who is signed in, so none is cached.

// editPath is where a record is edited.
func (s *Server) editPath(lang partnerhub.Lang, entity partnerhub.Entity, key string) string {
	return s.l(lang) + "/edit/" + string(entity) + "/" + key
}

// publicPath is where a record is read, or "" when it has no page of its own.
func (s *Server) publicPath(lang partnerhub.Lang, entity partnerhub.Entity, key string) string {
	l := s.l(lang)
	switch entity {
	case partnerhub.EntityActivity:
		return l + "/activities/" + key
	case partnerhub.EntityPartner:
		return l + "/partners/" + key
	case partnerhub.EntityUnit:
		return l + "/units/" + key
	case partnerhub.EntityTeam:
		partner, _, _ := strings.Cut(key, "/")
		return l + "/partners/" + partner
	case partnerhub.EntityAgreement:
		return l + "/agreements/" + key
	}
	return ""
}

type formPage struct {
	Entity   partnerhub.Entity
	Key      string // "" for a new record
	Name     string // the stored record's name in the reader's language, for the title
	Version  int
	Fields   []field
	Values   url.Values
	Errors   map[string]string
	Summary  []summaryEntry // the errors in the order of the form, named by label
	Message  string
	Conflict []conflictField // what changed meanwhile
	Deleted  bool
	Shared   string // a notice that other homes use the record; "" when not
	Action   string
	Public   string
	Verbs    []partnerhub.Verb // a workflow's verbs in the record's present state
}

// summaryEntry is one line of the error summary above a form: the field's
// label in the reader's language, a link to its input, and the problem.
type summaryEntry struct {
	Target, Label, Message string
}

type conflictField struct {
	Label string
	Now   string
}

// privateHandler builds a page for a signed-in reader. It may answer
// itself instead (a redirect after a write) and return no page.
type privateHandler func(w http.ResponseWriter, r *http.Request, v *view) (*page, error)

// private serves a page that needs someone signed in: it sends anyone else
// to the sign-in page (and back afterwards), and renders the handler's
// error as a page, in one place.
func (s *Server) private(lang partnerhub.Lang, nav string, h privateHandler) http.Handler {
	return s.privateFor(lang, nav, false, h)
}

// fundPrivate is private for the pages of the joint funds, which people
// from the partner use as guests: a co-lead invited to write a proposal, a
// committee member who reviews. What each may read or do there the store
// decides by their roles in the fund (FundAccess), not by their role in
// the home; a guest's view draws on the public data only.
func (s *Server) fundPrivate(lang partnerhub.Lang, nav string, h privateHandler) http.Handler {
	return s.privateFor(lang, nav, true, h)
}

func (s *Server) privateFor(lang partnerhub.Lang, nav string, guests bool, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.user(r)
		if u == nil {
			http.Redirect(w, r, s.signinURL(lang, s.here(r)), http.StatusSeeOther)
			return
		}
		if s.pageGate(w, r, lang, u) {
			return
		}
		if !guests && !partnerhub.CanReadDrafts(u) {
			// A guest has their account pages, the funds' and the public's.
			s.answer(w, r, s.accountView(r, lang, strings.TrimPrefix(r.URL.Path, "/"+string(lang)), "", u),
				func(http.ResponseWriter, *http.Request, *view) (*page, error) {
					return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
				})
			return
		}
		v := s.newPrivateView(r, lang, u)
		v.Nav = nav
		s.answer(w, r, v, h)
	})
}

// adminOnly lets only administrators through to h.
func adminOnly(h privateHandler) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if v.User.Role != partnerhub.RoleAdmin {
			return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
		}
		return h(w, r, v)
	}
}

// editKey is the key of the record an edit URL names.
func editKey(r *http.Request) string {
	if r.PathValue("phase") != "" {
		return r.PathValue("partner") + "/" + r.PathValue("phase")
	}
	return r.PathValue("key")
}

func (s *Server) editForm(entity partnerhub.Entity) privateHandler {
	spec := forms[entity]
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		key := editKey(r)
		fp := &formPage{Entity: entity, Key: key, Fields: spec.fields(v), Values: url.Values{}}
		if key == "" {
			fp.Values.Set("published", "on")
			for _, k := range []string{"partner", "partners", "units", "renews", "kind", "level", "institution"} { // prefill from ?partner=ntu&units=agr
				if vs := r.URL.Query()[k]; len(vs) > 0 {
					fp.Values[k] = vs
				}
			}
			return s.formPage(v, fp), nil
		}
		rec, deleted, err := s.deps.Editor.Record(r.Context(), s.home(r), entity, key)
		if err != nil {
			return nil, err
		}
		fp.Values, fp.Version, fp.Deleted = spec.values(rec), rec.RecordVersion(), deleted
		fp.Name = recordName(v, rec)
		if fp.Shared, err = s.sharedNotice(r, v, entity, key); err != nil {
			return nil, err
		}
		if wf, ok := rec.(partnerhub.Workflow); ok && !deleted {
			fp.Verbs = wf.Verbs()
		}
		return s.formPage(v, fp), nil
	}
}

func (s *Server) formPage(v *view, fp *formPage) *page {
	fp.Public = s.publicPath(v.Lang, fp.Entity, fp.Key)
	fp.Action = s.r2path(v.Lang, fp.Entity, fp.Key)
	fp.Summary = errorSummary(v, fp.Fields, fp.Errors)
	title := v.P.T("edit.new." + string(fp.Entity))
	switch {
	case fp.Key == "":
	case fp.Entity == partnerhub.EntityTeam:
		partner, phase, _ := strings.Cut(fp.Key, "/")
		title = v.P.T("edit.edit.team_of", partnerName(v, partner), phase)
	default:
		title = v.P.T("edit.edit."+string(fp.Entity), cmp.Or(fp.Name, fp.Key))
	}
	return &page{Template: "edit", Title: title, Data: fp}
}

// recordName is how a reader knows a record: its name or title in their
// language, "" for a record that has none (the page then shows its key).
func recordName(v *view, rec partnerhub.Record) string {
	switch r := rec.(type) {
	case *partnerhub.Partner:
		return mustText(v, r.Name)
	case *partnerhub.Institution:
		return mustText(v, r.Name)
	case *partnerhub.Unit:
		return mustText(v, r.Name)
	case *partnerhub.Activity:
		return mustText(v, r.Title)
	case *partnerhub.Agreement:
		return mustText(v, r.Title)
	case *partnerhub.TeamDoc:
		return v.P.T("edit.team_name", partnerName(v, r.Partner), r.Phase)
	}
	return ""
}

// partnerName is a partner's name in the reader's language, or its slug
// when it is not in the index (deleted meanwhile).
func partnerName(v *view, slug string) string {
	if p, err := v.X.Partner(slug); err == nil {
		return mustText(v, p.Name)
	}
	return slug
}

// storedName is the name of the record as stored, for the title of a page
// shown again after a failed save or of its history; "" when there is none.
func (s *Server) storedName(r *http.Request, v *view, entity partnerhub.Entity, key string) string {
	if key == "" || !slices.Contains(partnerhub.Edited, entity) {
		return ""
	}
	rec, _, err := s.deps.Editor.Record(r.Context(), s.home(r), entity, key)
	if err != nil {
		return ""
	}
	return recordName(v, rec)
}

// errorSummary lists the errors in the order of the form's fields, each
// named by its label in the reader's language, never by its key: "Name in
// English" for name.en, "Units, item 2" for units[1]. An error on a key no
// field shows (a forged form) is named as the form's.
func errorSummary(v *view, fields []field, errs map[string]string) []summaryEntry {
	var out []summaryEntry
	done := map[string]bool{}
	// Within a field, in the order the form shows its parts: Japanese
	// before English, list items by number (units[2] before units[10]).
	byPart := func(a, b string) int {
		return cmp.Or(cmp.Compare(partOrder(a), partOrder(b)), cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	}
	for _, f := range fields {
		for _, k := range slices.SortedFunc(mapKeys(errs), byPart) {
			base, rest := splitFieldKey(k)
			if base != f.Name || done[k] {
				continue
			}
			done[k] = true
			e := summaryEntry{Target: "f-" + f.Name, Label: v.P.T(f.Label), Message: errs[k]}
			bilingual := f.Kind == "bitext" || f.Kind == "bitextarea"
			switch {
			case bilingual && rest == ".ja":
				e.Target, e.Label = "f-"+k, v.P.T("form.in_lang.ja", e.Label)
			case bilingual && rest == ".en":
				e.Target, e.Label = "f-"+k, v.P.T("form.in_lang.en", e.Label)
			case bilingual:
				e.Target = "f-" + f.Name + ".ja" // the fieldset has no id; its first input does
			case strings.HasPrefix(rest, "["):
				if i, err := strconv.Atoi(strings.Trim(rest, "[]")); err == nil {
					e.Label = v.P.T("form.item", e.Label, i+1)
				}
			}
			out = append(out, e)
		}
	}
	for _, k := range slices.Sorted(mapKeys(errs)) {
		if !done[k] {
			out = append(out, summaryEntry{Target: "edit-form", Label: v.P.T("form.whole"), Message: errs[k]})
		}
	}
	return out
}

// partOrder ranks the parts of one field as its form shows them.
func partOrder(k string) int {
	switch _, rest := splitFieldKey(k); {
	case rest == "":
		return 0
	case rest == ".ja":
		return 1
	case rest == ".en":
		return 2
	}
	return 3
}

// splitFieldKey splits an error's key into the form field it belongs to and
// the rest: "name.ja" is name and .ja, "units[2]" units and [2],
// "participants.value" participants and .value.
func splitFieldKey(k string) (base, rest string) {
	if i := strings.IndexAny(k, ".["); i >= 0 {
		return k[:i], k[i:]
	}
	return k, ""
}

// r2path is the form's action: the same URL for an existing record, /new for a new one.
func (s *Server) r2path(lang partnerhub.Lang, entity partnerhub.Entity, key string) string {
	if key == "" {
		return s.l(lang) + "/edit/" + string(entity) + "/new"
	}
	return s.editPath(lang, entity, key)
}

// maxFormBytes bounds a form's body.
const maxFormBytes = 256 << 10

func (s *Server) editSave(entity partnerhub.Entity) privateHandler {
	spec := forms[entity]
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		key := editKey(r)
		fp := &formPage{Entity: entity, Key: key, Fields: spec.fields(v)}
		// Only a form shown again needs the stored name, for its title.
		failed := func(err error) (*page, error) {
			fp.Name = s.storedName(r, v, entity, key)
			return s.formFailed(v, fp, err)
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
		}
		fp.Values = r.PostForm
		if bad := invalidUTF8(r.PostForm); bad != "" {
			fp.Errors = map[string]string{bad: v.P.T("field.bad_utf8")}
			fp.Message = v.P.T("error.invalid")
			fp.Name = s.storedName(r, v, entity, key)
			p := s.formPage(v, fp)
			p.Status = http.StatusBadRequest
			return p, nil
		}
		if key != "" {
			fp.Values.Set(keyName(entity), keyOf(entity, key, fp.Values))
		}
		fp.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
		errs := partnerhub.FieldErrors{}
		rec := spec.record(fp.Values, errs)
		if len(errs) > 0 {
			addValidation(errs, rec)
		}
		if err := errs.Err(); err != nil {
			return failed(err)
		}
		if m, ok := rec.(*partnerhub.Mobility); ok {
			// A figure has no version: putting it again replaces its count.
			if s.deps.Mobility == nil {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			if err := s.deps.Mobility.PutMobility(r.Context(), v.User, s.home(r), *m); err != nil {
				return failed(err)
			}
			s.afterWrite(r)
			http.Redirect(w, r, v.L()+"/stats/partners/"+m.Partner+"?saved=1", http.StatusSeeOther)
			return nil, nil
		}
		ch := partnerhub.Create(v.User, s.home(r), rec)
		if key != "" {
			ch = partnerhub.Change{Actor: v.User, Home: s.home(r), Entity: entity, Action: partnerhub.ActionUpdate, Key: key, Version: fp.Version, Record: rec}
		}
		if _, err := s.apply(r, ch); err != nil {
			return failed(err)
		}
		s.afterWrite(r)
		if fp.Key == "" {
			fp.Key = rec.Key()
		}
		next := s.publicPath(v.Lang, entity, fp.Key)
		if next == "" {
			next = s.editPath(v.Lang, entity, fp.Key)
		}
		http.Redirect(w, r, next+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
}

// addValidation adds to the errors of reading a form those of validating
// the record read so far, so the reader sees every problem at once rather
// than one round per kind. A field that could not be read is not checked
// again: a date that is not a date is not also reported as missing.
func addValidation(errs partnerhub.FieldErrors, rec partnerhub.Record) {
	var e *partnerhub.Error
	if !errors.As(rec.Validate(), &e) {
		return
	}
	for k, fe := range e.Fields {
		base, _ := splitFieldKey(k)
		if _, ok := errs[base]; !ok {
			if _, ok := errs[k]; !ok {
				errs[k] = fe
			}
		}
	}
}

// editTransit moves a workflow's record by the verb the form names.
func (s *Server) editTransit(entity partnerhub.Entity) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		key := r.PathValue("key")
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
		}
		version, _ := strconv.Atoi(r.PostForm.Get("version"))
		t := partnerhub.Transition{Verb: partnerhub.Verb(r.PostForm.Get("verb")), Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
		if _, err := s.apply(r, partnerhub.Transit(v.User, s.home(r), entity, key, version, t)); err != nil {
			return nil, err
		}
		s.afterWrite(r)
		http.Redirect(w, r, s.editPath(v.Lang, entity, key)+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
}

func keyName(entity partnerhub.Entity) string {
	if entity == partnerhub.EntityTeam {
		return "partner"
	}
	return entity.KeyField()
}

// keyOf is the value of the key field for an existing record: the URL's,
// whatever the form sent, since a key does not change.
func keyOf(entity partnerhub.Entity, key string, vals url.Values) string {
	if entity == partnerhub.EntityTeam {
		partner, phase, _ := strings.Cut(key, "/")
		vals.Set("phase", phase)
		return partner
	}
	return key
}

func invalidUTF8(vals url.Values) string {
	for k, vs := range vals {
		for _, v := range vs {
			if !utf8Valid(k) || !utf8Valid(v) {
				return k
			}
		}
	}
	return ""
}

// formFailed shows the form again with what was typed, the field errors in
// the reader's language, and, after a conflict, what changed meanwhile.
func (s *Server) formFailed(v *view, fp *formPage, err error) (*page, error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code == partnerhub.EInternal {
		return nil, err
	}
	fp.Message = v.P.Error(e)
	fp.Errors = map[string]string{}
	for f, fe := range e.Fields {
		fp.Errors[f] = v.P.Field(fe)
	}
	if cur, ok := e.Current.(partnerhub.Record); ok && e.Code == partnerhub.EConflict {
		now := forms[fp.Entity].values(cur)
		for _, f := range fp.Fields {
			for _, name := range fieldNames(f) {
				if !slices.Equal(nonEmpty(now[name]), nonEmpty(fp.Values[name])) {
					fp.Conflict = append(fp.Conflict, conflictField{Label: v.P.T(f.Label) + suffix(name), Now: strings.Join(now[name], ", ")})
				}
			}
		}
		// The form now edits the current version: sending it again keeps
		// what the reader typed, knowingly.
		fp.Version = cur.RecordVersion()
	}
	p := s.formPage(v, fp)
	p.Status = statusOf(e.Code)
	return p, nil
}

func fieldNames(f field) []string {
	if f.Kind == "bitext" || f.Kind == "bitextarea" {
		return []string{f.Name + ".ja", f.Name + ".en"}
	}
	return []string{f.Name}
}

func suffix(name string) string {
	switch {
	case strings.HasSuffix(name, ".ja"):
		return " (日本語)"
	case strings.HasSuffix(name, ".en"):
		return " (English)"
	}
	return ""
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

func (s *Server) editDelete(entity partnerhub.Entity, action partnerhub.Action) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		key := r.PathValue("key")
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		ch := partnerhub.Delete(v.User, s.home(r), entity, key, version)
		if action == partnerhub.ActionRestore {
			ch = partnerhub.Restore(v.User, s.home(r), entity, key)
		}
		if _, err := s.apply(r, ch); err != nil {
			return nil, err
		}
		s.afterWrite(r)
		done := "deleted"
		if action == partnerhub.ActionRestore {
			done = "restored"
		}
		http.Redirect(w, r, v.L()+"/admin/bin?"+done+"="+url.QueryEscape(key), http.StatusSeeOther)
		return nil, nil
	}
}

// historyEntry is an audit event as the history page shows it.
type historyEntry struct {
	partnerhub.AuditEvent
	Changes []change
}

type change struct {
	Field, Before, After string
}

// diff lists the top-level fields whose JSON differs between two versions.
func diff(before, after []byte) []change {
	var b, a map[string]any
	json.Unmarshal(before, &b)
	json.Unmarshal(after, &a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []change
	for _, k := range slices.Sorted(mapKeys(keys)) {
		if k == "version" {
			continue
		}
		bj, _ := json.Marshal(b[k])
		aj, _ := json.Marshal(a[k])
		if string(bj) != string(aj) {
			out = append(out, change{k, shorten(b[k]), shorten(a[k])})
		}
	}
	return out
}

func shorten(v any) string {
	if v == nil {
		return "—"
	}
	j, _ := json.Marshal(v)
	s := string(j)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// historyData is what the history page shows.
type historyData struct {
	Entity  partnerhub.Entity
	Key     string
	Entries []historyEntry
	Edit    string
}

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	entity, key := partnerhub.Entity(r.PathValue("entity")), r.PathValue("key")
	if r.PathValue("phase") != "" {
		entity, key = partnerhub.EntityTeam, r.PathValue("partner")+"/"+r.PathValue("phase")
	}
	events, err := s.deps.Editor.Audit(r.Context(), s.home(r), partnerhub.AuditFilter{Entity: entity, Key: key, Limit: 500})
	if err != nil {
		return nil, err
	}
	entries := make([]historyEntry, len(events))
	for i, ev := range events {
		entries[i] = historyEntry{AuditEvent: ev, Changes: diff(ev.Before, ev.After)}
	}
	name := s.storedName(r, v, entity, key)
	if entity == partnerhub.EntityTeam {
		partner, phase, _ := strings.Cut(key, "/")
		name = v.P.T("edit.team_name", partnerName(v, partner), phase)
	}
	return &page{Template: "history", Title: v.P.T("history.title", cmp.Or(name, key)),
		Data: &historyData{Entity: entity, Key: key, Entries: entries, Edit: s.editPath(v.Lang, entity, key)}}, nil
}

// binData is what the bin page shows.
type binData struct {
	Items             []partnerhub.BinItem
	Restored, Deleted string
}

func (s *Server) binPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	items, err := s.deps.Editor.Bin(r.Context(), s.home(r))
	if err != nil {
		return nil, err
	}
	return &page{Template: "bin", Title: v.P.T("bin.title"),
		Data: &binData{Items: items, Restored: r.URL.Query().Get("restored"), Deleted: r.URL.Query().Get("deleted")}}, nil
}

// auditData is what the audit log page shows.
type auditData struct {
	Entries  []historyEntry
	Errors   map[string]string
	Filter   map[string]string
	Entities []partnerhub.Entity
	Actions  []partnerhub.Action
	More     string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	q := r.URL.Query()
	errs := params(q, "entity", "actor", "action", "since", "until", "before")
	f := partnerhub.AuditFilter{Entity: partnerhub.Entity(single(q, errs, "entity")), Actor: single(q, errs, "actor"), Action: partnerhub.Action(single(q, errs, "action")), Limit: 100}
	for _, k := range []string{"since", "until"} {
		if s := single(q, errs, k); s != "" {
			d, err := partnerhub.ParsePartialDate(s)
			if err != nil {
				errs.Add(k, "bad_date", s)
				continue
			}
			if k == "since" {
				f.Since = d.First()
			} else {
				f.Until = d.Last().Add(24 * time.Hour)
			}
		}
	}
	if b := single(q, errs, "before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			errs.Add("before", "bad_int", b)
		}
		f.Before = n
	}
	var events []partnerhub.AuditEvent
	var fieldErrs map[string]string
	if err := errs.Err(); err != nil {
		fieldErrs, _ = fieldErrors(v, err)
	} else if events, err = s.deps.Editor.Audit(r.Context(), s.home(r), f); err != nil {
		return nil, err
	}
	entries := make([]historyEntry, len(events))
	for i, ev := range events {
		entries[i] = historyEntry{AuditEvent: ev, Changes: diff(ev.Before, ev.After)}
	}
	more := ""
	if len(events) == f.Limit {
		more = v.With("before", strconv.FormatInt(events[len(events)-1].ID, 10))
	}
	p := &page{Template: "audit", Title: v.P.T("audit.title"), Data: &auditData{Entries: entries, Errors: fieldErrs,
		Filter: map[string]string{"entity": q.Get("entity"), "actor": q.Get("actor"), "action": q.Get("action"), "since": q.Get("since"), "until": q.Get("until")},
		Entities: append(slices.Clone(partnerhub.Edited), partnerhub.EntityUser, partnerhub.EntityInvitation, partnerhub.EntityMobility,
			partnerhub.EntityFederatedIdentity, partnerhub.EntityPreAuthorisation, partnerhub.EntityRoleRule),
		Actions: []partnerhub.Action{partnerhub.ActionCreate, partnerhub.ActionUpdate, partnerhub.ActionDelete, partnerhub.ActionRestore, partnerhub.ActionTransition},
		More:    more}}
	if fieldErrs != nil {
		p.Status = http.StatusBadRequest
	}
	return p, nil
}
