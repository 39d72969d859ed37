package partnerhub

import "strconv"

// Mobility figures are aggregate counts of people moving between the home
// institution and a partner in an academic year: never personal data.

// Direction says which way people moved.
type Direction string

const (
	Outbound Direction = "outbound" // from the home institution to the partner
	Inbound  Direction = "inbound"  // from the partner to the home institution
)

var Directions = []Direction{Outbound, Inbound}

// Category is who moved.
type Category string

const (
	Undergraduate Category = "undergraduate"
	Graduate      Category = "graduate"
	Faculty       Category = "faculty"
	Staff         Category = "staff"
	Researcher    Category = "researcher"
)

var Categories = []Category{Undergraduate, Graduate, Faculty, Staff, Researcher}

// MobilityProgramme is the frame people moved in.
type MobilityProgramme string

const (
	ExchangeProgramme MobilityProgramme = "exchange"
	ShortProgramme    MobilityProgramme = "short_programme"
	JointDegree       MobilityProgramme = "joint_degree"
	Visit             MobilityProgramme = "visit"
	Internship        MobilityProgramme = "internship"
	OtherProgramme    MobilityProgramme = "other"
)

var MobilityProgrammes = []MobilityProgramme{ExchangeProgramme, ShortProgramme, JointDegree, Visit, Internship, OtherProgramme}

// Academic years run from April to March and are written by the year they
// start in: 2021 is April 2021 to March 2022.
const (
	MinAcademicYear = 1900
	MaxAcademicYear = 2200
)

// Mobility is one aggregate figure. Institution (a member of a group
// partner) and Unit are optional. The key of a figure is every field but
// Count: two figures with the same key are the same figure.
type Mobility struct {
	Partner     string            `json:"partner"`
	Institution string            `json:"institution"` // "" for the partner as a whole
	Unit        string            `json:"unit"`        // "" for the university as a whole
	Year        int               `json:"year"`
	Direction   Direction         `json:"direction"`
	Category    Category          `json:"category"`
	Programme   MobilityProgramme `json:"programme"`
	Count       int               `json:"count"`
}

// MaxMobilityCount bounds one figure: more is a typing mistake.
const MaxMobilityCount = 1_000_000

func (m *Mobility) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "partner", m.Partner)
	if m.Institution != "" {
		validateSlug(errs, "institution", m.Institution)
	}
	if m.Unit != "" {
		validateSlug(errs, "unit", m.Unit)
	}
	if m.Year < MinAcademicYear || m.Year > MaxAcademicYear {
		errs.Add("year", "out_of_range", MinAcademicYear, MaxAcademicYear)
	}
	validateEnum(errs, "direction", m.Direction, Directions, true)
	validateEnum(errs, "category", m.Category, Categories, true)
	validateEnum(errs, "programme", m.Programme, MobilityProgrammes, true)
	switch {
	case m.Count < 0:
		errs.Add("count", "not_negative")
	case m.Count > MaxMobilityCount:
		errs.Add("count", "out_of_range", 0, MaxMobilityCount)
	}
	return errs.Err()
}

// Key identifies a figure: the same key twice in one file is a duplicate.
func (m *Mobility) Key() string {
	return m.Partner + "|" + m.Institution + "|" + m.Unit + "|" + strconv.Itoa(m.Year) + "|" +
		string(m.Direction) + "|" + string(m.Category) + "|" + string(m.Programme)
}

// Dimensions a statistics query may group by.
const (
	DimYear      = "year"
	DimPartner   = "partner"
	DimUnit      = "unit"
	DimDirection = "direction"
	DimCategory  = "category"
	DimProgramme = "programme"
	DimHome      = "home"
)

var Dimensions = []string{DimYear, DimPartner, DimUnit, DimDirection, DimCategory, DimProgramme, DimHome}

// StatsQuery asks for mobility totals. Home "" means every home
// institution together (the network-wide view). Filters left zero select all.
type StatsQuery struct {
	Home      string
	GroupBy   []string // of Dimensions, in the order the result keys come
	Partner   string
	Unit      string
	Direction Direction
	Category  Category
	Programme MobilityProgramme
	FromYear  int
	ToYear    int
}

// StatsRow is one group's total: Keys are the values of GroupBy, in order.
type StatsRow struct {
	Keys  []string `json:"keys"`
	Total int64    `json:"total"`
}
