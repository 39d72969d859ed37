package partnerhub

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// What follows the committee's decisions: the decision letters, the
// awarded projects the public reads, the reports they owe and the
// activities they led to.
//
// Only awarded proposals are ever public, and of them only what a
// project's page says: its title, its leads (names, units, the partner's
// affiliation), its units, its call and year. Abstracts, plans, budgets,
// reviews and scores stay with the applicants and the committee: an
// abstract was written for reviewers, not for the portal.

// ReportKind is which report an awarded project owes.
type ReportKind string

const (
	ReportInterim ReportKind = "interim"
	ReportFinal   ReportKind = "final"
)

var ReportKinds = []ReportKind{ReportInterim, ReportFinal}

// MaxReportChars bounds a report's text.
const MaxReportChars = 50000

// ProjectReport is a report an awarded project owes on its call's date.
type ProjectReport struct {
	Proposal    int64       `json:"proposal"`
	Kind        ReportKind  `json:"kind"`
	Due         PartialDate `json:"due"`
	Body        string      `json:"body"`
	SubmittedAt *time.Time  `json:"submitted_at"`
	SubmittedBy string      `json:"submitted_by,omitempty"`
	// RemindedAt is the last reminder sent: before the due date, then once
	// more when overdue.
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
}

// ReportState is where a report stands on a day.
type ReportState string

const (
	ReportSubmitted ReportState = "submitted"
	ReportDueSoon   ReportState = "due" // due within ReportReminderDays
	ReportOverdue   ReportState = "overdue"
	ReportLater     ReportState = "later"
)

// ReportReminderDays is how long before its due date a report is
// reminded of.
const ReportReminderDays = 30

// State is the report's state on the day of now (Japan time): overdue
// from the day after its due date.
func (r *ProjectReport) State(now time.Time) ReportState {
	if r.SubmittedAt != nil {
		return ReportSubmitted
	}
	days := DaysLeft(r.Due, now)
	switch {
	case days < 0:
		return ReportOverdue
	case days <= ReportReminderDays:
		return ReportDueSoon
	}
	return ReportLater
}

// ValidateReport checks a report's text before it is submitted.
func ValidateReport(kind ReportKind, body string) error {
	errs := FieldErrors{}
	validateEnum(errs, "kind", kind, ReportKinds, true)
	switch {
	case !utf8.ValidString(body):
		errs.Add("body", "bad_utf8")
	case len([]rune(body)) > MaxReportChars:
		errs.Add("body", "too_long_chars", MaxReportChars)
	case strings.TrimSpace(body) == "":
		errs.Add("body", "required")
	}
	return errs.Err()
}

// ProjectLead is an applicant of an awarded project as the public reads
// them: name and place, never their address.
type ProjectLead struct {
	Name        string     `json:"name"`
	Role        MemberRole `json:"role"`
	Side        Side       `json:"side"`
	Unit        string     `json:"unit,omitempty"`        // a home unit's code
	Affiliation string     `json:"affiliation,omitempty"` // at the partner
}

// Project is an awarded proposal, as public as it gets.
type Project struct {
	ID        int64         `json:"id"`
	Fund      string        `json:"fund"`
	FundName  Text          `json:"fund_name"`
	Partners  []string      `json:"partners"`
	Call      int           `json:"call"`
	CallTitle Text          `json:"call_title"`
	Grant     Text          `json:"grant"`
	Year      int           `json:"year"` // of the committee's meeting
	Title     Text          `json:"title"`
	Leads     []ProjectLead `json:"leads"` // the lead and the co-lead
	Units     []string      `json:"units"`
	// Activities are the slugs of the activities it led to.
	Activities []string `json:"activities"`
}

// Path is the project's page below /{lang}.
func (p *Project) Path() string { return "/projects/" + strconv.FormatInt(p.ID, 10) }

// ProjectFilter selects projects; zero fields select all.
type ProjectFilter struct {
	Fund string
}

// FundHistory is a fund's record: what it declared before it was run
// here, and what is recorded here.
type FundHistory struct {
	DeclaredCalls    int `json:"declared_calls"`
	DeclaredProjects int `json:"declared_projects"`
	// Calls are the published calls recorded here, Projects the awards
	// recorded here.
	Calls    int `json:"calls"`
	Projects int `json:"projects"`
}

// DueReport is a report as the fund's administrators follow it.
type DueReport struct {
	ProjectReport
	Title Text   `json:"title"`
	Call  int    `json:"call"`
	Lead  string `json:"lead"`
}

// DecisionService records the committee's decisions and what follows.
type DecisionService interface {
	// Decide records (Version 0) or changes the decision on a submitted
	// proposal; the decision as saved.
	Decide(ctx context.Context, actor *User, home string, id int64, d Decision) (Decision, error)
	// SendLetters queues the decision letters of a call's decided
	// proposals (of one proposal when id is not 0) not yet sent; how many
	// proposals' letters it queued.
	SendLetters(ctx context.Context, actor *User, home, fund string, call int, id int64) (int, error)

	// FundHistory is a fund's record, for its public page.
	FundHistory(ctx context.Context, home, fund string) (FundHistory, error)
	Projects(ctx context.Context, home string, f ProjectFilter) ([]Project, error)
	Project(ctx context.Context, home string, id int64) (Project, error)

	// Reports lists an awarded project's reports, for its applicants and
	// its fund's committee.
	Reports(ctx context.Context, actor *User, home string, id int64) ([]ProjectReport, error)
	SubmitReport(ctx context.Context, actor *User, home string, id int64, kind ReportKind, body string) error
	// DueReports lists a fund's reports not submitted, for its
	// administrators.
	DueReports(ctx context.Context, actor *User, home, fund string) ([]DueReport, error)
	// LinkActivity links (or, with unlink, unlinks) an awarded project to
	// an activity it led to.
	// ProjectLinks lists the slugs of the activities an awarded project is
	// linked to, for its applicants and committee.
	ProjectLinks(ctx context.Context, actor *User, home string, id int64) ([]string, error)
	LinkActivity(ctx context.Context, actor *User, home string, id int64, activity string, unlink bool) error
}
