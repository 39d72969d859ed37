package partnerhub

// The network's events: symposia, workshops and seminars that network
// editors organise for every member, with a public registration that
// needs no account. Registrants' personal data (name, affiliation,
// address) is seen by the organisers only, and deleted a set number of
// days after the event ends; the counts stay.

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EventKind is what sort of event it is.
type EventKind string

const (
	EventSymposium EventKind = "symposium"
	EventWorkshop  EventKind = "workshop"
	EventSeminar   EventKind = "seminar"
	EventOther     EventKind = "other"
)

var EventKinds = []EventKind{EventSymposium, EventWorkshop, EventSeminar, EventOther}

// EventState is where an event stands: a draft only its organisers see,
// published (its page and registration open to all), or cancelled (its
// page says so; nobody registers).
type EventState string

const (
	EventDraft     EventState = "draft"
	EventPublished EventState = "published"
	EventCancelled EventState = "cancelled"
)

var EventStates = []EventState{EventDraft, EventPublished, EventCancelled}

// DefaultEventRetentionDays is how long after an event its registrants'
// data is kept, unless the organisers say otherwise.
const DefaultEventRetentionDays = 30

// MaxEventRetentionDays bounds the retention an organiser may set.
const MaxEventRetentionDays = 3650

// NetworkEvent is an event of the network. Instants are UTC; pages show
// them in Japan time.
type NetworkEvent struct {
	ID          int64     `json:"id"`
	Title       Text      `json:"title"`
	Description Text      `json:"description"`
	Kind        EventKind `json:"kind"`
	Venue       Text      `json:"venue"` // where it is held; empty when only online
	Online      bool      `json:"online"`
	Starts      time.Time `json:"starts_at"`
	Ends        time.Time `json:"ends_at"`
	Capacity    int       `json:"capacity"`
	// Registration is open from RegistrationOpens until RegistrationCloses.
	RegistrationOpens  time.Time `json:"registration_opens"`
	RegistrationCloses time.Time `json:"registration_closes"`
	// Organiser is the member that organises it (its slug); "" for the
	// network as a whole.
	Organiser string `json:"organiser,omitempty"`
	// OrganiserName is the organising member's institution's name (read
	// only).
	OrganiserName *Text      `json:"organiser_name,omitempty"`
	State         EventState `json:"state"`
	RetentionDays int        `json:"retention_days"`
	Version       int        `json:"version"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Counts: places taken, people waiting, registrations cancelled. After
	// the registrants' data is deleted (Purged) they are the counts kept.
	Confirmed int  `json:"confirmed"`
	Waiting   int  `json:"waiting"`
	Cancelled int  `json:"cancelled"`
	Purged    bool `json:"purged,omitempty"`
}

// Remaining is how many places are left.
func (e NetworkEvent) Remaining() int { return max(0, e.Capacity-e.Confirmed) }

// RegistrationOpen reports whether people may register at now.
func (e *NetworkEvent) RegistrationOpen(now time.Time) bool {
	return e.State == EventPublished && !now.Before(e.RegistrationOpens) && now.Before(e.RegistrationCloses) && now.Before(e.Ends)
}

// PurgeAt is when the registrants' data is deleted.
func (e *NetworkEvent) PurgeAt() time.Time { return e.Ends.AddDate(0, 0, e.RetentionDays) }

// Validate checks an event before it is saved.
func (e *NetworkEvent) Validate() error {
	errs := FieldErrors{}
	validateText(errs, "title", e.Title, true)
	validateText(errs, "description", e.Description, false)
	validateEnum(errs, "kind", e.Kind, EventKinds, true)
	validateText(errs, "venue", e.Venue, false)
	if !e.Online && (strings.TrimSpace(e.Venue.Ja) == "" || strings.TrimSpace(e.Venue.En) == "") {
		if e.Venue.Ja == "" {
			errs.Add("venue.ja", "nevent_venue_or_online")
		}
		if e.Venue.En == "" {
			errs.Add("venue.en", "nevent_venue_or_online")
		}
	}
	if e.Starts.IsZero() {
		errs.Add("starts_at", "required")
	}
	if e.Ends.IsZero() {
		errs.Add("ends_at", "required")
	} else if !e.Starts.IsZero() && !e.Ends.After(e.Starts) {
		errs.Add("ends_at", "nevent_ends_before_start")
	}
	if e.Capacity < 1 {
		errs.Add("capacity", "positive")
	} else if e.Capacity > 100000 {
		errs.Add("capacity", "nevent_capacity_max", 100000)
	}
	if e.RegistrationOpens.IsZero() {
		errs.Add("registration_opens", "required")
	}
	if e.RegistrationCloses.IsZero() {
		errs.Add("registration_closes", "required")
	} else if !e.RegistrationOpens.IsZero() && !e.RegistrationCloses.After(e.RegistrationOpens) {
		errs.Add("registration_closes", "nevent_closes_before_opens")
	} else if !e.Ends.IsZero() && e.RegistrationCloses.After(e.Ends) {
		errs.Add("registration_closes", "nevent_closes_after_end")
	}
	if e.Organiser != "" {
		validateSlug(errs, "organiser", e.Organiser)
	}
	validateEnum(errs, "state", e.State, EventStates, true)
	if e.RetentionDays < 0 || e.RetentionDays > MaxEventRetentionDays {
		errs.Add("retention_days", "nevent_retention", MaxEventRetentionDays)
	}
	return errs.Err()
}

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

const (
	RegistrationConfirmed RegistrationStatus = "confirmed"
	RegistrationWaiting   RegistrationStatus = "waiting"
)

// Registrant is what a person gives to register: nothing else is asked.
type Registrant struct {
	Name        string `json:"name"`
	Affiliation string `json:"affiliation"`
	Email       string `json:"email"`
	Lang        Lang   `json:"language"`
}

// Normalize trims the fields and lower-cases the address, so that one
// person registers once whatever the case they type.
func (r *Registrant) Normalize() {
	r.Name, r.Affiliation = strings.TrimSpace(r.Name), strings.TrimSpace(r.Affiliation)
	r.Email = NormalizeEmail(r.Email)
}

// Validate checks a registrant, field by field.
func (r *Registrant) Validate() error {
	errs := FieldErrors{}
	for _, f := range []struct{ name, v string }{{"name", r.Name}, {"affiliation", r.Affiliation}} {
		switch {
		case f.v == "":
			errs.Add(f.name, "required")
		case !utf8.ValidString(f.v):
			errs.Add(f.name, "bad_utf8")
		case strings.ContainsFunc(f.v, unicode.IsControl):
			errs.Add(f.name, "one_line")
		case utf8.RuneCountInString(f.v) > MaxLineChars:
			errs.Add(f.name, "too_long_chars", MaxLineChars)
		}
	}
	if r.Email == "" {
		errs.Add("email", "required")
	} else if !validEmail(r.Email) {
		errs.Add("email", "bad_email")
	}
	if _, ok := ParseLang(string(r.Lang)); !ok {
		errs.Add("language", "one_of", "ja, en")
	}
	return errs.Err()
}

// Registration is one person's registration, as the organisers see it.
type Registration struct {
	ID          int64              `json:"id"`
	Event       int64              `json:"event"`
	Name        string             `json:"name"`
	Affiliation string             `json:"affiliation"`
	Email       string             `json:"email"`
	Lang        Lang               `json:"language"`
	Status      RegistrationStatus `json:"status"`
	Position    int                `json:"position,omitempty"` // on the waiting list, from 1
	CreatedAt   time.Time          `json:"created_at"`
	PromotedAt  *time.Time         `json:"promoted_at,omitempty"`
}

// EventFilter selects events: Drafts includes drafts (and is refused to
// anyone but the organisers).
type EventFilter struct {
	Drafts bool
}

// NetworkEventService keeps the network's events and their registrations.
// Organising (writing events, reading registrations) is for network
// editors, through Authorize; registering and cancelling need no account.
type NetworkEventService interface {
	// NetworkEvents are the events, upcoming first (soonest first), then
	// past ones (latest first). Without f.Drafts, published and cancelled
	// ones only.
	NetworkEvents(ctx context.Context, u *User, f EventFilter, now time.Time) ([]NetworkEvent, error)
	// NetworkEvent is one event; a draft is not found but by its organisers.
	NetworkEvent(ctx context.Context, u *User, id int64) (*NetworkEvent, error)
	// PutNetworkEvent creates (ID 0) or updates an event (at e.Version:
	// a conflict otherwise).
	PutNetworkEvent(ctx context.Context, u *User, e NetworkEvent, now time.Time) (*NetworkEvent, error)
	// Register registers r for an event: a place while there are any,
	// else the waiting list; a mail goes to the address. An address
	// already registered is told so by mail, and the caller learns
	// nothing of it: the answer is the same.
	Register(ctx context.Context, id int64, r Registrant, now time.Time) error
	// RegistrationByToken is the registration of a cancel link's token,
	// with its event.
	RegistrationByToken(ctx context.Context, token string) (*Registration, *NetworkEvent, error)
	// CancelRegistration cancels the registration of a cancel link's
	// token; a place freed goes to the first waiting, who is mailed.
	CancelRegistration(ctx context.Context, token string, now time.Time) error
	// Registrations are an event's registrations: confirmed ones, then
	// the waiting list in order. For the organisers only.
	Registrations(ctx context.Context, u *User, id int64) ([]Registration, error)
}

// EventPath is an event's page, without the language.
func EventPath(id int64) string { return "/network/events/" + strconv.FormatInt(id, 10) }
