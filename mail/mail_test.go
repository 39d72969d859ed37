package mail

import (
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
)

func TestParseSMTP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SMTP
	}{
		{"smtp://mail.example.ac.jp", SMTP{Host: "mail.example.ac.jp", Port: 587, TLS: TLSStartTLSRequired}},
		{"smtp://u:p%40ss@mail.example.ac.jp:2525?starttls=opportunistic", SMTP{Host: "mail.example.ac.jp", Port: 2525, TLS: TLSStartTLSOpportunistic, Username: "u", Password: "p@ss"}},
		{"smtp://127.0.0.1:1025?starttls=off", SMTP{Host: "127.0.0.1", Port: 1025, TLS: TLSOff}},
		{"smtps://u:p@[2001:db8::1]", SMTP{Host: "2001:db8::1", Port: 465, TLS: TLSImplicit, Username: "u", Password: "p"}},
	} {
		got, err := ParseSMTP(tc.in)
		if err != nil || *got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if strings.Contains(got.String(), ":p") {
			t.Errorf("%s: String shows the password: %s", tc.in, got.String())
		}
	}
	for in, key := range map[string]string{
		"mail.example.ac.jp":                      "mail.smtp_bad_url",
		"smtp://":                                 "mail.smtp_bad_url",
		"smtp://:p@mail.example.ac.jp":            "mail.smtp_bad_url",
		"smtp://mail.example.ac.jp/path":          "mail.smtp_bad_url",
		"http://mail.example.ac.jp":               "mail.smtp_bad_scheme",
		"smtp://mail.example.ac.jp:0":             "mail.smtp_bad_port",
		"smtp://mail.example.ac.jp?tls=1":         "mail.smtp_bad_param",
		"smtps://mail.example.ac.jp?starttls=off": "mail.smtp_bad_param",
		"smtp://mail.example.ac.jp?starttls=yes":  "mail.smtp_bad_starttls",
	} {
		_, err := ParseSMTP(in)
		ce, ok := err.(*ConfigError)
		if !ok || ce.Key != key {
			t.Errorf("%s: %v; want %s", in, err, key)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 4: 8 * time.Minute, 20: 6 * time.Hour} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// The HTML part escapes what the user typed (their name); the plain part
// carries it as it is; each is in the recipient's language, and every
// message gets its own Message-ID of the site's host.
func TestSecurityNoticeComposition(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := &Composer{Messages: cat, BaseURL: "https://partners.example.ac.jp/"}
	name := `<script>alert("x")</script> & Co`
	at := time.Date(2026, 12, 6, 3, 4, 0, 0, time.UTC)
	m, err := c.SecurityNotice("a@example.ac.jp", name, partnerhub.English, FactorRemoved, at)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") || !strings.Contains(m.HTML, "&amp; Co") {
		t.Errorf("HTML part does not escape the name:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "Dear "+name+",") || !strings.Contains(m.Text, "2026-12-06 03:04 UTC") {
		t.Errorf("text part:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, "https://partners.example.ac.jp/en/account/mfa\n") || strings.Contains(m.HTML, "style=") {
		t.Errorf("link or inline style:\n%s\n%s", m.Text, m.HTML)
	}
	ja, _ := c.SecurityNotice("a@example.ac.jp", "山田", partnerhub.Japanese, FactorRemoved, at)
	if ja.Subject != "2段階認証の手段が削除されました" || !strings.Contains(ja.Text, "山田 様") || ja.Language != partnerhub.Japanese {
		t.Errorf("Japanese notice: %q\n%s", ja.Subject, ja.Text)
	}
	if !strings.HasSuffix(m.MessageID, "@partners.example.ac.jp") || m.MessageID == ja.MessageID {
		t.Errorf("Message-IDs %q and %q", m.MessageID, ja.MessageID)
	}
	for _, ev := range []SecurityEvent{PasswordChanged, PasswordReset, FactorAdded, FactorRemoved, FactorsReset} {
		for _, l := range partnerhub.Langs {
			m, _ := c.SecurityNotice("a@example.ac.jp", "n", l, ev, at)
			if strings.HasPrefix(m.Subject, "mail.") || strings.Contains(m.Text, "mail.") {
				t.Errorf("%s in %s: a message key is missing from the catalogs:\n%s\n%s", ev, l, m.Subject, m.Text)
			}
		}
	}
}
