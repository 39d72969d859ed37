package partnerhub

import (
	"encoding/json"
	"fmt"
	"time"
)

// PartialDate is an ISO 8601 calendar date of reduced precision: "2015",
// "2013-01" or "2021-03-15", as the brochure gives them. The zero value means
// "no date". Its string form sorts lexically in calendar order, and First and
// Last give the range of days it may mean, so filters compare ranges.
type PartialDate struct {
	Year, Month, Day int
}

// Precision of a partial date.
type Precision int

const (
	NoDate Precision = iota
	YearPrecision
	MonthPrecision
	DayPrecision
)

// ParsePartialDate parses "YYYY", "YYYY-MM" or "YYYY-MM-DD"; the empty string
// is the zero date.
func ParsePartialDate(s string) (PartialDate, error) {
	var d PartialDate
	if s == "" {
		return d, nil
	}
	var err error
	switch len(s) {
	case 4:
		_, err = fmt.Sscanf(s, "%4d", &d.Year)
	case 7:
		if s[4] != '-' {
			return d, errBadDate(s)
		}
		_, err = fmt.Sscanf(s, "%4d-%2d", &d.Year, &d.Month)
	case 10:
		if s[4] != '-' || s[7] != '-' {
			return d, errBadDate(s)
		}
		_, err = fmt.Sscanf(s, "%4d-%2d-%2d", &d.Year, &d.Month, &d.Day)
	default:
		return d, errBadDate(s)
	}
	if err != nil || !allDigits(s) || d.String() != s || !d.valid() {
		return PartialDate{}, errBadDate(s)
	}
	return d, nil
}

func allDigits(s string) bool {
	for i, r := range s {
		if (i == 4 || i == 7) && r == '-' {
			continue
		}
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (d PartialDate) valid() bool {
	if d.Year < 1000 || d.Year > 9999 {
		return false
	}
	if d.Month == 0 {
		return d.Day == 0
	}
	if d.Month < 1 || d.Month > 12 {
		return false
	}
	if d.Day == 0 {
		return true
	}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return t.Day() == d.Day
}

func errBadDate(s string) error {
	return fmt.Errorf("invalid partial date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
}

// MustPartialDate is ParsePartialDate for literals known to be valid.
func MustPartialDate(s string) PartialDate {
	d, err := ParsePartialDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether the date is unset.
func (d PartialDate) IsZero() bool { return d.Year == 0 }

// Precision tells how much of the date is known.
func (d PartialDate) Precision() Precision {
	switch {
	case d.Year == 0:
		return NoDate
	case d.Month == 0:
		return YearPrecision
	case d.Day == 0:
		return MonthPrecision
	}
	return DayPrecision
}

// String gives the ISO form at the known precision, "" for no date.
func (d PartialDate) String() string {
	switch d.Precision() {
	case YearPrecision:
		return fmt.Sprintf("%04d", d.Year)
	case MonthPrecision:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case DayPrecision:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	return ""
}

// First is the earliest day the date may mean.
func (d PartialDate) First() time.Time {
	m, day := max(d.Month, 1), max(d.Day, 1)
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// Last is the latest day the date may mean.
func (d PartialDate) Last() time.Time {
	switch d.Precision() {
	case YearPrecision:
		return time.Date(d.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	case MonthPrecision:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return d.First()
}

// Compare orders dates by their first day, then the less precise first, so
// "2021" comes before "2021-03" and both before "2022"; no date sorts last.
func (d PartialDate) Compare(o PartialDate) int {
	switch {
	case d.IsZero() && o.IsZero():
		return 0
	case d.IsZero():
		return 1
	case o.IsZero():
		return -1
	}
	if c := d.First().Compare(o.First()); c != 0 {
		return c
	}
	return int(d.Precision()) - int(o.Precision())
}

func (d PartialDate) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *PartialDate) UnmarshalText(b []byte) error {
	p, err := ParsePartialDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalJSON writes null for no date, so clients need not special-case "".
func (d PartialDate) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

func (d *PartialDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = PartialDate{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}
