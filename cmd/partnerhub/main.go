// Command partnerhub runs a university's strategic-partnership programme:
// the registry, its JSON API and (soon) the public portal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/mail"
	"partnerhub/store"
	"partnerhub/web"
	"partnerhub/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "partnerhub:", err)
		}
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errReported is an error whose message run has already printed.
var errReported = errors.New("reported")

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// app is what every command shares.
type app struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	msgs           *i18n.Catalogs
	p              *i18n.Printer
	usageKey       map[*flag.FlagSet]string
	stdin          io.Reader // where user reads -password-stdin; nil: os.Stdin
}

// run is the whole program, testable: it takes its arguments, environment
// and output streams, and returns when ctx is done or the command ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	msgs, err := i18n.Load()
	if err != nil {
		return err
	}
	a := &app{getenv: getenv, stdout: stdout, stderr: stderr, msgs: msgs, usageKey: map[*flag.FlagSet]string{}}
	a.p = msgs.Printer(cliLang(getenv))
	if len(args) == 0 {
		return usageError{a.p.T("cli.no_command")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, a.p.T("cli.usage"))
		return nil
	case "serve":
		return a.serve(ctx, args[1:])
	case "migrate":
		return a.migrate(ctx, args[1:])
	case "user":
		return a.user(ctx, args[1:])
	case "home":
		return a.home(ctx, args[1:])
	case "backup":
		return a.backup(ctx, args[1:])
	case "export":
		return a.export(ctx, args[1:])
	case "import":
		return a.importCmd(ctx, args[1:])
	case "report":
		return a.reportCmd(ctx, args[1:])
	case "search":
		return a.search(ctx, args[1:])
	}
	return usageError{a.p.T("cli.unknown_command", args[0])}
}

// cliLang picks the terminal's language from the POSIX locale variables.
func cliLang(getenv func(string) string) partnerhub.Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(v, "ja") {
				return partnerhub.Japanese
			}
			return partnerhub.English
		}
	}
	return partnerhub.English
}

// flags builds a command's flag set; parse reports -h and bad flags.
func (a *app) flags(name, usageKey string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every error; parse prints help itself
	a.usageKey[fs] = usageKey
	return fs
}

func (a *app) parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(a.stdout, a.p.T(a.usageKey[fs]))
			fs.SetOutput(a.stdout)
			fs.PrintDefaults()
			return true, nil
		}
		return false, usageError{a.p.T("cli.bad_flag", err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return false, usageError{a.p.T("cli.extra_args", strings.Join(fs.Args(), " "))}
	}
	return false, nil
}

func (a *app) dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", or(a.getenv("PARTNERHUB_DB"), "sqlite:partnerhub.db"), a.p.T("cli.flag_db"))
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// describe renders an error for the terminal in the user's language,
// keeping the low-level cause that helps fix it.
func (a *app) describe(err error) error {
	var e *partnerhub.Error
	if errors.As(err, &e) {
		msg := a.p.Error(e)
		if e.Err != nil {
			// Drivers print multi-line causes; the terminal gets one line.
			msg += " (" + strings.Join(strings.Fields(e.Err.Error()), " ") + ")"
		}
		return errors.New(msg)
	}
	var de *dataset.Error
	if errors.As(err, &de) {
		var b strings.Builder
		b.WriteString(a.p.T("error.dataset_invalid"))
		for _, pr := range de.Problems {
			fmt.Fprintf(&b, "\n  %s:%d: ", pr.File, pr.Line)
			if pr.Text != "" {
				b.WriteString(pr.Text)
			} else {
				b.WriteString(pr.Field + ": " + a.p.Field(partnerhub.FieldError{Key: pr.Key, Args: pr.Args}))
			}
		}
		return errors.New(b.String())
	}
	return err
}

func (a *app) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(a.stderr, nil))
}

