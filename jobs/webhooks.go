package jobs

import (
	"context"
	"database/sql"
	"log/slog"
	"math"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/webhook"
)

// WebhookDispatchArgs is the periodic job that turns the webhooks' outbox
// of events into deliveries.
type WebhookDispatchArgs struct{}

func (WebhookDispatchArgs) Kind() string { return "webhook_dispatch" }

// WebhookDeliverArgs is the job that sends one delivery; each of its tries
// is one try of the delivery.
type WebhookDeliverArgs struct {
	Delivery int64  `json:"delivery"`
	Home     string `json:"home"`
}

func (WebhookDeliverArgs) Kind() string { return "webhook_deliver" }

// WebhookConfig tunes webhooks; the zero value takes the defaults named.
type WebhookConfig struct {
	Sender *webhook.Sender
	Guard  webhook.Guard // the same as the Sender's: checks addresses typed in
	// Every is how often the outbox is read (default 5s).
	Every time.Duration
	// Tries is how many times a delivery is tried (default 8: over about
	// an hour with the default back-off).
	Tries int
	// Backoff is the wait before try n+1 (default 30s·2^(n-1), at most an
	// hour).
	Backoff func(n int) time.Duration
	// PauseAfter is how many deliveries in a row may fail before their
	// subscription is paused (default 5).
	PauseAfter int
	Logger     *slog.Logger
	Now        func() time.Time
}

// Webhooks is partnerhub.WebhookService: the store's subscriptions, with
// the queue that sends their deliveries.
type Webhooks struct {
	db  *store.DB
	q   *Queue
	cfg WebhookConfig
}

var _ partnerhub.WebhookService = (*Webhooks)(nil)

// defaultBackoff doubles from 30 seconds, up to an hour.
func defaultBackoff(n int) time.Duration {
	d := 30 * time.Second * time.Duration(math.Pow(2, float64(max(n-1, 0))))
	return min(d, time.Hour)
}

