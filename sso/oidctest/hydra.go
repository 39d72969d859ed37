// Package oidctest runs a real OpenID provider, Ory Hydra, for the tests
// of single sign-on through OpenID Connect, with the login and consent
// pages Hydra leaves to its operator: a small HTML form that signs in
// whichever test user is typed, and a consent that grants what was asked
// with the user's claims in the ID token.
//
// Hydra is a program, not a library of ours: tools/hydra/go.mod pins it as
// a Go tool in a module of its own (its dependencies stay out of
// partnerhub's go.mod), and Build compiles it once per test binary, with
// SQLite built in for its in-memory database.
package oidctest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Builder builds Hydra once; Dir is removed by Cleanup.
type Builder struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	took time.Duration
}

// Build compiles Hydra (tools/hydra) into a temporary folder, once, unless
// PARTNERHUB_HYDRA names a Hydra built already. An error means it cannot
// be built here (no C compiler, no module proxy): the caller skips,
// visibly.
func (b *Builder) Build() (string, time.Duration, error) {
	b.once.Do(func() {
		// A Hydra built already (.ci/run builds it before the tests).
		if bin := os.Getenv("PARTNERHUB_HYDRA"); bin != "" {
			if _, b.err = os.Stat(bin); b.err == nil {
				b.bin = bin
			}
			return
		}
		start := time.Now()
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			b.err = fmt.Errorf("go env GOMOD: %v", err)
			return
		}
		tools := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "tools", "hydra")
		if b.dir, b.err = os.MkdirTemp("", "partnerhub-hydra-"); b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "hydra")
		// Hydra keeps SQLite (for DSN=memory) behind a build tag, through
		// cgo.
		cmd := exec.Command("go", "build", "-tags", "sqlite,sqlite_omit_load_extension", "-o", b.bin, "github.com/ory/hydra/v2")
		cmd.Dir = tools
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build github.com/ory/hydra/v2 in %s: %v\n%s", tools, err, out)
		}
		b.took = time.Since(start)
	})
	return b.bin, b.took, b.err
}

// Cleanup removes what Build made.
func (b *Builder) Cleanup() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// User is a person Hydra signs in: its subject and the claims the ID
// token carries (besides sub). ACR, when set, is the authentication
// context the login reports (the REFEDS MFA profile, say).
type User struct {
	Subject string
	Claims  map[string]any
	ACR     string
}

// Hydra is one running hydra serve all, with its login and consent app.
type Hydra struct {
	Issuer   string // as its discovery document says
	AdminURL string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	mu       sync.Mutex
	users    map[string]User
	login    *httptest.Server
}

// Start runs Hydra at bin on two free ports of [firstPort, lastPort]
// (public, admin), on an SQLite file of the test's, in development mode
// (plain HTTP on the loopback), until the test ends.
func Start(t testing.TB, bin string, firstPort, lastPort int) *Hydra {
	t.Helper()
	h := &Hydra{users: map[string]User{}, log: &bytes.Buffer{}}
	h.login = httptest.NewServer(h.loginApp())
	t.Cleanup(h.login.Close)
	ports := freePorts(t, firstPort, lastPort, 2)
	public := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	h.AdminURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	secret := make([]byte, 24)
	rand.Read(secret)
	// A file of its own, not DSN=memory: that is SQLite's shared cache,
	// whose table locks fail concurrent requests at once ("The error is
	// unrecognizable") where WAL and a busy timeout let them wait.
	dsn := "DSN=sqlite://" + filepath.Join(t.TempDir(), "hydra.sqlite") + "?_fk=true&_journal_mode=WAL&_busy_timeout=10000"
	migrate := exec.Command(bin, "migrate", "sql", "up", "-e", "--yes")
	migrate.Env = append(os.Environ(), dsn)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("hydra migrate sql up: %v\n%s", err, out)
	}
	h.cmd = exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
	h.cmd.Env = append(os.Environ(),
		dsn,
		"SECRETS_SYSTEM="+hex.EncodeToString(secret),
		"URLS_SELF_ISSUER="+public,
		"URLS_LOGIN="+h.login.URL+"/login",
		"URLS_CONSENT="+h.login.URL+"/consent",
		"SERVE_PUBLIC_HOST=127.0.0.1", fmt.Sprintf("SERVE_PUBLIC_PORT=%d", ports[0]),
		"SERVE_ADMIN_HOST=127.0.0.1", fmt.Sprintf("SERVE_ADMIN_PORT=%d", ports[1]),
		"LOG_LEVEL=warn",
	)
	h.cmd.Stdout, h.cmd.Stderr = syncWriter{&h.mu, h.log}, syncWriter{&h.mu, h.log}
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("start hydra: %v", err)
	}
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("hydra's log:\n%s", h.Log())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	ready := func(u string) bool {
		res, err := http.Get(u)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	for {
		// Both listeners: the admin one answers a moment before the
		// public one.
		if ready(h.AdminURL+"/health/ready") && ready(public+"/.well-known/openid-configuration") {
			break
		}
		select {
		case <-done:
			t.Fatalf("hydra exited:\n%s", h.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hydra did not get ready in 60 s:\n%s", h.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	h.getJSON(t, public+"/.well-known/openid-configuration", &disc)
	h.Issuer = disc.Issuer
	return h
}

// Log is what Hydra wrote so far.
func (h *Hydra) Log() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.log.String()
}

// AddUser lets the login form sign u in.
func (h *Hydra) AddUser(u User) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.users[u.Subject] = u
}

// Client is an OAuth 2.0 client registered at Hydra.
type Client struct {
	ID, Secret string
}

// Register makes a confidential client of the authorisation code flow
// with the one redirect URI, through Hydra's admin API.
func (h *Hydra) Register(t testing.TB, redirectURI string) Client {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name": "partnerhub test", "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"scope": "openid email profile", "redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "client_secret_basic",
	})
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := h.admin("POST", "/admin/clients", "", body, &c); err != nil {
		t.Fatalf("register a client at hydra: %v", err)
	}
	return Client{ID: c.ID, Secret: c.Secret}
}

