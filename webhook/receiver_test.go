package webhook_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is an integrator's endpoint, as the README shows one: it
// verifies each delivery with the Standard Webhooks library (signature and
// timestamp), refuses a webhook-id it has taken already (a replay), and
// answers 500 to the next fail deliveries it would take.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	seen     map[string]bool
	fail     int
	got      []delivery
	rejected []string
	arrived  chan struct{} // a token per request answered
}

type delivery struct {
	ID   string
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{seen: map[string]bool{}, arrived: make(chan struct{}, 1000)}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	defer func() { rc.arrived <- struct{}{} }()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err == nil {
		err = wh.Verify(body, r.Header)
	}
	if err != nil {
		rc.rejected = append(rc.rejected, err.Error())
		http.Error(w, "not verified: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	if rc.seen[id] {
		rc.rejected = append(rc.rejected, "replay "+id)
		http.Error(w, "already taken: "+id, http.StatusConflict)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try again later", http.StatusInternalServerError)
		return
	}
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	d.ID = id
	rc.seen[id] = true
	rc.got = append(rc.got, d)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) set(secret string, fail int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret, rc.fail = secret, fail
}

// kinds are the types of the deliveries taken so far, in order.
func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func (rc *receiver) rejections() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.rejected...)
}

// pool trusts the receiver's own certificate, and nothing else: the
// sender's verification stays on.
func (rc *receiver) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(rc.Certificate())
	return p
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

var bg = context.Background()

func redirectTo(url string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, url, http.StatusTemporaryRedirect)
	})
}
