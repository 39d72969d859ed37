package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// buildConfig parses serve's flags as serve does and builds the Config.
func buildConfig(t *testing.T, getenv func(string) string, args ...string) (Config, error) {
	t.Helper()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := &app{getenv: getenv, stdout: io.Discard, stderr: io.Discard, msgs: msgs, usageKey: map[*flag.FlagSet]string{}}
	a.p = msgs.Printer(cliLang(getenv))
	fs := a.flags("serve", "cli.usage_serve")
	flags := a.configFlags(fs)
	if _, err := a.parse(fs, args); err != nil {
		return Config{}, err
	}
	return flags.build(a.p)
}

// The defaults are the values partnerhub had before they could be set; the
// environment sets them, and a flag wins over the environment.
func TestConfigDefaultsEnvironmentAndFlags(t *testing.T) {
	cfg, err := buildConfig(t, env())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:8080", DB: "sqlite:partnerhub.db",
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 10 * time.Second, ReloadInterval: 2 * time.Second,
		MaxBodyBytes: 1 << 20, MaxUploadBytes: 256 << 20, MaxDocumentBytes: 20 << 20, SessionLifetime: 12 * time.Hour, SessionIdle: 30 * time.Minute,
		MaxImportsPerUser: 1, MaxImportsPerHome: 2, MaxLoadedHomes: web.DefaultMaxLoaded, MFARequired: partnerhub.MFAEveryone, ReminderDays: []int{180, 90, 30}}
	gotProxies := cfg.TrustedProxies
	cfg.TrustedProxies = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	// No proxy is trusted unless named: a client on a private network
	// could otherwise forge X-Forwarded-For and escape throttling.
	if len(gotProxies) != 0 {
		t.Fatalf("default trusted proxies %v, want none", gotProxies)
	}

	cfg, err = buildConfig(t, env("PARTNERHUB_BASE_URL", "https://partners.example.ac.jp/", "PARTNERHUB_READ_TIMEOUT", "45s",
		"PARTNERHUB_MAX_UPLOAD", "64MiB", "PARTNERHUB_TRUSTED_PROXIES", "none", "PARTNERHUB_DB_MAX_OPEN", "8"),
		"-read-timeout", "50s", "-session-lifetime", "30m", "-db-max-idle", "2", "-home", "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://partners.example.ac.jp" || cfg.ReadTimeout != 50*time.Second || cfg.MaxUploadBytes != 64<<20 ||
		cfg.TrustedProxies != nil || cfg.DBMaxOpen != 8 || cfg.DBMaxIdle != 2 || cfg.SessionLifetime != 30*time.Minute || cfg.Home != "utokyo" {
		t.Fatalf("env and flags: %+v", cfg)
	}
	// The largest document of an agreement: the flag wins over the environment.
	cfg, err = buildConfig(t, env("PARTNERHUB_MAX_DOCUMENT", "1MiB"), "-max-document", "5MiB")
	if err != nil || cfg.MaxDocumentBytes != 5<<20 {
		t.Fatalf("-max-document: %+v %v", cfg, err)
	}
	if cfg, err = buildConfig(t, env("PARTNERHUB_MAX_DOCUMENT", "512KiB")); err != nil || cfg.MaxDocumentBytes != 512<<10 {
		t.Fatalf("PARTNERHUB_MAX_DOCUMENT: %+v %v", cfg, err)
	}
	cfg, err = buildConfig(t, env("PARTNERHUB_MAX_IMPORTS_PER_HOME", "4"), "-max-imports-per-user", "2")
	if err != nil || cfg.MaxImportsPerUser != 2 || cfg.MaxImportsPerHome != 4 {
		t.Fatalf("import limits: %+v %v", cfg, err)
	}
	// Administrators only, for single sign-on with the identity provider's
	// own second factor; the flag wins over the environment.
	cfg, err = buildConfig(t, env("PARTNERHUB_MFA_REQUIRED", "admins"))
	if err != nil || cfg.MFARequired != partnerhub.MFAAdmins {
		t.Fatalf("mfa-required from the environment: %v %v", cfg.MFARequired, err)
	}
	cfg, err = buildConfig(t, env("PARTNERHUB_MFA_REQUIRED", "admins"), "-mfa-required", "everyone")
	if err != nil || cfg.MFARequired != partnerhub.MFAEveryone {
		t.Fatalf("-mfa-required: %v %v", cfg.MFARequired, err)
	}
	cfg, err = buildConfig(t, env("PARTNERHUB_REMINDER_DAYS", "7"), "-reminder-days", " 14, 60 ,1")
	if err != nil || !slices.Equal(cfg.ReminderDays, []int{60, 14, 1}) {
		t.Fatalf("-reminder-days: %v %v", cfg.ReminderDays, err)
	}
	cfg, err = buildConfig(t, env(), "-trusted-proxies", "10.1.0.0/16, 192.0.2.7")
	if err != nil || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1].String() != "192.0.2.7/32" {
		t.Fatalf("proxies %v %v", cfg.TrustedProxies, err)
	}
}