// open connects to the database. Only serve, migrate and import (of a
// whole export) may make a new SQLite file: for any other command a path
// that does not exist is a typing mistake, which opening would turn into a
// new, empty database.
func (a *app) open(ctx context.Context, dbURL string, create bool) (*store.DB, error) {
	if !create {
		if err := a.existingSQLite(dbURL, "cli.db_no_file"); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, a.describeDB(dbURL, err)
	}
	a.useMail(db, "")
	return db, nil
}

// describeDB is describe for an error of the database as a whole: one that
// cannot be written to is called read-only, with its path, rather than
// unreachable (SQLite's first write, the journal mode, fails on opening).
func (a *app) describeDB(dbURL string, err error) error {
	if readOnly(err) {
		return errors.New(a.p.T("cli.db_read_only", shownDB(dbURL)))
	}
	return a.describe(err)
}

// readOnly reports an error that says the database refuses writes: SQLite's
// SQLITE_READONLY, PostgreSQL's read_only_sql_transaction (a replica, or
// default_transaction_read_only), or a read-only file system.
func readOnly(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "25006" {
		return true
	}
	var se interface{ Code() int }
	if errors.As(err, &se) && se.Code()&0xff == 8 { // SQLITE_READONLY and its extended codes
		return true
	}
	return errors.Is(err, syscall.EROFS) || strings.Contains(err.Error(), "readonly database")
}

