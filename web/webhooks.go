package web

// The administrators' webhook pages: the home's subscriptions with their
// state and last delivery, a form to subscribe an HTTPS endpoint, and a
// subscription's page with its delivery log and what may be done to it
// (pause, resume, send a test event, rotate its secret, delete). A secret
// is shown once, on the page that answers its making; never again.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

type webhooksData struct {
	Subs   []partnerhub.WebhookSubscription
	Kinds  []partnerhub.WebhookKind
	Form   webhookForm
	Errors map[string]string
	Done   string
}

type webhookForm struct {
	URL   string
	Kinds []partnerhub.WebhookKind
}

// Has says whether the form asks for kind k (for its checkboxes).
func (f webhookForm) Has(k partnerhub.WebhookKind) bool { return slices.Contains(f.Kinds, k) }

type webhookData struct {
	Sub        *partnerhub.WebhookSubscription
	Deliveries []partnerhub.WebhookDelivery
	// Secret is shown once: on the page answering the subscription's
	// making or its secret's rotation.
	Secret string
	Done   string
}

// webhookDone are the notices of what was just done, by ?done=.
var webhookDone = map[string]string{
	"paused":  "webhooks.done_paused",
	"resumed": "webhooks.done_resumed",
	"tested":  "webhooks.done_tested",
	"deleted": "webhooks.done_deleted",
}

func (s *Server) webhookService() (partnerhub.WebhookService, error) {
	if s.deps.Webhooks == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return s.deps.Webhooks, nil
}

func (s *Server) webhooksPage(r *http.Request, v *view, d *webhooksData, status int) (*page, error) {
	ws, err := s.webhookService()
	if err != nil {
		return nil, err
	}
	if d.Subs, err = ws.Subscriptions(r.Context(), v.User, s.home(r)); err != nil {
		return nil, err
	}
	d.Kinds = partnerhub.WebhookKinds
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	return &page{Template: "webhooks", Title: v.P.T("webhooks.title"), Status: status, Data: d}, nil
}

func (s *Server) webhooksList(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	d := &webhooksData{}
	if key, ok := webhookDone[r.URL.Query().Get("done")]; ok {
		d.Done = v.P.T(key)
	}
	return s.webhooksPage(r, v, d, http.StatusOK)
}

func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	ws, err := s.webhookService()
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	f := webhookForm{URL: strings.TrimSpace(r.PostForm.Get("url"))}
	for _, k := range r.PostForm["kinds"] {
		f.Kinds = append(f.Kinds, partnerhub.WebhookKind(k))
	}
	sub, secret, err := ws.Subscribe(r.Context(), v.User, s.home(r), partnerhub.WebhookSpec{URL: f.URL, Kinds: f.Kinds})
	if err != nil {
		fields, err := fieldErrors(v, err)
		if err != nil {
			return nil, err
		}
		return s.webhooksPage(r, v, &webhooksData{Form: f, Errors: fields}, http.StatusBadRequest)
	}
	s.logSecurity(r, "webhook_created", "subscription", sub.ID)
	return s.webhookShow(w, r, v, sub.ID, secret, v.P.T("webhooks.done_created"))
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.webhook_not_found", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := webhookID(r)
	if err != nil {
		return nil, err
	}
	done := ""
	if key, ok := webhookDone[r.URL.Query().Get("done")]; ok {
		done = v.P.T(key)
	}
	return s.webhookShow(w, r, v, id, "", done)
}

func (s *Server) webhookShow(w http.ResponseWriter, r *http.Request, v *view, id int64, secret, done string) (*page, error) {
	ws, err := s.webhookService()
	if err != nil {
		return nil, err
	}
	sub, ds, err := ws.Subscription(r.Context(), v.User, s.home(r), id)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Cache-Control", "no-store")
	return &page{Template: "webhook", Title: v.P.T("webhooks.one_title", sub.ID),
		Data: &webhookData{Sub: sub, Deliveries: ds, Secret: secret, Done: done}}, nil
}

// webhookActionOf pauses, resumes, tests, rotates or deletes the
// subscription of the path, as its last part says.
func (s *Server) webhookActionOf(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	action := r.PathValue("action")
	if !slices.Contains([]string{"pause", "resume", "test", "delete", "rotate"}, action) {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return s.webhookAction(action)(w, r, v)
}

// webhookAction is one of webhookActionOf's actions.
func (s *Server) webhookAction(action string) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		ws, err := s.webhookService()
		if err != nil {
			return nil, err
		}
		id, err := webhookID(r)
		if err != nil {
			return nil, err
		}
		ctx, home := r.Context(), s.home(r)
		done := ""
		switch action {
		case "pause":
			done, err = "paused", ws.SetWebhookState(ctx, v.User, home, id, partnerhub.WebhookPaused)
		case "resume":
			done, err = "resumed", ws.SetWebhookState(ctx, v.User, home, id, partnerhub.WebhookActive)
		case "test":
			done, err = "tested", ws.TestWebhook(ctx, v.User, home, id)
		case "delete":
			if err := ws.DeleteSubscription(ctx, v.User, home, id); err != nil {
				return nil, err
			}
			s.logSecurity(r, "webhook_deleted", "subscription", id)
			http.Redirect(w, r, v.L()+"/admin/webhooks?done=deleted", http.StatusSeeOther)
			return nil, nil
		case "rotate":
			secret, err := ws.RotateWebhookSecret(ctx, v.User, home, id)
			if err != nil {
				return nil, err
			}
			s.logSecurity(r, "webhook_secret_rotated", "subscription", id)
			return s.webhookShow(w, r, v, id, secret, v.P.T("webhooks.done_rotated"))
		}
		if err != nil {
			return nil, err
		}
		s.logSecurity(r, "webhook_"+done, "subscription", id)
		http.Redirect(w, r, v.L()+"/admin/webhooks/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
		return nil, nil
	}
}