// A wrong setting stops serve before anything starts, with one line naming
// the flag or the variable it came from, in the user's language.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(string) string
		args []string
		want string
	}{
		{"duration", env(), []string{"-read-timeout", "soon"}, "-read-timeout “soon”: give a duration"},
		{"zero timeout", env(), []string{"-write-timeout", "0s"}, "-write-timeout “0s”"},
		{"duration from the environment", env("PARTNERHUB_IDLE_TIMEOUT", "2 minutes"), nil, "PARTNERHUB_IDLE_TIMEOUT “2 minutes”"},
		{"size", env(), []string{"-max-upload", "lots"}, "-max-upload “lots”: give a size"},
		{"negative size", env(), []string{"-max-body", "-1"}, "-max-body “-1”"},
		{"base URL with a path", env(), []string{"-base-url", "https://example.ac.jp/partners"}, "-base-url “https://example.ac.jp/partners”"},
		{"base URL without scheme", env(), []string{"-base-url", "example.ac.jp"}, "-base-url"},
		{"base URL of another scheme", env("PARTNERHUB_BASE_URL", "ftp://example.ac.jp"), nil, "PARTNERHUB_BASE_URL"},
		{"proxy", env(), []string{"-trusted-proxies", "10.0.0.0/33"}, "-trusted-proxies “10.0.0.0/33”"},
		{"count", env(), []string{"-db-max-open", "many"}, "-db-max-open “many”"},
		{"no imports at all", env(), []string{"-max-imports-per-user", "0"}, "-max-imports-per-user “0”: give a whole number, 1 or more"},
		{"imports per home", env("PARTNERHUB_MAX_IMPORTS_PER_HOME", "two"), nil, "PARTNERHUB_MAX_IMPORTS_PER_HOME “two”"},
		{"idle over open", env(), []string{"-db-max-open", "2", "-db-max-idle", "5"}, "-db-max-idle 5 is more than -db-max-open 2"},
		{"address", env(), []string{"-addr", "8080"}, "-addr “8080”"},
		{"mfa-required", env("PARTNERHUB_MFA_REQUIRED", "nobody"), nil, "PARTNERHUB_MFA_REQUIRED “nobody”: give everyone or admins"},
		{"in Japanese", env("LANG", "ja_JP.UTF-8"), []string{"-read-timeout", "soon"}, "-read-timeout「soon」：30s"},
		{"reminder days", env(), []string{"-reminder-days", "90,soon"}, "-reminder-days “90,soon”: give days before the expiry"},
		{"reminder days twice", env("PARTNERHUB_REMINDER_DAYS", "30,30"), nil, "PARTNERHUB_REMINDER_DAYS “30,30”"},
		{"no reminder days", env(), []string{"-reminder-days", "0"}, "-reminder-days “0”"},
		{"webhook allow-list", env(), []string{"-webhook-allow", "10.0.0.0/8,intranet"}, "-webhook-allow “10.0.0.0/8,intranet”: give CIDR ranges or addresses"},
		{"webhook allow-list in Japanese", env("LANG", "ja_JP.UTF-8", "PARTNERHUB_WEBHOOK_ALLOW", "10.0.0.0/33"), nil, "PARTNERHUB_WEBHOOK_ALLOW「10.0.0.0/33」：10.0.0.0/8,127.0.0.1"},
		{"reminder days in Japanese", env("LANG", "ja_JP.UTF-8"), []string{"-reminder-days", "x"}, "-reminder-days「x」：期限の何日前か"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildConfig(t, tc.env, tc.args...)
			wantOneLine(t, err, tc.want, true)
			// run reports it the same way, before opening any database.
			err = run(context.Background(), append([]string{"serve", "-db", "sqlite:" + filepath.Join(t.TempDir(), "never.db")}, tc.args...), tc.env, io.Discard, io.Discard)
			wantOneLine(t, err, tc.want, true)
		})
	}
}

func TestSizesAndProxies(t *testing.T) {
	for s, want := range map[string]int64{"1048576": 1 << 20, "64KiB": 64 << 10, "1MiB": 1 << 20, "256 MB": 256 << 20, "2g": 2 << 30} {
		if n, ok := parseSize(s); !ok || n != want {
			t.Errorf("parseSize(%q) = %d %v, want %d", s, n, ok, want)
		}
	}
	for _, s := range []string{"", "MiB", "1TB", "1.5MiB", "99999999999999999999"} {
		if n, ok := parseSize(s); ok {
			t.Errorf("parseSize(%q) = %d, want refused", s, n)
		}
	}
	if p, ok := parseProxy("::ffff:10.0.0.1"); !ok || p.String() != "10.0.0.1/32" {
		t.Errorf("parseProxy of a mapped address: %v %v", p, ok)
	}
}

