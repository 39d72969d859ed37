package web

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/transfer"
)

// Importing a mobility file in the browser: the upload is stored in the
// database and a job of the queue reads it, on whichever node takes it;
// its page, on any node, shows a progress bar until the file is in or
// refused with its problems listed by row and column.

// maxUpload bounds an uploaded file unless Deps.MaxUploadBytes says otherwise.
const maxUpload = 256 << 20

// The imports that may run at once, unless Deps says otherwise: each holds
// its file's figures in memory and takes a core to read them.
const (
	maxImportsPerUser = 1
	maxImportsPerHome = 2
)

// ImportStore keeps the imports the queue runs, their files and results
// (store.DB).
type ImportStore interface {
	RunningImports(ctx context.Context, userID int64, home string) (byUser, byHome int, err error)
	AddImportJob(ctx context.Context, j store.ImportJob, file io.Reader, perUser, perHome int, enqueue func(*sql.Tx) error) error
	ImportJobByID(ctx context.Context, id string) (store.ImportJob, error)
	ImportFile(ctx context.Context, id string) io.Reader
	SetImportProgress(ctx context.Context, id string, done int64) error
	FinishImport(ctx context.Context, id string, done int64, result string, notice *partnerhub.Notice, now time.Time) error
	UserByID(ctx context.Context, id int64) (*partnerhub.User, error)
}

// ImportArgs is the job of one import; its file and result are in the
// import_jobs table under ID.
type ImportArgs struct {
	ID     string `json:"id"`
	UserID int64  `json:"user_id"`
	Home   string `json:"home"`
}

func (ImportArgs) Kind() string { return "mobility_import" }

// InsertOpts: an import that fails for want of the database is tried
// again, but not for a day: its owner is waiting for it.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	// server is the Server of the import's home: its programme resolves
	// the file's names, and its node shows the progress.
	server func(ctx context.Context, home string) (*Server, error)
}

// Timeout: a file of hundreds of megabytes takes minutes.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return 2 * time.Hour }

func (w *importWorker) Work(ctx context.Context, j *river.Job[ImportArgs]) error {
	s, err := w.server(ctx, j.Args.Home)
	if err != nil {
		return err
	}
	return s.runImport(ctx, j.Args, j.Attempt >= j.MaxAttempts)
}

// registerJobs adds the web's workers to the queue, once for every home:
// server finds the Server of a job's home.
func registerJobs(q *jobs.Queue, server func(ctx context.Context, home string) (*Server, error)) {
	jobs.Register(q, &importWorker{server: server})
}

// localImports counts how far the imports running on this node have read,
// which their pages show between the saves of progress to the database.
type localImports struct {
	mu sync.Mutex
	m  map[string]*atomic.Int64
}

func (l *localImports) start(id string) *atomic.Int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*atomic.Int64{}
	}
	n := new(atomic.Int64)
	l.m[id] = n
	return n
}

func (l *localImports) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, id)
}

func (l *localImports) done(id string) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.m[id]
	if !ok {
		return 0, false
	}
	return n.Load(), true
}

type jobProblem struct {
	Row         int
	Column, Key string
	Args        []any
}

// importResult is what an import leaves for its page, in import_jobs.result.
type importResult struct {
	Rows     int64
	Count    int
	Problems []jobProblem
	Err      *resultError `json:",omitempty"`
}

