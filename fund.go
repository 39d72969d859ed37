package partnerhub

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a call shows the partner's local time whatever the server's zone files
	"unicode/utf8"
)

// Joint research funds: a fund the home university runs with one or more
// partners, paid by both sides, whose joint committee chooses among the
// proposals sent to its calls. This file holds the fund and its calls;
// fund_proposal.go the proposals, fund_review.go the review, the decisions
// and who may see what.

// Side is which university a person, an amount or a budget line is of.
type Side string

const (
	SideHome    Side = "home"    // the university that runs partnerhub
	SidePartner Side = "partner" // the partner university of the fund
)

var Sides = []Side{SideHome, SidePartner}

// FundRole is a person's part in one fund. Applicants are not granted a
// role: a person is an applicant of the proposals that list them.
type FundRole string

const (
	// FundAdmin: an office's administrator of the fund: calls, the
	// committee, invitations; sees the review of every proposal they are
	// not conflicted with, records decisions.
	FundAdmin FundRole = "admin"
	// FundChair: a co-chair of the joint committee (a faculty director on
	// each side): assigns reviewers, reviews, records decisions.
	FundChair FundRole = "chair"
	// FundMember: a member of the committee: reviews the proposals assigned
	// to them, reads the ranking, takes part in the discussion.
	FundMember FundRole = "member"
)

var FundRoles = []FundRole{FundAdmin, FundChair, FundMember}

// Money is an amount in whole units of a currency (ISO 4217 code): grants
// are budgeted in whole yen and whole dollars.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// MaxAmount bounds any amount, so that sums of a budget cannot overflow.
const MaxAmount = 1_000_000_000_000

func validateMoney(errs FieldErrors, field string, m Money, required bool) {
	switch {
	case m.Amount < 0:
		errs.Add(field+".amount", "not_negative")
	case m.Amount > MaxAmount:
		errs.Add(field+".amount", "too_large", MaxAmount)
	case required && m.Amount == 0:
		errs.Add(field+".amount", "positive")
	}
	if (m.Amount != 0 || required) && !currencyRE.MatchString(m.Currency) {
		errs.Add(field+".currency", "bad_currency")
	}
}

