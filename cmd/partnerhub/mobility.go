package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/transfer"
)

// importMobility is `partnerhub import mobility FILE`: it reads a CSV or XLSX
// file of mobility figures and adds them in one transaction, or, when any
// row is wrong, lists the problems by row and column and adds nothing.
func (a *app) importMobility(ctx context.Context, args []string) error {
	fs := a.flags("import mobility", "cli.mobility_usage")
	dbURL := a.dbFlag(fs)
	home := fs.String("home", "", a.p.T("cli.user_flag_home"))
	quiet := fs.Bool("q", false, a.p.T("cli.mobility_flag_quiet"))
	file, help, err := a.fileArg(fs, args, "cli.import_need_file")
	if help || err != nil {
		return err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	if format != "csv" && format != "xlsx" {
		return usageError{a.p.T("cli.mobility_format", file)}
	}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New(a.p.T("cli.import_no_file", file))
	}
	if err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(err)))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(err)))
	}
	if st.IsDir() {
		return errors.New(a.p.T("cli.import_read", file, a.p.T("cli.import_is_folder")))
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if *home, err = a.pickHome(ctx, db, *dbURL, *home, true); err != nil {
		return err
	}
	c, err := db.Catalog(ctx, *home)
	if err != nil {
		return a.describe(err)
	}
	res := transfer.NewResolver(partnerhub.NewIndex(c))

	// A progress line on the terminal only: bytes of a CSV, rows of a
	// workbook. Redirected to a file or a pipe, the carriage returns would
	// be noise in a log.
	start := time.Now()
	var last time.Time
	draw := !*quiet && isTerminal(a.stderr)
	drawn := false
	progress := func(done int64) {
		if !draw || time.Since(last) < 200*time.Millisecond {
			return
		}
		last, drawn = time.Now(), true
		if format == "csv" && st.Size() > 0 {
			fmt.Fprintf(a.stderr, "\r%s", a.p.T("cli.mobility_progress_bytes", 100*done/st.Size()))
		} else {
			fmt.Fprintf(a.stderr, "\r%s", a.p.T("cli.mobility_progress_rows", done))
		}
	}
	in := &readErrors{r: f} // keeps why the file could not be read, which transfer does not say
	var problems []transfer.RowError
	failed := 0
	rows := func(yield func(int, partnerhub.Mobility) bool) {
		for fig, errs := range transfer.Ahead(transfer.Figures(in, format, res, progress)) {
			if len(errs) > 0 {
				failed += len(errs)
				if len(problems) < 200 {
					problems = append(problems, errs...)
				}
				continue
			}
			if !yield(fig.Row, fig.Mobility) {
				return
			}
		}
	}
	// The command line acts for the programme office: an administrator
	// without an account, recorded in the audit log as "system".
	actor := &partnerhub.User{Email: "system", Role: partnerhub.RoleAdmin, Home: *home}
	result, err := db.ImportMobility(ctx, actor, *home, rows, func() bool { return failed > 0 }, nil)
	if drawn {
		fmt.Fprint(a.stderr, "\r\033[K") // what follows starts on a clean line
	}
	if in.err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(in.err)))
	}
	if err != nil {
		return a.importProblems(file, err, problems, failed, result)
	}
	key := "cli.mobility_done"
	if result.Rows == 1 {
		key = "cli.mobility_done_one" // English says "1 figure"; Japanese has no plural
	}
	fmt.Fprintln(a.stdout, a.p.T(key, result.Rows, file, time.Since(start).Round(time.Millisecond)))
	return nil
}

// importProblems prints what was wrong with a refused file, by row and column.
func (a *app) importProblems(file string, err error, problems []transfer.RowError, failed int, result store.ImportResult) error {
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code != partnerhub.EInvalid {
		return a.describe(err)
	}
	var b strings.Builder
	for _, p := range problems {
		// A problem of the whole file (a missing column, a damaged
		// workbook) has no row: "file: …", not "file:0: …".
		b.WriteString(file)
		if p.Row > 0 {
			fmt.Fprintf(&b, ":%d", p.Row)
		}
		if p.Column != "" {
			fmt.Fprintf(&b, " [%s]", p.Column)
		}
		fmt.Fprintf(&b, ": %s\n", a.p.T(p.Key, p.Args...))
	}
	for _, p := range result.Problems {
		b.WriteString(file)
		if p.Row > 0 {
			fmt.Fprintf(&b, ":%d", p.Row)
		}
		if p.Field != "" {
			fmt.Fprintf(&b, " [%s]", p.Field)
		}
		fmt.Fprintf(&b, ": %s\n", a.p.T("field."+p.Key, p.Args...))
	}
	fmt.Fprint(a.stderr, b.String())
	return errors.New(a.p.T("cli.mobility_refused", file, failed+result.ProblemCount))
}

// readErrors is a reader that remembers the first error other than EOF.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// isTerminal reports whether w is a terminal (a character device), where
// a progress line redrawn with carriage returns belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
