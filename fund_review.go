package partnerhub

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"
)

// The joint review of a fund's proposals, the committee's decisions, and
// who may see and do what in a fund.
//
// The rule that governs everything here: a person conflicted with a
// proposal sees nothing of it — not its text, its reviews, its scores, its
// discussion or its place in the ranking — anywhere. Every read of a fund
// goes through a FundAccess, which knows the reader's conflicts; pages,
// the API, exports, mail and notifications all ask it.

// ProposalReview is a committee member's review of a proposal.
type ProposalReview struct {
	Proposal     int64          `json:"proposal"`
	ReviewerID   int64          `json:"reviewer_id"`
	ReviewerName string         `json:"reviewer_name"`
	Scores       map[string]int `json:"scores"` // by criterion code
	// ForCommittee is read by the committee only; ForApplicants is sent
	// with the decision letter.
	ForCommittee  string     `json:"for_committee"`
	ForApplicants string     `json:"for_applicants"`
	SubmittedAt   *time.Time `json:"submitted_at"` // nil for a draft
	Version       int        `json:"version"`
}

// MaxReviewChars bounds each comment of a review.
const MaxReviewChars = 20000

// Validate checks a review against its call's criteria and scale; submit
// asks for a score for every criterion.
func (r *ProposalReview) Validate(c *Call, submit bool) error {
	errs := FieldErrors{}
	for code, s := range r.Scores {
		if !slices.ContainsFunc(c.Criteria, func(cr Criterion) bool { return cr.Code == code }) {
			errs.Add("scores."+code, "unknown_criterion", code)
		} else if s < c.ScaleMin || s > c.ScaleMax {
			errs.Add("scores."+code, "off_scale", c.ScaleMin, c.ScaleMax)
		}
	}
	if submit {
		for _, cr := range c.Criteria {
			if _, ok := r.Scores[cr.Code]; !ok {
				errs.Add("scores."+cr.Code, "required")
			}
		}
	}
	for field, s := range map[string]string{"for_committee": r.ForCommittee, "for_applicants": r.ForApplicants} {
		if !utf8.ValidString(s) {
			errs.Add(field, "bad_utf8")
		} else if utf8.RuneCountInString(s) > MaxReviewChars {
			errs.Add(field, "too_long_chars", MaxReviewChars)
		}
	}
	return errs.Err()
}

// WeightedScore is the review's mean of scores weighted by the criteria,
// and whether every criterion was scored.
func (r *ProposalReview) WeightedScore(c *Call) (float64, bool) {
	sum, weights := 0.0, 0
	for _, cr := range c.Criteria {
		s, ok := r.Scores[cr.Code]
		if !ok {
			return 0, false
		}
		sum += float64(s * cr.Weight)
		weights += cr.Weight
	}
	if weights == 0 {
		return 0, false
	}
	return sum / float64(weights), true
}

// ConflictSource says how a conflict of interest is known.
type ConflictSource string

const (
	ConflictDeclared  ConflictSource = "declared"  // the person said so
	ConflictApplicant ConflictSource = "applicant" // the person is an applicant
	ConflictUnit      ConflictSource = "unit"      // of an applicant's unit, when the fund counts it
)

// Conflict is a person's conflict of interest with a proposal.
type Conflict struct {
	Proposal int64          `json:"proposal"`
	UserID   int64          `json:"user_id"`
	Name     string         `json:"name"`
	Source   ConflictSource `json:"source"`
	Reason   string         `json:"reason"`
}

// Outcome is the committee's decision on a proposal.
type Outcome string

const (
	OutcomeAward    Outcome = "award"
	OutcomeWaitlist Outcome = "waitlist"
	OutcomeDecline  Outcome = "decline"
)

var Outcomes = []Outcome{OutcomeAward, OutcomeWaitlist, OutcomeDecline}

