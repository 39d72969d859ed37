package partnerhub

// Good practice: the network's library of case notes. A member's office
// writes a note in both languages about something it did (a joint fund,
// an office abroad…), links it to its own partners and activities, and
// submits it; the network's editors publish it or return it with a
// comment. Only a published note leaves its member's office.

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NoteState is where a note stands.
type NoteState string

const (
	NoteDraft     NoteState = "draft"     // its office writes it
	NoteSubmitted NoteState = "submitted" // waits for the editors
	NotePublished NoteState = "published" // in the library, for everyone
	NoteReturned  NoteState = "returned"  // sent back with the editor's comment; editing makes it a draft again
	NoteWithdrawn NoteState = "withdrawn" // taken out of the library by an editor
)

var NoteStates = []NoteState{NoteDraft, NoteSubmitted, NotePublished, NoteReturned, NoteWithdrawn}

// Note verbs, run as transitions: the writer's office submits; the
// editors publish, return and withdraw.
const (
	VerbSubmitNote   Verb = "submit"
	VerbPublishNote  Verb = "publish"
	VerbReturnNote   Verb = "return"
	VerbWithdrawNote Verb = "withdraw"
)

var NoteVerbs = []Verb{VerbSubmitNote, VerbPublishNote, VerbReturnNote, VerbWithdrawNote}

// NoteTransit is the state a verb moves a note to from where it stands,
// and whether it is an editor's move; ok false when the verb does not
// apply there.
func NoteTransit(from NoteState, verb Verb) (to NoteState, review, ok bool) {
	switch {
	case verb == VerbSubmitNote && (from == NoteDraft || from == NoteReturned || from == NoteWithdrawn):
		return NoteSubmitted, false, true
	case verb == VerbPublishNote && from == NoteSubmitted:
		return NotePublished, true, true
	case verb == VerbReturnNote && from == NoteSubmitted:
		return NoteReturned, true, true
	case verb == VerbWithdrawNote && from == NotePublished:
		return NoteWithdrawn, true, true
	}
	return from, slices.Contains([]Verb{VerbPublishNote, VerbReturnNote, VerbWithdrawNote}, verb), false
}

// Editable reports whether the writer's office may change a note: not
// while the editors have it, nor once published (an editor withdraws it
// first).
func (s NoteState) Editable() bool {
	return s == NoteDraft || s == NoteReturned || s == NoteWithdrawn
}

// NoteTopic is what a note is about, from a fixed list.
type NoteTopic string

const (
	TopicJointFunds     NoteTopic = "joint_funds"
	TopicOfficesAbroad  NoteTopic = "offices_abroad"
	TopicOnlineExchange NoteTopic = "online_exchange"
	TopicJointDegrees   NoteTopic = "joint_degrees"
	TopicDoubleDegrees  NoteTopic = "double_degrees" // joint supervision, double degrees
	TopicMobility       NoteTopic = "student_mobility"
	TopicStaffExchange  NoteTopic = "staff_exchange"
	TopicJointResearch  NoteTopic = "joint_research"
	TopicOther          NoteTopic = "other"
)

var NoteTopics = []NoteTopic{TopicJointFunds, TopicOfficesAbroad, TopicOnlineExchange, TopicJointDegrees,
	TopicDoubleDegrees, TopicMobility, TopicStaffExchange, TopicJointResearch, TopicOther}

// NoteFile is an attachment of a note, without its bytes.
type NoteFile struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// NoteLink is a partner or activity of the writer's home a note is about.
type NoteLink struct {
	Slug string `json:"slug"`
	Name Text   `json:"name"` // the partner's name or the activity's title, as the store reads it
}

// Note is a good-practice note.
type Note struct {
	ID         int64      `json:"id"`
	Home       string     `json:"home"` // the member that wrote it
	Title      Text       `json:"title"`
	Body       Text       `json:"body"` // plain text; a blank line parts paragraphs
	Topic      NoteTopic  `json:"topic"`
	Tags       []string   `json:"tags"`
	Partners   []NoteLink `json:"partners"`
	Activities []NoteLink `json:"activities"`
	Files      []NoteFile `json:"files"`
	State      NoteState  `json:"state"`
	// Comment is the editor's, when the note was last returned.
	Comment     string     `json:"comment"`
	Author      string     `json:"author"` // the name of who created it
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SubmittedAt *time.Time `json:"submitted_at"`
	PublishedAt *time.Time `json:"published_at"`
	Version     int        `json:"version"`
}

// Bounds of a note.
const (
	MaxNoteTags       = 20
	MaxNoteTagChars   = 40
	MaxNoteLinks      = 50
	MaxNoteTitleChars = 200
	MaxNoteFiles      = 20
	// MaxNoteBodyLen bounds each language of a note's body, in bytes: a
	// case note is longer than a record's field.
	MaxNoteBodyLen = 40000
	// MaxNoteCommentChars bounds an editor's comment.
	MaxNoteCommentChars = 2000
)

