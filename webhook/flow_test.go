package webhook_test

// Webhooks from end to end, on both engines: subscriptions made on the
// admin pages, events made by real writes through the API, deliveries
// sent by the job queue to a receiver that verifies them with the
// Standard Webhooks library, retried after a failure, a subscription
// paused after failures in a row and resumed, a refused address logged.
// Kept here, not in ./web, whose test binary is the suite's longest.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
	"partnerhub/webhook"
)

type site struct {
	*httptest.Server
	db     *store.DB
	token  string
	cookie *http.Cookie
	admin  *partnerhub.User
}

func newSite(t *testing.T, e storetest.Engine, rc *receiver) *site {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{Workers: 4, Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	guard := webhook.Guard{Allow: loopback}
	hooks := jobs.RegisterWebhooks(q, db, jobs.WebhookConfig{Guard: guard,
		Sender: webhook.New(webhook.Options{Guard: guard, RootCAs: rc.pool(), Timeout: 5 * time.Second}),
		Every:  100 * time.Millisecond, Tries: 2, Backoff: func(int) time.Duration { return 0 }, PauseAfter: 2})
	srv, err := web.NewServer(context.Background(), web.Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Jobs: q, Imports: db, Chains: db, Documents: db, Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	const password = "a long and secret passphrase"
	admin, err := db.CreateUser(bg, "utokyo", &partnerhub.User{Email: "admin@example.ac.jp", Name: "Admin", Role: partnerhub.RoleAdmin}, password)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := db.CreateToken(bg, admin.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &site{Server: hs, db: db, token: tok, admin: admin}
	r := s.send(t, "POST", "/en/signin", url.Values{"email": {admin.Email}, "password": {password}}, "")
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if strings.Contains(c.Name, "session") {
			s.cookie = c
		}
	}
	if s.cookie == nil {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

// send posts a form with the admin's session (form nil: a GET), or a
// body of contentType with the admin's token.
func (s *site) send(t *testing.T, method, path string, form url.Values, contentType string, body ...string) answer {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	} else if len(body) > 0 {
		rd = strings.NewReader(body[0])
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case contentType != "":
		req.Header.Set("Content-Type", contentType)
	}
	if contentType != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	} else if s.cookie != nil {
		req.AddCookie(s.cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}
}

func (s *site) api(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	r := s.send(t, method, path, nil, "application/json", string(b))
	if r.status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, want, r.body)
	}
	var m map[string]any
	json.NewDecoder(bytes.NewReader([]byte(r.body))).Decode(&m)
	return m
}

// waitUntil polls cond (the receiver's, or the database's state) until it
// holds; the deadline is a failsafe against a hang, not what is asserted.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var secretRe = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{40,}`)

func TestWebhooksFromEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		rc := newReceiver(t)
		s := newSite(t, e, rc)
		hookURL := rc.URL + "/hooks"

		// The form refuses, at its field and in the page's language,
		// what cannot be subscribed; nothing is made.
		for _, tc := range []struct {
			lang, url string
			kinds     []string
			field     string
			want      string
		}{
			{"en", "http://example.org/hooks", []string{"record.created"}, "url", "Use an address that starts with https://"},
			{"ja", "http://example.org/hooks", []string{"record.created"}, "url", "https:// で始まるアドレスにしてください"},
			{"en", "https://", []string{"record.created"}, "url", "This is not a web address"},
			{"en", "https://10.1.2.3/hooks", []string{"record.created"}, "url", "10.1.2.3 is an address of a private or special network"},
			{"ja", "https://127.0.0.2/hooks", []string{"record.created"}, "url", "127.0.0.2 はプライベートまたは特殊なネットワークのアドレス"},
			{"en", hookURL, nil, "kinds", "Choose at least one kind of event."},
			{"ja", hookURL, nil, "kinds", "イベントの種類を 1 つ以上選んでください。"},
		} {
			r := s.send(t, "POST", "/"+tc.lang+"/admin/webhooks", url.Values{"url": {tc.url}, "kinds": tc.kinds}, "")
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.want) || !strings.Contains(r.body, `id="err-`+tc.field+`"`) {
				t.Errorf("%s %q %v: %d, want 400 with %q\n%.2000s", tc.lang, tc.url, tc.kinds, r.status, tc.want, r.body)
			}
		}
		if subs, _ := s.db.Subscriptions(bg, s.admin, "utokyo"); len(subs) != 0 {
			t.Fatalf("refused forms made %d subscriptions", len(subs))
		}

		// Subscribed to every kind: the secret is shown once.
		form := url.Values{"url": {hookURL}}
		for _, k := range partnerhub.WebhookKinds {
			form.Add("kinds", string(k))
		}
		r := s.send(t, "POST", "/en/admin/webhooks", form, "")
		secret := secretRe.FindString(html.UnescapeString(r.body))
		if r.status != http.StatusOK || secret == "" || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("subscribe: %d %q\n%.3000s", r.status, secret, r.body)
		}
		rc.set(secret, 0)
		subs, err := s.db.Subscriptions(bg, s.admin, "utokyo")
		if err != nil || len(subs) != 1 {
			t.Fatal(subs, err)
		}
		sub := subs[0]
		subPath := "/en/admin/webhooks/" + strconv.FormatInt(sub.ID, 10)
		if r := s.send(t, "GET", subPath, nil, ""); r.status != 200 || strings.Contains(r.body, "whsec_") || !strings.Contains(r.body, hookURL) {
			t.Errorf("the subscription's page shows its secret again, or not its address: %d", r.status)
		}
		if r := s.send(t, "GET", "/ja/admin/webhooks", nil, ""); r.status != 200 || strings.Contains(r.body, "whsec_") || !strings.Contains(r.body, "有効") {
			t.Errorf("the Japanese list: %d %.1500s", r.status, r.body)
		}

		// Real writes through the API; each kind arrives, verified.
		act := map[string]any{"slug": "webhook-workshop", "kind": "workshop", "title": map[string]string{"ja": "ワークショップ", "en": "Workshop"},
			"partners": []string{"ntu"}, "units": []string{}, "institutions": []string{}, "published": true}
		s.api(t, "POST", "/api/v1/activities", act, http.StatusCreated)
		act["version"] = 1
		act["title"] = map[string]string{"ja": "ワークショップ（改）", "en": "Workshop, revised"}
		s.api(t, "PUT", "/api/v1/activities/webhook-workshop", act, http.StatusOK)
		s.api(t, "DELETE", "/api/v1/activities/webhook-workshop?version=2", nil, http.StatusOK)
		s.api(t, "POST", "/api/v1/activities/webhook-workshop/restore", nil, http.StatusOK)
		s.api(t, "POST", "/api/v1/agreements", map[string]any{"slug": "pku-mou-2027", "partner": "pku", "kind": "mou", "level": "university",
			"title": map[string]string{"ja": "覚書の更新", "en": "Renewal of the memorandum"}, "renews": "pku-mou", "published": true}, http.StatusCreated)
		s.api(t, "POST", "/api/v1/agreements/pku-mou-2027/transitions", map[string]any{"verb": "submit", "version": 1}, http.StatusOK)
		reg := "Key,Partner,Kind,Signed by,Title (Japanese),Title (English),Units,Signed,Expires,Published\n" +
			"ntu-exchange-2016,NTU,exchange,university,学術交流協定,Exchange agreement with NTU,,2016-04-01,2021-03-31,yes\n"
		if r := s.send(t, "POST", "/api/v1/agreements/import", nil, "text/csv", reg); r.status >= 300 {
			t.Fatalf("register import: %d %s", r.status, r.body)
		}
		want := []string{"record.created/activity/webhook-workshop", "record.updated/activity/webhook-workshop",
			"record.deleted/activity/webhook-workshop", "record.restored/activity/webhook-workshop",
			"record.created/agreement/pku-mou-2027", "agreement.status_changed//pku-mou-2027",
			"record.created/agreement/ntu-exchange-2016", "import.finished//agreements"}
		got := func() []string {
			var out []string
			for _, d := range rc.deliveries() {
				var data struct{ Entity, Key, What, Home string }
				json.Unmarshal(d.Data, &data)
				out = append(out, d.Type+"/"+data.Entity+"/"+data.Key+data.What)
			}
			return out
		}
		waitUntil(t, "the events of the writes", func() bool {
			g := got()
			for _, w := range want {
				if !slices.Contains(g, w) {
					return false
				}
			}
			return true
		})
		for _, d := range rc.deliveries() {
			if d.Type == "agreement.status_changed" {
				var data struct{ Home, From, To, Verb string }
				json.Unmarshal(d.Data, &data)
				if data.Home != "utokyo" || data.From == data.To || data.Verb != "submit" {
					t.Errorf("status change: %s", d.Data)
				}
			}
		}
		if rj := rc.rejections(); len(rj) != 0 {
			t.Errorf("the receiver refused deliveries: %v", rj)
		}

		// A receiver failing once: the delivery is tried again and
		// taken; its page shows both tries.
		rc.set(secret, 1)
		before := len(rc.deliveries())
		if r := s.send(t, "POST", subPath+"/test", url.Values{}, ""); r.status != http.StatusSeeOther {
			t.Fatalf("test event: %d %s", r.status, r.body)
		}
		waitUntil(t, "the test event, retried", func() bool { return len(rc.deliveries()) > before })
		_, ds, err := s.db.Subscription(bg, s.admin, "utokyo", sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		test := ds[0]
		if test.Kind != partnerhub.WebhookTest || test.State != partnerhub.DeliveryDelivered || len(test.Attempts) != 2 ||
			test.Attempts[0].Status != 500 || !strings.Contains(test.Attempts[0].Response, "try again later") || test.Attempts[1].Status != 204 {
			t.Errorf("the test delivery: %+v", test)
		}
		if r := s.send(t, "GET", subPath, nil, ""); !strings.Contains(r.body, "HTTP 500") || !strings.Contains(r.body, "try again later") || !strings.Contains(r.body, "Delivered") {
			t.Errorf("the delivery log: %.3000s", r.body)
		}

		// Failing for good: two deliveries in a row fail their two tries,
		// and the subscription is paused; what comes meanwhile is held.
		rc.set(secret, 1000)
		for i := 4; i <= 5; i++ { // the restore made version 4
			act["version"] = i
			act["summary"] = map[string]string{"en": "Change " + strconv.Itoa(i)}
			s.api(t, "PUT", "/api/v1/activities/webhook-workshop", act, http.StatusOK)
		}
		waitUntil(t, "the pause", func() bool {
			sub, _, err := s.db.Subscription(bg, s.admin, "utokyo", sub.ID)
			return err == nil && sub.State == partnerhub.WebhookPaused
		})
		if r := s.send(t, "GET", subPath, nil, ""); !strings.Contains(r.body, "paused after repeated failed deliveries") {
			t.Errorf("the paused page: %.2000s", r.body)
		}
		rc.set(secret, 0)
		taken := len(rc.deliveries())
		act["version"] = 6
		act["summary"] = map[string]string{"en": "While paused"}
		s.api(t, "PUT", "/api/v1/activities/webhook-workshop", act, http.StatusOK)
		waitUntil(t, "the held delivery", func() bool {
			_, ds, _ := s.db.Subscription(bg, s.admin, "utokyo", sub.ID)
			return len(ds) > 0 && ds[0].State == partnerhub.DeliveryHeld
		})
		if len(rc.deliveries()) != taken {
			t.Error("a paused subscription was sent to")
		}
		if r := s.send(t, "POST", subPath+"/resume", url.Values{}, ""); r.status != http.StatusSeeOther {
			t.Fatalf("resume: %d", r.status)
		}
		waitUntil(t, "the held delivery, sent on resuming", func() bool { return len(rc.deliveries()) > taken })
		sub2, _, _ := s.db.Subscription(bg, s.admin, "utokyo", sub.ID)
		if sub2.State != partnerhub.WebhookActive || sub2.Failures != 0 {
			t.Errorf("resumed: %+v", sub2)
		}

		// A new secret: shown once, and what follows is signed with it.
		r = s.send(t, "POST", subPath+"/rotate", url.Values{}, "")
		secret2 := secretRe.FindString(html.UnescapeString(r.body))
		if r.status != 200 || secret2 == "" || secret2 == secret {
			t.Fatalf("rotate: %d", r.status)
		}
		rc.set(secret2, 0)
		taken = len(rc.deliveries())
		s.send(t, "POST", subPath+"/test", url.Values{}, "")
		waitUntil(t, "a delivery signed with the new secret", func() bool { return len(rc.deliveries()) > taken })

		// A subscription to an address the server does not send to (as a
		// host name resolving to it would be): refused, with the reason.
		bad, err := s.db.CreateWebhook(bg, s.admin, "utokyo", partnerhub.WebhookSpec{URL: strings.Replace(hookURL, "127.0.0.1", "127.0.0.2", 1),
			Kinds: []partnerhub.WebhookKind{partnerhub.WebhookRecordCreated}}, webhook.NewSecret(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s.send(t, "POST", "/en/admin/webhooks/"+strconv.FormatInt(bad.ID, 10)+"/test", url.Values{}, "")
		var refused partnerhub.WebhookDelivery
		waitUntil(t, "the refusal", func() bool {
			_, ds, _ := s.db.Subscription(bg, s.admin, "utokyo", bad.ID)
			if len(ds) > 0 && ds[0].State == partnerhub.DeliveryRefused {
				refused = ds[0]
				return true
			}
			return false
		})
		if len(refused.Attempts) != 1 || !strings.Contains(refused.Attempts[0].Error, "127.0.0.2 is a loopback address") {
			t.Errorf("refused: %+v", refused)
		}

		// Deleted: gone from the list; the audit log keeps each change,
		// never a secret.
		if r := s.send(t, "POST", "/en/admin/webhooks/"+strconv.FormatInt(bad.ID, 10)+"/delete", url.Values{}, ""); r.status != http.StatusSeeOther {
			t.Errorf("delete: %d", r.status)
		}
		if subs, _ := s.db.Subscriptions(bg, s.admin, "utokyo"); len(subs) != 1 {
			t.Errorf("%d subscriptions after the deletion", len(subs))
		}
		events, err := s.db.Audit(bg, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityWebhook})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range events {
			if strings.Contains(string(ev.Before)+string(ev.After), "whsec_") {
				t.Errorf("the audit log holds a secret: %s", ev.After)
			}
			actions = append(actions, string(ev.Action)+"/"+ev.Actor)
		}
		for _, w := range []string{"create/admin@example.ac.jp", "update/system", "update/admin@example.ac.jp", "delete/admin@example.ac.jp"} {
			if !slices.Contains(actions, w) {
				t.Errorf("audit log of webhooks %v lacks %s", actions, w)
			}
		}
	})
}
