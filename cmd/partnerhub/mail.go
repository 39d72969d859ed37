package main

import (
	"log/slog"
	"time"

	"partnerhub/mail"
	"partnerhub/store"
)

// mailInterval is how often the queue's mail job sends the outbox's mail.
const mailInterval = 30 * time.Second

// useMail makes db write security notices with links to base; "" (a
// command other than serve) takes $PARTNERHUB_BASE_URL, else serve's
// default address, so that a password reset from the command line is
// notified too.
func (a *app) useMail(db *store.DB, base string) {
	if base == "" {
		base = baseURL(a.getenv(envName("base-url")))
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	db.SetMail(&mail.Composer{Messages: a.msgs, BaseURL: base})
}

// logMail says where mail goes, never with the SMTP password.
func logMail(log *slog.Logger, cfg Config) {
	if cfg.SMTP == nil {
		log.Info("mail", "smtp", "none", "note", "mail waits in the outbox")
		return
	}
	log.Info("mail", "smtp", cfg.SMTP.String(), "from", cfg.MailFrom.String())
}

// mailServer describes where mail goes, for the outbox page: "" for
// nowhere.
func mailServer(cfg Config) string {
	if cfg.SMTP == nil {
		return ""
	}
	return cfg.SMTP.String()
}
