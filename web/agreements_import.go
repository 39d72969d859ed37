package web

// The agreements register in the browser and the API: its template, its
// export in the same layout, and its import, checked whole and refused
// with every problem by row and column. A register is hundreds of rows,
// not millions, so it is read and written within the request, not by a
// job of the queue.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/transfer"
)

// AgreementImporter records a register in one transaction (store.DB). The
// server asks its Editor for it: the store that edits agreements is the one
// that imports them, and an Editor without it (a test's mock) has no import.
type AgreementImporter interface {
	ImportAgreements(ctx context.Context, actor *partnerhub.User, home string, rows []store.RegisterRow) (int, []store.RegisterProblem, error)
}

// maxRegisterUpload bounds a register file: far above any office's.
const maxRegisterUpload = 16 << 20

// maxRegisterProblems bounds the problems a page or an answer lists.
const maxRegisterProblems = 500

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// registerProblem is one problem of a register as shown and answered: the
// row (0: the file as a whole), the column's header as written, the
// message in the reader's language and its key.
type registerProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
	Key     string `json:"key"`
}

// importRegister reads a register and records it. problems are the file's
// or the store's, in p's language; err is any other failure (the store's
// refusal with problems is not one).
func (s *Server) importRegister(ctx context.Context, u *partnerhub.User, home string, file io.Reader, format string, p *i18n.Printer) (int, []registerProblem, error) {
	imp, ok := s.deps.Editor.(AgreementImporter)
	if !ok {
		return 0, nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if u.Role != partnerhub.RoleAdmin && u.Role != partnerhub.RoleCoordinator {
		return 0, nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	x := s.full.Load().index
	taken := map[string]bool{}
	for _, a := range x.Catalog().Agreements {
		taken[a.Slug] = true
	}
	reg, errs := transfer.ReadRegister(file, format, transfer.RegisterOptions{Resolver: transfer.NewResolver(x), Taken: func(s string) bool { return taken[s] }})
	var problems []registerProblem
	if len(errs) > 0 {
		for _, e := range errs {
			problems = append(problems, registerProblem{Row: e.Row, Column: e.Column, Message: p.T(e.Key, e.Args...), Key: e.Key})
		}
		return 0, problems, nil
	}
	rows := make([]store.RegisterRow, len(reg.Rows))
	for i, r := range reg.Rows {
		rows[i] = store.RegisterRow{Row: r.Row, Agreement: r.Agreement}
	}
	n, refused, err := imp.ImportAgreements(ctx, u, home, rows)
	for _, e := range refused {
		problems = append(problems, registerProblem{Row: e.Row, Column: reg.Column(e.Field), Message: p.T(e.Key, e.Args...), Key: e.Key})
	}
	if len(problems) > 0 {
		return 0, problems, nil
	}
	if err != nil {
		return 0, nil, err
	}
	if err := s.Reload(ctx); err != nil {
		s.deps.Logger.Error("reload after register import", "err", err)
	}
	return n, nil, nil
}

// registerFormat is the format a file's name says; "" for neither.
func registerFormat(name string) string {
	switch f := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), "."); f {
	case "csv", "xlsx":
		return f
	}
	return ""
}

// registerData is what the import page shows.
type registerData struct {
	Error    string
	File     string
	Problems []registerProblem
	More     bool // only the first maxRegisterProblems are listed
	Count    int
	Imported int
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return &page{Template: "agreements_import", Title: v.P.T("register.page_title"), Data: &registerData{}}, nil
}

func (s *Server) registerUpload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	show := func(status int, d *registerData) (*page, error) {
		return &page{Template: "agreements_import", Title: v.P.T("register.page_title"), Status: status, Data: d}, nil
	}
	if v.User.Role != partnerhub.RoleAdmin && v.User.Role != partnerhub.RoleCoordinator {
		return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	tooBig := func() (*page, error) {
		s.logSecurity(r, "import_refused", "reason", "too_big", "limit", maxRegisterUpload)
		return show(http.StatusRequestEntityTooLarge, &registerData{Error: v.P.T("register.too_big", sizeText(maxRegisterUpload))})
	}
	limit := int64(maxRegisterUpload + 1<<20) // the file and the form around it
	if r.ContentLength > limit {
		return tooBig()
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooBig()
		}
		return show(http.StatusBadRequest, &registerData{Error: v.P.T("register.no_file")})
	}
	defer file.Close()
	if hdr.Size > maxRegisterUpload {
		return tooBig()
	}
	name := filepath.Base(hdr.Filename)
	format := registerFormat(name)
	if format == "" {
		return show(http.StatusBadRequest, &registerData{Error: v.P.T("register.bad_extension", name)})
	}
	n, problems, err := s.importRegister(r.Context(), v.User, v.Home, file, format, v.P)
	if err != nil {
		return nil, err
	}
	d := &registerData{File: name, Imported: n, Count: len(problems)}
	if len(problems) > 0 {
		d.Problems, d.More = problems[:min(len(problems), maxRegisterProblems)], len(problems) > maxRegisterProblems
		return show(http.StatusUnprocessableEntity, d)
	}
	return show(http.StatusOK, d)
}