// serve -h explains the portal and every setting with its variable, in
// both languages; partnerhub -h and import -h point at import mobility.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want []string
	}{
		{[]string{"serve", "-h"}, env(), []string{"portal", "-base-url", "PARTNERHUB_BASE_URL", "-trusted-proxies", "-read-header-timeout",
			"-shutdown-timeout", "-max-body", "-max-upload", "-max-document", "-session-lifetime", "-db-max-open", "-db-max-idle", "(env PARTNERHUB_MAX_UPLOAD)",
			"-max-imports-per-user", "-max-imports-per-home", `(default "12h")`}},
		{[]string{"serve", "-h"}, env("LANG", "ja_JP.UTF-8"), []string{"ポータル", "-base-url", "（環境変数 PARTNERHUB_BASE_URL）", "サインインの有効期間"}},
		{[]string{"-h"}, env(), []string{"import mobility", "portal", "enable"}},
		{[]string{"-h"}, env("LANG", "ja_JP.UTF-8"), []string{"import mobility", "ポータル"}},
		{[]string{"import", "-h"}, env(), []string{"partnerhub import mobility"}},
		{[]string{"import", "-h"}, env("LANG", "ja_JP.UTF-8"), []string{"partnerhub import mobility"}},
		{[]string{"user", "-h"}, env(), []string{"enable "}},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), tc.args, tc.env, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v (%s): help lacks %q", tc.args, tc.env("LANG"), w)
			}
		}
	}
}

// Through the real server: the canonical link names -base-url whatever
// Host the request carries.
func TestServeUsesBaseURL(t *testing.T) {
	dbURL := storetest.Engines()[0].URL(t)
	base, log, stop := serve(t, dbURL, "-base-url", "https://partners.example.ac.jp", "-read-timeout", "20s")
	defer stop()
	if !strings.Contains(log.String(), `"base_url":"https://partners.example.ac.jp"`) {
		t.Fatalf("the log does not name the base URL:\n%s", log)
	}
	req, _ := http.NewRequest("GET", base+"/en/units", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `<link rel="canonical" href="https://partners.example.ac.jp/en/units">`) || strings.Contains(string(b), "evil.example") {
		t.Fatalf("canonical link not from -base-url")
	}
}

// Without -base-url the site is named by the address it listens on.
func TestBaseFromListener(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080", "[::]:80": "http://localhost:80", "0.0.0.0:9000": "http://localhost:9000"} {
		ap := netip.MustParseAddrPort(addr)
		if got := baseFromListener(tcpAddr(ap)); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

type tcpAddr netip.AddrPort

func (a tcpAddr) Network() string { return "tcp" }
func (a tcpAddr) String() string  { return netip.AddrPort(a).String() }

// The import's messages: one figure is "1 figure"; no progress line when
// stderr is not a terminal; a problem of the whole file has no row 0; a
// file that cannot be read says why.
func TestImportMobilityMessages(t *testing.T) {
	dir := t.TempDir()
	dbURL := migrated(t, storetest.Engines()[0])
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("partner,unit,year,direction,category,programme,count\npku,law,2021,outbound,graduate,exchange,12\n"), 0o600)
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", "mobility", "-db", dbURL, one}, env(), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "added 1 figure from "+one) {
		t.Fatalf("stdout %q", out.String())
	}
	if strings.Contains(errOut.String(), "\r") || strings.Contains(errOut.String(), "reading") {
		t.Fatalf("a progress line went to a stderr that is not a terminal: %q", errOut.String())
	}

	noColumns := filepath.Join(dir, "cols.csv")
	os.WriteFile(noColumns, []byte("partner,count\npku,1\n"), 0o600)
	errOut.Reset()
	err := run(context.Background(), []string{"import", "mobility", "-db", dbURL, noColumns}, env(), io.Discard, &errOut)
	if err == nil || strings.Contains(errOut.String(), ":0") || !strings.Contains(errOut.String(), noColumns+": ") {
		t.Fatalf("a whole-file problem: %v\n%q", err, errOut.String())
	}

	folder := filepath.Join(dir, "folder.csv")
	os.Mkdir(folder, 0o700)
	err = run(context.Background(), []string{"import", "mobility", "-db", dbURL, folder}, env(), io.Discard, io.Discard)
	wantOneLine(t, err, "cannot read "+folder+" (it is a folder, not a file)", false)

	// The same in Japanese: no plural.
	out.Reset()
	one2 := filepath.Join(dir, "one2.csv")
	os.WriteFile(one2, []byte("partner,unit,year,direction,category,programme,count\npku,law,2022,outbound,graduate,exchange,1\n"), 0o600)
	if err := run(context.Background(), []string{"import", "mobility", "-db", dbURL, one2}, env("LANG", "ja_JP.UTF-8"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 件の数値を追加しました") {
		t.Fatalf("stdout %q", out.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Fatal("a file or a buffer taken for a terminal")
	}
}

// A mistyped -db path is refused, with the path, by every command but
// serve, migrate and import, and no file is created.
func TestMissingDatabaseFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	csv := filepath.Join(dir, "x.csv")
	os.WriteFile(csv, []byte("partner,unit,year,direction,category,programme,count\n"), 0o600)
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "enable", "-email", "a@example.ac.jp"},
		{"export"},
		{"backup", filepath.Join(dir, "b.db")},
		{"import", "mobility", csv},
	} {
		err := run(context.Background(), append(args, "-db", "sqlite:"+path), env(), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%v: %v", args, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created %s", args, path)
		}
	}
}

