package partnerhub

import (
	"regexp"
	"strconv"
	"strings"
)

// validSlug accepts lower-case ASCII words joined by hyphens, at most 64
// bytes: ^[a-z0-9]+(-[a-z0-9]+)*$. A loop, not a regexp: an import checks
// a slug on every row, and the regexp took a tenth of its time.
func validSlug(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

func validateSlug(errs FieldErrors, field, s string) {
	switch {
	case s == "":
		errs.Add(field, "required")
	case !validSlug(s):
		errs.Add(field, "bad_slug")
	}
}

func validateEnum[T ~string](errs FieldErrors, field string, v T, allowed []T, required bool) {
	if v == "" {
		if required {
			errs.Add(field, "required")
		}
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	errs.Add(field, "one_of", joinEnum(allowed))
}

func joinEnum[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Institution is any organisation: a university, a research centre, an agency.
// Institutions are a registry shared by all home institutions, so that two
// universities partnering with the same institution refer to one record.
type Institution struct {
	Slug        string   `json:"slug"`
	Name        Text     `json:"name"`
	Acronym     string   `json:"acronym"`
	Country     string   `json:"country"` // ISO 3166-1 alpha-2
	City        Text     `json:"city"`
	Lat         *float64 `json:"lat"`
	Lng         *float64 `json:"lng"`
	Website     string   `json:"website"`
	ROR         string   `json:"ror"`
	Established int      `json:"established"` // 0 when unknown
	Version     int      `json:"version"`
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
var rorRE = regexp.MustCompile(`^https://ror\.org/0[a-z0-9]{6}[0-9]{2}$`)

func (in *Institution) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", in.Slug)
	validateText(errs, "name", in.Name, true)
	if !countryRE.MatchString(in.Country) {
		errs.Add("country", "bad_country")
	}
	validateText(errs, "city", in.City, false)
	if (in.Lat == nil) != (in.Lng == nil) {
		errs.Add("lat", "lat_lng_pair")
	}
	if in.Lat != nil && (*in.Lat < -90 || *in.Lat > 90) {
		errs.Add("lat", "out_of_range", -90, 90)
	}
	if in.Lng != nil && (*in.Lng < -180 || *in.Lng > 180) {
		errs.Add("lng", "out_of_range", -180, 180)
	}
	if in.Website != "" && !strings.HasPrefix(in.Website, "https://") && !strings.HasPrefix(in.Website, "http://") {
		errs.Add("website", "bad_url")
	}
	if in.ROR != "" && !rorRE.MatchString(in.ROR) {
		errs.Add("ror", "bad_ror")
	}
	return errs.Err()
}

// HomeInstitution runs a programme: it is the tenant every unit, partner,
// phase and record belongs to.
type HomeInstitution struct {
	Slug        string `json:"slug"`
	Institution string `json:"institution"` // institution slug
	Programme   Text   `json:"programme"`
}

func (h *HomeInstitution) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", h.Slug)
	validateSlug(errs, "institution", h.Institution)
	validateText(errs, "programme", h.Programme, true)
	return errs.Err()
}

// UnitKind says what kind of unit (部局) a unit is.
type UnitKind string

const (
	GraduateSchool UnitKind = "graduate_school"
	Institute      UnitKind = "institute"
	Center         UnitKind = "center"
	Hospital       UnitKind = "hospital"
	Office         UnitKind = "office"
)

var UnitKinds = []UnitKind{GraduateSchool, Institute, Center, Hospital, Office}

// Unit is a faculty, graduate school, institute or centre of the home
// institution. Abbr is the short mark the brochure prints (工, 東文研, IPMU).
type Unit struct {
	Code    string   `json:"code"`
	Name    Text     `json:"name"`
	Abbr    Text     `json:"abbr"`
	Kind    UnitKind `json:"kind"`
	Version int      `json:"version"`
}

func (u *Unit) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "code", u.Code)
	validateText(errs, "name", u.Name, true)
	validateText(errs, "abbr", u.Abbr, true)
	validateEnum(errs, "kind", u.Kind, UnitKinds, true)
	return errs.Err()
}

// PartnerKind separates a partnership with one institution from one with a
// group (consortium) of institutions.
type PartnerKind string

const (
	PartnerInstitution PartnerKind = "institution"
	PartnerGroup       PartnerKind = "group"
)

var PartnerKinds = []PartnerKind{PartnerInstitution, PartnerGroup}

