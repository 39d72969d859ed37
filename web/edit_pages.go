package web

import (
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
func editPath(lang partnerhub.Lang, entity, key string) string {
	return "/" + string(lang) + "/edit/" + entity + "/" + key
}

// publicPath is where a record is read, or "" when it has no page of its own.
func publicPath(lang partnerhub.Lang, entity, key string) string {
	l := "/" + string(lang)
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
		return ""
	}
	return ""
}

type formPage struct {
	Entity   string
	Key      string // "" for a new record
	Version  int
	Fields   []field
	Values   url.Values
	Errors   map[string]string
	Message  string
	Conflict []conflictField // what changed meanwhile
	Deleted  bool
	Action   string
	Public   string
}

type conflictField struct {
	Label string
	Now   string
}

// privateView is the view of a page that needs someone signed in; it sends
// anyone else to the sign-in page (and back afterwards) and reports false.
func (s *Server) privateView(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang) (*view, bool) {
	u := s.user(r)
	if u == nil {
		http.Redirect(w, r, "/"+string(lang)+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	return s.newPrivateView(r, lang, u), true
}

// editKey is the key of the record an edit URL names.
func editKey(r *http.Request) string {
	if r.PathValue("phase") != "" {
		return r.PathValue("partner") + "/" + r.PathValue("phase")
	}
	return r.PathValue("key")
}

func (s *Server) editForm(lang partnerhub.Lang, entity string) http.HandlerFunc {
	spec := forms[entity]
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.privateView(w, r, lang)
		if !ok {
			return
		}
		key := editKey(r)
		fp := &formPage{Entity: entity, Key: key, Fields: spec.fields(v), Values: url.Values{}}
		if key == "" {
			fp.Values.Set("published", "on")
			for _, k := range []string{"partner", "partners", "units"} { // prefill from ?partner=ntu&units=agr
				if vs := r.URL.Query()[k]; len(vs) > 0 {
					fp.Values[k] = vs
				}
			}
		} else {
			rec, version, deleted, err := s.deps.Editor.Record(r.Context(), s.deps.Home, entity, key)
			if err != nil {
				s.privatePage(w, r, v, s.errorPage(v, err))
				return
			}
			fp.Values, fp.Version, fp.Deleted = spec.values(rec), version, deleted
		}
		s.privatePage(w, r, v, s.formPage(v, fp))
	}
}

func (s *Server) formPage(v *view, fp *formPage) *page {
	fp.Public = publicPath(v.Lang, fp.Entity, fp.Key)
	fp.Action = r2path(v.Lang, fp.Entity, fp.Key)
	title := v.P.T("edit.new." + fp.Entity)
	if fp.Key != "" {
		title = v.P.T("edit.edit."+fp.Entity, fp.Key)
	}
	return &page{Template: "edit", Title: title, Data: fp}
}

// r2path is the form's action: the same URL for an existing record, /new for a new one.
func r2path(lang partnerhub.Lang, entity, key string) string {
	if key == "" {
		return "/" + string(lang) + "/edit/" + entity + "/new"
	}
	return editPath(lang, entity, key)
}

// maxFormBytes bounds a form's body.
const maxFormBytes = 256 << 10

func (s *Server) editSave(lang partnerhub.Lang, entity string) http.HandlerFunc {
	spec := forms[entity]
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.privateView(w, r, lang)
		if !ok {
			return
		}
		u := v.User
		key := editKey(r)
		fp := &formPage{Entity: entity, Key: key, Fields: spec.fields(v)}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			p := s.errorPage(v, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form"))
			s.privatePage(w, r, v, p)
			return
		}
		fp.Values = r.PostForm
		if bad := invalidUTF8(r.PostForm); bad != "" {
			fp.Errors = map[string]string{bad: v.P.T("field.bad_utf8")}
			fp.Message = v.P.T("error.invalid")
			p := s.formPage(v, fp)
			p.Status = http.StatusBadRequest
			s.privatePage(w, r, v, p)
			return
		}
		if key != "" {
			fp.Values.Set(keyName(entity), keyOf(entity, key, fp.Values))
		}
		fp.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
		errs := partnerhub.FieldErrors{}
		rec := spec.record(fp.Values, errs)
		if err := errs.Err(); err != nil {
			s.formFailed(w, r, v, fp, err)
			return
		}
		if m, ok := rec.(*partnerhub.Mobility); ok {
			// A figure has no version: putting it again replaces its count.
			if s.deps.Mobility == nil {
				s.privatePage(w, r, v, s.errorPage(v, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")))
				return
			}
			if err := s.deps.Mobility.PutMobility(r.Context(), u, s.deps.Home, *m); err != nil {
				s.formFailed(w, r, v, fp, err)
				return
			}
			s.afterWrite(r)
			http.Redirect(w, r, "/"+string(lang)+"/stats/partners/"+m.Partner+"?saved=1", http.StatusSeeOther)
			return
		}
		ch := partnerhub.Change{Actor: u, Home: s.deps.Home, Entity: entity, Action: partnerhub.ActionCreate, Record: rec}
		if key != "" {
			ch.Action, ch.Key, ch.Version = partnerhub.ActionUpdate, key, fp.Version
		}
		if _, err := s.deps.Editor.Apply(r.Context(), ch); err != nil {
			s.formFailed(w, r, v, fp, err)
			return
		}
		s.afterWrite(r)
		if fp.Key == "" {
			fp.Key = keyOfRecord(entity, rec)
		}
		next := publicPath(lang, entity, fp.Key)
		if next == "" {
			next = editPath(lang, entity, fp.Key)
		}
		http.Redirect(w, r, next+"?saved=1", http.StatusSeeOther)
	}
}

func keyName(entity string) string {
	switch entity {
	case partnerhub.EntityUnit:
		return "code"
	case partnerhub.EntityTeam:
		return "partner"
	}
	return "slug"
}

// keyOf is the value of the key field for an existing record: the URL's,
// whatever the form sent, since a key does not change.
func keyOf(entity, key string, vals url.Values) string {
	if entity == partnerhub.EntityTeam {
		partner, phase, _ := strings.Cut(key, "/")
		vals.Set("phase", phase)
		return partner
	}
	return key
}

func keyOfRecord(entity string, rec any) string {
	switch r := rec.(type) {
	case *partnerhub.Activity:
		return r.Slug
	case *partnerhub.Agreement:
		return r.Slug
	case *partnerhub.Partner:
		return r.Slug
	case *partnerhub.Institution:
		return r.Slug
	case *partnerhub.Unit:
		return r.Code
	case *partnerhub.TeamDoc:
		return r.Partner + "/" + strconv.Itoa(r.Phase)
	}
	return ""
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
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, v *view, fp *formPage, err error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code == partnerhub.EInternal {
		s.privatePage(w, r, v, s.errorPage(v, err))
		return
	}
	fp.Message = v.P.Error(e)
	fp.Errors = map[string]string{}
	for f, fe := range e.Fields {
		fp.Errors[f] = v.P.Field(fe)
	}
	if e.Code == partnerhub.EConflict && e.Current != nil {
		now := forms[fp.Entity].values(e.Current)
		for _, f := range fp.Fields {
			for _, name := range fieldNames(f) {
				if !slices.Equal(nonEmpty(now[name]), nonEmpty(fp.Values[name])) {
					fp.Conflict = append(fp.Conflict, conflictField{Label: v.P.T(f.Label) + suffix(name), Now: strings.Join(now[name], ", ")})
				}
			}
		}
		// The form now edits the current version: sending it again keeps
		// what the reader typed, knowingly.
		fp.Version = partnerhub.RecordVersion(e.Current)
	}
	p := s.formPage(v, fp)
	p.Status = statusOf(e.Code)
	s.privatePage(w, r, v, p)
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

func (s *Server) editDelete(lang partnerhub.Lang, entity string, action partnerhub.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.privateView(w, r, lang)
		if !ok {
			return
		}
		u := v.User
		key := r.PathValue("key")
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		_, err := s.deps.Editor.Apply(r.Context(), partnerhub.Change{Actor: u, Home: s.deps.Home, Entity: entity, Action: action, Key: key, Version: version})
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		s.afterWrite(r)
		if action == partnerhub.ActionRestore {
			http.Redirect(w, r, "/"+string(lang)+"/admin/bin?restored="+url.QueryEscape(key), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/"+string(lang)+"/admin/bin?deleted="+url.QueryEscape(key), http.StatusSeeOther)
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

func (s *Server) historyPage(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.privateView(w, r, lang)
		if !ok {
			return
		}
		entity, key := r.PathValue("entity"), r.PathValue("key")
		if r.PathValue("phase") != "" {
			key = r.PathValue("partner") + "/" + r.PathValue("phase")
		}
		events, err := s.deps.Editor.Audit(r.Context(), s.deps.Home, partnerhub.AuditFilter{Entity: entity, Key: key, Limit: 500})
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		entries := make([]historyEntry, len(events))
		for i, ev := range events {
			entries[i] = historyEntry{AuditEvent: ev, Changes: diff(ev.Before, ev.After)}
		}
		s.privatePage(w, r, v, &page{Template: "history", Title: v.P.T("history.title", key),
			Data: map[string]any{"Entity": entity, "Key": key, "Entries": entries, "Edit": editPath(lang, entity, key)}})
	}
}

// requireAdmin answers for a page that only admins may open.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang) (*view, bool) {
	v, ok := s.privateView(w, r, lang)
	if !ok {
		return nil, false
	}
	u := v.User
	if u.Role != partnerhub.RoleAdmin {
		s.privatePage(w, r, v, s.errorPage(v, partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")))
		return nil, false
	}
	return v, true
}

func (s *Server) binPage(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.requireAdmin(w, r, lang)
		if !ok {
			return
		}
		items, err := s.deps.Editor.Bin(r.Context(), s.deps.Home)
		if err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		s.privatePage(w, r, v, &page{Template: "bin", Title: v.P.T("bin.title"),
			Data: map[string]any{"Items": items, "Restored": r.URL.Query().Get("restored"), "Deleted": r.URL.Query().Get("deleted")}})
	}
}

func (s *Server) auditPage(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.requireAdmin(w, r, lang)
		if !ok {
			return
		}
		q := r.URL.Query()
		errs := params(q, "entity", "actor", "action", "since", "until", "before")
		f := partnerhub.AuditFilter{Entity: single(q, errs, "entity"), Actor: single(q, errs, "actor"), Action: partnerhub.Action(single(q, errs, "action")), Limit: 100}
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
		} else if events, err = s.deps.Editor.Audit(r.Context(), s.deps.Home, f); err != nil {
			s.privatePage(w, r, v, s.errorPage(v, err))
			return
		}
		entries := make([]historyEntry, len(events))
		for i, ev := range events {
			entries[i] = historyEntry{AuditEvent: ev, Changes: diff(ev.Before, ev.After)}
		}
		more := ""
		if len(events) == f.Limit {
			more = v.With("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		}
		p := &page{Template: "audit", Title: v.P.T("audit.title"), Data: map[string]any{"Entries": entries, "Errors": fieldErrs,
			"Filter":   map[string]string{"entity": q.Get("entity"), "actor": q.Get("actor"), "action": q.Get("action"), "since": q.Get("since"), "until": q.Get("until")},
			"Entities": []string{partnerhub.EntityPartner, partnerhub.EntityTeam, partnerhub.EntityActivity, partnerhub.EntityAgreement, partnerhub.EntityInstitution, partnerhub.EntityUnit, partnerhub.EntityUser},
			"Actions":  []partnerhub.Action{partnerhub.ActionCreate, partnerhub.ActionUpdate, partnerhub.ActionDelete, partnerhub.ActionRestore},
			"More":     more}}
		if fieldErrs != nil {
			p.Status = http.StatusBadRequest
		}
		s.privatePage(w, r, v, p)
	}
}
