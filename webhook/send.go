package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SecretPrefix begins every secret, as the specification's libraries
// expect.
const SecretPrefix = "whsec_"

// NewSecret makes a subscription's secret: whsec_ and the base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign is the webhook-signature header of a message: "v1," and the base64
// of HMAC-SHA256, keyed with the secret's decoded bytes, of
// "id.timestamp.body".
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return "", errors.New("webhook secret is not whsec_ and base64")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Options tune a Sender; the zero value serves.
type Options struct {
	Guard Guard
	// Timeout bounds one try, from dialling to the end of the answer read
	// (default 15s).
	Timeout time.Duration
	// RootCAs, when not nil, are the only authorities a receiver's
	// certificate is checked against: for tests, whose receiver has a
	// certificate of its own. Nil: the system's. Verification is never
	// turned off.
	RootCAs *x509.CertPool
	// Now is the clock of webhook-timestamp (nil: time.Now).
	Now func() time.Time
	// UserAgent names the sender.
	UserAgent string
}

// Sender sends deliveries.
type Sender struct {
	client *http.Client
	guard  Guard
	now    func() time.Time
	ua     string
}

// MaxSnippet bounds what is kept of an answer's body, in bytes.
const MaxSnippet = 1024

// New makes a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "partnerhub-webhooks"
	}
	s := &Sender{guard: o.Guard, now: o.Now, ua: o.UserAgent}
	d := &net.Dialer{Timeout: 10 * time.Second, Control: s.guard.control}
	tr := &http.Transport{
		// No proxy from the environment: it would dial for us, past
		// the guard.
		Proxy:               nil,
		DialContext:         d.DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs},
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        16,
		IdleConnTimeout:     90 * time.Second,
		// Bounded: an answer's headers are not ours to store whole.
		MaxResponseHeaderBytes: 64 << 10,
	}
	s.client = &http.Client{Transport: tr, Timeout: o.Timeout,
		// A redirect is an answer, never followed: the place it names
		// was not subscribed, and could be anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// Message is one try of a delivery.
type Message struct {
	URL    string
	Secret string
	ID     string // webhook-id: the same on every try of a delivery
	Body   []byte
}

// Result is what a try came to.
type Result struct {
	Status   int // 0: no answer
	Response string
	Duration time.Duration
	Err      error
	// Refused: the address is one deliveries do not go to (Err says
	// which); trying again would not help.
	Refused bool
}

// OK reports whether the receiver took the delivery (a 2xx answer).
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Send tries to deliver m once.
func (s *Sender) Send(ctx context.Context, m Message) Result {
	start := time.Now()
	res := s.send(ctx, m)
	res.Duration = time.Since(start)
	if r := refusal(res.Err); r != nil {
		res.Refused, res.Err = true, r
	}
	return res
}

func (s *Sender) send(ctx context.Context, m Message) Result {
	u, err := url.Parse(m.URL)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
		return Result{Err: &RefusedError{Reason: "address that is not https://"}}
	}
	ts := s.now()
	sig, err := Sign(m.Secret, m.ID, ts, m.Body)
	if err != nil {
		return Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.ua)
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: cleanErr(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxSnippet+1))
	res := Result{Status: resp.StatusCode, Response: snippet(b)}
	if !res.OK() {
		res.Err = fmt.Errorf("answered %s", resp.Status)
	}
	return res
}

// cleanErr unwraps the url.Error around a transport's error, whose text
// repeats the address already logged.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if r := refusal(ue.Err); r != nil {
			return r
		}
		return ue.Err
	}
	return err
}

// snippet is the start of an answer, as text: at most MaxSnippet bytes,
// cut at a rune boundary, invalid UTF-8 replaced.
func snippet(b []byte) string {
	cut := len(b) > MaxSnippet
	if cut {
		b = b[:MaxSnippet]
		for len(b) > 0 && !utf8.RuneStart(b[len(b)-1]) {
			b = b[:len(b)-1] // the last rune, cut in two
		}
		if len(b) > 0 && b[len(b)-1] >= utf8.RuneSelf {
			b = b[:len(b)-1]
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if cut {
		s += "…"
	}
	return s
}