// Decision is what the committee decided on a proposal at a meeting.
type Decision struct {
	Outcome       Outcome     `json:"outcome"`
	HomeAmount    Money       `json:"home_amount"`
	PartnerAmount Money       `json:"partner_amount"`
	Meeting       PartialDate `json:"meeting"`
	// Note is the committee's word to the applicants, beside the
	// reviewers' comments for them.
	Note        Text       `json:"note"`
	DecidedAt   time.Time  `json:"decided_at"`
	LettersSent *time.Time `json:"letters_sent,omitempty"`
	Version     int        `json:"version"`
}

func (d *Decision) Validate(f *Fund) error {
	errs := FieldErrors{}
	validateEnum(errs, "outcome", d.Outcome, Outcomes, true)
	if d.Meeting.IsZero() {
		errs.Add("meeting", "required")
	} else if d.Meeting.Precision() != DayPrecision {
		errs.Add("meeting", "full_date")
	}
	validateMoney(errs, "home_amount", d.HomeAmount, false)
	validateMoney(errs, "partner_amount", d.PartnerAmount, false)
	if d.HomeAmount.Amount != 0 && d.HomeAmount.Currency != f.HomeCurrency {
		errs.Add("home_amount.currency", "currency_side", f.HomeCurrency)
	}
	if d.PartnerAmount.Amount != 0 && d.PartnerAmount.Currency != f.PartnerCurrency {
		errs.Add("partner_amount.currency", "currency_side", f.PartnerCurrency)
	}
	if d.Outcome == OutcomeAward && d.HomeAmount.Amount == 0 && d.PartnerAmount.Amount == 0 {
		errs.Add("home_amount.amount", "award_amount")
	}
	if d.Outcome != OutcomeAward && (d.HomeAmount.Amount != 0 || d.PartnerAmount.Amount != 0) {
		errs.Add("home_amount.amount", "amount_only_award")
	}
	validateText(errs, "note", d.Note, false)
	return errs.Err()
}

// FundAccess is what one person holds in one fund: the roles granted to
// them, the proposals they apply with, and those they are conflicted with.
// The store builds it for every read and write of a fund.
type FundAccess struct {
	User  *User
	Roles []FundRole
	// Applicant and Conflicted are proposal IDs. An applicant is always
	// conflicted too (the store records it), and sees their own proposal
	// as an applicant.
	Applicant  map[int64]bool
	Conflicted map[int64]bool
	Assigned   map[int64]bool // proposals assigned to them to review
}

// Has reports whether the person holds a role in the fund. The home's
// administrators hold every administrator's right.
func (a *FundAccess) Has(r FundRole) bool {
	if a == nil || a.User == nil || a.User.Disabled {
		return false
	}
	if r == FundAdmin && a.User.Role == RoleAdmin {
		return true
	}
	return slices.Contains(a.Roles, r)
}

// Committee reports whether the person reads the fund's review: its
// administrators, chairs and members.
func (a *FundAccess) Committee() bool {
	return a.Has(FundAdmin) || a.Has(FundChair) || a.Has(FundMember)
}

// ProposalView is how much of a proposal a person sees.
type ProposalView int

const (
	ViewNone      ProposalView = iota // nothing: not even that it exists
	ViewApplicant                     // the proposal, the decision and the comments for applicants
	ViewCommittee                     // everything the committee reads
)

// View is how much of proposal id the person sees. A conflict hides the
// proposal from every role; an applicant sees only their own side of it.
func (a *FundAccess) View(id int64) ProposalView {
	if a == nil || a.User == nil || a.User.Disabled {
		return ViewNone
	}
	if a.Applicant[id] {
		return ViewApplicant
	}
	if a.Conflicted[id] {
		return ViewNone
	}
	if a.Committee() {
		return ViewCommittee
	}
	return ViewNone
}

// CanReview reports whether the person may review proposal id: it is
// assigned to them and they are not conflicted.
func (a *FundAccess) CanReview(id int64) bool {
	return a.View(id) == ViewCommittee && a.Assigned[id]
}

// CanManage reports whether the person may assign reviewers and record
// decisions on proposal id: a chair or administrator, not conflicted.
func (a *FundAccess) CanManage(id int64) bool {
	return a.View(id) == ViewCommittee && (a.Has(FundChair) || a.Has(FundAdmin))
}

