package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/store/storetest"
)

// lockedBuffer is a buffer written by the server and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// serve starts run("serve") on a free port and returns its base URL, its
// log, and a stop function that returns run's error.
func serve(t *testing.T, dbURL string, args ...string) (string, *lockedBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), env("PARTNERHUB_DB", dbURL), io.Discard, stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				stop := func() error {
					cancel()
					select {
					case err := <-done:
						return err
					case <-time.After(15 * time.Second):
						return errors.New("run did not return after cancel")
					}
				}
				return line.Addr, stderr, stop
			}
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned before listening: %v\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("server did not listen in time:\n%s", stderr)
	return "", nil, nil
}

func partners(t *testing.T, base string) int {
	t.Helper()
	res, err := http.Get(base + "/api/v1/partners")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var l struct{ Items []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&l); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET partners: %d %v", res.StatusCode, err)
	}
	return len(l.Items)
}

func TestServeOverRealHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		base, log, stop := serve(t, dbURL)
		if n := partners(t, base); n != 16 {
			t.Fatalf("%d partners, want 16", n)
		}
		if !strings.Contains(log.String(), "loaded the built-in data") {
			t.Fatalf("first start did not load the built-in data:\n%s", log)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			res, err := http.Get(base + path)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("%s: %v %v", path, res, err)
			}
			res.Body.Close()
		}
		if err := stop(); err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Fatal("server still answers after stop")
		}

		// A second start on the same database changes nothing.
		base, log, stop = serve(t, dbURL)
		defer stop()
		if n := partners(t, base); n != 16 {
			t.Fatalf("after restart: %d partners, want 16", n)
		}
		if strings.Contains(log.String(), "loaded the built-in data") {
			t.Fatal("second start loaded the built-in data again")
		}
	})
}

func TestCommandLine(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string // "" for success
		usage   bool   // a usageError (exit status 2)
		wantOut string
	}{
		{"help", []string{"-h"}, env(), "", false, "partnerhub serve"},
		{"help in Japanese", []string{"-h"}, env("LANG", "ja_JP.UTF-8"), "", false, "使い方"},
		{"serve help", []string{"serve", "-h"}, env(), "", false, "-addr"},
		{"migrate help", []string{"migrate", "-h"}, env(), "", false, "-db"},
		{"no command", nil, env(), "no command", true, ""},
		{"unknown command", []string{"frobnicate"}, env(), "unknown command “frobnicate”", true, ""},
		{"bad flag", []string{"serve", "-port", "80"}, env(), "-port", true, ""},
		{"bad flag in Japanese", []string{"serve", "-port", "80"}, env("LC_ALL", "ja_JP.UTF-8"), "フラグ", true, ""},
		{"extra argument", []string{"migrate", "now"}, env(), "unexpected arguments: now", true, ""},
		{"bad database URL", []string{"migrate", "-db", "mysql://x"}, env(), "sqlite:PATH or postgres://", false, ""},
		{"unreachable database", []string{"serve", "-db", "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2"}, env(), "Cannot reach the database", false, ""},
		{"missing folder", []string{"serve", "-db", "sqlite:/no/such/dir/p.db"}, env(), "does not exist", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, tc.args, tc.env, &out, io.Discard)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "pw@") {
					t.Fatalf("error is not one clean line: %q", err)
				}
				var ue usageError
				if errors.As(err, &ue) != tc.usage {
					t.Fatalf("usage error = %v, want %v", !tc.usage, tc.usage)
				}
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("output %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dbURL := storetest.Engines()[0].URL(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "-db", dbURL}, env(), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created the database schema (version ") {
		t.Fatalf("migrate printed %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "-db", dbURL}, env("LANG", "ja_JP.UTF-8"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "すでに最新です") {
		t.Fatalf("second migrate printed %q", out.String())
	}
}

// migrated is the URL of a new database of e with the schema, as
// partnerhub migrate leaves it: the commands other than serve, migrate and
// import refuse a database file that does not exist.
func migrated(t *testing.T, e storetest.Engine) string {
	t.Helper()
	dbURL := e.URL(t)
	if err := run(context.Background(), []string{"migrate", "-db", dbURL}, env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	return dbURL
}
