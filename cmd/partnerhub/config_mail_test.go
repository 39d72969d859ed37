package main

import (
	"strings"
	"testing"

	"partnerhub/mail"
)

// -smtp and -mail-from are read from flags or the environment; bad values
// are refused naming the flag, and never with the password in the message.
func TestConfigMail(t *testing.T) {
	cfg, err := buildConfig(t, env("PARTNERHUB_SMTP", "smtp://ops%40u.ac.jp:s3cret-pw@mail.u.ac.jp", "PARTNERHUB_MAIL_FROM", "partnerhub <noreply@u.ac.jp>"))
	if err != nil {
		t.Fatal(err)
	}
	want := mail.SMTP{Host: "mail.u.ac.jp", Port: 587, TLS: mail.TLSStartTLSRequired, Username: "ops@u.ac.jp", Password: "s3cret-pw"}
	if cfg.SMTP == nil || *cfg.SMTP != want || cfg.MailFrom.Address != "noreply@u.ac.jp" {
		t.Fatalf("SMTP %+v, from %v", cfg.SMTP, cfg.MailFrom)
	}
	if s := cfg.SMTP.String(); strings.Contains(s, "s3cret") || s != "smtp://ops%40u.ac.jp@mail.u.ac.jp:587" {
		t.Errorf("String: %s", s)
	}
	cfg, err = buildConfig(t, env(), "-smtp", "smtps://mail.u.ac.jp", "-mail-from", "noreply@u.ac.jp")
	if err != nil || cfg.SMTP.Port != 465 || cfg.SMTP.TLS != mail.TLSImplicit {
		t.Fatalf("smtps: %+v, %v", cfg.SMTP, err)
	}
	cfg, err = buildConfig(t, env(), "-smtp", "smtp://127.0.0.1:1025?starttls=off", "-mail-from", "noreply@u.ac.jp")
	if err != nil || cfg.SMTP.Port != 1025 || cfg.SMTP.TLS != mail.TLSOff {
		t.Fatalf("starttls=off: %+v, %v", cfg.SMTP, err)
	}
	if cfg, err := buildConfig(t, env()); err != nil || cfg.SMTP != nil || cfg.MailFrom != nil {
		t.Fatalf("no mail by default: %+v, %v", cfg.SMTP, err)
	}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"-smtp", "http://u:s3cret-pw@mail.u.ac.jp", "-mail-from", "a@u.ac.jp"}, nil, "-smtp: unknown scheme \"http\""},
		{[]string{"-smtp", "smtp://u:s3cret-pw@mail.u.ac.jp:99999", "-mail-from", "a@u.ac.jp"}, nil, "-smtp: bad port"},
		{[]string{"-smtp", "smtp://u:s3cret-pw@mail.u.ac.jp?starttls=maybe", "-mail-from", "a@u.ac.jp"}, nil, "starttls=\"maybe\""},
		{[]string{"-smtp", "smtps://u:s3cret-pw@mail.u.ac.jp?starttls=off", "-mail-from", "a@u.ac.jp"}, nil, "-smtp: unknown or misplaced parameter"},
		{nil, []string{"PARTNERHUB_SMTP", "smtp://u:s3cret-pw@", "PARTNERHUB_MAIL_FROM", "a@u.ac.jp"}, "PARTNERHUB_SMTP: not an SMTP server's URL"},
		{[]string{"-smtp", "smtp://u:s3cret-pw@mail.u.ac.jp"}, nil, "-mail-from (PARTNERHUB_MAIL_FROM) is required"},
		{[]string{"-mail-from", "not an address"}, nil, "-mail-from: not a mail address"},
	} {
		_, err := buildConfig(t, env(tc.env...), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%v %v: %v; want %q, without the password", tc.args, tc.env, err, tc.want)
		}
	}
}
