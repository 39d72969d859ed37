package partnerhub

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ProposalState is where a proposal stands. The committee's decision is
// kept beside it (Decision), not as a state: a decision does not change
// what the applicants sent.
type ProposalState string

const (
	ProposalDraft     ProposalState = "draft"     // saved, editable by every applicant
	ProposalSubmitted ProposalState = "submitted" // sent before the deadline; fixed
	ProposalWithdrawn ProposalState = "withdrawn" // taken back before the deadline
)

// Proposal verbs, run as transitions.
const (
	VerbSubmitProposal Verb = "submit"
	VerbWithdraw       Verb = "withdraw"
)

// MemberRole is an applicant's part in a proposal.
type MemberRole string

const (
	MemberLead   MemberRole = "lead"   // the lead applicant, at the home university
	MemberCoLead MemberRole = "colead" // the co-lead, at the partner
	MemberOther  MemberRole = "member"
)

var MemberRoles = []MemberRole{MemberLead, MemberCoLead, MemberOther}

// ProposalMember is an applicant. UserID is 0 until the person has an
// account (a partner's co-lead joins by invitation).
type ProposalMember struct {
	UserID      int64      `json:"user_id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        MemberRole `json:"role"`
	Side        Side       `json:"side"`
	Unit        string     `json:"unit"`        // a home unit's code, for home members
	Affiliation string     `json:"affiliation"` // department, for partner members
}

// BudgetCategory is a line's kind of expense.
type BudgetCategory string

const (
	BudgetTravel      BudgetCategory = "travel"
	BudgetPersonnel   BudgetCategory = "personnel"
	BudgetEquipment   BudgetCategory = "equipment"
	BudgetConsumables BudgetCategory = "consumables"
	BudgetEvents      BudgetCategory = "events"
	BudgetOther       BudgetCategory = "other"
)

var BudgetCategories = []BudgetCategory{BudgetTravel, BudgetPersonnel, BudgetEquipment, BudgetConsumables, BudgetEvents, BudgetOther}

// BudgetLine is one amount of a proposal's budget: a year of the project,
// a side (whose currency the amount is in) and a category.
type BudgetLine struct {
	Year     int            `json:"year"` // 1, 2, 3: the project's year
	Side     Side           `json:"side"`
	Category BudgetCategory `json:"category"`
	Amount   int64          `json:"amount"`
}

// ProposalFile is an attachment of a proposal, without its bytes.
type ProposalFile struct {
	ID         int64     `json:"id"`
	Spec       string    `json:"spec"` // the call's attachment code
	Filename   string    `json:"filename"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// Proposal is a proposal to a call.
type Proposal struct {
	ID       int64            `json:"id"`
	Fund     string           `json:"fund"`
	Call     int              `json:"call"` // the call's number
	Grant    string           `json:"grant"`
	Title    Text             `json:"title"`
	Abstract Text             `json:"abstract"`
	Plan     Text             `json:"plan"`
	Keywords string           `json:"keywords"`
	Members  []ProposalMember `json:"members"`
	Units    []string         `json:"units"`
	Budget   []BudgetLine     `json:"budget"`
	Files    []ProposalFile   `json:"files"`
	State    ProposalState    `json:"state"`
	// SubmittedAt is when it was last submitted.
	SubmittedAt *time.Time `json:"submitted_at"`
	Decision    *Decision  `json:"decision,omitempty"`
	Version     int        `json:"version"`
}

// CallKey is the key of the proposal's call.
func (p *Proposal) CallKey() string { return p.Fund + "/" + strconv.Itoa(p.Call) }

// Member returns the proposal's member of a user.
func (p *Proposal) Member(userID int64) (ProposalMember, bool) {
	for _, m := range p.Members {
		if userID != 0 && m.UserID == userID {
			return m, true
		}
	}
	return ProposalMember{}, false
}

// Lead returns the member of role r ("" name when none).
func (p *Proposal) Lead(r MemberRole) ProposalMember {
	for _, m := range p.Members {
		if m.Role == r {
			return m
		}
	}
	return ProposalMember{}
}

// Totals sums the budget by currency, given the fund's currencies.
func (p *Proposal) Totals(f *Fund) map[string]int64 {
	t := map[string]int64{}
	for _, l := range p.Budget {
		t[f.Currency(l.Side)] += l.Amount
	}
	return t
}

// MaxProposalMembers bounds the applicants of one proposal.
const MaxProposalMembers = 30

// Validate checks what a draft may hold: a draft may be incomplete, but
// nothing in it may be wrong.
func (p *Proposal) Validate(c *Call, f *Fund) error {
	errs := FieldErrors{}
	p.validate(errs, c, f)
	return errs.Err()
}

func (p *Proposal) validate(errs FieldErrors, c *Call, f *Fund) {
	if p.Grant != "" {
		if _, ok := c.Grant(p.Grant); !ok {
			errs.Add("grant", "unknown_grant", p.Grant)
		}
	}
	validateText(errs, "title", p.Title, false)
	validateText(errs, "abstract", p.Abstract, false)
	validateText(errs, "plan", p.Plan, false)
	if utf8.RuneCountInString(p.Keywords) > 500 {
		errs.Add("keywords", "too_long_chars", 500)
	}
	if len(p.Members) > MaxProposalMembers {
		errs.Add("members", "too_many", MaxProposalMembers)
	}
	leads, coleads := 0, 0
	seen := map[string]bool{}
	for i, m := range p.Members {
		field := indexed("members", i)
		if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email {
			errs.Add(field+".email", "bad_email")
		} else if seen[m.Email] {
			errs.Add(field+".email", "duplicate", m.Email)
		}
		seen[m.Email] = true
		if strings.TrimSpace(m.Name) == "" {
			errs.Add(field+".name", "required")
		} else if utf8.RuneCountInString(m.Name) > 200 {
			errs.Add(field+".name", "too_long_chars", 200)
		}
		validateEnum(errs, field+".role", m.Role, MemberRoles, true)
		validateEnum(errs, field+".side", m.Side, Sides, true)
		switch m.Role {
		case MemberLead:
			leads++
			if m.Side != SideHome {
				errs.Add(field+".side", "lead_home")
			}
		case MemberCoLead:
			coleads++
			if m.Side != SidePartner {
				errs.Add(field+".side", "colead_partner")
			}
		}
		if utf8.RuneCountInString(m.Affiliation) > 200 {
			errs.Add(field+".affiliation", "too_long_chars", 200)
		}
	}
	if leads > 1 {
		errs.Add("members", "one_lead_applicant")
	}
	if coleads > 1 {
		errs.Add("members", "one_colead")
	}
	seen = map[string]bool{}
	for i, u := range p.Units {
		if seen[u] {
			errs.Add(indexed("units", i), "duplicate", u)
		}
		seen[u] = true
	}
	months := 0
	if g, ok := c.Grant(p.Grant); ok {
		months = g.Months
	}
	maxYear := max(1, (months+11)/12)
	for i, l := range p.Budget {
		field := indexed("budget", i)
		if l.Year < 1 || (months > 0 && l.Year > maxYear) {
			errs.Add(field+".year", "budget_year", maxYear)
		}
		validateEnum(errs, field+".side", l.Side, Sides, true)
		validateEnum(errs, field+".category", l.Category, BudgetCategories, true)
		if l.Amount < 0 {
			errs.Add(field+".amount", "not_negative")
		} else if l.Amount > MaxAmount {
			errs.Add(field+".amount", "too_large", MaxAmount)
		}
	}
	if g, ok := c.Grant(p.Grant); ok && !errs.has("budget") {
		for cur, total := range p.Totals(f) {
			if ceiling, ok := g.Ceiling(cur); ok && total > ceiling.Amount {
				errs.Add("budget", "over_ceiling", Money{total, cur}.String(), ceiling.String())
			}
		}
	}
}

// ValidateSubmit checks that a proposal is complete enough to submit to
// its call at now: within the call's dates, every required field and
// attachment present.
func (p *Proposal) ValidateSubmit(c *Call, f *Fund, now time.Time) error {
	errs := FieldErrors{}
	p.validate(errs, c, f)
	switch c.State(now) {
	case CallUpcoming:
		errs.Add("call", "call_not_open")
	case CallClosed:
		errs.Add("call", "call_closed")
	}
	if p.Grant == "" {
		errs.Add("grant", "required")
	}
	requireText := func(field string, t Text) {
		if t.En == "" {
			errs.Add(field+".en", "required")
		}
		if !c.EnglishOnly && t.Ja == "" {
			errs.Add(field+".ja", "required")
		}
	}
	requireText("title", p.Title)
	requireText("abstract", p.Abstract)
	if p.Plan.IsZero() {
		errs.Add("plan.en", "required")
	}
	if p.Lead(MemberLead).Email == "" {
		errs.Add("members", "lead_required")
	}
	if p.Lead(MemberCoLead).Email == "" {
		errs.Add("members", "colead_required")
	}
	if len(p.Budget) == 0 {
		errs.Add("budget", "required")
	}
	for _, a := range c.Attachments {
		if !a.Required {
			continue
		}
		found := false
		for _, f := range p.Files {
			found = found || f.Spec == a.Code
		}
		if !found {
			errs.Add("files."+a.Code, "attachment_required")
		}
	}
	return errs.Err()
}

// Verbs are the verbs that apply to a proposal in its state; whether the
// call is open is checked when they run.
func (p *Proposal) Verbs() []Verb {
	switch p.State {
	case ProposalDraft, ProposalWithdrawn:
		return []Verb{VerbSubmitProposal}
	case ProposalSubmitted:
		return []Verb{VerbWithdraw}
	}
	return nil
}

// ProposalFilter selects proposals of a call.
type ProposalFilter struct {
	Fund  string
	Call  int
	State ProposalState // "" for any
}

// has reports whether a field or one below it ("budget[2].amount") has a
// problem.
func (f FieldErrors) has(field string) bool {
	for k := range f {
		if k == field || strings.HasPrefix(k, field+".") || strings.HasPrefix(k, field+"[") {
			return true
		}
	}
	return false
}

// Notices of a proposal's applicants: its receipt when it is submitted,
// and word of its withdrawal. They are no choice of the recipient's: every
// applicant is mailed a receipt (with or without an account), so the
// notification is kept for the notifications page only.
const (
	NoticeProposalSubmitted NoticeKind = "proposal_submitted"
	NoticeProposalWithdrawn NoticeKind = "proposal_withdrawn"
)

// Receipt reports whether k is a proposal's receipt, mailed apart from the
// recipient's choices.
func (k NoticeKind) Receipt() bool {
	return k == NoticeProposalSubmitted || k == NoticeProposalWithdrawn
}

// ProposalPath is a proposal's page below /{lang}.
func ProposalPath(id int64) string { return "/proposals/" + strconv.FormatInt(id, 10) }

// MaxProposalFileBytes bounds a proposal's attachment unless the operator
// says otherwise (it shares serve -max-document).
const MaxProposalFileBytes = DefaultMaxDocumentBytes

// ProposalFileService keeps proposals' attachments: PDF files, one current
// per attachment the call asks for.
type ProposalFileService interface {
	// AddProposalFile stores an attachment of spec for a proposal its
	// applicants may still change; it replaces the current one of spec,
	// which is kept.
	AddProposalFile(ctx context.Context, actor *User, home string, id int64, spec, filename string, data []byte, now time.Time) (ProposalFile, error)
	// ProposalFile returns an attachment and its bytes, to those who may
	// see the proposal.
	ProposalFile(ctx context.Context, actor *User, home string, id, fileID int64) (ProposalFile, []byte, error)
}

type pageLangKey struct{}

// WithPageLang records in ctx the language of the page a person acts on,
// the language of the mail to people who have no account to choose one.
func WithPageLang(ctx context.Context, l Lang) context.Context {
	return context.WithValue(ctx, pageLangKey{}, l)
}

// PageLang is the language WithPageLang recorded, Japanese when none.
func PageLang(ctx context.Context) Lang {
	if l, ok := ctx.Value(pageLangKey{}).(Lang); ok {
		return l
	}
	return Japanese
}