// RegisterWebhooks registers the dispatch (periodic, on the leader) and
// the sending of deliveries on q, and returns the service the admin
// pages use.
func RegisterWebhooks(q *Queue, db *store.DB, cfg WebhookConfig) *Webhooks {
	if cfg.Every <= 0 {
		cfg.Every = 5 * time.Second
	}
	if cfg.Tries <= 0 {
		cfg.Tries = 8
	}
	if cfg.Backoff == nil {
		cfg.Backoff = defaultBackoff
	}
	if cfg.PauseAfter <= 0 {
		cfg.PauseAfter = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sender == nil {
		cfg.Sender = webhook.New(webhook.Options{Guard: cfg.Guard})
	}
	w := &Webhooks{db: db, q: q, cfg: cfg}
	RegisterFunc(q, func(ctx context.Context, j *river.Job[WebhookDispatchArgs]) error {
		_, err := w.Dispatch(ctx)
		return err
	})
	Register(q, &deliverWorker{w: w})
	q.Every(cfg.Every, WebhookDispatchArgs{}, true)
	return w
}

// Dispatch makes deliveries of the outbox's events now, and says how many
// events it took.
func (w *Webhooks) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.db.DispatchWebhooks(ctx, w.cfg.Now(), w.enqueue)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// enqueue is store.EnqueueDelivery on the queue.
func (w *Webhooks) enqueue(tx *sql.Tx, delivery int64, home string) error {
	_, err := w.q.InsertTx(context.Background(), tx, WebhookDeliverArgs{Delivery: delivery, Home: home},
		&river.InsertOpts{MaxAttempts: w.cfg.Tries})
	return err
}

type deliverWorker struct {
	river.WorkerDefaults[WebhookDeliverArgs]
	w *Webhooks
}

// NextRetry is the back-off between tries of a delivery.
func (d *deliverWorker) NextRetry(j *river.Job[WebhookDeliverArgs]) time.Time {
	return time.Now().Add(d.w.cfg.Backoff(j.Attempt))
}

func (d *deliverWorker) Timeout(*river.Job[WebhookDeliverArgs]) time.Duration { return time.Minute }

// Work tries a delivery once. A failure is an error while tries remain,
// so that the queue tries again after the back-off; the last failure, or
// a refused address, ends the job (the delivery's own state says it
// failed, on its subscription's page).
func (d *deliverWorker) Work(ctx context.Context, j *river.Job[WebhookDeliverArgs]) error {
	w := d.w
	job, err := w.db.WebhookDelivery(ctx, j.Args.Delivery)
	if err != nil || job == nil || job.State != partnerhub.DeliveryPending {
		return err
	}
	if job.SubState != partnerhub.WebhookActive && job.Kind != partnerhub.WebhookTest {
		return w.db.HoldWebhookDelivery(ctx, job.ID)
	}
	at := w.cfg.Now()
	res := w.cfg.Sender.Send(ctx, webhook.Message{URL: job.URL, Secret: job.Secret, ID: job.MessageID, Body: job.Payload})
	try := partnerhub.WebhookAttempt{At: at, Status: res.Status, Duration: res.Duration, Response: res.Response}
	if res.Err != nil {
		try.Error = res.Err.Error()
	}
	last := j.Attempt >= j.MaxAttempts
	outcome := partnerhub.DeliveryPending
	switch {
	case res.OK():
		outcome = partnerhub.DeliveryDelivered
	case res.Refused:
		outcome = partnerhub.DeliveryRefused
	case last:
		outcome = partnerhub.DeliveryFailed
	}
	paused, err := w.db.WebhookTried(ctx, job.ID, try, outcome, w.cfg.PauseAfter, w.cfg.Now())
	if err != nil {
		return err
	}
	log := w.cfg.Logger.With("delivery", job.ID, "subscription", job.Sub, "home", j.Args.Home, "kind", job.Kind,
		"try", j.Attempt, "status", res.Status, "duration_ms", res.Duration.Milliseconds())
	switch outcome {
	case partnerhub.DeliveryDelivered:
		log.Info("webhook delivered")
	case partnerhub.DeliveryRefused:
		log.Warn("webhook refused", "reason", try.Error)
	default:
		log.Warn("webhook failed", "error", try.Error, "final", outcome == partnerhub.DeliveryFailed)
	}
	if paused {
		w.cfg.Logger.Warn("webhook subscription paused after failures", "subscription", job.Sub, "home", j.Args.Home, "failures", w.cfg.PauseAfter)
	}
	if outcome == partnerhub.DeliveryPending {
		return res.Err
	}
	return nil
}

// ---- partnerhub.WebhookService ---------------------------------------------

func (w *Webhooks) Subscriptions(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.WebhookSubscription, error) {
	return w.db.Subscriptions(ctx, actor, home)
}

func (w *Webhooks) Subscription(ctx context.Context, actor *partnerhub.User, home string, id int64) (*partnerhub.WebhookSubscription, []partnerhub.WebhookDelivery, error) {
	return w.db.Subscription(ctx, actor, home, id)
}

// Subscribe refuses an address typed as an IP literal that deliveries
// would not go to, at the field, besides what the store checks.
func (w *Webhooks) Subscribe(ctx context.Context, actor *partnerhub.User, home string, spec partnerhub.WebhookSpec) (*partnerhub.WebhookSubscription, string, error) {
	if err := partnerhub.AuthorizeWebhooks(actor, home); err != nil {
		return nil, "", err
	}
	if err := spec.Validate(w.cfg.Guard.IsRefused); err != nil {
		return nil, "", err
	}
	secret := webhook.NewSecret()
	s, err := w.db.CreateWebhook(ctx, actor, home, spec, secret, w.cfg.Now())
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

func (w *Webhooks) SetWebhookState(ctx context.Context, actor *partnerhub.User, home string, id int64, state partnerhub.WebhookState) error {
	return w.db.SetWebhookState(ctx, actor, home, id, state, w.cfg.Now(), w.enqueue)
}

func (w *Webhooks) DeleteSubscription(ctx context.Context, actor *partnerhub.User, home string, id int64) error {
	return w.db.DeleteWebhook(ctx, actor, home, id, w.cfg.Now())
}

func (w *Webhooks) TestWebhook(ctx context.Context, actor *partnerhub.User, home string, id int64) error {
	return w.db.TestWebhook(ctx, actor, home, id, w.cfg.Now(), w.enqueue)
}

func (w *Webhooks) RotateWebhookSecret(ctx context.Context, actor *partnerhub.User, home string, id int64) (string, error) {
	secret := webhook.NewSecret()
	if err := w.db.RotateWebhookSecret(ctx, actor, home, id, secret, w.cfg.Now()); err != nil {
		return "", err
	}
	return secret, nil
}