type resultError struct {
	Code, Message string
	Args          []any
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
	if s.deps.Mobility == nil || s.deps.Imports == nil || s.deps.Jobs == nil {
		return fail(http.StatusNotFound, v.P.T("error.not_found"))
	}
	busy := func(b *store.ImportBusy) (*page, error) {
		s.logSecurity(r, "import_refused", "reason", "busy_"+b.Scope, "limit", b.Limit)
		w.Header().Set("Retry-After", "60")
		return fail(http.StatusTooManyRequests, v.P.T("import.busy_"+b.Scope, b.Limit))
	}
	// The limits are checked before the upload is read, so that a refused
	// import costs neither the disk nor the time of receiving the file,
	// and again when it is stored, where two at once cannot both pass.
	perUser, perHome := s.deps.MaxImportsPerUser, s.deps.MaxImportsPerHome
	byUser, byHome, err := s.deps.Imports.RunningImports(r.Context(), u.ID, v.Home)
	if err != nil {
		return nil, err
	}
	switch {
	case byUser >= perUser:
		return busy(&store.ImportBusy{Scope: "user", Limit: perUser})
	case byHome >= perHome:
		return busy(&store.ImportBusy{Scope: "home", Limit: perHome})
	}
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
	job := store.ImportJob{ID: rand.Text()[:16], UserID: u.ID, Home: v.Home, File: filepath.Base(hdr.Filename), Format: format,
		Size: hdr.Size, Created: time.Now()}
	err = s.deps.Imports.AddImportJob(r.Context(), job, io.LimitReader(file, hdr.Size), perUser, perHome, func(tx *sql.Tx) error {
		_, err := s.deps.Jobs.InsertTx(r.Context(), tx, ImportArgs{ID: job.ID, UserID: u.ID, Home: v.Home}, nil)
		return err
	})
	if b, ok := errors.AsType[*store.ImportBusy](err); ok {
		return busy(b)
	}
	if err != nil {
		return nil, err
	}
	http.Redirect(w, r, v.L()+"/mobility/import/"+job.ID, http.StatusSeeOther)
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

// progressEvery is how often a running import saves its progress for the
// other nodes: a node's page is at most about this far behind the node
// running the import (bench/ measures it; the issue allows a second).
const progressEvery = 250 * time.Millisecond

// runImport reads a stored upload into the store: the queue's job. An
// error the import's owner can act on (a refused file) ends it, with its
// result saved; any other error is returned for the queue to retry, and
// saved too when last is true, since no try follows.
func (s *Server) runImport(ctx context.Context, a ImportArgs, last bool) error {
	im := s.deps.Imports
	rec, err := im.ImportJobByID(ctx, a.ID)
	if partnerhub.ErrorCode(err) == partnerhub.ENotFound || err == nil && rec.Finished {
		return nil // done already, or deleted: nothing is left to do
	}
	if err != nil {
		return err
	}
	done := s.imports.start(a.ID)
	defer s.imports.end(a.ID)
	var saving sync.Mutex
	var savedAt atomic.Int64
	progress := func(n int64) {
		s.deps.Metrics.ImportRows(n - done.Swap(n))
		// Saved in the background, and one save at a time: with SQLite
		// it waits for the import's own transaction to end.
		if now := time.Now().UnixNano(); now-savedAt.Load() >= int64(progressEvery) && saving.TryLock() {
			savedAt.Store(now)
			go func() {
				defer saving.Unlock()
				if err := im.SetImportProgress(context.WithoutCancel(ctx), a.ID, done.Load()); err != nil {
					s.deps.Logger.Warn("import progress", "id", a.ID, "err", err)
				}
			}()
		}
	}
	var res importResult
	failed := 0
	var result partnerhub.ImportResult
	u, err := im.UserByID(ctx, a.UserID)
	if err == nil {
		snap := s.full.Load()
		resolver := transfer.NewResolver(snap.index)
		in := im.ImportFile(ctx, a.ID)
		if s.importInput != nil {
			in = s.importInput(ctx, in, rec.Size)
		}
		read := &readError{r: in}
		in = read
		rows := func(yield func(int, partnerhub.Mobility) bool) {
			for fig, errs := range transfer.Ahead(transfer.Figures(in, rec.Format, resolver, progress)) {
				if len(errs) > 0 {
					failed += len(errs)
					for _, e := range errs {
						if len(res.Problems) < 200 {
							res.Problems = append(res.Problems, jobProblem{Row: e.Row, Column: e.Column, Key: e.Key, Args: e.Args})
						}
					}
					continue
				}
				if !yield(fig.Row, fig.Mobility) {
					return
				}
			}
			// The file is read: the writing follows, for seconds or
			// minutes, and with SQLite a save would wait for it. The
			// last count is saved now, or the other nodes would show the
			// one saved before until the import ends.
			saving.Lock()
			defer saving.Unlock()
			if err := im.SetImportProgress(context.WithoutCancel(ctx), a.ID, done.Load()); err != nil {
				s.deps.Logger.Warn("import progress", "id", a.ID, "err", err)
			}
		}
		result, err = s.deps.Mobility.ImportMobility(ctx, u, a.Home, rows, func() bool { return failed > 0 }, nil)
		if rerr := read.first(); rerr != nil {
			// The file's bytes come from the database: failing to read
			// them is ours (or the node stopping), not the file's, and
			// worth another try, whatever the reader made of it.
			err = fmt.Errorf("reading the stored file: %w", rerr)
		}
	}
	var e *partnerhub.Error
	retry := err != nil && (!errors.As(err, &e) || e.Code == partnerhub.EInternal || e.Code == partnerhub.EUnavailable)
	if retry && !last {
		return err
	}
	res.Rows, res.Count = result.Rows, failed+result.ProblemCount
	for _, p := range result.Problems {
		if len(res.Problems) >= 200 {
			break
		}
		res.Problems = append(res.Problems, jobProblem{Row: p.Row, Column: p.Field, Key: "field." + p.Key, Args: p.Args})
	}
	slices.SortStableFunc(res.Problems, func(a, b jobProblem) int { return a.Row - b.Row })
	switch {
	case err == nil:
	case e != nil && e.Code != partnerhub.EInternal:
		res.Err = &resultError{Code: e.Code, Message: e.Message, Args: e.Args}
	default:
		s.deps.Logger.Error("mobility import failed", "file", rec.File, "err", err)
		res.Err = &resultError{Code: partnerhub.EInternal, Message: "error.internal"}
	}
	b, jerr := json.Marshal(res)
	if jerr != nil {
		return jerr
	}
	// The import's own context may be ending (a node stopping): what it
	// did must still be told.
	// Its owner is told, on their notifications page and by mail: the
	// problems of a refused file, or none when it failed on our side.
	problems := res.Count
	if res.Err != nil && res.Err.Code == partnerhub.EInternal {
		problems = 0
	}
	notice := &partnerhub.Notice{Kind: partnerhub.NoticeImport, Entity: partnerhub.EntityMobility, Key: a.ID,
		Title: partnerhub.Text{Ja: rec.File, En: rec.File}, Path: "/mobility/import/" + a.ID,
		NoticeDetails: partnerhub.NoticeDetails{OK: err == nil && res.Count == 0, Count: problems}}
	if ferr := im.FinishImport(context.WithoutCancel(ctx), a.ID, done.Load(), string(b), notice, time.Now()); ferr != nil {
		return ferr
	}
	if err == nil {
		if err := s.Reload(ctx); err != nil {
			s.deps.Logger.Error("reload after import", "err", err)
		}
	}
	if retry {
		return err // the last try failed: the queue keeps the job for administrators
	}
	return nil
}

// readError keeps the first error of a reader other than its end. The
// reader may still be read ahead in another goroutine when it is asked.
type readError struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (r *readError) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
	}
	return n, err
}

