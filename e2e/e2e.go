// Package e2e runs the real partnerhub binary as separate processes, the
// way an operator runs several nodes of serve on one database: the tests
// of this package kill a node with SIGKILL and check what the others, or
// the node started again, make of it; bench/ measures the same set-up.
//
// The binary is built once per test binary with go build, into a
// temporary folder that Cleanup removes.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"partnerhub"
	"partnerhub/dataset"
	_ "partnerhub/store" // the database drivers of both engines
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binary builds cmd/partnerhub once per process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "partnerhub-e2e-")
		if buildErr != nil {
			return
		}
		bin := filepath.Join(buildDir, "partnerhub")
		out, err := exec.Command("go", "build", "-o", bin, "partnerhub/cmd/partnerhub").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build partnerhub: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "partnerhub")
}

// Cleanup removes the binary Binary built; for TestMain.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// Run runs a command of the binary other than serve (user add …) to its
// end, with stdin, and fails the test when it fails.
func Run(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "LANG=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("partnerhub %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// FreeAddr returns a loopback address with a port free at the moment, for
// a node that must come back on the same address after a restart.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Node is one running partnerhub serve.
type Node struct {
	Name string
	Addr string // host:port
	URL  string // http://host:port
	args []string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   *sync.Mutex
	t    testing.TB
	done chan struct{}
}

// syncWriter lets the process's stderr be read while it is written.
type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Serve starts partnerhub serve on db at addr with the extra flags and
// waits until it answers /readyz. The node is killed at the end of the
// test if still running; its log is printed when the test failed.
func Serve(t testing.TB, name, db, addr string, flags ...string) *Node {
	t.Helper()
	n := &Node{Name: name, Addr: addr, URL: "http://" + addr, t: t,
		args: append([]string{"serve", "-db", db, "-addr", addr}, flags...)}
	n.start()
	t.Cleanup(func() {
		n.Kill()
		if t.Failed() {
			t.Logf("log of node %s:\n%s", n.Name, n.Log())
		}
	})
	return n
}

func (n *Node) start() {
	n.t.Helper()
	n.log, n.mu, n.done = &bytes.Buffer{}, &sync.Mutex{}, make(chan struct{})
	n.cmd = exec.Command(Binary(n.t), n.args...)
	n.cmd.Env = append(os.Environ(), "LANG=C")
	n.cmd.Stdout = syncWriter{n.mu, n.log}
	n.cmd.Stderr = syncWriter{n.mu, n.log}
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-n.done:
			n.t.Fatalf("node %s ended before it was ready:\n%s", n.Name, n.Log())
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node %s not ready after a minute: %v\n%s", n.Name, err, n.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the node with SIGKILL, as a crash would: no shutdown, no
// deferred work.
func (n *Node) Kill() {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Restart starts the node again after Kill, with the same database and
// address, and the flags given (or the first ones when flags is nil).
func (n *Node) Restart(flags ...string) {
	n.t.Helper()
	n.Kill()
	if flags != nil {
		n.args = append(n.args[:5:5], flags...)
	}
	n.start()
}

// Log is what the node wrote on stdout and stderr so far.
func (n *Node) Log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.log.String()
}

// Client is a person's browser, minus the browser: a cookie jar. Cookies
// are kept by host, not port, so one Client is signed in on every node on
// 127.0.0.1 (sessions live in the database).
type Client struct {
	HTTP *http.Client
	t    testing.TB
}

// NewClient returns a client with an empty cookie jar; it does not follow
// redirects, so that a test sees where a form sends it.
func NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, HTTP: &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Get fetches base+path and returns the status and body.
func (c *Client) Get(base, path string) (int, string) {
	c.t.Helper()
	resp, err := c.HTTP.Get(base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Post sends a form and returns the status, the Location header and the body.
func (c *Client) Post(base, path string, form url.Values) (int, string, string) {
	c.t.Helper()
	resp, err := c.HTTP.PostForm(base+path, form)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var secretRE = regexp.MustCompile(`<code class="mfa-secret">([A-Z2-7 ]+)</code>`)

// SignInAdmin signs in an administrator who has no second factor yet and
// adds one (an authenticator app's code, computed here): a change to how
// they sign in, so it writes a security notice to the outbox.
func (c *Client) SignInAdmin(base, email, password string) {
	c.t.Helper()
	status, loc, body := c.Post(base, "/en/signin", url.Values{"email": {email}, "password": {password}})
	if status != http.StatusSeeOther {
		c.t.Fatalf("sign-in: %d %s\n%s", status, loc, body)
	}
	if status, loc, body := c.Post(base, "/en/account/mfa/totp", nil); status >= 400 {
		c.t.Fatalf("start TOTP: %d %s\n%s", status, loc, body)
	}
	_, page := c.Get(base, "/en/account/mfa")
	m := secretRE.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no TOTP secret on the enrolment page:\n%s", page)
	}
	code, err := totp.GenerateCode(strings.ReplaceAll(m[1], " ", ""), time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	status, loc, body = c.Post(base, "/en/account/mfa/totp/confirm", url.Values{"code": {code}})
	if status != http.StatusOK || !strings.Contains(body, "recovery") {
		c.t.Fatalf("confirm TOTP: %d %s\n%s", status, loc, body)
	}
}

// Upload posts a mobility file to the import form and returns the import's
// page path (/en/mobility/import/{id}).
func (c *Client) Upload(base, name string, file []byte) string {
	c.t.Helper()
	var buf bytes.Buffer
	boundary := "e2e-boundary-7d1f0c"
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=%q\r\nContent-Type: text/csv\r\n\r\n", boundary, name)
	buf.Write(file)
	fmt.Fprintf(&buf, "\r\n--%s--\r\n", boundary)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/en/mobility/import", &buf)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/en/mobility/import/") {
		c.t.Fatalf("upload: %s %s\n%s", resp.Status, loc, body)
	}
	return loc
}

// Progress is an import's page as read.
type Progress struct {
	Percent  int // -1 when the page shows none
	Finished bool
	Added    int64 // figures added, once finished well (-1: none said)
	Body     string
}

var (
	percentRE = regexp.MustCompile(`<progress id="import-progress" max="100" value="(\d+)">`)
	addedRE   = regexp.MustCompile(`class="saved" role="status">([0-9,]+) `)
)

// ImportProgress reads an import's page on the node at base.
func (c *Client) ImportProgress(base, path string) Progress {
	c.t.Helper()
	status, body := c.Get(base, path)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s%s: %d\n%s", base, path, status, body)
	}
	p := Progress{Percent: -1, Added: -1, Body: body}
	if m := percentRE.FindStringSubmatch(body); m != nil {
		p.Percent, _ = strconv.Atoi(m[1])
	}
	// A page of an import still running reloads itself every second.
	p.Finished = !strings.Contains(body, `<meta http-equiv="refresh"`)
	if m := addedRE.FindStringSubmatch(body); m != nil {
		p.Added, _ = strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	}
	return p
}

// MobilityCSV writes a mobility file of rows figures for the built-in
// programme: its partners, without and with each of its units, in the
// academic years 1900–1999 and 2100–2199, which the built-in figures do
// not use, every direction, category and programme. Each key appears once;
// a figure's count is its row's number modulo 7. It returns the file and
// the sum of its counts.
func MobilityCSV(t testing.TB, rows int) ([]byte, int64) {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	units := []string{""}
	for _, u := range c.Units {
		units = append(units, u.Code)
	}
	var years []int
	for y := 1900; y < 2000; y++ {
		years = append(years, y, y+200)
	}
	var b bytes.Buffer
	b.WriteString("partner,institution,unit,year,direction,category,programme,count\n")
	var sum int64
	n := 0
	for _, y := range years {
		for _, p := range c.Partners {
			for _, u := range units {
				for _, d := range partnerhub.Directions {
					for _, cat := range partnerhub.Categories {
						for _, prog := range partnerhub.MobilityProgrammes {
							if n == rows {
								return b.Bytes(), sum
							}
							n++
							fmt.Fprintf(&b, "%s,,%s,%d,%s,%s,%s,%d\n", p.Slug, u, y, d, cat, prog, n%7)
							sum += int64(n % 7)
						}
					}
				}
			}
		}
	}
	t.Fatalf("the built-in programme has keys for %d rows, not %d", n, rows)
	return nil, 0
}

// ImportedFigures counts the figures MobilityCSV's years hold in the
// database at dbURL, and sums their counts.
func ImportedFigures(t testing.TB, dbURL string) (n, sum int64) {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if p, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", p
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(count), 0) FROM mobility WHERE year < 2000 OR year >= 2100`).Scan(&n, &sum)
	if err != nil {
		t.Fatal(err)
	}
	return n, sum
}
