package webhook_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"partnerhub"
	"partnerhub/webhook"
)

// A delivery signed by the sender is verified by the Standard Webhooks
// library; the receiver refuses one signed with another secret, the same
// webhook-id twice, and a timestamp too old.
func TestReceiverVerifiesWithTheLibrary(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	secret := webhook.NewSecret()
	rc.set(secret, 0)
	s := webhook.New(webhook.Options{Guard: webhook.Guard{Allow: loopback}, RootCAs: rc.pool()})
	msg := webhook.Message{URL: rc.URL + "/hooks", Secret: secret, ID: "msg_one", Body: []byte(`{"type":"webhook.test","data":{}}`)}
	if res := s.Send(bg, msg); !res.OK() || res.Status != 204 || res.Duration <= 0 {
		t.Fatalf("delivery: %+v", res)
	}
	if got := rc.deliveries(); len(got) != 1 || got[0].Type != "webhook.test" || got[0].ID != "msg_one" {
		t.Fatalf("received %+v", got)
	}

	if res := s.Send(bg, msg); res.OK() || res.Status != 409 || !strings.Contains(res.Response, "already taken: msg_one") {
		t.Errorf("a replay: %+v", res)
	}
	other := msg
	other.ID, other.Secret = "msg_two", webhook.NewSecret()
	if res := s.Send(bg, other); res.Status != 400 || !strings.Contains(res.Response, standardwebhooks.ErrNoMatchingSignature.Error()) {
		t.Errorf("another secret: %+v", res)
	}
	stale := webhook.New(webhook.Options{Guard: webhook.Guard{Allow: loopback}, RootCAs: rc.pool(),
		Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }})
	msg.ID = "msg_three"
	if res := stale.Send(bg, msg); res.Status != 400 || !strings.Contains(res.Response, standardwebhooks.ErrMessageTooOld.Error()) {
		t.Errorf("a stale timestamp: %+v", res)
	}
	if n := len(rc.deliveries()); n != 1 {
		t.Errorf("%d deliveries taken, want the first only", n)
	}
	// The signature is the specification's: the library signs alike.
	wh, _ := standardwebhooks.NewWebhook(secret)
	ts := time.Unix(1700000000, 0)
	want, _ := wh.Sign("msg_x", ts, []byte("{}"))
	if got, _ := webhook.Sign(secret, "msg_x", ts, []byte("{}")); got != want {
		t.Errorf("Sign = %s, the library's %s", got, want)
	}
}

// No delivery goes to loopback unless it is allowed; a name is checked on
// the address it resolves to, when dialled; a redirect is not followed.
func TestGuardOnTheAddressDialled(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	secret := webhook.NewSecret()
	rc.set(secret, 0)
	msg := webhook.Message{URL: rc.URL, Secret: secret, ID: "msg_g", Body: []byte(`{}`)}
	closed := webhook.New(webhook.Options{RootCAs: rc.pool()})
	res := closed.Send(bg, msg)
	if !res.Refused || res.Status != 0 || !strings.Contains(res.Err.Error(), "127.0.0.1 is a loopback address") {
		t.Fatalf("to loopback without the allow-list: %+v", res)
	}
	// localhost resolves to a loopback address: refused when dialled.
	msg.URL = strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
	if res := closed.Send(bg, msg); !res.Refused || !strings.Contains(res.Err.Error(), "loopback address") {
		t.Fatalf("to localhost: %+v", res)
	}
	if len(rc.deliveries())+len(rc.rejections()) != 0 {
		t.Fatal("a refused delivery reached the receiver")
	}
	msg.URL = "http://" + strings.TrimPrefix(rc.URL, "https://")
	if res := closed.Send(bg, msg); !res.Refused {
		t.Errorf("plain http: %+v", res)
	}

	var g webhook.Guard
	for addr, want := range map[string]string{"10.1.2.3": "private", "192.168.0.1": "private", "172.16.5.4": "private",
		"169.254.169.254": "link-local", "100.64.0.1": "special-purpose", "0.0.0.0": "unspecified", "239.1.2.3": "multicast",
		"::1": "loopback", "fd00::1": "private", "fe80::1": "link-local", "::ffff:10.0.0.1": "private", "64:ff9b::a00:1": "special-purpose",
		"2002:a00:1::": "special-purpose", "198.18.0.1": "special-purpose", "8.8.8.8": "", "2606:4700:4700::1111": ""} {
		if got := g.Refused(netip.MustParseAddr(addr)); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Refused(%s) = %q, want %q", addr, got, want)
		}
	}
	allow, err := webhook.ParseAllow("10.0.0.0/8, 127.0.0.1")
	if err != nil || len(allow) != 2 {
		t.Fatal(allow, err)
	}
	g.Allow = allow
	if g.Refused(netip.MustParseAddr("10.9.8.7")) != "" || g.Refused(netip.MustParseAddr("127.0.0.2")) == "" {
		t.Error("the allow-list is not applied as written")
	}
	if _, err := webhook.ParseAllow("10.0.0.0/33"); err == nil {
		t.Error("a bad range is taken")
	}

	// A subscription typed as a refused address is refused at its field;
	// with the range allowed, it is taken.
	spec := partnerhub.WebhookSpec{URL: "https://127.0.0.1:8443/hooks", Kinds: []partnerhub.WebhookKind{partnerhub.WebhookRecordCreated}}
	if err := spec.Validate((&webhook.Guard{}).IsRefused); err == nil || !strings.Contains(err.(*partnerhub.Error).Fields["url"].Key, "webhook_private") {
		t.Errorf("a loopback address without the allow-list: %v", err)
	}
	if err := spec.Validate((&webhook.Guard{Allow: loopback}).IsRefused); err != nil {
		t.Errorf("a loopback address allowed: %v", err)
	}
}

// A redirect is an answer: the sender does not go where it points.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	secret := webhook.NewSecret()
	rc.set(secret, 0)
	redirect := newReceiver(t)
	redirect.Config.Handler = redirectTo(rc.URL)
	s := webhook.New(webhook.Options{Guard: webhook.Guard{Allow: loopback}, RootCAs: redirect.pool()})
	res := s.Send(bg, webhook.Message{URL: redirect.URL, Secret: secret, ID: "msg_r", Body: []byte(`{}`)})
	if res.OK() || res.Status != 307 {
		t.Errorf("a redirect: %+v", res)
	}
	if len(rc.deliveries()) != 0 {
		t.Error("the redirect was followed")
	}
}