// Partner is a partnership of the home institution with one institution or a
// group of them. Members are institution slugs, in the brochure's order.
type Partner struct {
	Slug      string      `json:"slug"`
	Name      Text        `json:"name"`
	ShortName string      `json:"short_name"`
	Kind      PartnerKind `json:"kind"`
	Members   []string    `json:"members"`
	Summary   Text        `json:"summary"`
	Note      Text        `json:"note"`
	Version   int         `json:"version"`
}

func (p *Partner) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", p.Slug)
	validateText(errs, "name", p.Name, true)
	if len(p.ShortName) > 32 {
		errs.Add("short_name", "too_long", 32)
	}
	validateEnum(errs, "kind", p.Kind, PartnerKinds, true)
	switch {
	case len(p.Members) == 0:
		errs.Add("members", "required")
	case p.Kind == PartnerInstitution && len(p.Members) != 1:
		errs.Add("members", "one_member")
	case p.Kind == PartnerGroup && len(p.Members) < 2:
		errs.Add("members", "group_members")
	}
	validateText(errs, "summary", p.Summary, false)
	validateText(errs, "note", p.Note, false)
	return errs.Err()
}

// PartnerCount is a phase's declared number of partners; the split between
// tiers is nil where the programme declared only a total.
type PartnerCount struct {
	Total       int  `json:"total"`
	Primary     *int `json:"primary"`
	Prospective *int `json:"prospective"`
}

// Phase is a numbered period of the programme.
type Phase struct {
	Number    int          `json:"number"`
	StartYear int          `json:"start_year"`
	EndYear   int          `json:"end_year"`
	Aims      []Text       `json:"aims"`
	Declared  PartnerCount `json:"partner_count"`
}

func (p *Phase) Validate() error {
	errs := FieldErrors{}
	if p.Number < 1 {
		errs.Add("number", "positive")
	}
	if p.StartYear < 1900 || p.StartYear > 2200 {
		errs.Add("start_year", "out_of_range", 1900, 2200)
	}
	if p.EndYear < p.StartYear {
		errs.Add("end_year", "before_start")
	}
	for i, a := range p.Aims {
		validateText(errs, indexed("aims", i), a, true)
	}
	d := p.Declared
	if d.Total < 0 {
		errs.Add("partner_count.total", "not_negative")
	}
	if d.Primary != nil && d.Prospective != nil && *d.Primary+*d.Prospective != d.Total {
		errs.Add("partner_count.total", "count_sum")
	}
	return errs.Err()
}

// Tier is a partner's standing in a phase.
type Tier string

const (
	Primary     Tier = "primary"
	Prospective Tier = "prospective"
)

var Tiers = []Tier{Primary, Prospective}