func TestUserEnable(t *testing.T) {
	dbURL := migrated(t, storetest.Engines()[0])
	ctx := context.Background()
	if err := run(ctx, []string{"user", "add", "-db", dbURL, "-email", "u@example.ac.jp", "-name", "U", "-role", "viewer"}, env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"user", "disable", "-db", dbURL, "-email", "u@example.ac.jp"}, env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "enable", "-db", dbURL, "-email", "U@example.ac.jp"}, env(), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "enabled u@example.ac.jp") {
		t.Fatalf("stdout %q", out.String())
	}
	db := openDB(t, dbURL)
	users, err := db.Users(ctx, "utokyo")
	if err != nil || len(users) != 1 || users[0].Disabled {
		t.Fatalf("after enable: %+v %v", users, err)
	}
	if _, err := authn.NewPasswords(db).Authenticate(ctx, "utokyo", partnerhub.Credentials{Email: "u@example.ac.jp", Password: "wrong", IP: "192.0.2.1", At: time.Now()}); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
		t.Fatalf("authenticate: %v", err)
	}
	err = run(ctx, []string{"user", "enable", "-db", dbURL, "-email", "nobody@example.ac.jp"}, env(), io.Discard, io.Discard)
	wantOneLine(t, err, "nobody@example.ac.jp", false)
}

// backup of PostgreSQL runs pg_dump where it is installed, and prints the
// command (succeeding) where it is not.
func TestBackupPostgres(t *testing.T) {
	dbURL := migrated(t, storetest.Engines()[1]) // skips without PostgreSQL
	file := filepath.Join(t.TempDir(), "pg.dump")
	var out bytes.Buffer
	err := run(context.Background(), []string{"backup", "-db", dbURL, file}, env(), &out, io.Discard)
	if _, lerr := exec.LookPath("pg_dump"); lerr == nil {
		if err != nil {
			t.Fatal(err)
		}
		if st, serr := os.Stat(file); serr != nil || st.Size() == 0 || !strings.Contains(out.String(), "backup written to "+file) {
			t.Fatalf("pg_dump: %v %q", serr, out.String())
		}
	}
	t.Setenv("PATH", t.TempDir()) // no pg_dump there
	out.Reset()
	other := filepath.Join(t.TempDir(), "pg2.dump")
	if err := run(context.Background(), []string{"backup", "-db", dbURL, other}, env(), &out, io.Discard); err != nil {
		t.Fatalf("without pg_dump: %v", err)
	}
	if !strings.Contains(out.String(), "pg_dump is not installed") || !strings.Contains(out.String(), "pg_dump --format=custom --file="+other) {
		t.Fatalf("without pg_dump: %q", out.String())
	}
}

// A database that refuses writes is called read-only, with its path.
func TestReadOnlyDatabase(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		dbURL := storetest.Engines()[1].URL(t) // skips without PostgreSQL
		ro := dbURL + "&options=-c%20default_transaction_read_only%3Don"
		err := run(context.Background(), []string{"migrate", "-db", ro}, env(), io.Discard, io.Discard)
		wantOneLine(t, err, "is read-only", false)
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("the message does not name the database: %v", err)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes to read-only files; the PostgreSQL case covers the message")
		}
		dbURL := migrated(t, storetest.Engines()[0])
		path := strings.TrimPrefix(dbURL, "sqlite:")
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(path), 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(filepath.Dir(path), 0o700)
		err := run(context.Background(), []string{"user", "list", "-db", dbURL}, env(), io.Discard, io.Discard)
		wantOneLine(t, err, path+" is read-only", false)
	})
}