// apiImportRegister is POST /api/v1/agreements/import: the file as the
// part "file" of a multipart form, or as the body (Content-Type text/csv
// or the XLSX type, or ?format=csv|xlsx). 200 with the count imported, or
// 422 with every problem by row and column.
func (s *Server) apiImportRegister(w http.ResponseWriter, r *http.Request) error {
	u := s.user(r)
	if u == nil {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if !partnerhub.CanReadDrafts(u) {
		// Before the file is read against the records, drafts included.
		return partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
	}
	q := r.URL.Query()
	errs := params(q, "format")
	format := single(q, errs, "format")
	if format != "" && format != "csv" && format != "xlsx" {
		errs.Add("format", "one_of", "csv, xlsx")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	tooBig := partnerhub.Errorf(eTooLarge, "register.too_big", sizeText(maxRegisterUpload))
	limit := int64(maxRegisterUpload + 1<<20)
	if r.ContentLength > limit {
		return tooBig
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var body io.Reader = r.Body
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		file, hdr, err := r.FormFile("file")
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return tooBig
			}
			return (partnerhub.FieldErrors{"file": {Key: "required"}}).Err()
		}
		defer file.Close()
		body = file
		if format == "" {
			format = registerFormat(hdr.Filename)
		}
	case "text/csv":
		format = "csv"
	case xlsxType:
		format = "xlsx"
	}
	if format == "" {
		return partnerhub.Errorf(eUnsupported, "register.media_type")
	}
	p := s.printer(r)
	n, problems, err := s.importRegister(r.Context(), u, s.home(r), body, format, p)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		// The error's usual form, with the problems in it.
		var out errorBody
		out.Error.Code = partnerhub.EInvalid
		out.Error.Message = p.T("error.register_rejected", len(problems))
		out.Error.Problems = problems[:min(len(problems), maxRegisterProblems)]
		w.Header().Set("Content-Language", string(p.Lang))
		w.Header().Set("Cache-Control", "no-store")
		return writeStatusJSON(w, http.StatusUnprocessableEntity, out)
	}
	return writeStatusJSON(w, http.StatusOK, map[string]int{"imported": n})
}

// registerTemplate downloads the empty register workbook in lang.
func (s *Server) registerTemplate(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.writeRegister(w, fmt.Sprintf("partnerhub-agreements-template-%s.xlsx", lang), s.snap.Load().index, lang, nil, false)
	}
}

// registerExport downloads the register in the template's layout: for a
// signed-in user every agreement, drafts too; for everyone else the
// published, signed ones.
func (s *Server) registerExport(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var u *partnerhub.User
		if hasCredentials(r) {
			u = s.user(r)
		}
		if u != nil && s.pageGate(w, r, lang, u) {
			return
		}
		if !partnerhub.CanReadDrafts(u) {
			u = nil // a guest exports what the public does
		}
		snap := s.snap.Load()
		if u != nil {
			snap = s.full.Load()
		}
		var list []partnerhub.Agreement
		for _, a := range snap.index.Catalog().Agreements {
			if u != nil || (a.Published && a.Stage == partnerhub.StageSigned) {
				list = append(list, a)
			}
		}
		s.writeRegister(w, fmt.Sprintf("partnerhub-agreements-%s.xlsx", lang), snap.index, lang, list, true)
	}
}

func (s *Server) writeRegister(w http.ResponseWriter, name string, x *partnerhub.Index, lang partnerhub.Lang, list []partnerhub.Agreement, private bool) {
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
	if private {
		h["Cache-Control"] = hdrNoStore
		h["Vary"] = hdrVaryWho // a signed-in reader's download holds drafts
	}
	if err := transfer.WriteRegister(w, x, lang, list); err != nil {
		s.deps.Logger.Error("register download failed", "lang", string(lang), "err", err)
	}
}
