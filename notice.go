package partnerhub

// Notices: what the programme tells a signed-in user (on their
// notifications page, and by mail as they choose). A notice keeps its kind
// and its facts, never text: each reader sees it in their own language,
// made from the catalogs when it is shown or mailed.

import (
	"slices"
	"sort"
	"time"
)

// NoticeKind is what a notice is about.
type NoticeKind string

const (
	// NoticeApproval: an agreement waits for the recipient's approval.
	// Must be received: it cannot be turned off.
	NoticeApproval NoticeKind = "approval"
	// NoticeReturned: an agreement the recipient submitted was returned,
	// with a comment.
	NoticeReturned NoticeKind = "returned"
	// NoticeApproved: an agreement was approved by its whole chain, or
	// signed.
	NoticeApproved NoticeKind = "approved"
	// NoticeExpiring: an agreement expires in Days days.
	NoticeExpiring NoticeKind = "expiring"
	// NoticeImport: a mobility import finished (OK) or failed.
	NoticeImport NoticeKind = "import"
	// NoticeReview: a fund's proposal was assigned to the recipient to
	// review.
	NoticeReview NoticeKind = "review"
)

// NoticeKinds lists the kinds, in the order the account page shows them.
var NoticeKinds = []NoticeKind{NoticeApproval, NoticeReturned, NoticeApproved, NoticeExpiring, NoticeImport, NoticeReview}

// MustGet reports whether the kind is always mailed at once, whatever the
// recipient chose.
func (k NoticeKind) MustGet() bool { return k == NoticeApproval }

// Valid reports whether k is one of NoticeKinds.
func (k NoticeKind) Valid() bool { return slices.Contains(NoticeKinds, k) }

// Delivery is how a user wants mail of one kind of notice.
type Delivery string

const (
	DeliverImmediately Delivery = "immediate"
	DeliverDigest      Delivery = "digest" // in the weekly digest
	DeliverNone        Delivery = "none"   // on the notifications page only
)

// Deliveries lists the choices, the default first.
var Deliveries = []Delivery{DeliverImmediately, DeliverDigest, DeliverNone}

// Notice is one thing to tell. Its text is made in the reader's language
// from Kind and the details; Title is the thing's own name, in both.
type Notice struct {
	Kind   NoticeKind `json:"kind"`
	Entity Entity     `json:"entity"`
	Key    string     `json:"key"`   // the entity's key (an agreement's slug, an import's id)
	Title  Text       `json:"title"` // the thing's name
	Path   string     `json:"path"`  // the link, after the language: "/agreements/princeton-mou"
	NoticeDetails
}

// NoticeDetails are the facts a notice's text is made from; each kind
// uses some.
type NoticeDetails struct {
	Actor   string `json:"actor,omitempty"`   // who returned, approved, imported
	Comment string `json:"comment,omitempty"` // a return's reason
	Days    int    `json:"days,omitempty"`    // expiring: the days left
	Date    string `json:"date,omitempty"`    // expiring: the expiry date, as written
	OK      bool   `json:"ok,omitempty"`      // import: finished (true) or failed
	Count   int    `json:"count,omitempty"`   // import: the problems that refused it (0: it could not be run)
}

// Notification is a notice as one user received it.
type Notification struct {
	ID int64
	Notice
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Unread reports whether the user has not yet marked it read.
func (n Notification) Unread() bool { return n.ReadAt == nil }

// ---- reminders before expiry -------------------------------------------------

// DefaultReminderDays are the thresholds of reminders before an
// agreement's expiry.
var DefaultReminderDays = []int{180, 90, 30}

// ValidateReminderDays checks thresholds (each 1 to 3650 days, no two
// alike) and returns them largest first.
func ValidateReminderDays(days []int) ([]int, error) {
	errs := FieldErrors{}
	seen := map[int]bool{}
	for _, d := range days {
		if d < 1 || d > 3650 {
			errs.Add("reminder_days", "out_of_range", 1, 3650)
			break
		}
		if seen[d] {
			errs.Add("reminder_days", "duplicate", d)
			break
		}
		seen[d] = true
	}
	if len(days) == 0 {
		errs.Add("reminder_days", "required")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	out := slices.Clone(days)
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out, nil
}

// DueReminder is the one reminder due for an agreement that expires on
// expires (the last day its partial date may mean), on day today, given
// the thresholds (largest first) and those already sent: the smallest
// threshold crossed and not sent, or 0 when none is due. Only one is sent
// at a time: an agreement first seen 20 days before its expiry gets the
// 30-day reminder, not three at once; the larger thresholds it skipped
// are returned in skipped, to be recorded as passed.
func DueReminder(expires PartialDate, today time.Time, thresholds []int, sent []int) (days int, skipped []int) {
	if expires.IsZero() {
		return 0, nil
	}
	left := DaysLeft(expires, today)
	if left < 0 {
		return 0, nil // expired: nothing to remind of
	}
	for _, t := range thresholds {
		if left > t || slices.Contains(sent, t) {
			continue
		}
		if days != 0 {
			skipped = append(skipped, days)
		}
		days = t
	}
	return days, skipped
}

// DaysLeft is the number of whole days from today to the last day expires
// may mean (negative once it has passed).
func DaysLeft(expires PartialDate, today time.Time) int {
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	return int(expires.Last().Sub(day).Hours() / 24)
}

// AgreementPath is the link of a notice about agreement slug, after the
// language: the agreement's page for signed-in users.
func AgreementPath(slug string) string { return "/agreements/" + slug }
