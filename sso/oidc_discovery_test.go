package sso

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A provider down at start-up is logged and tried again in the
// background; its sign-in says it cannot be reached until it answers, and
// then asks for the code with PKCE (S256), state and nonce.
func TestOIDCDiscoveryRetried(t *testing.T) {
	var up atomic.Bool
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() || r.URL.Path != "/.well-known/openid-configuration" {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": ts.URL, "authorization_endpoint": ts.URL + "/auth",
			"token_endpoint": ts.URL + "/token", "jwks_uri": ts.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	}))
	defer ts.Close()
	logs := &syncBuffer{}
	rp, err := NewRelyingParty([]OIDCProvider{{ID: "uni", Name: partnerhub.Text{Ja: "大学", En: "University"}, Issuer: ts.URL,
		ClientID: "ph", ClientSecret: "s", ACRValues: []string{REFEDSMFA}}}, nil, nil, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := rp.Client("uni")
	redirect := "https://ph.example/sso/oidc/uni/callback"
	_, _, err = c.Begin(context.Background(), redirect, Flow{})
	var oe *OIDCError
	if !errors.As(err, &oe) || oe.Reason != OIDCUnreachable || !strings.Contains(err.Error(), ts.URL) {
		t.Fatalf("begin with the provider down: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rp.Discover(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "discovery failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no failure logged:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "issuer="+ts.URL) {
		t.Errorf("the failure does not name the issuer:\n%s", logs)
	}
	up.Store(true)
	for !strings.Contains(logs.String(), "oidc provider discovered") {
		if time.Now().After(deadline) {
			t.Fatalf("not discovered once up:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	authURL, f, err := c.Begin(context.Background(), redirect, Flow{Next: "/en/account"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if u.Path != "/auth" || q.Get("response_type") != "code" || q.Get("client_id") != "ph" || q.Get("redirect_uri") != redirect ||
		q.Get("state") != f.State || q.Get("nonce") != f.Nonce || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || strings.Contains(authURL, f.Verifier) || q.Get("acr_values") != REFEDSMFA ||
		q.Get("scope") != "openid email profile" || len(f.State) < 43 || len(f.Nonce) < 43 || f.Next != "/en/account" {
		t.Errorf("authorisation request %s with flow %+v", authURL, f)
	}
}