// shownDB names a database for a message: a SQLite file by its path, a
// PostgreSQL URL without its password.
func shownDB(dbURL string) string {
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		return strings.TrimPrefix(path, "//")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func (a *app) migrate(ctx context.Context, args []string) error {
	fs := a.flags("migrate", "cli.usage_migrate")
	dbURL := a.dbFlag(fs)
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	db, err := a.open(ctx, *dbURL, true)
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.SchemaVersion(ctx)
	if err != nil {
		return a.describeDB(*dbURL, err)
	}
	if err := db.Migrate(ctx); err != nil {
		return a.describeDB(*dbURL, err)
	}
	after, err := db.SchemaVersion(ctx)
	if err != nil {
		return a.describeDB(*dbURL, err)
	}
	// Say what was done: an operator running it before an upgrade wants to
	// know whether anything changed.
	switch {
	case before == after:
		fmt.Fprintln(a.stdout, a.p.T("cli.migrate_current", after))
	case before == 0:
		fmt.Fprintln(a.stdout, a.p.T("cli.migrate_created", after))
	default:
		fmt.Fprintln(a.stdout, a.p.T("cli.migrate_upgraded", before, after))
	}
	return nil
}

func (a *app) serve(ctx context.Context, args []string) error {
	fs := a.flags("serve", "cli.usage_serve")
	flags := a.configFlags(fs)
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := flags.build(a.p)
	if err != nil {
		return err
	}
	log := a.logger()
	db, err := a.open(ctx, cfg.DB, true)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetPool(cfg.DBMaxOpen, cfg.DBMaxIdle)
	if err := db.Migrate(ctx); err != nil {
		return a.describeDB(cfg.DB, err)
	}
	homes, err := db.Homes(ctx)
	if err != nil {
		return a.describe(err)
	}
	if len(homes) == 0 {
		c, err := dataset.Builtin()
		if err != nil {
			return a.describe(err)
		}
		if err := db.ImportCatalog(ctx, c); err != nil {
			return a.describe(err)
		}
		homes = []string{c.Home.Slug}
		log.Info("loaded the built-in data", "home", c.Home.Slug, "partners", len(c.Partners))
	}
	if cfg.Home == "" {
		cfg.Home = homes[0]
	}
	// Listen first: without -base-url the site's address is the one
	// listened on, which -addr :0 leaves to the system.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseFromListener(ln.Addr())
	}
	// Metrics, when asked for, on an address of their own.
	met, mhs, mln, err := newMetrics(cfg, db, log)
	if err != nil {
		ln.Close()
		return err
	}
	if mln != nil {
		defer mln.Close()
	}
	// The job queue: its workers are registered here (jobs.Builtin) and
	// by NewServer (the web's), before it starts.
	queue, err := jobs.New(db, jobs.Config{Logger: log, ID: nodeID(ln.Addr())})
	if err != nil {
		ln.Close()
		return err
	}
	jobs.Builtin(queue, db, log)
	jobs.Mail(queue, &mail.Sender{Outbox: db, SMTP: cfg.SMTP, From: cfg.MailFrom}, mailInterval, log)
	jobs.Notices(queue, db, jobs.DigestSchedule, cfg.ReminderDays, log)
	jobs.ReportReminders(queue, db, log)
	jobs.NetworkEvents(queue, db, 0, nil, log)
	hooks := jobs.RegisterWebhooks(queue, db, jobs.WebhookConfig{Guard: webhook.Guard{Allow: cfg.WebhookAllow}, Logger: log})
	a.useMail(db, cfg.BaseURL)
	// Mail links to each member's portal; cfg.Home, when named, is at the root.
	db.SetMailRoot(cfg.Home)
	// SAML single sign-on (-sso-config's "saml"): the service provider,
	// its identity providers read now and refreshed until ctx ends.
	samlSP, err := startSAML(ctx, cfg.SSO, cfg.BaseURL, log)
	if err != nil {
		ln.Close()
		return err
	}
	// Every member of the deployment is served: the first at the root,
	// the others at /{slug}/ (a single university is the first only).
	srv, err := web.NewDeployment(ctx, web.Deps{Source: db, Home: cfg.Home, ContentHome: dataset.BuiltinHome, Messages: a.msgs, Logger: log, Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, Calendars: db, Chains: db,
		Mail: db, MailServer: mailServer(cfg), Notices: db,
		BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, SessionTTL: cfg.SessionLifetime, SessionIdle: cfg.SessionIdle,
		MFARequired:  cfg.MFARequired,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes, MaxDocumentBytes: cfg.MaxDocumentBytes, Documents: db, Funds: db, Invitations: db, ProposalFiles: db, Decisions: db, Reviews: db, FundPeople: db, Members: db,
		// The network: its good-practice notes.
		Notes: db,
		// The network: who partners with whom, its map, matrix and statistics.
		Network: db,
		// The network: its events and their registrations.
		NetworkEvents: db,
		// The network administrator's members pages and onboarding.
		MemberAdmin: db,
		// Search: the page, its API and the box on every page.
		Search: db,
		// Webhooks: the administrators' subscriptions.
		Webhooks: hooks,
		// Single sign-on: its configuration, and who it admits.
		SSO: cfg.SSO, Federation: db, SAML: samlSP, SAMLReplay: db,
		MaxImportsPerUser: cfg.MaxImportsPerUser, MaxImportsPerHome: cfg.MaxImportsPerHome,
		Jobs: queue, Imports: db, Metrics: met}, db, cfg.MaxLoadedHomes)
	if err != nil {
		ln.Close()
		return a.describe(err)
	}
	// The queue outlives ctx by the shutdown below: a job is given the
	// shutdown's time to end, then cancelled and left for another node.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "base_url", cfg.BaseURL, "db", db.Engine(), "home", srv.First().Home())
	logMail(log, cfg)
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if mhs != nil {
		go func() { errc <- mhs.Serve(mln) }()
		defer func() {
			stop, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
			defer cancel()
			mhs.Shutdown(stop)
		}()
	}
	// Edits made on other app nodes: told as they commit on PostgreSQL
	// (the store listens; Watch finds it in Deps.Editor), polled every
	// -reload-interval as well, and only so on SQLite.
	go srv.Watch(ctx, cfg.ReloadInterval)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Finish the requests in flight, then stop.
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(shutdown)
	if qerr := queue.Stop(shutdown); qerr != nil {
		log.Warn("job queue stop", "err", qerr)
	}
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