// ParseTier accepts "primary" or "prospective".
func ParseTier(s string) (Tier, bool) {
	for _, t := range Tiers {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// Standing places a partner in a tier for one phase.
type Standing struct {
	Partner string `json:"partner"`
	Phase   int    `json:"phase"`
	Tier    Tier   `json:"tier"`
}

// TeamMembership puts a unit in a partner's team for one phase; Lead marks
// the lead unit (主幹部局).
type TeamMembership struct {
	Partner string `json:"partner"`
	Unit    string `json:"unit"`
	Phase   int    `json:"phase"`
	Lead    bool   `json:"lead"`
}

// Qualifier says how exact a declared count is.
type Qualifier string

const (
	Exact   Qualifier = "exact"
	Approx  Qualifier = "approx"   // 約250, 250程度, 100名近い
	AtLeast Qualifier = "at_least" // 100名以上, 100名超, 10以上
)

var Qualifiers = []Qualifier{Exact, Approx, AtLeast}

// Count is a number as a source declares it: 120, about 250, 100+.
type Count struct {
	Value     int       `json:"value"`
	Qualifier Qualifier `json:"qualifier"`
}

func validateCount(errs FieldErrors, field string, c Count) {
	if c.Value < 0 {
		errs.Add(field+".value", "not_negative")
	}
	validateEnum(errs, field+".qualifier", c.Qualifier, Qualifiers, true)
}

// Series is a recurring event: an annual joint symposium, a yearly workshop.
type Series struct {
	Slug       string      `json:"slug"`
	Name       Text        `json:"name"`
	Partner    string      `json:"partner"` // empty for programme-wide series
	Since      PartialDate `json:"since"`
	Recurrence string      `json:"recurrence"` // annual | irregular
	Alternates bool        `json:"alternates"` // hosts alternate between the universities
}

var recurrences = []string{"annual", "irregular"}

func (s *Series) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", s.Slug)
	validateText(errs, "name", s.Name, true)
	validateEnum(errs, "recurrence", s.Recurrence, recurrences, true)
	return errs.Err()
}

// AgreementKind is the kind of a signed arrangement.
type AgreementKind string

const (
	MoU            AgreementKind = "mou"      // strategic partnership memorandum
	Exchange       AgreementKind = "exchange" // academic or student exchange agreement
	UnitAgreement  AgreementKind = "unit"     // between units of the two universities
	MutualOffices  AgreementKind = "office"   // offices set up at each other's campus
	OtherAgreement AgreementKind = "other"
)

var AgreementKinds = []AgreementKind{MoU, Exchange, UnitAgreement, MutualOffices, OtherAgreement}

// AgreementLevel says who signed: the university as a whole or a unit.
type AgreementLevel string

const (
	UniversityLevel AgreementLevel = "university"
	UnitLevel       AgreementLevel = "unit"
)

var AgreementLevels = []AgreementLevel{UniversityLevel, UnitLevel}

// AgreementStatus of an agreement, derived (see StatusOn).
type AgreementStatus string

const (
	Active  AgreementStatus = "active"
	Expired AgreementStatus = "expired"
	Unknown AgreementStatus = "unknown"
)

// AgreementStatuses are every status, in the order of an agreement's life.
var AgreementStatuses = []AgreementStatus{Draft, InReview, Approved, Signed, Active, Expiring, Expired, Renewed, Terminated, Unknown}

// DeclaredStatuses are what the office may declare of a signed agreement
// whose expiry is not known.
var DeclaredStatuses = []AgreementStatus{Active, Expired, Unknown}

// Agreement is a memorandum, exchange agreement or similar arrangement.
type Agreement struct {
	Slug        string         `json:"slug"`
	Partner     string         `json:"partner"`
	Institution string         `json:"institution"` // member institution, for groups
	Kind        AgreementKind  `json:"kind"`
	Level       AgreementLevel `json:"level"`
	Title       Text           `json:"title"`
	Units       []string       `json:"units"`
	Signed      PartialDate    `json:"signed"`
	Effective   PartialDate    `json:"effective"` // in force from; the signing date when not recorded
	Expires     PartialDate    `json:"expires"`
	Renewal     Renewal        `json:"renewal"`     // "" when not recorded
	NoticeDays  int            `json:"notice_days"` // notice a side must give to end or renew it
	// The people who signed, or are to sign, for each side.
	HomeSignatory    string `json:"home_signatory"`
	PartnerSignatory string `json:"partner_signatory"`
	// Renews is the agreement this one is a new version of; RenewedBy, the
	// signed one that renews it (derived).
	Renews    string `json:"renews"`
	RenewedBy string `json:"renewed_by"`
	// Stage is moved by transitions only; Status is derived from it and the
	// dates (StatusOn). Neither is taken from an edit.
	Stage  AgreementStage  `json:"stage"`
	Status AgreementStatus `json:"status"`
	// Declared is the office's word on a signed agreement whose expiry is
	// not known (confirm, expire); dates overrule it.
	Declared  AgreementStatus `json:"-"`
	Review    *Review         `json:"review,omitempty"`
	Note      Text            `json:"note"`
	Published bool            `json:"published"` // false for a draft, seen only by signed-in users
	Version   int             `json:"version"`
}

func (a *Agreement) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", a.Slug)
	validateSlug(errs, "partner", a.Partner)
	validateEnum(errs, "kind", a.Kind, AgreementKinds, true)
	validateEnum(errs, "level", a.Level, AgreementLevels, true)
	validateText(errs, "title", a.Title, true)
	validateEnum(errs, "stage", a.Stage, AgreementStages, true)
	validateEnum(errs, "renewal", a.Renewal, Renewals, false)
	if !a.Expires.IsZero() && !a.Signed.IsZero() && a.Expires.Last().Before(a.Signed.First()) {
		errs.Add("expires", "before_signed")
	}
	if !a.Expires.IsZero() && !a.Effective.IsZero() && a.Expires.Last().Before(a.Effective.First()) {
		errs.Add("expires", "before_effective")
	}
	if !a.Effective.IsZero() && !a.Signed.IsZero() && a.Effective.Last().Before(a.Signed.First()) {
		errs.Add("effective", "before_signed")
	}
	if a.NoticeDays < 0 || a.NoticeDays > MaxNoticeDays {
		errs.Add("notice_days", "out_of_range", 0, MaxNoticeDays)
	}
	validateLine(errs, "home_signatory", a.HomeSignatory)
	validateLine(errs, "partner_signatory", a.PartnerSignatory)
	if a.Renews != "" {
		validateSlug(errs, "renews", a.Renews)
		if a.Renews == a.Slug {
			errs.Add("renews", "renews_itself")
		}
	}
	if a.Level == UnitLevel && len(a.Units) == 0 {
		errs.Add("units", "required")
	}
	validateText(errs, "note", a.Note, false)
	return errs.Err()
}

