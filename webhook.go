package partnerhub

// Webhooks: a home's administrators subscribe an HTTPS endpoint of their
// own systems to kinds of events, which are sent to it signed as the
// Standard Webhooks specification says (package webhook) by the job queue.
// The events are made from the audit log, in the transaction of the write
// they tell of (store), so no write path can forget one.

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookKind is a kind of event a subscription may ask for.
type WebhookKind string

const (
	// A programme's record (partner, team, activity, agreement,
	// institution, unit) created, changed, deleted or restored.
	WebhookRecordCreated  WebhookKind = "record.created"
	WebhookRecordUpdated  WebhookKind = "record.updated"
	WebhookRecordDeleted  WebhookKind = "record.deleted"
	WebhookRecordRestored WebhookKind = "record.restored"
	// An agreement's status changed: a transition of its workflow, or an
	// edit of its status.
	WebhookAgreementStatus WebhookKind = "agreement.status_changed"
	// A joint fund's committee decided on a proposal, or changed its
	// decision.
	WebhookFundDecision WebhookKind = "fund.decision"
	// An import of mobility figures or of an agreements register finished
	// and was written.
	WebhookImportFinished WebhookKind = "import.finished"
	// WebhookTest is the event an administrator sends to check an
	// endpoint; it is not subscribed to.
	WebhookTest WebhookKind = "webhook.test"
)

// WebhookKinds are the kinds a subscription may ask for, in the order
// pages offer them.
var WebhookKinds = []WebhookKind{WebhookRecordCreated, WebhookRecordUpdated, WebhookRecordDeleted, WebhookRecordRestored,
	WebhookAgreementStatus, WebhookFundDecision, WebhookImportFinished}

// EntityWebhook is a webhook subscription, as the audit log names it.
const EntityWebhook Entity = "webhook"

// WebhookState is whether deliveries are sent to a subscription.
type WebhookState string

const (
	WebhookActive WebhookState = "active"
	// WebhookPaused: by an administrator, or after repeated failures;
	// events meanwhile are kept and sent when it is resumed.
	WebhookPaused WebhookState = "paused"
)

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // to be sent, or retried
	DeliveryHeld      DeliveryState = "held"      // its subscription is paused
	DeliveryDelivered DeliveryState = "delivered" // answered 2xx
	DeliveryFailed    DeliveryState = "failed"    // every try failed
	// DeliveryRefused: its address is one the server does not send to
	// (loopback, private, link-local …).
	DeliveryRefused DeliveryState = "refused"
)

// WebhookSubscription is an endpoint subscribed to kinds of events. Its
// secret is never part of it: it is shown once, when made or rotated.
type WebhookSubscription struct {
	ID    int64         `json:"id"`
	URL   string        `json:"url"`
	Kinds []WebhookKind `json:"kinds"`
	State WebhookState  `json:"state"`
	// PausedReason: "failures" (paused by the server) or "admin".
	PausedReason string    `json:"paused_reason,omitempty"`
	Failures     int       `json:"failures"` // deliveries failed in a row
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	// Last is its newest delivery, if any.
	Last *WebhookDelivery `json:"last,omitempty"`
}

// WebhookDelivery is one event sent to one subscription, with its tries.
type WebhookDelivery struct {
	ID         int64            `json:"id"`
	MessageID  string           `json:"message_id"` // webhook-id, the same on every try
	Kind       WebhookKind      `json:"kind"`
	State      DeliveryState    `json:"state"`
	CreatedAt  time.Time        `json:"created_at"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	Attempts   []WebhookAttempt `json:"attempts,omitempty"`
	Tries      int              `json:"tries"`
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	At       time.Time     `json:"at"`
	Status   int           `json:"status"` // 0: no answer
	Duration time.Duration `json:"duration"`
	Response string        `json:"response"` // the answer's start, bounded
	Error    string        `json:"error"`
}

// WebhookSpec is what an administrator asks for.
type WebhookSpec struct {
	URL   string
	Kinds []WebhookKind
}

// MaxWebhookURL bounds a subscription's address, in bytes.
const MaxWebhookURL = 2000

// Validate checks a subscription: an https URL of a host, without a user
// or password in it (it would be shown on pages), and one kind or more,
// each known. refused, when not nil, says whether an address given as an
// IP literal is one the server does not send to (see package webhook);
// host names are checked on the address dialled at each delivery.
func (s WebhookSpec) Validate(refused func(netip.Addr) bool) error {
	errs := FieldErrors{}
	raw := strings.TrimSpace(s.URL)
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		errs.Add("url", "required")
	case len(raw) > MaxWebhookURL:
		errs.Add("url", "too_long", MaxWebhookURL)
	case err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		errs.Add("url", "webhook_bad_url")
	case !strings.EqualFold(u.Scheme, "https"):
		errs.Add("url", "webhook_https")
	case u.User != nil:
		errs.Add("url", "webhook_userinfo")
	case u.Fragment != "":
		errs.Add("url", "webhook_bad_url")
	default:
		if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && refused != nil && refused(a.Unmap()) {
			errs.Add("url", "webhook_private", a.String())
		}
	}
	if len(s.Kinds) == 0 {
		errs.Add("kinds", "webhook_no_kind")
	}
	for _, k := range s.Kinds {
		if !slices.Contains(WebhookKinds, k) {
			errs.Add("kinds", "one_of", joinKinds(WebhookKinds))
		}
	}
	return errs.Err()
}

func joinKinds(ks []WebhookKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// WebhookService keeps a home's subscriptions; only the home's
// administrators may use it.
type WebhookService interface {
	Subscriptions(ctx context.Context, actor *User, home string) ([]WebhookSubscription, error)
	// Subscription is one, with its newest deliveries and their tries.
	Subscription(ctx context.Context, actor *User, home string, id int64) (*WebhookSubscription, []WebhookDelivery, error)
	// Subscribe makes a subscription and returns its secret, which is
	// never shown again.
	Subscribe(ctx context.Context, actor *User, home string, spec WebhookSpec) (*WebhookSubscription, string, error)
	// SetWebhookState pauses or resumes; a resumed subscription is sent
	// what was held while it was paused.
	SetWebhookState(ctx context.Context, actor *User, home string, id int64, state WebhookState) error
	DeleteSubscription(ctx context.Context, actor *User, home string, id int64) error
	// TestWebhook sends a test event, whatever the subscription's state.
	TestWebhook(ctx context.Context, actor *User, home string, id int64) error
	// RotateWebhookSecret gives the subscription a new secret, returned
	// once; deliveries from then on are signed with it.
	RotateWebhookSecret(ctx context.Context, actor *User, home string, id int64) (string, error)
}

// AuthorizeWebhooks lets a home's administrators, and only them, keep
// its subscriptions.
func AuthorizeWebhooks(u *User, home string) error {
	if err := AuthorizeHome(u, home); err != nil {
		return err
	}
	if u.Role != RoleAdmin {
		return Errorf(EForbidden, "error.admins_only")
	}
	return nil
}
