package main

// backup, export and import: copies of the whole database.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"partnerhub"
	"partnerhub/store"
)

// backup runs "partnerhub backup [-db URL] FILE": a consistent copy of a
// SQLite database, taken while the server runs. For PostgreSQL it runs
// pg_dump, or, where pg_dump is not installed, prints the command.
func (a *app) backup(ctx context.Context, args []string) error {
	fs := a.flags("backup", "cli.backup_usage")
	dbURL := a.dbFlag(fs)
	file, help, err := a.fileArg(fs, args, "cli.backup_need_file")
	if help || err != nil {
		return err
	}
	if err := a.existingSQLite(*dbURL, "cli.backup_no_database"); err != nil {
		return err
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Engine() == "postgres" {
		return a.pgDump(ctx, db, file)
	}
	if err := db.Backup(ctx, file); err != nil {
		return a.describe(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.backup_done", file, fileSize(file)))
	return nil
}

// pgDump backs up a PostgreSQL database with pg_dump, a consistent
// snapshot taken while the server runs. Without pg_dump it prints the
// command to run where pg_dump is, and succeeds: that is the advice asked for.
func (a *app) pgDump(ctx context.Context, db *store.DB, file string) error {
	if err := a.checkNewFile(file); err != nil {
		return err
	}
	args, shown, password, err := db.PgDump(ctx, file)
	if err != nil {
		return a.describe(err)
	}
	prog, err := exec.LookPath("pg_dump")
	if err != nil {
		fmt.Fprintln(a.stdout, a.p.T("cli.backup_no_pg_dump", shown))
		return nil
	}
	// pg_dump creates its file with the umask's permissions; made here
	// first, 0600, the dump (password hashes and all) is its owner's alone.
	if err := createOwnerOnly(file); err != nil {
		return errors.New(a.p.T("cli.export_write", file, oneLine(err)))
	}
	cmd := exec.CommandContext(ctx, prog, args[1:]...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password) // not on the command line, which ps shows
	}
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	if err := cmd.Run(); err != nil {
		os.Remove(file) // a partial dump is no backup
		return errors.New(a.p.T("cli.backup_pg_dump_failed", shown, oneLine(err)))
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.backup_done", file, fileSize(file)))
	return nil
}

// export runs "partnerhub export [-db URL] [-format json] [-o FILE]".
func (a *app) export(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "agreements" {
		return a.exportAgreements(ctx, args[1:])
	}
	fs := a.flags("export", "cli.export_usage")
	dbURL := a.dbFlag(fs)
	format := fs.String("format", "json", a.p.T("cli.export_flag_format"))
	out := fs.String("o", "", a.p.T("cli.export_flag_o"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if *format != "json" {
		return usageError{a.p.T("cli.export_bad_format", *format)}
	}
	if *out != "" {
		if err := a.checkNewFile(*out); err != nil {
			return err
		}
	}
	if err := a.existingSQLite(*dbURL, "cli.export_no_database"); err != nil {
		return err
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if *out == "" {
		if err := db.Export(ctx, a.stdout); err != nil {
			return a.describe(err)
		}
		return nil
	}
	if err := a.writeNewFile(*out, func(w io.Writer) error { return db.Export(ctx, w) }); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.export_done", *out, fileSize(*out)))
	return nil
}

// importCmd runs "partnerhub import [-db URL] FILE" (FILE "-" is standard
// input). The database must hold no data; it is migrated first.
func (a *app) importCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "mobility" {
		return a.importMobility(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "agreements" {
		return a.importAgreements(ctx, args[1:])
	}
	fs := a.flags("import", "cli.import_usage")
	dbURL := a.dbFlag(fs)
	file, help, err := a.fileArg(fs, args, "cli.import_need_file")
	if help || err != nil {
		return err
	}
	var data []byte
	if file == "-" {
		data, err = io.ReadAll(a.stdinReader())
	} else {
		data, err = os.ReadFile(file)
	}
	if errors.Is(err, os.ErrNotExist) {
		return errors.New(a.p.T("cli.import_no_file", file))
	}
	if err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(err)))
	}
	// A SQLite file that opening creates is removed again if the import
	// fails: a refused import leaves nothing behind.
	created := a.existingSQLite(*dbURL, "cli.import_no_file") != nil
	db, err := a.open(ctx, *dbURL, true) // an import fills a new database
	if err != nil {
		return err
	}
	err = a.importInto(ctx, db, data)
	db.Close()
	if err != nil && created {
		path := strings.TrimPrefix(strings.TrimPrefix(*dbURL, "sqlite:"), "//")
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.import_done", file))
	return nil
}

// importInto checks that the database holds no data and the file is a
// valid export before it touches the schema, then migrates and imports.
func (a *app) importInto(ctx context.Context, db *store.DB, data []byte) error {
	if err := db.CheckEmpty(ctx); err != nil {
		return a.describe(err)
	}
	if err := db.CheckExport(bytes.NewReader(data)); err != nil {
		return a.describeImport(err)
	}
	if err := db.Migrate(ctx); err != nil {
		return a.describe(err)
	}
	if err := db.Import(ctx, bytes.NewReader(data)); err != nil {
		return a.describeImport(err)
	}
	return nil
}

// fileArg parses flags and the one FILE argument, which may come before or
// after the flags.
func (a *app) fileArg(fs *flag.FlagSet, args []string, missingKey string) (file string, help bool, err error) {
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			help, err := a.reparse(fs, rest)
			return "", help, err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch len(files) {
	case 0:
		return "", false, usageError{a.p.T(missingKey)}
	case 1:
		return files[0], false, nil
	}
	return "", false, usageError{a.p.T("cli.extra_args", strings.Join(files[1:], " "))}
}

// reparse lets parse print the help or report the bad flag, as for every
// other command.
func (a *app) reparse(fs *flag.FlagSet, args []string) (bool, error) {
	help, err := a.parse(fs, args)
	if !help && err == nil {
		err = usageError{a.p.T("cli.bad_flag", "?", fs.Name())}
	}
	return help, err
}

// existingSQLite refuses a SQLite database file that does not exist, which
// opening would create, empty.
func (a *app) existingSQLite(dbURL, key string) error {
	path, ok := strings.CutPrefix(dbURL, "sqlite:")
	if !ok {
		return nil
	}
	path = strings.TrimPrefix(path, "//")
	if path == "" || strings.Contains(path, ":memory:") {
		return nil // store.Open explains
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return errors.New(a.p.T(key, path))
	}
	return nil
}

// checkNewFile refuses a path whose folder does not exist or that exists:
// an export never overwrites a file.
func (a *app) checkNewFile(path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return errors.New(a.p.T("cli.export_folder", dir))
	}
	if _, err := os.Lstat(path); err == nil {
		return errors.New(a.p.T("cli.export_file_exists", path))
	}
	return nil
}

// writeNewFile writes a file under a temporary name next to path and gives
// it its name only when complete, never replacing a file. It is readable by
// its owner only: an export holds password hashes.
func (a *app) writeNewFile(path string, write func(io.Writer) error) error {
	if err := a.checkNewFile(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return errors.New(a.p.T("cli.export_write", path, oneLine(err)))
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil { // CreateTemp's 0600, whatever the umask
		f.Close()
		return errors.New(a.p.T("cli.export_write", path, oneLine(err)))
	}
	if err := write(f); err != nil {
		f.Close()
		return a.describe(err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return errors.New(a.p.T("cli.export_write", path, oneLine(err)))
	}
	if err := os.Link(tmp, path); err != nil {
		if _, serr := os.Lstat(path); serr == nil {
			return errors.New(a.p.T("cli.export_file_exists", path))
		}
		if err := os.Rename(tmp, path); err != nil { // a file system without links
			return errors.New(a.p.T("cli.export_write", path, oneLine(err)))
		}
	}
	return nil
}

// createOwnerOnly creates an empty file readable and writable by its owner
// only, whatever the umask, and refuses a file that exists.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return errors.Join(f.Chmod(0o600), f.Close())
}

// describeImport is describe with the problems of an import, the first few
// of them, on the same line.
func (a *app) describeImport(err error) error {
	var e *partnerhub.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return a.describe(err)
	}
	const shown = 10
	fields := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, naturalCompare)
	total := len(fields)
	if len(e.Args) > 0 {
		if n, ok := e.Args[0].(int); ok && n > total {
			total = n
		}
	}
	var parts []string
	for _, f := range fields[:min(shown, len(fields))] {
		parts = append(parts, f+": "+a.p.Field(e.Fields[f]))
	}
	msg := a.p.Error(e) + " " + strings.Join(parts, " ")
	if more := total - len(parts); more > 0 {
		msg += " " + a.p.T("cli.import_more", more)
	}
	return errors.New(msg)
}

// naturalCompare orders field paths with their numbers as numbers:
// rows[2] before rows[10].
func naturalCompare(x, y string) int {
	for x != "" && y != "" {
		dx, dy := digitsPrefix(x), digitsPrefix(y)
		if dx > 0 && dy > 0 {
			nx, ny := strings.TrimLeft(x[:dx], "0"), strings.TrimLeft(y[:dy], "0")
			if c := len(nx) - len(ny); c != 0 {
				return c
			}
			if c := strings.Compare(nx, ny); c != 0 {
				return c
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		if x[0] != y[0] {
			return int(x[0]) - int(y[0])
		}
		x, y = x[1:], y[1:]
	}
	return len(x) - len(y)
}

func digitsPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// fileSize is a file's size for people: 12 KB, 3.4 MB.
func fileSize(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	n := float64(st.Size())
	for _, unit := range []string{"B", "KB", "MB", "GB"} {
		if n < 1024 || unit == "GB" {
			if unit == "B" {
				return fmt.Sprintf("%d %s", st.Size(), unit)
			}
			return fmt.Sprintf("%.1f %s", n, unit)
		}
		n /= 1024
	}
	return ""
}