// admin calls Hydra's admin API.
func (h *Hydra) admin(method, path, query string, body []byte, into any) error {
	u := h.AdminURL + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

func (h *Hydra) getJSON(t testing.TB, u string, into any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test university: sign in</title></head>
<body><h1>Test university</h1>
<form method="post" action="/login">
<input type="hidden" name="challenge" value="{{.}}">
<label>User <input name="subject" autocomplete="username"></label>
<button type="submit" name="action" value="accept">Sign in</button>
<button type="submit" name="action" value="deny">Decline</button>
</form></body></html>`))

// loginApp is the login and consent provider Hydra sends the browser to.
func (h *Hydra) loginApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		loginPage.Execute(w, r.URL.Query().Get("login_challenge"))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		challenge := url.Values{"login_challenge": {r.PostFormValue("challenge")}}.Encode()
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		var err error
		if r.PostFormValue("action") == "deny" {
			body, _ := json.Marshal(map[string]any{"error": "access_denied", "error_description": "The user declined."})
			err = h.admin("PUT", "/admin/oauth2/auth/requests/login/reject", challenge, body, &next)
		} else {
			h.mu.Lock()
			u, ok := h.users[r.PostFormValue("subject")]
			h.mu.Unlock()
			if !ok {
				http.Error(w, "no such test user", http.StatusUnauthorized)
				return
			}
			accept := map[string]any{"subject": u.Subject, "remember": false}
			if u.ACR != "" {
				accept["acr"] = u.ACR
			}
			body, _ := json.Marshal(accept)
			err = h.admin("PUT", "/admin/oauth2/auth/requests/login/accept", challenge, body, &next)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, next.RedirectTo, http.StatusFound)
	})
	// Consent is given at once: what the client asked for, with the
	// user's claims in the ID token.
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		challenge := url.Values{"consent_challenge": {r.URL.Query().Get("consent_challenge")}}.Encode()
		var req struct {
			Subject  string   `json:"subject"`
			Scope    []string `json:"requested_scope"`
			Audience []string `json:"requested_access_token_audience"`
		}
		if err := h.admin("GET", "/admin/oauth2/auth/requests/consent", challenge, nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		h.mu.Lock()
		u := h.users[req.Subject]
		h.mu.Unlock()
		body, _ := json.Marshal(map[string]any{"grant_scope": req.Scope, "grant_access_token_audience": req.Audience,
			"remember": false, "session": map[string]any{"id_token": u.Claims}})
		var next struct {
			RedirectTo string `json:"redirect_to"`
		}
		if err := h.admin("PUT", "/admin/oauth2/auth/requests/consent/accept", challenge, body, &next); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, next.RedirectTo, http.StatusFound)
	})
	return mux
}

// freePorts finds n ports of the range nothing listens on.
func freePorts(t testing.TB, first, last, n int) []int {
	t.Helper()
	var ports []int
	for p := first; p <= last && len(ports) < n; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		ports = append(ports, p)
	}
	if len(ports) < n {
		t.Fatalf("fewer than %d free ports in %d-%d", n, first, last)
	}
	return ports
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
