package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"partnerhub"
	"partnerhub/transfer"
)

// Importing a mobility file in the browser: the upload is saved, read in
// the background, and its page shows a progress bar until the file is in
// or refused with its problems listed by row and column.

// maxUpload bounds an uploaded file unless Deps.MaxUploadBytes says otherwise.
const maxUpload = 256 << 20

// The imports that may run at once, unless Deps says otherwise: each holds
// its file's figures in memory and takes a core to read them.
const (
	maxImportsPerUser = 1
	maxImportsPerHome = 2
)

// importJob is one import running or done on this node.
type importJob struct {
	ID     string
	Owner  int64
	Home   string
	File   string
	Format string
	Size   int64
	Start  time.Time

	done atomic.Int64 // bytes (CSV) or rows (XLSX) read

	mu       sync.Mutex
	finished bool
	rows     int64
	problems []jobProblem
	count    int
	err      error
}

type jobProblem struct {
	Row         int
	Column, Key string
	Args        []any
}

// jobs keeps this node's imports for an hour after they end, and counts
// those running, by user and by home institution.
type jobs struct {
	mu      sync.Mutex
	m       map[string]*importJob
	running map[int64]int  // by owner
	homes   map[string]int // by home institution
}

// jobsBusy says which limit an import would pass: "user" or "home", and
// the limit.
type jobsBusy struct {
	scope string
	limit int
}

// reserve counts an import of owner for home as running, unless that
// would pass perUser or perHome; release ends the count.
func (j *jobs) reserve(owner int64, home string, perUser, perHome int) (release func(), busy *jobsBusy) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.running == nil {
		j.running, j.homes = map[int64]int{}, map[string]int{}
	}
	switch {
	case j.running[owner] >= perUser:
		return nil, &jobsBusy{"user", perUser}
	case j.homes[home] >= perHome:
		return nil, &jobsBusy{"home", perHome}
	}
	j.running[owner]++
	j.homes[home]++
	var once sync.Once
	return func() {
		once.Do(func() {
			j.mu.Lock()
			defer j.mu.Unlock()
			if j.running[owner]--; j.running[owner] == 0 {
				delete(j.running, owner)
			}
			if j.homes[home]--; j.homes[home] == 0 {
				delete(j.homes, home)
			}
		})
	}, nil
}

func (j *jobs) add(job *importJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[string]*importJob{}
	}
	for id, old := range j.m {
		if time.Since(old.Start) > time.Hour {
			delete(j.m, id)
		}
	}
	j.m[job.ID] = job
}

func (j *jobs) get(id string) *importJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[id]
}

// importData is what the import page shows: the form, a refusal, or a job's progress.
type importData struct {
	Error string
	Job   *jobView
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return &page{Template: "mobility_import", Title: v.P.T("import.page_title"), Data: &importData{}}, nil
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	u := v.User
	fail := func(status int, msg string) (*page, error) {
		return &page{Template: "mobility_import", Title: v.P.T("import.page_title"), Status: status, Data: &importData{Error: msg}}, nil
	}
	if s.deps.Mobility == nil {
		return fail(http.StatusNotFound, v.P.T("error.not_found"))
	}
	// The limits are checked before the upload is read: a refused import
	// costs neither the disk nor the time of receiving the file.
	release, busy := s.jobs.reserve(u.ID, v.Home, s.deps.MaxImportsPerUser, s.deps.MaxImportsPerHome)
	if busy != nil {
		s.logSecurity(r, "import_refused", "reason", "busy_"+busy.scope, "limit", busy.limit)
		w.Header().Set("Retry-After", "60")
		return fail(http.StatusTooManyRequests, v.P.T("import.busy_"+busy.scope, busy.limit))
	}
	started := false
	defer func() {
		if !started {
			release()
		}
	}()
	tooBig := func() (*page, error) {
		s.logSecurity(r, "import_refused", "reason", "too_big", "limit", s.deps.MaxUploadBytes)
		return fail(http.StatusRequestEntityTooLarge, v.P.T("import.too_big", sizeText(s.deps.MaxUploadBytes)))
	}
	limit := s.deps.MaxUploadBytes + 1<<20 // the file and the form around it
	if r.ContentLength > limit {
		return tooBig()
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooBig()
		}
		return fail(http.StatusBadRequest, v.P.T("import.no_file"))
	}
	defer file.Close()
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(hdr.Filename)), ".")
	if format != "csv" && format != "xlsx" {
		return fail(http.StatusBadRequest, v.P.T("import.bad_extension", hdr.Filename))
	}
	if hdr.Size > s.deps.MaxUploadBytes {
		return tooBig()
	}
	// CreateTemp makes the file readable by its owner only (0600).
	tmp, err := os.CreateTemp("", "partnerhub-import-*."+format)
	if err != nil {
		return nil, err
	}
	size, err := io.Copy(tmp, io.LimitReader(file, s.deps.MaxUploadBytes+1))
	if err == nil && size > s.deps.MaxUploadBytes {
		tmp.Close()
		os.Remove(tmp.Name())
		return tooBig()
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fail(http.StatusBadRequest, v.P.T("import.upload_failed"))
	}
	job := &importJob{ID: rand.Text()[:16], Owner: u.ID, Home: v.Home, File: filepath.Base(hdr.Filename), Format: format, Size: size, Start: time.Now()}
	s.jobs.add(job)
	started = true
	go func() {
		defer release()
		s.runImport(job, tmp, u, v.Home)
	}()
	http.Redirect(w, r, "/"+string(v.Lang)+"/mobility/import/"+job.ID, http.StatusSeeOther)
	return nil, nil
}

