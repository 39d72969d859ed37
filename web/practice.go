package web

// Good practice: the network's library of case notes, under
// /{lang}/network/practice. The library and a published note are for
// everyone; a member's office writes and submits its notes, and the
// network's editors review them. The store decides who reads what: these
// pages show what it gives.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

// NoteBook keeps the network's good-practice notes, and knows the members
// (the first, oldest, keeps the site's root: links to a writer's pages
// depend on it).
type NoteBook interface {
	partnerhub.NoteService
	Members(ctx context.Context) ([]partnerhub.Member, error)
}

func (s *Server) errNoNotes() error {
	if s.deps.Notes == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return nil
}

// notesLive serves a page of the library, read live (never from the
// snapshot's cache: notes change without it) for whoever asks, signed in
// or not.
func (s *Server) notesLive(lang partnerhub.Lang, h privateHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.liveView(w, r, lang, "practice")
		if !ok {
			return
		}
		s.answer(w, r, v, func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			if err := s.errNoNotes(); err != nil {
				return nil, err
			}
			return h(w, r, v)
		})
	})
}

// notesPrivate serves a page of the library for someone signed in.
func (s *Server) notesPrivate(lang partnerhub.Lang, h privateHandler) http.Handler {
	return s.private(lang, "practice", func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if err := s.errNoNotes(); err != nil {
			return nil, err
		}
		return h(w, r, v)
	})
}

// practicePath is a page of the library, in the page's language and
// portal.
func practicePath(v *view, rest string) string {
	return v.L() + "/network/practice" + rest
}

func noteID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.practice_not_found", r.PathValue("id"))
	}
	return id, nil
}

// noteMembers are the deployment's members by slug.
func (s *Server) noteMembers(ctx context.Context) (map[string]partnerhub.Member, error) {
	ms, err := s.deps.Notes.Members(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]partnerhub.Member{}
	for _, m := range ms {
		out[m.Slug] = m
	}
	return out, nil
}

// portalPath is a page of a member's portal: the first member's is at the
// site's root, every other's under /{slug} (Portals knows which).
func (s *Server) portalPath(member string, lang partnerhub.Lang, rest string) string {
	p := "/" + string(lang) + rest
	if s.deps.Portals != nil {
		p = s.deps.Portals.PortalPath(member) + p
	}
	return p
}

// office reports whether the page's reader writes the notes of home: its
// admins and coordinators.
func writesNotes(u *partnerhub.User, home string) bool {
	return u != nil && !u.Disabled && u.Home == home && (u.Role == partnerhub.RoleAdmin || u.Role == partnerhub.RoleCoordinator)
}

// ---- the library ------------------------------------------------------------

type noteCard struct {
	N       partnerhub.Note
	Href    string
	Member  string
	Topic   string
	State   string
	Date    string
	Summary string // the first paragraph, in the page's language
}

type topicOption struct{ Value, Label string }

type practiceLibrary struct {
	Title   string
	Intro   string
	Cards   []noteCard
	Topics  []topicOption
	Tags    []string
	Filter  map[string]string
	Filters bool // the library's filters are shown
	Writer  bool // the reader writes notes for their member
	Editor  bool
	Empty   string
	Review  bool // the review queue
}

func (s *Server) noteCards(ctx context.Context, v *view, ns []partnerhub.Note) ([]noteCard, error) {
	members, err := s.noteMembers(ctx)
	if err != nil {
		return nil, err
	}
	var out []noteCard
	for _, n := range ns {
		c := noteCard{N: n, Href: practicePath(v, "/"+strconv.FormatInt(n.ID, 10)),
			Topic: v.P.T("practice.topic." + string(n.Topic)), State: v.P.T("practice.state." + string(n.State))}
		c.Member = n.Home
		if m, ok := members[n.Home]; ok {
			c.Member = mustText(v, m.Name)
		}
		when := n.UpdatedAt
		if n.PublishedAt != nil && n.State == partnerhub.NotePublished {
			when = *n.PublishedAt
		}
		c.Date = when.In(partnerhub.Japan).Format("2006-01-02")
		if ps := partnerhub.Paragraphs(mustText(v, n.Body)); len(ps) > 0 {
			c.Summary = firstWords(strings.Join(ps[0], " "), 240)
		}
		out = append(out, c)
	}
	return out, nil
}