// NormalizeNote tidies what a writer sent: trimmed texts, tags trimmed,
// in NFKC, without duplicates (case aside) or empties, slugs lower-case.
func NormalizeNote(n *Note) {
	trim := func(t Text) Text { return Text{Ja: strings.TrimSpace(t.Ja), En: strings.TrimSpace(t.En)} }
	n.Title, n.Body = trim(n.Title), trim(n.Body)
	n.Body.Ja = strings.ReplaceAll(n.Body.Ja, "\r\n", "\n")
	n.Body.En = strings.ReplaceAll(n.Body.En, "\r\n", "\n")
	var tags []string
	for _, t := range n.Tags {
		t = strings.Join(strings.Fields(norm.NFKC.String(t)), " ")
		if t != "" && !slices.ContainsFunc(tags, func(o string) bool { return strings.EqualFold(o, t) }) {
			tags = append(tags, t)
		}
	}
	n.Tags = tags
	if n.Tags == nil {
		n.Tags = []string{}
	}
	links := func(ls []NoteLink) []NoteLink {
		out := []NoteLink{}
		for _, l := range ls {
			l.Slug = strings.ToLower(strings.TrimSpace(l.Slug))
			if l.Slug != "" && !slices.ContainsFunc(out, func(o NoteLink) bool { return o.Slug == l.Slug }) {
				out = append(out, NoteLink{Slug: l.Slug})
			}
		}
		return out
	}
	n.Partners, n.Activities = links(n.Partners), links(n.Activities)
}

// Validate checks what a writer may save: a title in both languages and
// a topic; the body may wait (a draft), but must be there to submit
// (ValidateSubmit).
func (n *Note) Validate() error {
	errs := FieldErrors{}
	validateText(errs, "title", n.Title, true)
	for _, s := range []struct {
		field string
		v     string
	}{{"title.ja", n.Title.Ja}, {"title.en", n.Title.En}} {
		if utf8.RuneCountInString(s.v) > MaxNoteTitleChars {
			errs.Add(s.field, "too_long_chars", MaxNoteTitleChars)
		}
	}
	if len(n.Body.Ja) > MaxNoteBodyLen {
		errs.Add("body.ja", "too_long", MaxNoteBodyLen)
	}
	if len(n.Body.En) > MaxNoteBodyLen {
		errs.Add("body.en", "too_long", MaxNoteBodyLen)
	}
	validateEnum(errs, "topic", n.Topic, NoteTopics, true)
	if len(n.Tags) > MaxNoteTags {
		errs.Add("tags", "too_many", MaxNoteTags)
	}
	for _, t := range n.Tags {
		if utf8.RuneCountInString(t) > MaxNoteTagChars {
			errs.Add("tags", "practice_tag_long", t, MaxNoteTagChars)
			break
		}
	}
	for _, ls := range []struct {
		field string
		links []NoteLink
	}{{"partners", n.Partners}, {"activities", n.Activities}} {
		if len(ls.links) > MaxNoteLinks {
			errs.Add(ls.field, "too_many", MaxNoteLinks)
		}
		for i, l := range ls.links {
			validateSlug(errs, indexed(ls.field, i), l.Slug)
		}
	}
	return errs.Err()
}

// ValidateSubmit checks what a note needs to go to the editors: a body
// in both languages besides what Validate checks.
func (n *Note) ValidateSubmit() error {
	errs := FieldErrors{}
	if err := n.Validate(); err != nil {
		if e, ok := err.(*Error); ok {
			errs = e.Fields
		}
	}
	validateText(errs, "body", n.Body, true)
	return errs.Err()
}

// Paragraphs parts a note's body in one language into paragraphs at blank
// lines; a paragraph keeps its single line breaks.
func Paragraphs(body string) [][]string {
	var out [][]string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}

// NoteSearchText is the text a note is found by: its titles, bodies and
// tags in both languages, in NFKC and lower case, so that full-width and
// half-width letters and either case match.
func NoteSearchText(n *Note) string {
	return NormalizeNoteQuery(strings.Join(append([]string{n.Title.Ja, n.Title.En, n.Body.Ja, n.Body.En}, n.Tags...), "\n"))
}

// NormalizeNoteQuery is a query as NoteSearchText keeps text.
func NormalizeNoteQuery(q string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFKC.String(q)), " "))
}

// Content types of a note's attachments beside PDF and DOCX.
const (
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ContentTypePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	ContentTypePNG  = "image/png"
	ContentTypeJPEG = "image/jpeg"
)

