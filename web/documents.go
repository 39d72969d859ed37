package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
)

// The documents of an agreement: drafts and signed copies, for signed-in
// users only. Anyone else, and a user of another home, gets the answer an
// unknown address gets: a document's existence is not theirs to learn.
// Uploads are read as a stream with a bound, so that a file too large is
// refused before it is received whole; their type is the store's to check,
// by their content.

// documentsPath is the documents page of an agreement.
func (s *Server) documentsPath(lang partnerhub.Lang, slug string) string {
	return s.l(lang) + "/agreements/" + slug + "/documents"
}

// documentPages serves a documents page: to a signed-in user as private
// pages are served (gates included), to anyone else as an unknown path.
func (s *Server) documentPages(lang partnerhub.Lang, h privateHandler) http.Handler {
	signedIn := s.private(lang, "agreements", h)
	unknown := s.pageFor(lang, "", s.notFoundPage)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Documents == nil || !partnerhub.CanReadDrafts(s.user(r)) {
			unknown.ServeHTTP(w, r)
			return
		}
		signedIn.ServeHTTP(w, r)
	})
}

// documentGroup is the versions of one role, oldest first.
type documentGroup struct {
	Role partnerhub.DocumentRole
	Docs []documentRow
}

// documentRow is a document as the page lists it.
type documentRow struct {
	partnerhub.AgreementDocument
	SizeText, At, At3339, Href string
}

type documentsData struct {
	Agreement *partnerhub.Agreement
	Groups    []documentGroup
	Roles     []partnerhub.DocumentRole
	Role      string // the role chosen in the form
	CanUpload bool
	Errors    map[string]string
	Alert     string
	Summary   []summaryEntry // the field errors, above the form
	Max       string         // the largest file accepted, for people
	Action    string
}

// agreementOf finds a live agreement in what the signed-in user sees.
func agreementOf(v *view, slug string) (*partnerhub.Agreement, error) {
	c := v.X.Catalog()
	for i := range c.Agreements {
		if c.Agreements[i].Slug == slug {
			return &c.Agreements[i], nil
		}
	}
	return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", slug)
}

// documentsPage lists an agreement's documents, with the upload form.
func (s *Server) documentsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	return s.documentsView(r, v, &documentsData{Role: string(partnerhub.DocumentDraft)}, http.StatusOK)
}

// documentsView fills d with the agreement and its documents.
func (s *Server) documentsView(r *http.Request, v *view, d *documentsData, status int) (*page, error) {
	slug := r.PathValue("slug")
	docs, err := s.deps.Documents.Documents(r.Context(), v.User, v.Home, slug)
	if err != nil {
		return nil, err
	}
	a, err := agreementOf(v, slug)
	if err != nil {
		return nil, err
	}
	d.Agreement, d.Roles, d.Max = a, partnerhub.DocumentRoles, sizeText(s.deps.MaxDocumentBytes)
	d.CanUpload = v.User.Role != partnerhub.RoleViewer
	d.Action = s.documentsPath(v.Lang, slug)
	for _, role := range partnerhub.DocumentRoles {
		g := documentGroup{Role: role}
		for _, doc := range docs {
			if doc.Role == role {
				g.Docs = append(g.Docs, documentRow{AgreementDocument: doc, SizeText: sizeText(doc.Size),
					At: doc.UploadedAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST"), At3339: doc.UploadedAt.UTC().Format(time.RFC3339),
					Href: d.Action + "/" + strconv.FormatInt(doc.ID, 10)})
			}
		}
		d.Groups = append(d.Groups, g)
	}
	title := v.P.T("documents.title", mustText(v, a.Title))
	return &page{Template: "documents", Title: title, Status: status, Data: d,
		Parents: []crumb{{Label: v.P.T("agreements.title"), Href: v.L() + "/agreements"}}}, nil
}

// documentUpload stores an upload from the page's form, then shows the
// page again: with the new version, or with what was wrong at the field.
func (s *Server) documentUpload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	slug := r.PathValue("slug")
	up, err := readDocumentUpload(w, r, s.deps.MaxDocumentBytes)
	if err == nil {
		_, err = s.deps.Documents.AddDocument(r.Context(), v.User, v.Home, slug, up.role, up.filename, up.data, s.deps.Now())
	}
	if err == nil {
		s.afterWrite(r)
		http.Redirect(w, r, s.documentsPath(v.Lang, slug)+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, err // not found, refused, or ours: the error page says so
	}
	d := &documentsData{Role: string(up.role), Alert: v.P.Error(e), Errors: map[string]string{}}
	for f, fe := range e.Fields {
		d.Errors[f] = v.P.Field(fe)
	}
	// Above the form, the problems by field, in the form's order, each
	// linked to its input.
	for _, f := range []struct{ name, label string }{{"role", "documents.role_label"}, {"file", "documents.file_label"}} {
		if msg, ok := d.Errors[f.name]; ok {
			d.Summary = append(d.Summary, summaryEntry{Target: "f-" + f.name, Label: v.P.T(f.label), Message: msg})
		}
	}
	return s.documentsView(r, v, d, statusOf(e.Code))
}

// documentDownload sends one document as an attachment.
func (s *Server) documentDownload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	doc, data, err := s.deps.Documents.Document(r.Context(), v.User, v.Home, r.PathValue("slug"), id)
	if err != nil {
		return nil, err
	}
	sendDocument(w, doc, data)
	return nil, nil
}