// sizeText writes a number of bytes as people read a limit: 256 MiB.
func sizeText(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		switch {
		case n >= 1<<u.shift && n%(1<<u.shift) == 0:
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		case n >= 1<<u.shift:
			return fmt.Sprintf("%.1f %s", float64(n)/float64(int64(1)<<u.shift), u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// runImport reads a saved upload into the store, in the background: the
// request that uploaded it has ended.
func (s *Server) runImport(job *importJob, f *os.File, u *partnerhub.User, home string) {
	defer os.Remove(f.Name())
	defer f.Close()
	ctx := context.Background()
	var rowErrs []jobProblem
	failed := 0
	var result partnerhub.ImportResult
	var err error
	defer func() {
		job.mu.Lock()
		defer job.mu.Unlock()
		job.finished, job.rows, job.err = true, result.Rows, err
		job.problems = rowErrs
		job.count = failed + result.ProblemCount
		for _, p := range result.Problems {
			if len(job.problems) >= 200 {
				break
			}
			job.problems = append(job.problems, jobProblem{Row: p.Row, Column: p.Field, Key: "field." + p.Key, Args: p.Args})
		}
		slices.SortStableFunc(job.problems, func(a, b jobProblem) int { return a.Row - b.Row })
		if err == nil {
			if err := s.Reload(ctx); err != nil {
				s.deps.Logger.Error("reload after import", "err", err)
			}
		}
	}()
	snap := s.full.Load()
	res := transfer.NewResolver(snap.index)
	var in io.Reader = f
	if s.importInput != nil {
		in = s.importInput(f)
	}
	rows := func(yield func(int, partnerhub.Mobility) bool) {
		for fig, errs := range transfer.Ahead(transfer.Figures(in, job.Format, res, func(n int64) { job.done.Store(n) })) {
			if len(errs) > 0 {
				failed += len(errs)
				for _, e := range errs {
					if len(rowErrs) < 200 {
						rowErrs = append(rowErrs, jobProblem{Row: e.Row, Column: e.Column, Key: e.Key, Args: e.Args})
					}
				}
				continue
			}
			if !yield(fig.Row, fig.Mobility) {
				return
			}
		}
	}
	result, err = s.deps.Mobility.ImportMobility(ctx, u, home, rows, func() bool { return failed > 0 }, nil)
}

// jobView is a job as its page shows it.
type jobView struct {
	*importJob
	Finished bool
	Percent  int // -1 when the total is not known (a workbook's rows)
	Done     int64
	Rows     int64
	Problems []string
	Count    int
	Message  string
	OK       bool
}

func (s *Server) importProgress(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	u := v.User
	job := s.jobs.get(r.PathValue("id"))
	if job == nil || job.Owner != u.ID {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	jv := jobView{importJob: job, Percent: -1, Done: job.done.Load()}
	if job.Format == "csv" && job.Size > 0 {
		jv.Percent = int(100 * jv.Done / job.Size)
	}
	job.mu.Lock()
	jv.Finished, jv.Rows, jv.Count = job.finished, job.rows, job.count
	for _, p := range job.problems {
		line := v.P.T("import.at_row", p.Row)
		if p.Column != "" {
			line += " [" + p.Column + "]"
		}
		jv.Problems = append(jv.Problems, v.P.T("import.problem", line, v.P.T(p.Key, p.Args...)))
	}
	err := job.err
	job.mu.Unlock()
	if jv.Finished {
		jv.Percent = 100
		var e *partnerhub.Error
		switch {
		case err == nil:
			jv.OK = true
		case errors.As(err, &e) && e.Message == "error.import_rejected" && len(jv.Problems) > 0:
			// The list says it, with the count of the file's problems
			// and the store's together (the store's error counts its own).
		case errors.As(err, &e) && e.Message == "error.import_rejected":
			jv.Message = v.P.T("error.import_rejected", jv.Count)
		case errors.As(err, &e) && e.Code != partnerhub.EInternal:
			jv.Message = v.P.Error(e)
		default:
			s.deps.Logger.Error("mobility import failed", "file", job.File, "err", err)
			jv.Message = v.P.T("error.internal")
		}
	}
	return &page{Template: "mobility_import", Title: v.P.T("import.page_title"), Data: &importData{Job: &jv}}, nil
}

// mobilityTemplate downloads the XLSX template in the reader's language.
func (s *Server) mobilityTemplate(lang partnerhub.Lang) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := fmt.Sprintf("partnerhub-mobility-%s.xlsx", lang)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		if err := transfer.WriteTemplate(w, s.snap.Load().index, lang); err != nil {
			s.deps.Logger.Error("mobility template failed", "lang", string(lang), "err", err)
		}
	}
}
