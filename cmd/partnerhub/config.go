package main

// The configuration of serve: every setting in one place, from flags and
// the environment, checked before anything starts.

import (
	"errors"
	"flag"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/sso"
	"partnerhub/web"
	"partnerhub/webhook"
)

// Config is what serve runs with. Each setting has a flag and an
// environment variable, PARTNERHUB_ and the flag's name in capitals with
// "_" for "-" (-read-timeout: PARTNERHUB_READ_TIMEOUT); a flag on the
// command line wins over the variable, which wins over the default.
type Config struct {
	Addr string // address to listen on
	DB   string // database URL
	Home string // home institution served; "": the first

	// BaseURL is the site's public scheme://host[:port]: canonical,
	// hreflang and Open Graph links are made from it. "": derived from the
	// address actually listened on.
	BaseURL string
	// MetricsAddr is where /metrics is served, apart from the site so
	// that it is never public by accident; "": nowhere.
	MetricsAddr string
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; empty: none.
	TrustedProxies []netip.Prefix

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration // to finish the requests in flight on SIGTERM
	ReloadInterval    time.Duration // how often to look for other nodes' edits

	MaxBodyBytes   int64 // a JSON request body
	MaxUploadBytes int64 // an uploaded mobility file
	// MaxDocumentBytes bounds an agreement's document uploaded
	MaxDocumentBytes int64
	// mobility imports running at once: of one user, of the home institution
	MaxImportsPerUser, MaxImportsPerHome int
	// MaxLoadedHomes is how many members' programmes stay in memory
	// besides the first's, in a deployment of several.
	MaxLoadedHomes  int
	SessionLifetime time.Duration // how long a sign-in lasts
	SessionIdle     time.Duration // how long a sign-in lasts unused
	// MFARequired says who must enrol a second factor: everyone (ASVS
	// level 2), or administrators only.
	MFARequired partnerhub.MFARequired
	// ReminderDays are the days before an agreement's expiry on which its
	// coordinators and the office are reminded, largest first.
	ReminderDays []int

	DBMaxOpen, DBMaxIdle int // connection pool; 0: the engine's default

	// SMTP is where mail is handed over; nil: mail waits in the outbox.
	// Its password is never printed (mail.SMTP.String leaves it out).
	SMTP     *mail.SMTP
	MailFrom *netmail.Address // the sender of mail; required with SMTP

	// WebhookAllow are the private or special ranges webhook deliveries
	// may go to after all; empty: public addresses only.
	WebhookAllow []netip.Prefix
	// SSO is single sign-on's configuration, read from the file of
	// -sso-config; nil: none.
	SSO *sso.Config
}

// A setting's flag name, default and help key. The defaults are the values
// partnerhub used before they could be set.
var settings = []struct{ name, def, help string }{
	{"base-url", "", "cli.flag_base_url"},
	{"trusted-proxies", "none", "cli.flag_trusted_proxies"},
	{"metrics-addr", "", "cli.flag_metrics_addr"},
	{"read-header-timeout", "5s", "cli.flag_read_header_timeout"},
	{"read-timeout", "30s", "cli.flag_read_timeout"},
	{"write-timeout", "60s", "cli.flag_write_timeout"},
	{"idle-timeout", "120s", "cli.flag_idle_timeout"},
	{"shutdown-timeout", "10s", "cli.flag_shutdown_timeout"},
	{"reload-interval", "2s", "cli.flag_reload_interval"},
	{"max-body", "1MiB", "cli.flag_max_body"},
	{"max-upload", "256MiB", "cli.flag_max_upload"},
	{"max-document", "20MiB", "cli.flag_max_document"},
	{"max-imports-per-user", "1", "cli.flag_max_imports_per_user"},
	{"max-imports-per-home", "2", "cli.flag_max_imports_per_home"},
	{"max-loaded-homes", strconv.Itoa(web.DefaultMaxLoaded), "cli.flag_max_loaded_homes"},
	{"session-lifetime", "12h", "cli.flag_session_lifetime"},
	{"session-idle", "30m", "cli.flag_session_idle"},
	{"mfa-required", "everyone", "cli.flag_mfa_required"},
	{"reminder-days", "180,90,30", "cli.flag_reminder_days"},
	{"db-max-open", "0", "cli.flag_db_max_open"},
	{"db-max-idle", "0", "cli.flag_db_max_idle"},
	{"smtp", "", "cli.flag_smtp"},
	{"mail-from", "", "cli.flag_mail_from"},
	{"webhook-allow", "none", "cli.flag_webhook_allow"},
	{"sso-config", "", "cli.flag_sso_config"},
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "PARTNERHUB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// configFlags are serve's flags, as typed, until build checks them.
type configFlags struct {
	fs             *flag.FlagSet
	getenv         func(string) string
	addr, db, home *string
	raw            map[string]*string
}

func (a *app) configFlags(fs *flag.FlagSet) *configFlags {
	c := &configFlags{fs: fs, getenv: a.getenv, raw: map[string]*string{}}
	c.addr = fs.String("addr", or(a.getenv("PARTNERHUB_ADDR"), "127.0.0.1:8080"), a.p.T("cli.flag_addr"))
	c.db = a.dbFlag(fs)
	c.home = fs.String("home", a.getenv("PARTNERHUB_HOME"), a.p.T("cli.flag_home"))
	for _, s := range settings {
		c.raw[s.name] = fs.String(s.name, s.def, a.p.T(s.help)+" "+a.p.T("cli.flag_env", envName(s.name)))
	}
	return c
}

// value is a setting as given, and where it came from, for messages:
// the flag, else its environment variable, else the default (named by the
// flag).
func (c *configFlags) value(name string) (v, source string) {
	set := false
	c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		if env := c.getenv(envName(name)); env != "" {
			return env, envName(name)
		}
	}
	return *c.raw[name], "-" + name
}

