package web

// A good-practice note's form: a new note and the edit of one, and its
// attachments' upload. The store checks everything; the form shows its
// problems beside their inputs, in the reader's language, and keeps what
// was typed.

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"partnerhub"
)

type practiceForm struct {
	N        partnerhub.Note
	New      bool
	Action   string
	Upload   string // the attachments' form, for a saved note
	Topics   []topicOption
	Tags     string
	Partners string
	Acts     string
	Files    []noteFileView
	Errors   map[string]string
	Summary  []summaryEntry
	Alert    string
	FileHint string
	NoteHref string
}

// splitList is a comma-separated list (Japanese commas too), trimmed.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == '，' || r == '\n' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func slugLinks(ss []string) []partnerhub.NoteLink {
	out := []partnerhub.NoteLink{}
	for _, s := range ss {
		out = append(out, partnerhub.NoteLink{Slug: s})
	}
	return out
}

func linkSlugs(ls []partnerhub.NoteLink) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Slug)
	}
	return strings.Join(out, ", ")
}

// readNoteForm is the note a form posted.
func readNoteForm(form url.Values) partnerhub.Note {
	return partnerhub.Note{
		Title:      partnerhub.Text{Ja: form.Get("title.ja"), En: form.Get("title.en")},
		Body:       partnerhub.Text{Ja: form.Get("body.ja"), En: form.Get("body.en")},
		Topic:      partnerhub.NoteTopic(form.Get("topic")),
		Tags:       splitList(form.Get("tags")),
		Partners:   slugLinks(splitList(form.Get("partners"))),
		Activities: slugLinks(splitList(form.Get("activities"))),
	}
}

// indexedField is a field error's key without its index: partners[2] is
// shown at the partners' input.
var indexedField = regexp.MustCompile(`\[\d+\]$`)

// practiceFormFields are the form's inputs in its order, with their labels.
var practiceFormFields = []struct{ name, label string }{
	{"title.ja", "practice.form.title_ja"}, {"title.en", "practice.form.title_en"}, {"topic", "practice.form.topic"},
	{"body.ja", "practice.form.body_ja"}, {"body.en", "practice.form.body_en"}, {"tags", "practice.form.tags"},
	{"partners", "practice.form.partners"}, {"activities", "practice.form.activities"}, {"file", "practice.form.file"},
}

func (s *Server) practiceFormPage(v *view, n partnerhub.Note, isNew bool, err error) (*page, error) {
	d := &practiceForm{N: n, New: isNew, Topics: s.topicOptions(v), Tags: strings.Join(n.Tags, ", "), Partners: linkSlugs(n.Partners),
		Acts: linkSlugs(n.Activities), Errors: map[string]string{}, FileHint: v.P.T("practice.form.file_hint", sizeText(partnerhub.DefaultMaxNoteFileBytes))}
	status := http.StatusOK
	if err != nil {
		var e *partnerhub.Error
		if !errors.As(err, &e) || len(e.Fields) == 0 {
			return nil, err
		}
		for k, fe := range e.Fields {
			k = indexedField.ReplaceAllString(k, "")
			if _, dup := d.Errors[k]; !dup {
				d.Errors[k] = v.P.Field(fe)
			}
		}
		for _, f := range practiceFormFields {
			if msg, ok := d.Errors[f.name]; ok {
				d.Summary = append(d.Summary, summaryEntry{Target: "f-" + strings.ReplaceAll(f.name, ".", "-"), Label: v.P.T(f.label), Message: msg})
			}
		}
		d.Alert = v.P.T("practice.form.not_saved")
		status = statusOf(e.Code)
	}
	title := v.P.T("practice.new_title")
	d.Action = practicePath(v, "/new")
	if !isNew {
		id := strconv.FormatInt(n.ID, 10)
		title = v.P.T("practice.edit_title", mustText(v, n.Title))
		d.Action = practicePath(v, "/"+id+"/edit")
		d.Upload = practicePath(v, "/"+id+"/files")
		d.NoteHref = practicePath(v, "/"+id)
		for _, f := range n.Files {
			d.Files = append(d.Files, noteFileView{Href: practicePath(v, "/"+id+"/files/"+strconv.FormatInt(f.ID, 10)), Name: f.Filename, Size: f.Size})
		}
	}
	return &page{Template: "network_practice_form", Title: title, Status: status, Data: d, Parents: practiceCrumbs(v)}, nil
}

// noteNew is the form of a new note, for a member's admins and
// coordinators.
func (s *Server) noteNew(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if !writesNotes(v.User, v.User.Home) {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	return s.practiceFormPage(v, partnerhub.Note{}, true, nil)
}

func (s *Server) noteCreate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
	}
	in := readNoteForm(r.PostForm)
	n, err := s.deps.Notes.CreateNote(r.Context(), v.User, in)
	if err != nil {
		return s.practiceFormPage(v, in, true, err)
	}
	http.Redirect(w, r, practicePath(v, "/"+strconv.FormatInt(n.ID, 10)+"/edit")+"?saved=1", http.StatusSeeOther)
	return nil, nil
}

func (s *Server) noteEdit(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := noteID(r)
	if err != nil {
		return nil, err
	}
	n, err := s.deps.Notes.Note(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	if !writesNotes(v.User, n.Home) {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	if !n.State.Editable() {
		return nil, partnerhub.Errorf(partnerhub.EConflict, "error.practice_not_editable", v.P.T("practice.state."+string(n.State)))
	}
	return s.practiceFormPage(v, *n, false, nil)
}

func (s *Server) noteSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := noteID(r)
	if err != nil {
		return nil, err
	}
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
	}
	cur, err := s.deps.Notes.Note(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	in := readNoteForm(r.PostForm)
	in.ID = id
	in.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	if _, err := s.deps.Notes.UpdateNote(r.Context(), v.User, in); err != nil {
		in.Files, in.State = cur.Files, cur.State
		return s.practiceFormPage(v, in, false, err)
	}
	http.Redirect(w, r, practicePath(v, "/"+strconv.FormatInt(id, 10)+"/edit")+"?saved=1", http.StatusSeeOther)
	return nil, nil
}

// noteUpload attaches a file (multipart: version, file).
func (s *Server) noteUpload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := noteID(r)
	if err != nil {
		return nil, err
	}
	up, err := readUpload(w, r, partnerhub.DefaultMaxNoteFileBytes, "version")
	if err == nil {
		version, _ := strconv.Atoi(up.kind)
		_, err = s.deps.Notes.AddNoteFile(r.Context(), v.User, id, version, up.filename, up.data)
	}
	if err == nil {
		http.Redirect(w, r, practicePath(v, "/"+strconv.FormatInt(id, 10)+"/edit")+"?saved=1#files", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	n, nerr := s.deps.Notes.Note(r.Context(), v.User, id)
	if nerr != nil {
		return nil, nerr
	}
	return s.practiceFormPage(v, *n, false, err)
}