// ActivityKind classifies an activity.
type ActivityKind string

const (
	Symposium        ActivityKind = "symposium"
	Workshop         ActivityKind = "workshop"
	Conference       ActivityKind = "conference"
	Forum            ActivityKind = "forum"
	Programme        ActivityKind = "programme"
	Seminar          ActivityKind = "seminar"
	ExchangeActivity ActivityKind = "exchange"
	OtherActivity    ActivityKind = "other"
)

var ActivityKinds = []ActivityKind{Symposium, Workshop, Conference, Forum, Programme, Seminar, ExchangeActivity, OtherActivity}

// ParseActivityKind accepts one of ActivityKinds.
func ParseActivityKind(s string) (ActivityKind, bool) {
	for _, k := range ActivityKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Format is how an activity met.
type Format string

const (
	InPerson Format = "in_person"
	Online   Format = "online"
	Hybrid   Format = "hybrid"
)

var Formats = []Format{InPerson, Online, Hybrid}

// Activity is a symposium, workshop, programme or other event of one or
// more partnerships. Start and End are partial dates; FiscalYear marks dates
// the source gave as a Japanese fiscal year (年度, April to March), which
// Start and End then span.
type Activity struct {
	Slug         string       `json:"slug"`
	Kind         ActivityKind `json:"kind"`
	Title        Text         `json:"title"`
	Summary      Text         `json:"summary"`
	Start        PartialDate  `json:"start"`
	End          PartialDate  `json:"end"`
	FiscalYear   bool         `json:"fiscal_year"`
	Phase        int          `json:"phase"`  // when the source dates it only by phase; else 0
	Format       Format       `json:"format"` // "" when unknown
	Host         string       `json:"host"`   // institution slug
	Venue        Text         `json:"venue"`
	Participants *Count       `json:"participants"`
	Partners     []string     `json:"partners"`
	Units        []string     `json:"units"`
	Institutions []string     `json:"institutions"` // others taking part, outside the partnership
	Series       string       `json:"series"`
	Edition      int          `json:"edition"`   // 0 outside a series
	Published    bool         `json:"published"` // false for a draft, seen only by signed-in users
	Version      int          `json:"version"`
}

func (a *Activity) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", a.Slug)
	validateEnum(errs, "kind", a.Kind, ActivityKinds, true)
	validateText(errs, "title", a.Title, true)
	validateText(errs, "summary", a.Summary, false)
	validateText(errs, "venue", a.Venue, false)
	validateEnum(errs, "format", a.Format, Formats, false)
	if !a.End.IsZero() && a.Start.IsZero() {
		errs.Add("start", "required")
	}
	if !a.End.IsZero() && !a.Start.IsZero() && a.End.Last().Before(a.Start.First()) {
		errs.Add("end", "before_start")
	}
	if a.FiscalYear && (a.Start.Month != 4 || a.End.Month != 3 || a.End.Year != a.Start.Year+1) {
		errs.Add("fiscal_year", "fiscal_span")
	}
	if a.Participants != nil {
		validateCount(errs, "participants", *a.Participants)
	}
	if a.Edition < 0 {
		errs.Add("edition", "not_negative")
	}
	if a.Edition > 0 && a.Series == "" {
		errs.Add("series", "required")
	}
	return errs.Err()
}

// Figure is a number the programme declares about itself or a partnership:
// annual mobility, calls of a joint fund, projects awarded, members of the
// national network. Kept for the features that will report on them.
type Figure struct {
	Key     string      `json:"key"`
	Partner string      `json:"partner"` // empty for the programme as a whole
	Value   Count       `json:"value"`
	PerYear bool        `json:"per_year"`
	AsOf    PartialDate `json:"as_of"`
	Note    Text        `json:"note"`
}

var figureKeyRE = regexp.MustCompile(`^[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)*$`)

func (f *Figure) Validate() error {
	errs := FieldErrors{}
	if !figureKeyRE.MatchString(f.Key) {
		errs.Add("key", "bad_key")
	}
	validateCount(errs, "value", f.Value)
	validateText(errs, "note", f.Note, true)
	return errs.Err()
}

func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