// String writes an amount with its currency and thousands separators:
// "USD 25,000".
func (m Money) String() string {
	s := strconv.FormatInt(m.Amount, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && r != '-' && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return m.Currency + " " + b.String()
}

// Contribution is what one side puts into the fund in one (fiscal) year.
type Contribution struct {
	Year   int   `json:"year"`
	Side   Side  `json:"side"`
	Amount Money `json:"amount"`
}

// FundSeat is a person's role in a fund, as the committee's list shows it.
type FundSeat struct {
	UserID int64    `json:"user_id"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Role   FundRole `json:"role"`
	Side   Side     `json:"side"`
	// Unit and Keywords help the chair suggest reviewers: the unit the
	// person belongs to (a home unit's code, or "" ) and their fields.
	Unit     string `json:"unit"`
	Keywords string `json:"keywords"`
}

func (s *FundSeat) Validate() error {
	errs := FieldErrors{}
	if s.UserID <= 0 {
		errs.Add("user_id", "required")
	}
	validateEnum(errs, "role", s.Role, FundRoles, true)
	validateEnum(errs, "side", s.Side, Sides, true)
	if utf8.RuneCountInString(s.Keywords) > 500 {
		errs.Add("keywords", "too_long_chars", 500)
	}
	return errs.Err()
}

// Fund is a joint fund run with one or more partners.
type Fund struct {
	Slug     string   `json:"slug"`
	Partners []string `json:"partners"` // partner slugs
	Name     Text     `json:"name"`
	Summary  Text     `json:"summary"`
	// PartnerZone is the partner's time zone (IANA), so that a call's
	// deadline is shown in the partner's local time too.
	PartnerZone     string         `json:"partner_zone"`
	HomeCurrency    string         `json:"home_currency"`
	PartnerCurrency string         `json:"partner_currency"`
	Contributions   []Contribution `json:"contributions"`
	// DeclaredCalls and DeclaredProjects are the fund's history before it
	// was run here, as the programme declares it; the calls and awards
	// recorded here are counted on top.
	DeclaredCalls    int `json:"declared_calls"`
	DeclaredProjects int `json:"declared_projects"`
	// ConflictByUnit: a committee member of an applicant's unit is
	// conflicted with the proposal.
	ConflictByUnit bool `json:"conflict_by_unit"`
	// ReviewsOpen: reviewers see the others' reviews before submitting
	// their own (by default only after).
	ReviewsOpen bool       `json:"reviews_open"`
	Seats       []FundSeat `json:"seats,omitempty"` // read only; set through seats
	Version     int        `json:"version"`
}

func (f *Fund) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", f.Slug)
	validateText(errs, "name", f.Name, true)
	validateText(errs, "summary", f.Summary, false)
	if len(f.Partners) == 0 {
		errs.Add("partners", "required")
	}
	seen := map[string]bool{}
	for i, p := range f.Partners {
		if !validSlug(p) {
			errs.Add(indexed("partners", i), "bad_slug")
		}
		if seen[p] {
			errs.Add(indexed("partners", i), "duplicate", p)
		}
		seen[p] = true
	}
	if f.PartnerZone != "" {
		if _, err := time.LoadLocation(f.PartnerZone); err != nil || !strings.Contains(f.PartnerZone, "/") {
			errs.Add("partner_zone", "bad_zone")
		}
	}
	if !currencyRE.MatchString(f.HomeCurrency) {
		errs.Add("home_currency", "bad_currency")
	}
	if !currencyRE.MatchString(f.PartnerCurrency) {
		errs.Add("partner_currency", "bad_currency")
	}
	for i, c := range f.Contributions {
		field := indexed("contributions", i)
		if c.Year < 2000 || c.Year > 2100 {
			errs.Add(field+".year", "bad_year")
		}
		validateEnum(errs, field+".side", c.Side, Sides, true)
		validateMoney(errs, field+".amount", c.Amount, true)
	}
	if f.DeclaredCalls < 0 {
		errs.Add("declared_calls", "not_negative")
	}
	if f.DeclaredProjects < 0 {
		errs.Add("declared_projects", "not_negative")
	}
	return errs.Err()
}

// Currency is the currency of a side's amounts.
func (f *Fund) Currency(s Side) string {
	if s == SidePartner {
		return f.PartnerCurrency
	}
	return f.HomeCurrency
}

// Zone is the partner's time zone, Japan's when none is set.
func (f *Fund) Zone() *time.Location {
	if f.PartnerZone != "" {
		if loc, err := time.LoadLocation(f.PartnerZone); err == nil {
			return loc
		}
	}
	return Japan
}

// Grant is a kind of grant a call offers: a seed grant, a project grant.
type Grant struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
	// Ceilings bound a proposal's budget: the lines in each currency may
	// not sum to more than the ceiling in that currency. A currency
	// without a ceiling is not bounded.
	Ceilings []Money `json:"ceilings"`
	Months   int     `json:"months"` // how long a project lasts
}

// Ceiling is the grant's ceiling in currency, if it sets one.
func (g Grant) Ceiling(currency string) (Money, bool) {
	for _, m := range g.Ceilings {
		if m.Currency == currency {
			return m, true
		}
	}
	return Money{}, false
}

// Criterion is a criterion reviewers score, with its weight in the mean.
type Criterion struct {
	Code   string `json:"code"`
	Name   Text   `json:"name"`
	Weight int    `json:"weight"`
}

// AttachmentSpec is an attachment a call asks for (a PDF).
type AttachmentSpec struct {
	Code     string `json:"code"`
	Name     Text   `json:"name"`
	Required bool   `json:"required"`
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Call is a call for proposals of a fund. Its key is "fund/number".
type Call struct {
	Fund   string `json:"fund"`
	Number int    `json:"number"`
	Title  Text   `json:"title"`
	Body   Text   `json:"text"`
	// Opens and Closes are instants (UTC); pages enter and show them in
	// Japan time, with the partner's local time beside.
	Opens       time.Time        `json:"opens"`
	Closes      time.Time        `json:"closes"`
	Grants      []Grant          `json:"grants"`
	Budget      Money            `json:"budget"`
	Eligibility Text             `json:"eligibility"`
	Criteria    []Criterion      `json:"criteria"`
	ScaleMin    int              `json:"scale_min"`
	ScaleMax    int              `json:"scale_max"`
	Attachments []AttachmentSpec `json:"attachments"`
	// EnglishOnly: proposals may be written in English only (the
	// committee reads English).
	EnglishOnly bool `json:"english_only"`
	// InterimDue and FinalDue are when awarded projects owe their reports.
	InterimDue PartialDate `json:"interim_due"`
	FinalDue   PartialDate `json:"final_due"`
	// Published calls are public; a draft is seen by the fund's people.
	Published bool `json:"published"`
	Version   int  `json:"version"`
}

// Key is "fund/number".
func (c *Call) Key() string { return c.Fund + "/" + strconv.Itoa(c.Number) }

// Path is the call's page below /{lang}.
func (c *Call) Path() string { return "/calls/" + c.Fund + "/" + strconv.Itoa(c.Number) }

// CallState is where a call stands at an instant.
type CallState string

const (
	CallUpcoming CallState = "upcoming"
	CallOpen     CallState = "open"
	CallClosed   CallState = "closed"
)

// State is the call's state at now: submissions are taken from Opens up
// to, not including, Closes.
func (c *Call) State(now time.Time) CallState {
	switch {
	case now.Before(c.Opens):
		return CallUpcoming
	case now.Before(c.Closes):
		return CallOpen
	}
	return CallClosed
}

// Grant returns the call's kind of grant of code.
func (c *Call) Grant(code string) (Grant, bool) {
	for _, g := range c.Grants {
		if g.Code == code {
			return g, true
		}
	}
	return Grant{}, false
}

// TotalWeight is the sum of the criteria's weights.
func (c *Call) TotalWeight() int {
	n := 0
	for _, cr := range c.Criteria {
		n += cr.Weight
	}
	return n
}

func (c *Call) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "fund", c.Fund)
	if c.Number < 1 || c.Number > 1000 {
		errs.Add("number", "positive")
	}
	validateText(errs, "title", c.Title, true)
	validateText(errs, "text", c.Body, false)
	validateText(errs, "eligibility", c.Eligibility, false)
	if c.Opens.IsZero() {
		errs.Add("opens", "required")
	}
	if c.Closes.IsZero() {
		errs.Add("closes", "required")
	} else if !c.Opens.IsZero() && !c.Closes.After(c.Opens) {
		errs.Add("closes", "before_start")
	}
	validateMoney(errs, "budget", c.Budget, false)
	if len(c.Grants) == 0 {
		errs.Add("grants", "required")
	}
	codes := map[string]bool{}
	for i, g := range c.Grants {
		field := indexed("grants", i)
		if !codeRE.MatchString(g.Code) {
			errs.Add(field+".code", "bad_code")
		} else if codes[g.Code] {
			errs.Add(field+".code", "duplicate", g.Code)
		}
		codes[g.Code] = true
		validateText(errs, field+".name", g.Name, true)
		if g.Months < 1 || g.Months > 120 {
			errs.Add(field+".months", "bad_months")
		}
		currencies := map[string]bool{}
		for j, m := range g.Ceilings {
			cf := field + ".ceilings[" + strconv.Itoa(j) + "]"
			validateMoney(errs, cf, m, true)
			if currencies[m.Currency] {
				errs.Add(cf+".currency", "duplicate", m.Currency)
			}
			currencies[m.Currency] = true
		}
	}
	if len(c.Criteria) == 0 {
		errs.Add("criteria", "required")
	}
	codes = map[string]bool{}
	for i, cr := range c.Criteria {
		field := indexed("criteria", i)
		if !codeRE.MatchString(cr.Code) {
			errs.Add(field+".code", "bad_code")
		} else if codes[cr.Code] {
			errs.Add(field+".code", "duplicate", cr.Code)
		}
		codes[cr.Code] = true
		validateText(errs, field+".name", cr.Name, true)
		if cr.Weight < 1 || cr.Weight > 100 {
			errs.Add(field+".weight", "bad_weight")
		}
	}
	if c.ScaleMin < 0 || c.ScaleMax <= c.ScaleMin || c.ScaleMax > 100 {
		errs.Add("scale_max", "bad_scale")
	}
	codes = map[string]bool{}
	for i, a := range c.Attachments {
		field := indexed("attachments", i)
		if !codeRE.MatchString(a.Code) {
			errs.Add(field+".code", "bad_code")
		} else if codes[a.Code] {
			errs.Add(field+".code", "duplicate", a.Code)
		}
		codes[a.Code] = true
		validateText(errs, field+".name", a.Name, true)
	}
	if !c.InterimDue.IsZero() && c.InterimDue.Precision() != DayPrecision {
		errs.Add("interim_due", "full_date")
	}
	if !c.FinalDue.IsZero() && c.FinalDue.Precision() != DayPrecision {
		errs.Add("final_due", "full_date")
	}
	if !c.InterimDue.IsZero() && !c.FinalDue.IsZero() && c.FinalDue.Compare(c.InterimDue) < 0 {
		errs.Add("final_due", "before_start")
	}
	return errs.Err()
}

// CallFilter selects calls; zero fields select all.
type CallFilter struct {
	Fund string
	// Public: only published calls of live funds.
	Public bool
}

// SortCalls orders calls newest first by closing time, then by number.
func SortCalls(cs []Call) {
	slices.SortStableFunc(cs, func(a, b Call) int {
		if c := b.Closes.Compare(a.Closes); c != 0 {
			return c
		}
		return b.Number - a.Number
	})
}

// FundService keeps joint funds, their committees, calls and proposals.
// Every call says who asks: what a person reads and may do in a fund is
// decided by their FundAccess there.
type FundService interface {
	Funds(ctx context.Context, actor *User, home string) ([]Fund, error)
	// Fund returns a fund, with its seats for its committee only.
	Fund(ctx context.Context, actor *User, home, slug string) (Fund, error)
	FundAccess(ctx context.Context, actor *User, home, fund string) (*FundAccess, error)
	// PutFund creates a fund (Version 0) or updates it; the new version.
	PutFund(ctx context.Context, actor *User, home string, f Fund) (int, error)
	SetFundSeat(ctx context.Context, actor *User, home, fund string, s FundSeat) error
	RemoveFundSeat(ctx context.Context, actor *User, home, fund string, userID int64, role FundRole) error

	Calls(ctx context.Context, actor *User, home string, f CallFilter) ([]Call, error)
	Call(ctx context.Context, actor *User, home, fund string, number int) (Call, error)
	// PutCall creates a call (Version 0) or updates it; the new version.
	PutCall(ctx context.Context, actor *User, home string, c Call) (int, error)

	// Proposal returns a proposal the actor may see (ENotFound otherwise)
	// and what they hold in its fund.
	Proposal(ctx context.Context, actor *User, home string, id int64) (Proposal, *FundAccess, error)
	// Proposals lists a call's proposals the actor may see.
	Proposals(ctx context.Context, actor *User, home string, f ProposalFilter) ([]Proposal, error)
	MyProposals(ctx context.Context, actor *User, home string) ([]Proposal, error)
	CreateProposal(ctx context.Context, actor *User, home string, p Proposal) (Proposal, error)
	UpdateProposal(ctx context.Context, actor *User, home string, p Proposal) (Proposal, error)
	// TransitProposal submits or withdraws a proposal at now.
	TransitProposal(ctx context.Context, actor *User, home string, id int64, version int, verb Verb, now time.Time) (Proposal, error)
}
