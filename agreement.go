package partnerhub

import (
	"context"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The agreement's life: a draft goes up an approval chain, is signed by
// both sides, is in force, nears its expiry, lapses, or is renewed by a
// new version or terminated. The workflow moves the stage; the status a
// reader sees is derived from the stage and the dates, so nobody sets by
// hand what the calendar already says.

// AgreementStage is where the workflow has moved an agreement.
type AgreementStage string

const (
	StageDraft      AgreementStage = "draft"
	StageReview     AgreementStage = "review"
	StageApproved   AgreementStage = "approved"
	StageSigned     AgreementStage = "signed"
	StageTerminated AgreementStage = "terminated"
)

// AgreementStages are the stages in workflow order.
var AgreementStages = []AgreementStage{StageDraft, StageReview, StageApproved, StageSigned, StageTerminated}

// The statuses derived from a signed agreement's dates, beside the stages
// that are statuses as they are.
const (
	Draft      AgreementStatus = "draft"
	InReview   AgreementStatus = "review"
	Approved   AgreementStatus = "approved"
	Signed     AgreementStatus = "signed" // signed, not yet in force
	Expiring   AgreementStatus = "expiring"
	Renewed    AgreementStatus = "renewed"
	Terminated AgreementStatus = "terminated"
)

// Renewal is how an agreement continues past its term.
type Renewal string

const (
	RenewAutomatic Renewal = "automatic" // renews itself unless a side gives notice
	RenewByNotice  Renewal = "notice"    // renewed when a side asks, within the notice period
	RenewNone      Renewal = "none"      // ends; a new agreement is needed
)

// Renewals are the renewal terms; an empty value means not recorded.
var Renewals = []Renewal{RenewAutomatic, RenewByNotice, RenewNone}

// ExpiringWithin is how long before its expiry an agreement counts as
// expiring, unless its notice period asks for longer.
const ExpiringWithin = 180 * 24 * time.Hour

// MaxNoticeDays bounds an agreement's notice period.
const MaxNoticeDays = 3 * 366

// StatusOn is the agreement's status on day today (Japan time), given
// whether a signed agreement renews it. Dates decide where they can; the
// office's declaration (Declared: active, expired or unknown) stands only
// for an agreement whose expiry is not known.
func (a *Agreement) StatusOn(today time.Time, renewedBy bool) AgreementStatus {
	switch a.Stage {
	case StageDraft, "":
		return Draft
	case StageReview:
		return InReview
	case StageApproved:
		return Approved
	case StageTerminated:
		return Terminated
	}
	if renewedBy {
		return Renewed
	}
	start := a.Effective
	if start.IsZero() {
		start = a.Signed
	}
	if !start.IsZero() && today.Before(start.First()) {
		return Signed
	}
	if a.Expires.IsZero() {
		if a.Declared == "" {
			return Active
		}
		return a.Declared
	}
	end := a.Expires.Last()
	if !today.Before(end.AddDate(0, 0, 1)) {
		return Expired
	}
	window := ExpiringWithin
	if n := time.Duration(a.NoticeDays+30) * 24 * time.Hour; n > window {
		window = n
	}
	if end.Sub(today) < window {
		return Expiring
	}
	return Active
}

// InForce reports whether a status is one of a signed agreement that has
// not ended.
func (s AgreementStatus) InForce() bool { return s == Active || s == Expiring }

// DeriveAgreementStatuses sets every agreement's Status and RenewedBy for
// day today: run on each catalog read, and again when the day changes.
func (c *Catalog) DeriveAgreementStatuses(today time.Time) {
	renewedBy := map[string]string{}
	for _, a := range c.Agreements {
		if a.Renews != "" && a.Stage == StageSigned {
			renewedBy[a.Renews] = a.Slug
		}
	}
	for i := range c.Agreements {
		a := &c.Agreements[i]
		a.RenewedBy = renewedBy[a.Slug]
		a.Status = a.StatusOn(today, a.RenewedBy != "")
	}
}

// ApproverKind says who approves a step of an approval chain.
type ApproverKind string

const (
	// ApproverCoordinator is a coordinator of one of the agreement's units
	// or, when it names none, of the partner's lead unit.
	ApproverCoordinator ApproverKind = "coordinator"
	// ApproverOffice is an administrator of the programme office.
	ApproverOffice ApproverKind = "office"
	// ApproverPerson is one named person, such as an executive.
	ApproverPerson ApproverKind = "person"
)

// ApproverKinds are every kind of approver.
var ApproverKinds = []ApproverKind{ApproverCoordinator, ApproverOffice, ApproverPerson}

// ApprovalStep is one step of a chain.
type ApprovalStep struct {
	Approver ApproverKind `json:"approver"`
	Email    string       `json:"email,omitempty"` // for a person
}

// ApprovalChain is who approves an agreement of a kind, in order.
type ApprovalChain struct {
	Kind  AgreementKind  `json:"kind"`
	Steps []ApprovalStep `json:"steps"`
	// BuiltIn: the home has not configured this kind's chain.
	BuiltIn bool `json:"built_in"`
}

// MaxApprovalSteps bounds a chain.
const MaxApprovalSteps = 8

// DefaultChain is the chain of a kind no home has configured: the lead
// unit's coordinator, then the programme office.
func DefaultChain(k AgreementKind) ApprovalChain {
	return ApprovalChain{Kind: k, BuiltIn: true, Steps: []ApprovalStep{{Approver: ApproverCoordinator}, {Approver: ApproverOffice}}}
}

// Validate checks a chain: known approvers, a person named by a valid
// address, at least one step.
func (c *ApprovalChain) Validate() error {
	errs := FieldErrors{}
	validateEnum(errs, "kind", c.Kind, AgreementKinds, true)
	switch {
	case len(c.Steps) == 0:
		errs.Add("steps", "required")
	case len(c.Steps) > MaxApprovalSteps:
		errs.Add("steps", "too_many", MaxApprovalSteps)
	}
	for i, s := range c.Steps {
		f := "steps." + strconv.Itoa(i)
		if !slices.Contains(ApproverKinds, s.Approver) {
			errs.Add(f+".approver", "one_of", joinEnum(ApproverKinds))
			continue
		}
		if s.Approver == ApproverPerson {
			if !validEmail(s.Email) {
				errs.Add(f+".email", "bad_email")
			}
		} else if s.Email != "" {
			errs.Add(f+".email", "only_for_person")
		}
	}
	return errs.Err()
}

// Review is an agreement's approval under way: the chain as it stood at
// submission, and the step waiting.
type Review struct {
	Chain       []ApprovalStep `json:"chain"`
	Step        int            `json:"step"`         // index into Chain of the step waiting
	SubmittedBy string         `json:"submitted_by"` // e-mail address
}

// Waiting is the step waiting, or nil when the chain is done.
func (r *Review) Waiting() *ApprovalStep {
	if r == nil || r.Step >= len(r.Chain) {
		return nil
	}
	return &r.Chain[r.Step]
}

// CanApprove reports whether u is the approver of step s of an agreement
// whose approving units are units.
func (s ApprovalStep) CanApprove(u *User, units []string) bool {
	if u == nil || u.Disabled {
		return false
	}
	switch s.Approver {
	case ApproverCoordinator:
		return u.Role == RoleCoordinator && slices.ContainsFunc(u.Units, func(c string) bool { return slices.Contains(units, c) })
	case ApproverOffice:
		return u.Role == RoleAdmin
	case ApproverPerson:
		// Never a guest: an approver reads the draft.
		return NormalizeEmail(s.Email) == NormalizeEmail(u.Email) && CanReadDrafts(u)
	}
	return false
}

// The verbs of an agreement's life.
const (
	VerbSubmit    Verb = "submit"    // a draft goes to review
	VerbApprove   Verb = "approve"   // the waiting step approves
	VerbReturn    Verb = "return"    // the waiting step sends it back to draft, with a comment
	VerbSign      Verb = "sign"      // both sides have signed
	VerbTerminate Verb = "terminate" // ended before its term, with a comment
	// For a signed agreement whose expiry is not known, the office
	// declares that it is in force, or that it has lapsed.
	VerbConfirm Verb = "confirm"
	VerbExpire  Verb = "expire"
)

// AgreementVerbs are every verb of an agreement's workflow.
var AgreementVerbs = []Verb{VerbSubmit, VerbApprove, VerbReturn, VerbSign, VerbTerminate, VerbConfirm, VerbExpire}

// ReviewVerbs are decided by the chain's step, not by the role.
var ReviewVerbs = []Verb{VerbApprove, VerbReturn}

// TransitContext is what a transition needs beyond the record: who acts,
// why, when, and who may approve.
type TransitContext struct {
	Actor   *User
	Comment string
	Today   time.Time
	// Units whose coordinators approve a coordinator step: the
	// agreement's own, or the partner's lead unit.
	Units []string
	// Chain is the chain of the agreement's kind, for a submission.
	Chain ApprovalChain
}

// Verbs implements Workflow.
func (a *Agreement) Verbs() []Verb {
	switch a.Stage {
	case StageDraft, "":
		return []Verb{VerbSubmit}
	case StageReview:
		return []Verb{VerbApprove, VerbReturn}
	case StageApproved:
		return []Verb{VerbSign, VerbReturn}
	case StageSigned:
		vs := []Verb{VerbTerminate}
		if a.Expires.IsZero() {
			switch a.Declared {
			case Unknown:
				vs = append(vs, VerbConfirm, VerbExpire)
			case Active, "":
				vs = append(vs, VerbExpire)
			}
		}
		return vs
	}
	return nil
}

// Transit implements Workflow.
func (a *Agreement) Transit(v Verb, t TransitContext) error {
	if !slices.Contains(AgreementVerbs, v) {
		return (FieldErrors{"verb": {Key: "one_of", Args: []any{verbList(AgreementVerbs)}}}).Err()
	}
	if !slices.Contains(a.Verbs(), v) {
		return &Error{Code: EConflict, Message: "error.transition_not_allowed", Args: []any{string(v), string(a.StatusOn(t.Today, false))},
			Fields: FieldErrors{"verb": {Key: "transition_not_allowed", Args: []any{string(v), string(a.StatusOn(t.Today, false))}}}}
	}
	switch v {
	case VerbSubmit:
		if err := t.Chain.Validate(); err != nil {
			return err
		}
		by := ""
		if t.Actor != nil {
			by = t.Actor.Email
		}
		a.Stage = StageReview
		a.Review = &Review{Chain: slices.Clone(t.Chain.Steps), SubmittedBy: by}
	case VerbApprove, VerbReturn:
		if a.Stage == StageReview {
			step := a.Review.Waiting()
			if step == nil || !step.CanApprove(t.Actor, t.Units) {
				return &Error{Code: EForbidden, Message: "error.not_your_step",
					Fields: FieldErrors{"verb": {Key: "not_your_step"}}}
			}
		} else if t.Actor == nil || t.Actor.Role != RoleAdmin {
			// An approved agreement goes back only by the office.
			return &Error{Code: EForbidden, Message: "error.not_your_step", Fields: FieldErrors{"verb": {Key: "not_your_step"}}}
		}
		if v == VerbReturn {
			if t.Comment == "" {
				return (FieldErrors{"comment": {Key: "required_to_return"}}).Err()
			}
			a.Stage = StageDraft
			a.Review = nil
			return nil
		}
		a.Review.Step++
		if a.Review.Waiting() == nil {
			a.Stage = StageApproved
		}
	case VerbSign:
		if a.Signed.IsZero() {
			return (FieldErrors{"signed": {Key: "required_to_sign"}}).Err()
		}
		a.Stage = StageSigned
		a.Declared = Active
	case VerbTerminate:
		if t.Comment == "" {
			return (FieldErrors{"comment": {Key: "required_to_terminate"}}).Err()
		}
		a.Stage = StageTerminated
	case VerbConfirm:
		a.Declared = Active
	case VerbExpire:
		a.Declared = Expired
	}
	return nil
}

// WaitingStep is the step an agreement in review waits for, or nil; the
// store turns it into the people to tell.
func (a *Agreement) WaitingStep() *ApprovalStep {
	if a.Stage != StageReview {
		return nil
	}
	return a.Review.Waiting()
}

// validEmail reports whether s is a bare address, as accounts have.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// MaxLineChars bounds a one-line field such as a signatory's name.
const MaxLineChars = 200

// validateLine checks an optional one-line field: text, no line breaks or
// control characters, not too long.
func validateLine(errs FieldErrors, field, s string) {
	switch {
	case !utf8.ValidString(s):
		errs.Add(field, "bad_utf8")
	case strings.ContainsFunc(s, unicode.IsControl):
		errs.Add(field, "one_line")
	case utf8.RuneCountInString(s) > MaxLineChars:
		errs.Add(field, "too_long_chars", MaxLineChars)
	}
}

// Japan is the programme's time zone: a day, for an agreement's dates,
// begins at midnight in Tokyo.
var Japan = time.FixedZone("JST", 9*60*60)

// Today is the day of now in Japan, as a date at midnight UTC (the form
// PartialDate.First and Last give).
func Today(now time.Time) time.Time {
	y, m, d := now.In(Japan).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ChainService keeps each home's approval chains.
type ChainService interface {
	// ApprovalChains returns the chain of every kind, configured or built in.
	ApprovalChains(ctx context.Context, home string) ([]ApprovalChain, error)
	// SetApprovalChain replaces a kind's chain; administrators only.
	SetApprovalChain(ctx context.Context, actor *User, home string, c ApprovalChain) error
}
