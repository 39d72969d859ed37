package partnerhub

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Documents of an agreement: its drafts and signed copies, kept in the
// database with the record so that backups, exports and imports carry
// them. Each upload of a role is a new version; none replaces another.
// A file's type is told by its content, never by its name or by what the
// browser says it is, and its name must agree with it.

// DocumentRole says what a document is to its agreement.
type DocumentRole string

const (
	DocumentDraft  DocumentRole = "draft"  // PDF or DOCX, while the text is discussed
	DocumentSigned DocumentRole = "signed" // PDF only: the copy both sides signed
)

// DocumentRoles are every role, in the order pages list them.
var DocumentRoles = []DocumentRole{DocumentDraft, DocumentSigned}

// The content types of the files accepted.
const (
	ContentTypePDF  = "application/pdf"
	ContentTypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// DefaultMaxDocumentBytes bounds an uploaded document unless the operator
// says otherwise (serve -max-document).
const DefaultMaxDocumentBytes = 20 << 20

// MaxDocumentNameChars bounds a document's file name, in characters, its
// extension included.
const MaxDocumentNameChars = 120

// AgreementDocument is one stored version of a document, without its
// bytes.
type AgreementDocument struct {
	ID          int64        `json:"id"`
	Agreement   string       `json:"agreement"` // the agreement's slug
	Role        DocumentRole `json:"role"`
	Version     int          `json:"version"` // 1, 2, … per agreement and role
	Filename    string       `json:"filename"`
	ContentType string       `json:"content_type"`
	Size        int64        `json:"size"`
	SHA256      string       `json:"sha256"`      // hex
	UploadedBy  string       `json:"uploaded_by"` // the uploader's name, or their address when the account is gone
	UploadedAt  time.Time    `json:"uploaded_at"`
}

// DocumentService keeps agreements' documents. Every call checks who asks:
// a user of another home, or nobody, finds no agreement at all.
type DocumentService interface {
	// AddDocument stores a new version of an agreement's document of
	// role. Uploading is changing the agreement: Authorize decides, and
	// the upload is in the audit log.
	AddDocument(ctx context.Context, actor *User, home, agreement string, role DocumentRole, filename string, data []byte, now time.Time) (AgreementDocument, error)
	// Documents lists an agreement's documents by role, then version.
	Documents(ctx context.Context, actor *User, home, agreement string) ([]AgreementDocument, error)
	// Document returns one document and its bytes.
	Document(ctx context.Context, actor *User, home, agreement string, id int64) (AgreementDocument, []byte, error)
}

// AuthorizeDocumentRead answers whether u may list and download the
// documents of home's agreements: any active user of that home, viewers
// included (they read drafts too); nobody else.
func AuthorizeDocumentRead(u *User, home string) error {
	if err := AuthorizeHome(u, home); err != nil {
		return err
	}
	if !CanReadDrafts(u) {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	return nil
}

// CheckDocument checks an upload before it is stored: the role, the name
// (sanitised) and the content, which must be what the name's extension
// says and what the role allows. It returns the name to keep and the
// content type found.
func CheckDocument(role DocumentRole, filename string, data []byte) (name, contentType string, err error) {
	errs := FieldErrors{}
	validateEnum(errs, "role", role, DocumentRoles, true)
	name = SanitizeFilename(filename)
	ext := strings.ToLower(path.Ext(name))
	switch {
	case !checkUploadName(errs, name, data):
	case ext == ".pdf":
		if !IsPDF(data) {
			errs.Add("file", "document_not_pdf", name)
		}
		contentType = ContentTypePDF
	case ext == ".docx":
		switch {
		case role == DocumentSigned:
			errs.Add("file", "document_signed_pdf")
		case !IsDOCX(data):
			errs.Add("file", "document_not_docx", name)
		}
		contentType = ContentTypeDOCX
	default:
		if role == DocumentSigned {
			errs.Add("file", "document_signed_pdf")
		} else {
			errs.Add("file", "document_type")
		}
	}
	if err := errs.Err(); err != nil {
		return "", "", err
	}
	return name, contentType, nil
}

// checkUploadName adds the problems every upload can have, whatever its
// type: no content, no usable name. It reports whether there was none.
func checkUploadName(errs FieldErrors, name string, data []byte) bool {
	switch {
	case len(data) == 0:
		errs.Add("file", "document_empty")
	case name == "" || strings.TrimSuffix(name, path.Ext(name)) == "":
		errs.Add("file", "document_name")
	default:
		return true
	}
	return false
}

// CheckPDF checks an upload that must be a PDF file (a proposal's
// attachment) as CheckDocument checks an agreement's signed copy: by its
// content, its name agreeing. It returns the name to keep.
func CheckPDF(filename string, data []byte) (string, error) {
	errs := FieldErrors{}
	name := SanitizeFilename(filename)
	switch {
	case !checkUploadName(errs, name, data):
	case strings.ToLower(path.Ext(name)) != ".pdf":
		errs.Add("file", "pdf_only")
	case !IsPDF(data):
		errs.Add("file", "document_not_pdf", name)
	}
	if err := errs.Err(); err != nil {
		return "", err
	}
	return name, nil
}

// IsPDF reports whether data is a PDF file: it starts with the header
// "%PDF-" and its end-of-file marker is among its last bytes (trailing
// white space or a short tail that some writers add is allowed).
func IsPDF(data []byte) bool {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return false
	}
	tail := data[max(0, len(data)-1024):]
	return bytes.Contains(tail, []byte("%%EOF"))
}

// The bounds of a DOCX's reading: its entries are only listed, and of its
// files only [Content_Types].xml is read, a small file in any real one.
const (
	maxDOCXEntries      = 10000
	maxDOCXContentTypes = 1 << 20
)

// docxMainType is the content type of a Word document's main part; a
// macro-enabled document (.docm) names another, and is no DOCX.
const docxMainType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

// IsDOCX reports whether data is a Word document (Office Open XML): a ZIP
// holding [Content_Types].xml, which names a Word main part, and
// word/document.xml.
func IsDOCX(data []byte) bool {
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
		case "word/document.xml":
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
	return err == nil && bytes.Contains(b, []byte(docxMainType))
}

// SanitizeFilename makes an uploaded file's name safe to keep and to send
// back in a Content-Disposition: its base name only (no folders, whichever
// separator the sender's system uses), in NFC, without control or
// formatting characters (a right-to-left override could disguise an
// extension), without characters Windows refuses, without leading dots
// (no hidden files) or trailing dots and spaces, and at most
// MaxDocumentNameChars characters, the extension kept. Japanese letters
// stay as they are. "" when nothing is left.
func SanitizeFilename(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		case unicode.In(r, unicode.Zl, unicode.Zp): // line breaks of another name
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(b.String(), ". ")
	name = strings.TrimRight(name, ". ")
	if utf8.RuneCountInString(name) > MaxDocumentNameChars {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimRight(string(stem[:MaxDocumentNameChars-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	return name
}