// firstWords is s cut at about n characters, at a space when there is one.
func firstWords(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

func (s *Server) topicOptions(v *view) []topicOption {
	var out []topicOption
	for _, t := range partnerhub.NoteTopics {
		out = append(out, topicOption{string(t), v.P.T("practice.topic." + string(t))})
	}
	return out
}

// libraryPage lists the published notes, filtered by topic, tag and words.
func (s *Server) libraryPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	q := r.URL.Query()
	errs := params(q, "topic", "tag", "q")
	f := partnerhub.NoteFilter{Topic: partnerhub.NoteTopic(single(q, errs, "topic")), Tag: single(q, errs, "tag"), Q: single(q, errs, "q")}
	if f.Topic != "" && !slices.Contains(partnerhub.NoteTopics, f.Topic) {
		errs.Add("topic", "one_of", "…")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ns, err := s.deps.Notes.Notes(r.Context(), v.User, f)
	if err != nil {
		return nil, err
	}
	tags, err := s.deps.Notes.NoteTags(r.Context())
	if err != nil {
		return nil, err
	}
	d := &practiceLibrary{Title: v.P.T("practice.title"), Intro: v.P.T("practice.intro"), Topics: s.topicOptions(v), Tags: tags,
		Filter: map[string]string{"topic": string(f.Topic), "tag": f.Tag, "q": f.Q}, Filters: true,
		Writer: v.User != nil && writesNotes(v.User, v.User.Home), Editor: partnerhub.IsNetworkEditor(v.User), Empty: v.P.T("practice.none")}
	if d.Cards, err = s.noteCards(r.Context(), v, ns); err != nil {
		return nil, err
	}
	return &page{Template: "network_practice", Title: d.Title, Description: d.Intro, Data: d, Parents: []crumb{}}, nil
}

// minePage lists every note of the reader's member, drafts included.
func (s *Server) minePage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	ns, err := s.deps.Notes.Notes(r.Context(), v.User, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeMine})
	if err != nil {
		return nil, err
	}
	d := &practiceLibrary{Title: v.P.T("practice.mine.title"), Intro: v.P.T("practice.mine.intro"), Writer: writesNotes(v.User, v.User.Home),
		Editor: partnerhub.IsNetworkEditor(v.User), Empty: v.P.T("practice.mine.none")}
	if d.Cards, err = s.noteCards(r.Context(), v, ns); err != nil {
		return nil, err
	}
	return &page{Template: "network_practice", Title: d.Title, Data: d, Parents: practiceCrumbs(v)}, nil
}

// reviewPage lists the notes waiting for the network's editors.
func (s *Server) practiceReviewPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	ns, err := s.deps.Notes.Notes(r.Context(), v.User, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeReview})
	if err != nil {
		return nil, err
	}
	d := &practiceLibrary{Title: v.P.T("practice.review.title"), Intro: v.P.T("practice.review.intro"), Writer: writesNotes(v.User, v.User.Home),
		Editor: true, Empty: v.P.T("practice.review.none"), Review: true}
	if d.Cards, err = s.noteCards(r.Context(), v, ns); err != nil {
		return nil, err
	}
	return &page{Template: "network_practice", Title: d.Title, Data: d, Parents: practiceCrumbs(v)}, nil
}

func practiceCrumbs(v *view) []crumb {
	return []crumb{{Label: v.P.T("practice.title"), Href: practicePath(v, "")}}
}

// ---- a note -----------------------------------------------------------------

type noteLinkView struct{ Href, Name, Lang string }

type noteFileView struct {
	Href, Name string
	Size       int64
}

type noteVerbView struct {
	Verb, Label string
	Comment     bool // asks for the editor's comment
}

type practiceNoteData struct {
	N          *partnerhub.Note
	Title      string
	TitleOther string // the title in the other language
	Member     string
	Topic      string
	State      string
	TopicHref  string
	Body       [][]string
	BodyLang   string // the body's language when it is not the page's
	Partners   []noteLinkView
	Activities []noteLinkView
	Files      []noteFileView
	Published  string
	Updated    string
	Office     bool // the reader writes this note's member's notes
	Editable   bool
	EditHref   string
	Action     string // the transition's form
	Verbs      []noteVerbView
	Errors     map[string]string
	Alert      string
	Comment    string
}

func (s *Server) notePage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := noteID(r)
	if err != nil {
		return nil, err
	}
	return s.noteView(r, v, id, nil, "")
}