// Fund entities, as the audit log names them.
const (
	EntityFund       Entity = "fund"
	EntityFundSeat   Entity = "fund_seat"
	EntityCall       Entity = "call"
	EntityProposal   Entity = "proposal"
	EntityAssignment Entity = "review_assignment"
	EntityReview     Entity = "review"
	EntityConflict   Entity = "conflict"
	EntityComment    Entity = "proposal_comment"
	EntityDecision   Entity = "decision"
	EntityReport     Entity = "project_report"
	// EntityProjectLink is an awarded project's link to an activity.
	EntityProjectLink Entity = "project_activity"
)

// InFund reports whether records of the entity belong to a fund.
func (e Entity) InFund() bool {
	switch e {
	case EntityFund, EntityFundSeat, EntityCall, EntityProposal, EntityAssignment, EntityReview,
		EntityConflict, EntityComment, EntityDecision, EntityReport, EntityProjectLink:
		return true
	}
	return false
}

// authorizeFund answers whether a person may make a write of entity in a
// fund, given what they hold in it (proposal is the proposal written, 0
// for the fund's own records): the fund's part of Authorize.
func authorizeFund(a *FundAccess, action Action, entity Entity, proposal int64) error {
	if a == nil || a.User == nil || a.User.Disabled {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	u := a.User
	switch entity {
	case EntityFund:
		if u.Role == RoleAdmin || (action != ActionCreate && a.Has(FundAdmin)) {
			return nil
		}
	case EntityFundSeat, EntityCall:
		if a.Has(FundAdmin) {
			return nil
		}
	case EntityProposal, EntityReport:
		// Anyone signed in may start a proposal; only its applicants change it.
		if action == ActionCreate && entity == EntityProposal || a.Applicant[proposal] {
			return nil
		}
	case EntityProjectLink:
		// Its applicants, and the fund's administrators if not conflicted.
		if a.Applicant[proposal] || a.Has(FundAdmin) && !a.Conflicted[proposal] {
			return nil
		}
	case EntityAssignment, EntityDecision:
		if a.CanManage(proposal) {
			return nil
		}
	case EntityReview:
		if a.CanReview(proposal) {
			return nil
		}
	case EntityConflict:
		// A member declares their own conflict, seen or not.
		if a.Committee() && !a.Applicant[proposal] {
			return nil
		}
	case EntityComment:
		if a.View(proposal) == ViewCommittee {
			return nil
		}
	}
	return Errorf(EForbidden, "error.forbidden_fund")
}

// ---- the joint review: assignments, reviews, discussion, ranking ----------

// ReviewStatus is how far a reviewer is with a review assigned to them.
type ReviewStatus string

const (
	ReviewTodo      ReviewStatus = "todo"      // nothing saved yet
	ReviewDraft     ReviewStatus = "draft"     // saved, not submitted
	ReviewSubmitted ReviewStatus = "submitted" // submitted
)

// Assignment is a committee member asked to review a proposal.
type Assignment struct {
	Proposal   int64        `json:"proposal"`
	ReviewerID int64        `json:"reviewer_id"`
	Name       string       `json:"name"`
	Email      string       `json:"email"`
	Status     ReviewStatus `json:"status"`
}

// Suggestion is a committee member the chair might ask to review a
// proposal: Match counts what their seat shares with it (its unit, its
// keywords), Load the reviews already asked of them in the call.
type Suggestion struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Match  int    `json:"match"`
	Load   int    `json:"load"`
}

// BoardRow is one proposal as the chair assigns it.
type BoardRow struct {
	Proposal    Proposal     `json:"proposal"`
	Reviewers   []Assignment `json:"reviewers"`
	Suggestions []Suggestion `json:"suggestions"`
}

// ReviewTask is a proposal assigned to the reader, and how far they are.
type ReviewTask struct {
	Proposal Proposal     `json:"proposal"`
	Status   ReviewStatus `json:"status"`
}

// ReviewBoard is a call's review as one committee member sees it: the
// proposals asked of them and, for a chair or administrator, every
// proposal they may see with its reviewers.
type ReviewBoard struct {
	Call   Call         `json:"call"`
	Manage bool         `json:"manage"`
	Rows   []BoardRow   `json:"rows,omitempty"`
	Mine   []ReviewTask `json:"mine"`
}

