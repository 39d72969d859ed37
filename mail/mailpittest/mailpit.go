// Package mailpittest runs Mailpit (github.com/axllent/mailpit, a tool of
// go.mod) for tests: a real SMTP server whose messages are read back
// through its HTTP API.
//
// Mailpit's packages keep their state in package variables (one server per
// process), so it runs as a subprocess, built from the module cache with
// `go build` once per machine (kept in the temporary directory, by
// version).
package mailpittest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running Mailpit.
type Server struct {
	SMTPHost string
	SMTPPort int
	API      string // http://host:port
	cmd      *exec.Cmd
}

var buildOnce sync.Once

// binary builds Mailpit's binary, or finds the one built before.
func binary(t testing.TB) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/axllent/mailpit").Output()
	if err != nil {
		t.Fatalf("mailpit version: %v", err)
	}
	dir := filepath.Join(os.TempDir(), "partnerhub-mailpit-"+strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "mailpit")
	var buildErr error
	buildOnce.Do(func() {
		if _, err := os.Stat(bin); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		tmp := bin + fmt.Sprintf(".%d", os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, "github.com/axllent/mailpit")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build mailpit: %v\n%s", err, out)
			return
		}
		buildErr = os.Rename(tmp, bin) // atomic: a concurrent test process sees the whole binary or none
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs a Mailpit until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	s := &Server{SMTPHost: "127.0.0.1", SMTPPort: freePort(t)}
	httpPort := freePort(t)
	s.API = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	s.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(s.SMTPPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--disable-version-check", "--quiet")
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	// Ready when both ports answer.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort(s.SMTPHost, strconv.Itoa(s.SMTPPort)))
		if err == nil {
			c.Close()
			if resp, err := http.Get(s.API + "/api/v1/info"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SMTPURL is the server's address for mail.ParseSMTP (no TLS: Mailpit
// offers none without a certificate).
func (s *Server) SMTPURL() string {
	return fmt.Sprintf("smtp://%s:%d?starttls=off", s.SMTPHost, s.SMTPPort)
}

// Stop ends Mailpit (a test of an SMTP server gone away).
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// Summary is a message as Mailpit lists it.
type Summary struct {
	ID        string
	MessageID string
	To        []struct{ Name, Address string }
	Subject   string
}

// Message is a message as Mailpit shows it.
type Message struct {
	ID        string
	MessageID string
	Subject   string
	Text      string
	HTML      string
	To        []struct{ Name, Address string }
}

func (s *Server) get(t testing.TB, path string, v any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.API+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// Messages lists every message received, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var r struct {
		Total    int
		Messages []Summary
	}
	s.get(t, "/api/v1/messages?limit=1000", &r)
	return r.Messages
}

// Message reads one message.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+id, &m)
	return m
}