// DefaultMaxNoteFileBytes bounds a note's attachment.
const DefaultMaxNoteFileBytes = 10 << 20

// CheckNoteFile checks an attachment of a note by its content, whatever
// its name says: a PDF, a PNG or JPEG image, or a Word, Excel or
// PowerPoint file (Office Open XML). It returns the name to keep and the
// type found. Nothing else is taken: no HTML, SVG or script, which a
// browser could run.
func CheckNoteFile(filename string, data []byte) (name, contentType string, err error) {
	errs := FieldErrors{}
	name = SanitizeFilename(filename)
	ext := strings.ToLower(path.Ext(name))
	if checkUploadName(errs, name, data) {
		switch ext {
		case ".pdf":
			contentType = ContentTypePDF
			if !IsPDF(data) {
				errs.Add("file", "practice_file_content", name)
			}
		case ".png":
			contentType = ContentTypePNG
			if !strings.HasPrefix(string(data), "\x89PNG\r\n\x1a\n") {
				errs.Add("file", "practice_file_content", name)
			}
		case ".jpg", ".jpeg":
			contentType = ContentTypeJPEG
			if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff {
				errs.Add("file", "practice_file_content", name)
			}
		case ".docx":
			contentType = ContentTypeDOCX
			if !IsDOCX(data) {
				errs.Add("file", "practice_file_content", name)
			}
		case ".xlsx":
			contentType = ContentTypeXLSX
			if !isOOXML(data, "xl/workbook.xml", "spreadsheetml.sheet.main+xml") {
				errs.Add("file", "practice_file_content", name)
			}
		case ".pptx":
			contentType = ContentTypePPTX
			if !isOOXML(data, "ppt/presentation.xml", "presentationml.presentation.main+xml") {
				errs.Add("file", "practice_file_content", name)
			}
		default:
			errs.Add("file", "practice_file_type")
		}
	}
	if err := errs.Err(); err != nil {
		return "", "", err
	}
	return name, contentType, nil
}

// NoteFilter selects notes of the library.
type NoteFilter struct {
	Topic NoteTopic
	Tag   string
	Q     string // words in titles, bodies or tags, either language
	// Scope: "" the published notes; "mine" every note of the reader's
	// member (its office); "review" the notes waiting for the editors;
	// "visible" every note the reader may read.
	Scope string
	Limit int
}

// Scopes of NoteFilter.
const (
	NoteScopeLibrary = ""
	NoteScopeMine    = "mine"
	NoteScopeReview  = "review"
	NoteScopeVisible = "visible"
)

// NoteService keeps the good-practice notes. Every call checks who asks
// (nil for the public): a note not published is there only for its
// member's office and, once submitted, the network's editors; anyone else
// finds none.
type NoteService interface {
	Notes(ctx context.Context, u *User, f NoteFilter) ([]Note, error)
	Note(ctx context.Context, u *User, id int64) (*Note, error)
	// NoteTags are the tags of the published notes, most used first.
	NoteTags(ctx context.Context) ([]string, error)
	// CreateNote writes a new draft of u's member.
	CreateNote(ctx context.Context, u *User, n Note) (*Note, error)
	// UpdateNote saves a note at the version read (n.Version).
	UpdateNote(ctx context.Context, u *User, n Note) (*Note, error)
	// TransitNote moves a note by a verb at the version read; comment is
	// the editor's, required to return.
	TransitNote(ctx context.Context, u *User, id int64, version int, verb Verb, comment string) (*Note, error)
	// AddNoteFile attaches a file to a note its office may edit, at the
	// version read.
	AddNoteFile(ctx context.Context, u *User, id int64, version int, filename string, data []byte) (NoteFile, error)
	// NoteFile is an attachment, for whoever may read the note.
	NoteFile(ctx context.Context, u *User, id, fileID int64) (NoteFile, []byte, error)
}

// NotePath is a note's page, after the language.
func NotePath(id int64) string { return "/network/practice/" + strconv.FormatInt(id, 10) }

// isOOXML reports whether data is an Office Open XML file whose
// [Content_Types].xml names a main part of the type ending in mainType,
// and which holds the part main.
func isOOXML(data []byte, main, mainType string) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) > maxDOCXEntries {
		return false
	}
	var types *zip.File
	body := false
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			types = f
		case main:
			body = true
		}
	}
	if types == nil || !body {
		return false
	}
	rc, err := types.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxDOCXContentTypes))
	return err == nil && bytes.Contains(b, []byte("application/vnd.openxmlformats-officedocument."+mainType))
}

// IsNoteVerb reports whether v is a verb of a note's life.
func IsNoteVerb(v Verb) bool { return slices.Contains(NoteVerbs, v) }