// ProposalReviews is what a committee member reads of a proposal's
// reviews: their own (nil when none), and the others' submitted ones
// once they may (OthersHidden says they may not yet).
type ProposalReviews struct {
	Mine         *ProposalReview  `json:"mine"`
	Others       []ProposalReview `json:"others"`
	OthersHidden bool             `json:"others_hidden"`
	CanReview    bool             `json:"can_review"`
}

// ProposalComment is a committee member's word in a proposal's discussion.
type ProposalComment struct {
	ID        int64     `json:"id"`
	Proposal  int64     `json:"proposal"`
	AuthorID  int64     `json:"author_id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxDiscussionChars bounds a comment of the discussion.
const MaxDiscussionChars = 5000

// RankingRow is a proposal's place in a call's ranking as one committee
// member sees it. Mean is the average of the submitted reviews' weighted
// scores, Spread the highest weighted score less the lowest; both are nil
// while the reader may not see the reviews (no review yet, or their own
// not submitted).
type RankingRow struct {
	Rank      int      `json:"rank"` // 0: not ranked (no mean)
	Proposal  int64    `json:"proposal"`
	Title     Text     `json:"title"`
	Grant     string   `json:"grant"`
	Mean      *float64 `json:"mean"`
	Spread    *float64 `json:"spread"`
	Reviews   int      `json:"reviews"`  // submitted
	Assigned  int      `json:"assigned"` // asked
	Conflicts int      `json:"conflicts"`
	Decision  Outcome  `json:"decision,omitempty"`
}

// Rank sorts rows by mean, highest first, those without one last, and
// numbers them; equal means share a rank.
func Rank(rows []RankingRow) {
	slices.SortStableFunc(rows, func(a, b RankingRow) int {
		switch {
		case a.Mean == nil && b.Mean == nil:
			return int(a.Proposal - b.Proposal)
		case a.Mean == nil:
			return 1
		case b.Mean == nil:
			return -1
		case *a.Mean > *b.Mean:
			return -1
		case *a.Mean < *b.Mean:
			return 1
		}
		return int(a.Proposal - b.Proposal)
	})
	for i := range rows {
		switch {
		case rows[i].Mean == nil:
			rows[i].Rank = 0
		case i > 0 && rows[i-1].Mean != nil && *rows[i-1].Mean == *rows[i].Mean:
			rows[i].Rank = rows[i-1].Rank
		default:
			rows[i].Rank = i + 1
		}
	}
}

// ReviewService keeps a fund's joint review. Every call says who asks,
// and nothing of a proposal reaches a person conflicted with it.
type ReviewService interface {
	// ReviewBoard is a call's review page: the reader's tasks, and for a
	// chair every proposal with its reviewers and suggestions.
	ReviewBoard(ctx context.Context, actor *User, home, fund string, number int) (ReviewBoard, error)
	// Assignments lists the assignments of a call's proposals the reader
	// may see.
	Assignments(ctx context.Context, actor *User, home, fund string, number int) ([]Assignment, error)
	Assign(ctx context.Context, actor *User, home string, proposal, reviewer int64) error
	Unassign(ctx context.Context, actor *User, home string, proposal, reviewer int64) error
	// DeclareConflict records the actor's own conflict with a proposal:
	// their assignment goes, and the proposal is hidden from them.
	DeclareConflict(ctx context.Context, actor *User, home string, proposal int64, reason string) error
	Reviews(ctx context.Context, actor *User, home string, proposal int64) (ProposalReviews, error)
	// PutReview saves the actor's review (a draft, or submitted).
	PutReview(ctx context.Context, actor *User, home string, r ProposalReview, submit bool) (ProposalReview, error)
	Comments(ctx context.Context, actor *User, home string, proposal int64) ([]ProposalComment, error)
	AddComment(ctx context.Context, actor *User, home string, proposal int64, body string) (ProposalComment, error)
	Ranking(ctx context.Context, actor *User, home, fund string, number int) ([]RankingRow, error)
}