// build checks every setting and returns the configuration, or one line
// naming the flag (or variable) that is wrong and why.
func (c *configFlags) build(p *i18n.Printer) (Config, error) {
	cfg := Config{Addr: *c.addr, DB: *c.db, Home: *c.home}
	var err error
	bad := func(v, source, why string) {
		if err == nil {
			err = usageError{p.T("cli.config_bad", source, v, p.T(why))}
		}
	}
	duration := func(name string, min time.Duration) time.Duration {
		v, source := c.value(name)
		d, perr := time.ParseDuration(strings.TrimSpace(v))
		if perr != nil || d < min {
			bad(v, source, "cli.config_want_duration")
		}
		return d
	}
	size := func(name string) int64 {
		v, source := c.value(name)
		n, ok := parseSize(v)
		if !ok || n <= 0 {
			bad(v, source, "cli.config_want_size")
		}
		return n
	}
	count := func(name string) int {
		v, source := c.value(name)
		n, perr := strconv.Atoi(strings.TrimSpace(v))
		if perr != nil || n < 0 {
			bad(v, source, "cli.config_want_count")
		}
		return n
	}

	if _, _, serr := net.SplitHostPort(cfg.Addr); serr != nil {
		bad(cfg.Addr, "-addr", "cli.config_want_addr")
	}
	if v, source := c.value("base-url"); v != "" {
		if cfg.BaseURL = baseURL(v); cfg.BaseURL == "" {
			bad(v, source, "cli.config_want_base_url")
		}
	}
	if v, source := c.value("metrics-addr"); v != "" {
		if _, _, serr := net.SplitHostPort(v); serr != nil {
			bad(v, source, "cli.config_want_addr")
		}
		cfg.MetricsAddr = v
	}
	if v, source := c.value("trusted-proxies"); v != "" && v != "none" {
		for f := range strings.SplitSeq(v, ",") {
			pr, ok := parseProxy(strings.TrimSpace(f))
			if !ok {
				bad(v, source, "cli.config_want_proxies")
				break
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, pr)
		}
	}
	// A zero timeout would mean none at all: a slow client could hold a
	// connection for ever.
	cfg.ReadHeaderTimeout = duration("read-header-timeout", time.Millisecond)
	cfg.ReadTimeout = duration("read-timeout", time.Millisecond)
	cfg.WriteTimeout = duration("write-timeout", time.Millisecond)
	cfg.IdleTimeout = duration("idle-timeout", time.Millisecond)
	cfg.ShutdownTimeout = duration("shutdown-timeout", 0)
	cfg.ReloadInterval = duration("reload-interval", 100*time.Millisecond)
	cfg.SessionLifetime = duration("session-lifetime", time.Minute)
	cfg.SessionIdle = duration("session-idle", time.Minute)
	{
		v, source := c.value("mfa-required")
		m, ok := partnerhub.ParseMFARequired(strings.TrimSpace(v))
		if !ok {
			bad(v, source, "cli.config_want_mfa_required")
		}
		cfg.MFARequired = m
	}
	{
		v, source := c.value("reminder-days")
		var days []int
		for f := range strings.SplitSeq(v, ",") {
			n, perr := strconv.Atoi(strings.TrimSpace(f))
			if perr != nil {
				days = nil
				break
			}
			days = append(days, n)
		}
		var verr error
		if cfg.ReminderDays, verr = partnerhub.ValidateReminderDays(days); verr != nil {
			bad(v, source, "cli.config_want_reminder_days")
		}
	}
	cfg.MaxBodyBytes = size("max-body")
	cfg.MaxUploadBytes = size("max-upload")
	cfg.MaxDocumentBytes = size("max-document")
	// Zero would refuse every import; no limit is not offered.
	positive := func(name string) int {
		v, source := c.value(name)
		n, perr := strconv.Atoi(strings.TrimSpace(v))
		if perr != nil || n < 1 {
			bad(v, source, "cli.config_want_positive")
		}
		return n
	}
	cfg.MaxImportsPerUser = positive("max-imports-per-user")
	cfg.MaxImportsPerHome = positive("max-imports-per-home")
	cfg.MaxLoadedHomes = positive("max-loaded-homes")
	cfg.DBMaxOpen = count("db-max-open")
	cfg.DBMaxIdle = count("db-max-idle")
	if v, source := c.value("webhook-allow"); v != "" {
		var werr error
		if cfg.WebhookAllow, werr = webhook.ParseAllow(v); werr != nil {
			bad(v, source, "cli.config_want_webhook_allow")
		}
	}
	c.buildMail(p, &cfg, &err)
	c.buildSSO(p, &cfg, &err)
	if err == nil && cfg.DBMaxOpen > 0 && cfg.DBMaxIdle > cfg.DBMaxOpen {
		err = usageError{p.T("cli.config_idle_over_open", cfg.DBMaxIdle, cfg.DBMaxOpen)}
	}
	return cfg, err
}

