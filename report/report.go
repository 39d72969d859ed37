// Package report writes the programme's annual report as a PDF: an A4
// document in one language, in the spirit of the printed brochure (cover,
// aims, phases, partners by tier, a page per partner, the map, the
// statistics, the joint funds' calls and awards), with a linked table of
// contents, bookmarks, page numbers, embedded subset Japanese fonts and a
// structure tree of its headings and paragraphs (a tagged PDF).
//
// It is pure: it reads the data it is given and writes to an io.Writer. The
// web server and the command line gather the same data with Gather.
package report

import (
	"context"
	"slices"
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/worldmap"
)

// Printer gives the report's words in its language (i18n.Printer is one).
type Printer interface {
	T(key string, args ...any) string
	Num(n any) string
}

// Input is everything one report shows. Index must be of the public
// programme (published records only); Calls and Projects must be public too.
type Input struct {
	Lang  partnerhub.Lang
	Year  int
	Index *partnerhub.Index
	P     Printer
	// Own: the home is the one the built-in texts describe, whose aims
	// the portal's home page states (page.home.*); other homes' reports
	// show only their phases' aims.
	Own bool
	// Mobility is the recorded totals grouped by partner, year and
	// direction (StatsRow keys in that order), of every year.
	Mobility []partnerhub.StatsRow
	// Categories is the totals by year and category.
	Categories []partnerhub.StatsRow
	Calls      []partnerhub.Call
	Projects   []partnerhub.Project
	// World is the world map the site draws (worldmap, WorldView); nil
	// leaves the map page with the list of partners only.
	World *worldmap.Map
	// Date is written as the document's creation date: the data's, so
	// that the same data gives the same bytes.
	Date time.Time
}

// WorldView is the world as the report's map shows it (the site's view).
var WorldView = worldmap.View{West: -180, East: 180, South: -58, North: 84, Width: 1000}

// Sources is where Gather reads what the catalog does not hold; any may be
// nil (nothing recorded).
type Sources struct {
	Mobility interface {
		Stats(ctx context.Context, q partnerhub.StatsQuery) ([]partnerhub.StatsRow, error)
	}
	Calls interface {
		Calls(ctx context.Context, actor *partnerhub.User, home string, f partnerhub.CallFilter) ([]partnerhub.Call, error)
	}
	Projects interface {
		Projects(ctx context.Context, home string, f partnerhub.ProjectFilter) ([]partnerhub.Project, error)
	}
}

// Gather reads the public mobility totals, calls and awarded projects of
// home into in.
func Gather(ctx context.Context, home string, src Sources, in *Input) error {
	if src.Mobility != nil {
		var err error
		in.Mobility, err = src.Mobility.Stats(ctx, partnerhub.StatsQuery{Home: home,
			GroupBy: []string{partnerhub.DimPartner, partnerhub.DimYear, partnerhub.DimDirection}})
		if err != nil {
			return err
		}
		in.Categories, err = src.Mobility.Stats(ctx, partnerhub.StatsQuery{Home: home,
			GroupBy: []string{partnerhub.DimYear, partnerhub.DimCategory}})
		if err != nil {
			return err
		}
	}
	if src.Calls != nil {
		cs, err := src.Calls.Calls(ctx, nil, home, partnerhub.CallFilter{Public: true})
		if err != nil {
			return err
		}
		in.Calls = slices.DeleteFunc(cs, func(c partnerhub.Call) bool { return !c.Published })
	}
	if src.Projects != nil {
		ps, err := src.Projects.Projects(ctx, home, partnerhub.ProjectFilter{})
		if err != nil {
			return err
		}
		in.Projects = ps
	}
	return nil
}

// Years is the span of years the programme has data for: its phases, its
// dated activities and its recorded mobility. A report of a year outside
// it has nothing to say.
func Years(x *partnerhub.Index, mobility []partnerhub.StatsRow) (first, last int) {
	see := func(y int) {
		if y == 0 {
			return
		}
		if first == 0 || y < first {
			first = y
		}
		if y > last {
			last = y
		}
	}
	for _, ph := range x.Phases() {
		see(ph.StartYear)
		see(ph.EndYear)
	}
	for _, a := range x.Activities(partnerhub.ActivityFilter{}) {
		see(a.Start.Year)
	}
	for _, r := range mobility {
		if len(r.Keys) > 1 {
			y, _ := strconv.Atoi(r.Keys[1])
			see(y)
		}
	}
	return first, last
}

// HasYear reports whether year lies within Years.
func HasYear(x *partnerhub.Index, mobility []partnerhub.StatsRow, year int) bool {
	first, last := Years(x, mobility)
	return first != 0 && year >= first && year <= last
}

// FixedPages is the number of pages besides the partners' own: cover,
// contents, aims and phases, partners by tier, map, statistics, funds.
const FixedPages = 7
