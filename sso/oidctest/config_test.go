package oidctest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/sso"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// serve's configuration reaches the relying party through Deps.SSO: a
// provider that does not answer is logged and its sign-in says so, in the
// sign-in's language first, with 503; a configuration that cannot work
// stops the server from starting.
func TestOIDCFromConfiguration(t *testing.T) {
	db := storetest.Engines()[0].OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// An issuer nothing listens at.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	p := sso.OIDCProvider{ID: "down", Name: partnerhub.Text{Ja: "停止中大学", En: "Down University"}, Issuer: down,
		ClientID: "ph", ClientSecretEnv: "PARTNERHUB_TEST_OIDC_SECRET"}
	t.Setenv("PARTNERHUB_TEST_OIDC_SECRET", "from the environment")
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := web.NewServer(ctx, web.Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Federation: db,
		SSO: &sso.Config{OIDC: []sso.OIDCProvider{p}}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "/sso/oidc/down?next=/ja/account", nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	body := rec.Body.String()
	ja, en := msgs.Printer(partnerhub.Japanese), msgs.Printer(partnerhub.English)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, ja.T("sso_oidc.reason.unreachable")) ||
		!strings.Contains(body, en.T("sso_oidc.reason.unreachable")) ||
		strings.Index(body, ja.T("sso_oidc.failed_title", "停止中大学")) > strings.Index(body, en.T("sso_oidc.failed_title", "Down University")) {
		t.Errorf("start with the provider down: %d\n%s", rec.Code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "discovery failed") {
		if time.Now().After(deadline) {
			t.Fatalf("the failed discovery is not logged:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}

	p.ClientSecret = "and in the file"
	if _, err := web.NewServer(ctx, web.Deps{Source: db, Home: "utokyo", Messages: msgs, SSO: &sso.Config{OIDC: []sso.OIDCProvider{p}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err == nil || !strings.Contains(err.Error(), "client_secret") {
		t.Errorf("two secrets: %v", err)
	}
}