// baseURL returns the public URL v without a trailing slash, or "" when it
// is not an http(s) URL of a host alone: the pages link to /en/… from the
// root, so a path would be lost.
func baseURL(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// baseFromListener is the base URL of a server that was given none: the
// address it listens on, with "localhost" for every interface.
func baseFromListener(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseProxy reads a CIDR range, or one address as a range of one.
func parseProxy(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// parseSize reads a size in bytes: 1048576, 64KiB, 1MiB, 2GiB (KB, MB and
// GB are the same powers of 1,024).
func parseSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	shift := map[string]uint{"": 0, "b": 0, "kb": 10, "kib": 10, "k": 10, "mb": 20, "mib": 20, "m": 20, "gb": 30, "gib": 30, "g": 30}
	sh, ok := shift[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok || n > (1<<62)>>sh {
		return 0, false
	}
	return n << sh, true
}

// buildMail reads -smtp and -mail-from into cfg, or sets *err (if not set
// yet). A bad -smtp is described without its value, which may hold a
// password.
func (c *configFlags) buildMail(p *i18n.Printer, cfg *Config, err *error) {
	fail := func(e error) {
		if *err == nil {
			*err = e
		}
	}
	why := func(e error) string {
		if ce, ok := e.(*mail.ConfigError); ok {
			return p.T(ce.Key, ce.Arg)
		}
		return e.Error()
	}
	if v, source := c.value("smtp"); strings.TrimSpace(v) != "" {
		s, perr := mail.ParseSMTP(strings.TrimSpace(v))
		if perr != nil {
			fail(usageError{p.T("cli.mail_smtp_bad", source, why(perr))})
		}
		cfg.SMTP = s
	}
	if v, source := c.value("mail-from"); strings.TrimSpace(v) != "" {
		a, perr := mail.ParseFrom(strings.TrimSpace(v))
		if perr != nil {
			fail(usageError{p.T("cli.mail_from_bad", source, why(perr))})
		}
		cfg.MailFrom = a
	}
	if cfg.SMTP != nil && cfg.MailFrom == nil {
		fail(usageError{p.T("cli.mail_from_missing")})
	}
}

// buildSSO reads the file of -sso-config into cfg, or sets *err (if not
// set yet): a file that cannot be read, is not JSON, or names a field no
// protocol knows stops serve, naming the file.
func (c *configFlags) buildSSO(p *i18n.Printer, cfg *Config, err *error) {
	path, source := c.value("sso-config")
	if path == "" || *err != nil {
		return
	}
	f, oerr := os.Open(path)
	if oerr != nil {
		*err = usageError{p.T("cli.config_sso_read", source, path, oerr.Error())}
		return
	}
	defer f.Close()
	conf, rerr := sso.ReadConfig(f)
	var unknown *sso.UnknownFieldError
	switch {
	case errors.As(rerr, &unknown):
		*err = usageError{p.T("cli.config_sso_unknown", source, path, unknown.Field)}
	case rerr != nil:
		*err = usageError{p.T("cli.config_sso_json", source, path, rerr.Error())}
	default:
		cfg.SSO = conf
	}
}
