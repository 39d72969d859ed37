// Command cluster is the load generator of bench/cluster.sh: mixed reads
// and writes against one or more partnerhub nodes (or a load balancer in
// front of them), the check that every acknowledged write is stored, and
// the delay before a write made on one node is served by another.
//
//	cluster tokens -url URL -password PW EMAIL...      sign each user in, print a read-write API token per line
//	cluster load -targets URL[,URL] -tokens FILE ...   the mixed load; a JSON summary, bars checked
//	cluster verify -url URL -token T -in FILE          every acknowledged write of a load is stored
//	cluster visibility -a URL -b URL -token T ...      write on A, poll B until it serves the change
//
// Standard library only; the exit status is 0 when every bar is met, 1
// when one is not, 2 on a setup error.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// setupError is a failure to get going (exit 2), not a missed bar (exit 1).
type setupError struct{ error }

// errBar says a bar was missed; what was missed has been printed.
var errBar = errors.New("a bar was missed")

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cluster tokens|load|verify|visibility [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{"tokens": tokens, "load": load, "verify": verify, "visibility": visibility}
	cmd, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cluster: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	err := cmd(os.Args[2:])
	var se setupError
	switch {
	case err == nil:
	case errors.Is(err, errBar):
		os.Exit(1)
	case errors.As(err, &se):
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(2)
	}
}

// newClient is an HTTP client that keeps up to conns connections to each
// host and never follows redirects (a sign-in answers 303).
func newClient(conns int, jar http.CookieJar) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns * 4
	tr.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// call sends a request with an optional JSON body and bearer token, and
// returns the status, the headers and the body read whole.
func call(c *http.Client, method, u, token string, body any, header ...string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

var tokenRE = regexp.MustCompile(`<code class="token">([^<]+)</code>`)

// tokens signs each user in on the account pages and makes a read-write
// API token for them, as a person would in the browser.
func tokens(args []string) error {
	fs := flag.NewFlagSet("tokens", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "a node's URL")
	password := fs.String("password", "", "the users' password")
	fs.Parse(args)
	for _, email := range fs.Args() {
		jar, _ := cookiejar.New(nil)
		c := newClient(1, jar)
		resp, err := c.PostForm(*base+"/en/signin", url.Values{"email": {email}, "password": {*password}})
		if err != nil {
			return setupError{err}
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return setupError{fmt.Errorf("sign-in of %s: %s", email, resp.Status)}
		}
		resp, err = c.PostForm(*base+"/en/account/tokens", url.Values{"name": {"bench/cluster"}, "scope": {"write"}, "days": {"7"}})
		if err != nil {
			return setupError{err}
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := tokenRE.FindSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			return setupError{fmt.Errorf("token of %s: %s, no token on the page", email, resp.Status)}
		}
		fmt.Println(string(m[1]))
	}
	return nil
}

// readLines returns the non-empty lines of a file.
func readLines(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(strings.Split(string(b), "\n"), func(s string) bool { return strings.TrimSpace(s) == "" }), nil
}

// percentile is the nearest-rank p-th percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// activity is the body of a new activity of partner, titled title.
func activity(slug, partner, title string) map[string]any {
	return map[string]any{"slug": slug, "kind": "workshop", "title": map[string]string{"ja": title, "en": title},
		"partners": []string{partner}, "units": []string{}, "institutions": []string{}, "published": true}
}

// record is the part of an activity the load generator reads back.
type record struct {
	Slug    string `json:"slug"`
	Version int    `json:"version"`
	Title   struct {
		En string `json:"en"`
	} `json:"title"`
	Venue struct {
		En string `json:"en"`
	} `json:"venue"`
}

func parseRecord(b []byte) (record, error) {
	var r record
	err := json.Unmarshal(b, &r)
	return r, err
}

// ms is a time as Unix milliseconds, the unit of the script's events.
func ms(t time.Time) int64 { return t.UnixMilli() }