// sendDocument writes a document's bytes with the type its content was
// found to be, as an attachment that browsers neither sniff nor keep.
func sendDocument(w http.ResponseWriter, doc partnerhub.AgreementDocument, data []byte) {
	h := w.Header()
	h.Set("Content-Type", doc.ContentType)
	h.Set("Content-Disposition", contentDisposition(doc.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// contentDisposition is an attachment named name (RFC 6266): filename* in
// UTF-8 for browsers, and an ASCII filename for the clients that know no
// other, with what is not ASCII made "_".
func contentDisposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	const attrChar = "!#$&+-.^_`|~"
	for _, b := range []byte(name) {
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', strings.IndexByte(attrChar, b) >= 0:
			ext.WriteByte(b)
		default:
			ext.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// upload is a document received, not yet checked.
type upload struct {
	kind     string // the value of the form's other field
	role     partnerhub.DocumentRole
	filename string
	data     []byte
}

// maxUploadForm bounds what a document's form carries besides the file.
const maxUploadForm = 64 << 10

// readDocumentUpload reads a multipart form of a role and a file, the file
// at most limit bytes: a larger one is refused (413) as soon as its bytes
// pass the limit, and a request that says it is larger before any is read.
func readDocumentUpload(w http.ResponseWriter, r *http.Request, limit int64) (upload, error) {
	up, err := readUpload(w, r, limit, "role")
	up.role = partnerhub.DocumentRole(up.kind)
	return up, err
}

// readUpload reads a multipart form of a file and one other field, named
// kindField, that says what the file is (an agreement document's role, a
// proposal attachment's spec), as readDocumentUpload says.
func readUpload(w http.ResponseWriter, r *http.Request, limit int64, kindField string) (upload, error) {
	var up upload
	tooBig := func() error {
		return &partnerhub.Error{Code: eTooLarge, Message: "error.document_too_big", Args: []any{sizeText(limit)},
			Fields: partnerhub.FieldErrors{"file": {Key: "document_too_big", Args: []any{sizeText(limit)}}}}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		if kindField == "spec" {
			return up, partnerhub.Errorf(eUnsupported, "error.proposal_multipart")
		}
		return up, partnerhub.Errorf(eUnsupported, "error.multipart_only")
	}
	if r.ContentLength > limit+maxUploadForm {
		return up, tooBig()
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxUploadForm)
	mr, err := r.MultipartReader()
	if err != nil {
		return up, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
	}
	errs := partnerhub.FieldErrors{}
	var gotFile, gotRole bool
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return up, tooBig()
		}
		if err != nil {
			return up, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
		}
		switch part.FormName() {
		case kindField:
			b, err := io.ReadAll(io.LimitReader(part, 65))
			if err != nil {
				return up, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
			}
			if gotRole {
				errs.Add(kindField, "duplicate", kindField)
			}
			gotRole, up.kind = true, string(b)
			if !utf8.Valid(b) {
				up.kind = ""
			}
		case "file":
			if gotFile {
				errs.Add("file", "duplicate", "file")
			}
			gotFile, up.filename = true, part.FileName()
			up.data, err = io.ReadAll(io.LimitReader(part, limit+1))
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok || int64(len(up.data)) > limit {
				return up, tooBig()
			}
			if err != nil {
				return up, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
			}
		default:
			errs.Add(part.FormName(), "unknown_field")
		}
		part.Close()
	}
	if !gotFile {
		errs.Add("file", "document_missing")
	}
	if !gotRole {
		errs.Add(kindField, "required")
	}
	return up, errs.Err()
}

// ---- the API -------------------------------------------------------------

// apiDocuments lists an agreement's documents.
func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request) error {
	u, err := s.documentReader(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	docs, err := s.deps.Documents.Documents(r.Context(), u, s.home(r), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, list(docs))
}

// apiAddDocument stores an upload (multipart: role and file).
func (s *Server) apiAddDocument(w http.ResponseWriter, r *http.Request) error {
	u, err := s.documentReader(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	up, err := readDocumentUpload(w, r, s.deps.MaxDocumentBytes)
	if err != nil {
		return err
	}
	slug := r.PathValue("key")
	doc, err := s.deps.Documents.AddDocument(r.Context(), u, s.home(r), slug, up.role, up.filename, up.data, s.deps.Now())
	if err != nil {
		return err
	}
	s.afterWrite(r)
	w.Header().Set("Location", "/api/v1/agreements/"+url.PathEscape(slug)+"/documents/"+strconv.FormatInt(doc.ID, 10))
	return writeStatusJSON(w, http.StatusCreated, doc)
}

// apiDocument downloads one document.
func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request) error {
	u, err := s.documentReader(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	doc, data, err := s.deps.Documents.Document(r.Context(), u, s.home(r), r.PathValue("key"), id)
	if err != nil {
		return err
	}
	sendDocument(w, doc, data)
	return nil
}

// documentReader is who asks through the API: a token is needed, before
// anything about the agreement is looked up.
func (s *Server) documentReader(r *http.Request) (*partnerhub.User, error) {
	if s.deps.Documents == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	u := s.user(r)
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	return u, nil
}
