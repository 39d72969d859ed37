package web

// The good-practice notes' API, under /api/v1/network/notes: the published
// notes for everyone; with credentials, also what the caller may read
// (their member's drafts; an editor's notes to review).

import (
	"net/http"
	"slices"
	"strconv"

	"partnerhub"
)

// noteBody is what the API takes of a note: what its writers write.
type noteBody struct {
	Title      partnerhub.Text      `json:"title"`
	Body       partnerhub.Text      `json:"body"`
	Topic      partnerhub.NoteTopic `json:"topic"`
	Tags       []string             `json:"tags"`
	Partners   []string             `json:"partners"`   // slugs of the writer's member's partners
	Activities []string             `json:"activities"` // slugs of its activities
	Version    int                  `json:"version"`
}

func (b noteBody) note() partnerhub.Note {
	return partnerhub.Note{Title: b.Title, Body: b.Body, Topic: b.Topic, Tags: b.Tags, Partners: slugLinks(b.Partners),
		Activities: slugLinks(b.Activities), Version: b.Version}
}

// notesCaller is who asks, nil for the public; the API answers 404 where
// the deployment keeps no notes.
func (s *Server) notesCaller(r *http.Request) (*partnerhub.User, error) {
	if err := s.errNoNotes(); err != nil {
		return nil, err
	}
	if !hasCredentials(r) {
		return nil, nil
	}
	u := s.user(r)
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	return u, nil
}

func (s *Server) notesWriter(r *http.Request) (*partnerhub.User, error) {
	u, err := s.notesCaller(r)
	if err == nil && u == nil {
		err = partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	return u, err
}

type noteList struct {
	Notes []partnerhub.Note `json:"notes"`
}

func (s *Server) apiNotes(w http.ResponseWriter, r *http.Request) error {
	u, err := s.notesCaller(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	errs := params(q, "topic", "tag", "q", "state")
	f := partnerhub.NoteFilter{Topic: partnerhub.NoteTopic(single(q, errs, "topic")), Tag: single(q, errs, "tag"), Q: single(q, errs, "q")}
	if f.Topic != "" && !slices.Contains(partnerhub.NoteTopics, f.Topic) {
		errs.Add("topic", "one_of", "joint_funds, offices_abroad, online_exchange, joint_degrees, double_degrees, student_mobility, staff_exchange, joint_research, other")
	}
	state := partnerhub.NoteState(single(q, errs, "state"))
	if state != "" && !slices.Contains(partnerhub.NoteStates, state) {
		errs.Add("state", "one_of", "draft, submitted, published, returned, withdrawn")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if u != nil {
		f.Scope = partnerhub.NoteScopeVisible
	}
	ns, err := s.deps.Notes.Notes(r.Context(), u, f)
	if err != nil {
		return err
	}
	out := noteList{Notes: []partnerhub.Note{}}
	for _, n := range ns {
		if state == "" || n.State == state {
			out.Notes = append(out.Notes, n)
		}
	}
	return writeStatusJSON(w, http.StatusOK, out)
}

func (s *Server) apiNote(w http.ResponseWriter, r *http.Request) error {
	u, err := s.notesCaller(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	id, err := noteID(r)
	if err != nil {
		return err
	}
	n, err := s.deps.Notes.Note(r.Context(), u, id)
	if err != nil {
		return err
	}
	return writeNote(w, http.StatusOK, n)
}

func (s *Server) apiCreateNote(w http.ResponseWriter, r *http.Request) error {
	u, _, in, err := noteWrite[noteBody](s, w, r, false)
	if err != nil {
		return err
	}
	n, err := s.deps.Notes.CreateNote(r.Context(), u, in.note())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/network/notes/"+strconv.FormatInt(n.ID, 10))
	return writeNote(w, http.StatusCreated, n)
}

func (s *Server) apiUpdateNote(w http.ResponseWriter, r *http.Request) error {
	u, id, in, err := noteWrite[noteBody](s, w, r, true)
	if err != nil {
		return err
	}
	if err := versionGiven(in.Version); err != nil {
		return err
	}
	n := in.note()
	n.ID = id
	got, err := s.deps.Notes.UpdateNote(r.Context(), u, n)
	if err != nil {
		return err
	}
	return writeNote(w, http.StatusOK, got)
}

// noteVerb is the body of a note's transition.
type noteVerb struct {
	Verb    partnerhub.Verb `json:"verb"`
	Version int             `json:"version"`
	Comment string          `json:"comment"`
}

func (s *Server) apiTransitNote(w http.ResponseWriter, r *http.Request) error {
	u, id, t, err := noteWrite[noteVerb](s, w, r, true)
	if err != nil {
		return err
	}
	if err := versionGiven(t.Version); err != nil {
		return err
	}
	n, err := s.deps.Notes.TransitNote(r.Context(), u, id, t.Version, t.Verb, t.Comment)
	if err != nil {
		return err
	}
	return writeNote(w, http.StatusOK, n)
}

// noteWrite is how a write of the notes' API starts: the notes kept,
// someone signed in, the note's id when the path names one, and the body
// decoded strictly into a T.
func noteWrite[T any](s *Server, w http.ResponseWriter, r *http.Request, withID bool) (*partnerhub.User, int64, T, error) {
	var in T
	u, err := s.notesWriter(r)
	if err != nil {
		return nil, 0, in, err
	}
	var id int64
	if withID {
		if id, err = noteID(r); err != nil {
			return nil, 0, in, err
		}
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return nil, 0, in, err
	}
	return u, id, in, decodeStrict(b, &in)
}

// versionGiven refuses a change that does not say which version it
// changes.
func versionGiven(v int) error {
	if v < 1 {
		return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
	}
	return nil
}

// writeNote answers with a note and its version as the ETag.
func writeNote(w http.ResponseWriter, status int, n *partnerhub.Note) error {
	w.Header().Set("ETag", `"v`+strconv.Itoa(n.Version)+`"`)
	return writeStatusJSON(w, status, n)
}

// apiAddNoteFile attaches a file (multipart: version, file).
func (s *Server) apiAddNoteFile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.notesWriter(r)
	if err != nil {
		return err
	}
	id, err := noteID(r)
	if err != nil {
		return err
	}
	up, err := readUpload(w, r, partnerhub.DefaultMaxNoteFileBytes, "version")
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(up.kind)
	if err != nil || version < 1 {
		return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
	}
	f, err := s.deps.Notes.AddNoteFile(r.Context(), u, id, version, up.filename, up.data)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/network/notes/"+strconv.FormatInt(id, 10)+"/files/"+strconv.FormatInt(f.ID, 10))
	return writeStatusJSON(w, http.StatusCreated, f)
}

func (s *Server) apiNoteFile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.notesCaller(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	return s.noteDownload(r, w, u)
}