func (r *readError) first() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// jsonArgs turns the numbers of arguments read back from JSON into the
// integers they were, for messages that format them with %d.
func jsonArgs(args []any) []any {
	for i, a := range args {
		if f, ok := a.(float64); ok && f == float64(int64(f)) {
			args[i] = int64(f)
		}
	}
	return args
}

// jobView is a job as its page shows it.
type jobView struct {
	File     string
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
	if s.deps.Imports == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	job, err := s.deps.Imports.ImportJobByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if job.UserID != u.ID {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	jv := jobView{File: job.File, Percent: -1, Done: job.Done, Finished: job.Finished}
	if n, ok := s.imports.done(job.ID); ok && n > jv.Done {
		jv.Done = n
	}
	if job.Format == "csv" && job.Size > 0 {
		jv.Percent = int(100 * jv.Done / job.Size)
	}
	if !jv.Finished {
		return &page{Template: "mobility_import", Title: v.P.T("import.page_title"), Data: &importData{Job: &jv}}, nil
	}
	var res importResult
	if err := json.Unmarshal([]byte(job.Result), &res); err != nil {
		return nil, fmt.Errorf("import %s: result: %w", job.ID, err)
	}
	jv.Percent, jv.Rows, jv.Count = 100, res.Rows, res.Count
	for _, p := range res.Problems {
		line := v.P.T("import.at_row", p.Row)
		if p.Column != "" {
			line += " [" + p.Column + "]"
		}
		jv.Problems = append(jv.Problems, v.P.T("import.problem", line, v.P.T(p.Key, jsonArgs(p.Args)...)))
	}
	switch e := res.Err; {
	case e == nil:
		jv.OK = true
	case e.Message == "error.import_rejected" && len(jv.Problems) > 0:
		// The list says it, with the count of the file's problems
		// and the store's together (the store's error counts its own).
	case e.Message == "error.import_rejected":
		jv.Message = v.P.T("error.import_rejected", jv.Count)
	case e.Code != partnerhub.EInternal:
		jv.Message = v.P.Error(&partnerhub.Error{Code: e.Code, Message: e.Message, Args: jsonArgs(e.Args)})
	default:
		jv.Message = v.P.T("error.internal")
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