// noteView is a note's page; errs are a transition's problems.
func (s *Server) noteView(r *http.Request, v *view, id int64, errs map[string]string, comment string) (*page, error) {
	n, err := s.deps.Notes.Note(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	members, err := s.noteMembers(r.Context())
	if err != nil {
		return nil, err
	}
	d := &practiceNoteData{N: n, Title: mustText(v, n.Title), Topic: v.P.T("practice.topic." + string(n.Topic)),
		State: v.P.T("practice.state." + string(n.State)), Member: n.Home, Errors: errs, Comment: comment,
		TopicHref: practicePath(v, "?topic="+url.QueryEscape(string(n.Topic))),
		Updated:   n.UpdatedAt.In(partnerhub.Japan).Format("2006-01-02")}
	if other, fallback := n.Title.In(v.Other); !fallback && other != d.Title {
		d.TitleOther = other
	}
	if m, ok := members[n.Home]; ok {
		d.Member = mustText(v, m.Name)
	}
	body, fallback := n.Body.In(v.Lang)
	if fallback {
		d.BodyLang = string(v.Other)
	}
	d.Body = partnerhub.Paragraphs(body)
	if n.PublishedAt != nil {
		d.Published = n.PublishedAt.In(partnerhub.Japan).Format("2006-01-02")
	}
	for _, l := range n.Partners {
		d.Partners = append(d.Partners, noteLinkView{Href: s.portalPath(n.Home, v.Lang, "/partners/"+l.Slug), Name: nameOr(v, l)})
	}
	for _, l := range n.Activities {
		d.Activities = append(d.Activities, noteLinkView{Href: s.portalPath(n.Home, v.Lang, "/activities/"+l.Slug), Name: nameOr(v, l)})
	}
	for _, f := range n.Files {
		d.Files = append(d.Files, noteFileView{Href: practicePath(v, "/"+strconv.FormatInt(n.ID, 10)+"/files/"+strconv.FormatInt(f.ID, 10)),
			Name: f.Filename, Size: f.Size})
	}
	d.Office = writesNotes(v.User, n.Home)
	d.Editable = d.Office && n.State.Editable()
	d.EditHref = practicePath(v, "/"+strconv.FormatInt(n.ID, 10)+"/edit")
	d.Action = practicePath(v, "/"+strconv.FormatInt(n.ID, 10)+"/transition")
	for _, verb := range partnerhub.NoteVerbs {
		_, review, ok := partnerhub.NoteTransit(n.State, verb)
		if !ok || (review && !partnerhub.IsNetworkEditor(v.User)) || (!review && !d.Office) {
			continue
		}
		d.Verbs = append(d.Verbs, noteVerbView{Verb: string(verb), Label: v.P.T("practice.verb." + string(verb)), Comment: verb == partnerhub.VerbReturnNote})
	}
	if len(errs) > 0 {
		d.Alert = v.P.T("practice.form.not_saved")
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return &page{Template: "network_practice_note", Title: d.Title, Description: firstWords(strings.Join(flatten(d.Body), " "), 160),
		Status: status, Data: d, Parents: practiceCrumbs(v)}, nil
}

func flatten(ps [][]string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

func nameOr(v *view, l partnerhub.NoteLink) string {
	if n := mustText(v, l.Name); n != "" {
		return n
	}
	return l.Slug
}

// noteTransit moves a note by the verb of its page's form.
func (s *Server) noteTransit(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := noteID(r)
	if err != nil {
		return nil, err
	}
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	comment := r.PostForm.Get("comment")
	verb := partnerhub.Verb(r.PostForm.Get("verb"))
	_, err = s.deps.Notes.TransitNote(r.Context(), v.User, id, version, verb, comment)
	if err == nil {
		http.Redirect(w, r, practicePath(v, "/"+strconv.FormatInt(id, 10))+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err
	}
	errs := map[string]string{}
	for k, fe := range e.Fields {
		errs[k] = v.P.Field(fe)
	}
	return s.noteView(r, v, id, errs, comment)
}

// noteDownload sends an attachment: as an attachment, of the type found by
// its content (never HTML), in a sandbox should a browser open it anyway.
func (s *Server) noteDownload(r *http.Request, w http.ResponseWriter, u *partnerhub.User) error {
	id, err := noteID(r)
	if err != nil {
		return err
	}
	fileID, err := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err != nil || fileID <= 0 {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.practice_file_not_found", r.PathValue("file"))
	}
	f, data, err := s.deps.Notes.NoteFile(r.Context(), u, id, fileID)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", contentDisposition(f.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
	return nil
}

// noteFile is an attachment's download, for whoever may read the note.
func (s *Server) noteFile(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return nil, s.noteDownload(r, w, v.User)
}
