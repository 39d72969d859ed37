// Command gen generates a large synthetic partnership programme for
// bench/mobility.sh: by default 200 home institutions sharing a registry of
// 5,000 institutions, each home with 100 partners, 100 units, 2,500
// activities and 25,000 mobility figures (5 million in all).
//
//	gen -db URL [-rows N]                  catalogs and figures into a database (SQLite or PostgreSQL)
//	gen -out DIR [-rows N]                 one mobility CSV per home, N rows in all
//	gen -out DIR -home home-001 -rows N    one mobility CSV of N rows for one home
//
// Everything is deterministic: a home's catalog and figures depend only on
// -seed, the home's number and the per-home sizes (-partners, -units,
// -activities, -years, -institutions), not on -homes or -rows, so a CSV
// written for home-001 imports into a database generated with -homes 1.
//
// With -db, each home's catalog goes in through store.ImportCatalog and its
// figures through store.ImportMobility (the path `partnerhub import
// mobility` takes, rollups kept in the same transaction), as the
// command-line's "system" administrator. The database must have no home
// institution yet. Progress and timings are printed on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/store"
)

// layout is the shape of the programme: per-home sizes and the shared
// registry.
type layout struct {
	seed         uint64
	institutions int // in the shared registry
	partners     int // per home
	units        int // per home
	activities   int // per home
	firstYear    int // of the mobility figures and activities
	years        int
}

// The fixed parts of a home's layout.
const (
	groupEvery   = 10 // every 10th partner is a consortium…
	groupMembers = 3  // …of 3 institutions
	teamSize     = 3  // units in a partner's team in the current phase
	homeStride   = 25 // home h's partners are drawn from the institutions from 25·h on
	phases       = 3
)

func main() {
	var l layout
	flag.Uint64Var(&l.seed, "seed", 1, "seed of the pseudo-random generator")
	homes := flag.Int("homes", 200, "home institutions (with -db, or -out without -home)")
	flag.IntVar(&l.institutions, "institutions", 5000, "institutions in the shared registry")
	flag.IntVar(&l.partners, "partners", 100, "partners per home")
	flag.IntVar(&l.units, "units", 100, "units per home")
	flag.IntVar(&l.activities, "activities", 2500, "activities per home")
	flag.IntVar(&l.firstYear, "first-year", 2000, "first academic year of the figures")
	flag.IntVar(&l.years, "years", 26, "academic years of figures")
	rows := flag.Int64("rows", 5_000_000, "mobility figures in all, spread evenly over the homes (with -home: in its file)")
	dbURL := flag.String("db", "", "write catalogs and figures into this database: sqlite:PATH or postgres://…")
	out := flag.String("out", "", "write mobility CSV files into this folder")
	home := flag.String("home", "", "with -out: one file, for this home (home-001 …)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of gen to this file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gen (-db URL | -out DIR [-home SLUG]) [flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || (*dbURL == "") == (*out == "") || (*home != "" && *out == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := l.check(*homes, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	switch {
	case *dbURL != "":
		err = l.toDB(ctx, *dbURL, *homes, *rows)
	case *home != "":
		h, ok := homeIndex(*home)
		if !ok || h >= l.institutions/homeStride {
			err = fmt.Errorf("-home %q: want home-001 … home-%03d", *home, l.institutions/homeStride)
			break
		}
		err = l.toCSV(*out, h, *rows)
	default:
		for h := range *homes {
			if err = l.toCSV(*out, h, share(*rows, *homes, h)); err != nil {
				break
			}
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func (l *layout) check(homes int, rows int64) error {
	switch {
	case l.partners < 1 || l.units < 1 || l.years < 1 || l.activities < 0 || rows < 0:
		return errors.New("sizes must be positive")
	case l.firstYear < partnerhub.MinAcademicYear || l.firstYear+l.years-1 > partnerhub.MaxAcademicYear:
		return fmt.Errorf("years out of %d–%d", partnerhub.MinAcademicYear, partnerhub.MaxAcademicYear)
	case homes < 1 || homes*homeStride > l.institutions:
		return fmt.Errorf("-homes: 1 to %d for %d institutions", l.institutions/homeStride, l.institutions)
	case l.memberSlots()+1 > l.institutions:
		return errors.New("-partners: too many for the registry")
	}
	return nil
}

// share is home h's part of n figures spread over homes.
func share(n int64, homes, h int) int64 {
	s := n / int64(homes)
	if int64(h) < n%int64(homes) {
		s++
	}
	return s
}

func homeSlug(h int) string { return fmt.Sprintf("home-%03d", h+1) }
func instSlug(i int) string { return fmt.Sprintf("inst-%04d", i+1) }
func unitCode(u int) string { return fmt.Sprintf("u%03d", u+1) }

func homeIndex(slug string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(slug, "home-"))
	return n - 1, err == nil && strings.HasPrefix(slug, "home-") && n >= 1
}

// rng is the generator of one part (1 catalog, 2 figures) of home h.
func (l *layout) rng(h, part int) *rand.Rand {
	return rand.New(rand.NewPCG(l.seed, uint64(h)<<8|uint64(part)))
}

func (l *layout) isGroup(p int) bool { return p%groupEvery == groupEvery-1 }

func (l *layout) memberSlots() int {
	n := 0
	for p := range l.partners {
		if l.isGroup(p) {
			n += groupMembers
		} else {
			n++
		}
	}
	return n
}

// ---- catalog ---------------------------------------------------------------

var (
	countries = []string{"US", "GB", "DE", "FR", "CN", "KR", "TW", "SG", "AU", "CA", "SE", "CH", "NL", "IT", "ES", "IN", "TH", "ID", "VN", "BR"}
	cities    = []partnerhub.Text{{Ja: "ボストン", En: "Boston"}, {Ja: "ロンドン", En: "London"}, {Ja: "ベルリン", En: "Berlin"},
		{Ja: "パリ", En: "Paris"}, {Ja: "北京", En: "Beijing"}, {Ja: "ソウル", En: "Seoul"}, {Ja: "台北", En: "Taipei"},
		{Ja: "シンガポール", En: "Singapore"}, {Ja: "シドニー", En: "Sydney"}, {Ja: "トロント", En: "Toronto"}}
	unitKinds = partnerhub.UnitKinds
	actKinds  = partnerhub.ActivityKinds
)

// institution is number i of the shared registry; the same whichever home
// lists it.
func (l *layout) institution(i int) partnerhub.Institution {
	r := rand.New(rand.NewPCG(l.seed, 1<<40|uint64(i)))
	lat, lng := r.Float64()*140-70, r.Float64()*360-180
	return partnerhub.Institution{
		Slug:        instSlug(i),
		Name:        partnerhub.Text{Ja: fmt.Sprintf("第%d大学", i+1), En: fmt.Sprintf("University No. %d", i+1)},
		Acronym:     fmt.Sprintf("U%d", i+1),
		Country:     countries[i%len(countries)],
		City:        cities[i%len(cities)],
		Lat:         &lat,
		Lng:         &lng,
		Website:     fmt.Sprintf("https://www.inst-%04d.example.edu/", i+1),
		Established: 1850 + r.IntN(150),
	}
}

// homePartner is a partner of a home: its slug and member institutions.
type homePartner struct {
	slug    string
	members []int // institution numbers
	team    []int // unit numbers, the lead first
}

// partners lays out the partners of home h: their members come from a
// window of the registry that starts at 25·h (so that 200 homes cover 5,000
// institutions and neighbouring homes share partners), shuffled, never the
// home's own institution. A partner is named after its (first) member, so
// the same institution is the same partner slug in every home.
func (l *layout) homePartners(h int) []homePartner {
	r := l.rng(h, 3)
	slots := l.memberSlots()
	window := make([]int, 0, slots)
	for i := 0; len(window) < slots; i++ {
		if inst := (h*homeStride + i) % l.institutions; inst != h {
			window = append(window, inst)
		}
	}
	r.Shuffle(len(window), func(i, j int) { window[i], window[j] = window[j], window[i] })
	out := make([]homePartner, l.partners)
	next := 0
	for p := range out {
		n := 1
		prefix := "pt"
		if l.isGroup(p) {
			n, prefix = groupMembers, "grp"
		}
		hp := &out[p]
		hp.members = window[next : next+n]
		next += n
		hp.slug = fmt.Sprintf("%s-%04d", prefix, hp.members[0]+1)
		seen := map[int]bool{}
		for len(hp.team) < min(teamSize, l.units) {
			if u := r.IntN(l.units); !seen[u] {
				seen[u] = true
				hp.team = append(hp.team, u)
			}
		}
	}
	return out
}

// catalog builds the catalog of home h; the first home also lists the
// whole registry, so that every institution exists however many homes are
// written.
func (l *layout) catalog(h int) *partnerhub.Catalog {
	r := l.rng(h, 1)
	c := &partnerhub.Catalog{Home: partnerhub.HomeInstitution{
		Slug:        homeSlug(h),
		Institution: instSlug(h),
		Programme:   partnerhub.Text{Ja: fmt.Sprintf("第%d大学 戦略的パートナーシップ", h+1), En: fmt.Sprintf("Strategic Partnerships of University No. %d", h+1)},
	}}
	listed := map[int]bool{}
	list := func(i int) {
		if !listed[i] {
			listed[i] = true
			c.Institutions = append(c.Institutions, l.institution(i))
		}
	}
	if h == 0 {
		for i := range l.institutions {
			list(i)
		}
	}
	list(h)
	for u := range l.units {
		c.Units = append(c.Units, partnerhub.Unit{
			Code: unitCode(u),
			Name: partnerhub.Text{Ja: fmt.Sprintf("第%d研究科", u+1), En: fmt.Sprintf("Graduate School No. %d", u+1)},
			Abbr: partnerhub.Text{Ja: fmt.Sprintf("研%d", u+1), En: fmt.Sprintf("GS%d", u+1)},
			Kind: unitKinds[u%len(unitKinds)],
		})
	}
	start := l.firstYear + l.years - 4*phases
	for ph := 1; ph <= phases; ph++ {
		primary, prospective := l.partners*3/5, l.partners-l.partners*3/5
		c.Phases = append(c.Phases, partnerhub.Phase{
			Number: ph, StartYear: start + 4*(ph-1), EndYear: start + 4*ph - 1,
			Aims:     []partnerhub.Text{{Ja: fmt.Sprintf("第%d期の目標", ph), En: fmt.Sprintf("Aims of phase %d", ph)}},
			Declared: partnerhub.PartnerCount{Total: l.partners, Primary: &primary, Prospective: &prospective},
		})
	}
	partners := l.homePartners(h)
	for p, hp := range partners {
		kind := partnerhub.PartnerInstitution
		if len(hp.members) > 1 {
			kind = partnerhub.PartnerGroup
		}
		var members []string
		for _, m := range hp.members {
			list(m)
			members = append(members, instSlug(m))
		}
		c.Partners = append(c.Partners, partnerhub.Partner{
			Slug:      hp.slug,
			Name:      partnerhub.Text{Ja: fmt.Sprintf("パートナー %s", hp.slug), En: fmt.Sprintf("Partner %s", hp.slug)},
			ShortName: strings.ToUpper(hp.slug),
			Kind:      kind,
			Members:   members,
			Summary:   partnerhub.Text{Ja: "合成データ", En: "Synthetic data"},
		})
		for ph := 1; ph <= phases; ph++ {
			tier := partnerhub.Primary
			if p >= l.partners*3/5 {
				tier = partnerhub.Prospective
			}
			c.Standings = append(c.Standings, partnerhub.Standing{Partner: hp.slug, Phase: ph, Tier: tier})
		}
		for i, u := range hp.team {
			c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: hp.slug, Unit: unitCode(u), Phase: phases, Lead: i == 0})
		}
	}
	for a := range l.activities {
		p := &partners[r.IntN(len(partners))]
		act := partnerhub.Activity{
			Slug:      fmt.Sprintf("act-%05d", a+1),
			Kind:      actKinds[r.IntN(len(actKinds))],
			Title:     partnerhub.Text{Ja: fmt.Sprintf("合同シンポジウム %d", a+1), En: fmt.Sprintf("Joint symposium %d", a+1)},
			Start:     partnerhub.PartialDate{Year: l.firstYear + r.IntN(l.years), Month: 1 + r.IntN(12)},
			Format:    partnerhub.Formats[r.IntN(len(partnerhub.Formats))],
			Host:      instSlug(p.members[0]),
			Partners:  []string{p.slug},
			Units:     []string{unitCode(p.team[0])},
			Published: true,
		}
		if r.IntN(5) == 0 { // a fifth involve a second partner
			if q := &partners[r.IntN(len(partners))]; q.slug != p.slug {
				act.Partners = append(act.Partners, q.slug)
			}
		}
		if len(p.team) > 1 && r.IntN(2) == 0 {
			act.Units = append(act.Units, unitCode(p.team[1]))
		}
		c.Activities = append(c.Activities, act)
	}
	return c
}

// ---- figures ---------------------------------------------------------------

var (
	directions = partnerhub.Directions
	categories = partnerhub.Categories
	programmes = partnerhub.MobilityProgrammes
)

// figures yields n distinct figures of home h (numbered from 2, the row of
// a CSV file with a header). Keys are drawn without repeats from the space
// partner × (none | first member) × (none | unit) × year × direction ×
// category × programme by an affine permutation k = (a·i + b) mod K with a
// prime to K, so neighbouring rows are far apart (the worst order for the
// unique index) and no key comes twice.
func (l *layout) figures(h int, n int64) (iter.Seq2[int, partnerhub.Mobility], error) {
	partners := l.homePartners(h)
	dims := []int64{int64(len(programmes)), int64(len(categories)), int64(len(directions)), int64(l.years), int64(l.units + 1), 2, int64(l.partners)}
	space := int64(1)
	for _, d := range dims {
		space *= d
	}
	if n > space {
		return nil, fmt.Errorf("%s: %d figures asked, only %d distinct keys (raise -years or -units)", homeSlug(h), n, space)
	}
	r := l.rng(h, 2)
	a := space/3 + r.Int64N(space/3+1)
	for gcd(a, space) != 1 {
		a++
	}
	b := r.Int64N(space)
	return func(yield func(int, partnerhub.Mobility) bool) {
		k := b
		for i := range n {
			rest := k
			digit := func(d int64) int { v := rest % d; rest /= d; return int(v) }
			m := partnerhub.Mobility{
				Programme: programmes[digit(dims[0])],
				Category:  categories[digit(dims[1])],
				Direction: directions[digit(dims[2])],
				Year:      l.firstYear + digit(dims[3]),
			}
			if u := digit(dims[4]); u > 0 {
				m.Unit = unitCode(u - 1)
			}
			withInst := digit(dims[5]) == 1
			p := &partners[digit(dims[6])]
			m.Partner = p.slug
			if withInst {
				m.Institution = instSlug(p.members[0])
			}
			// Mostly small numbers, now and then a large programme.
			m.Count = 1 + int(r.ExpFloat64()*6)
			if m.Count > 1000 {
				m.Count = 1000
			}
			if !yield(int(i)+2, m) {
				return
			}
			if k += a % space; k >= space {
				k -= space
			}
		}
	}, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// toCSV writes the n figures of home h to DIR/mobility-home-NNN.csv.
func (l *layout) toCSV(dir string, h int, n int64) (err error) {
	seq, err := l.figures(h, n)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "mobility-"+homeSlug(h)+".csv")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	buf := make([]byte, 0, 1<<20)
	buf = append(buf, "partner,institution,unit,year,direction,category,programme,count\n"...)
	for _, m := range seq {
		buf = append(buf, m.Partner...)
		buf = append(buf, ',')
		buf = append(buf, m.Institution...)
		buf = append(buf, ',')
		buf = append(buf, m.Unit...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(m.Year), 10)
		buf = append(buf, ',')
		buf = append(buf, m.Direction...)
		buf = append(buf, ',')
		buf = append(buf, m.Category...)
		buf = append(buf, ',')
		buf = append(buf, m.Programme...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(m.Count), 10)
		buf = append(buf, '\n')
		if len(buf) > 1<<20-256 {
			if _, err := f.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d rows\n", path, n)
	return nil
}

// ---- database --------------------------------------------------------------

func (l *layout) toDB(ctx context.Context, url string, homes int, rows int64) error {
	start := time.Now()
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if have, err := db.Homes(ctx); err != nil {
		return err
	} else if len(have) > 0 {
		return fmt.Errorf("the database holds home institutions already (%s …): use an empty one", have[0])
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d homes × (%d partners, %d units, %d activities), %d institutions, %d figures\n",
		db.Engine(), homes, l.partners, l.units, l.activities, l.institutions, rows)
	var tCatalog, tFigures time.Duration
	var done int64
	for h := range homes {
		t0 := time.Now()
		c := l.catalog(h)
		if err := db.ImportCatalog(ctx, c); err != nil {
			return fmt.Errorf("%s: catalog: %w", homeSlug(h), err)
		}
		t1 := time.Now()
		n := share(rows, homes, h)
		if n > 0 {
			seq, err := l.figures(h, n)
			if err != nil {
				return err
			}
			actor := &partnerhub.User{Email: "system", Role: partnerhub.RoleAdmin, Home: homeSlug(h)}
			res, err := db.ImportMobility(ctx, actor, homeSlug(h), seq, nil, nil)
			if err != nil {
				for _, p := range res.Problems[:min(5, len(res.Problems))] {
					fmt.Fprintf(os.Stderr, "gen: %s row %d: %s %s %v\n", homeSlug(h), p.Row, p.Field, p.Key, p.Args)
				}
				return fmt.Errorf("%s: figures: %w", homeSlug(h), err)
			}
			done += res.Rows
		}
		t2 := time.Now()
		tCatalog += t1.Sub(t0)
		tFigures += t2.Sub(t1)
		if h == 0 || (h+1)%10 == 0 || h == homes-1 {
			fmt.Fprintf(os.Stderr, "gen: %d/%d homes, %d figures, %s (catalogs %s, figures %s, %s figures/s)\n",
				h+1, homes, done, time.Since(start).Round(time.Millisecond), tCatalog.Round(time.Millisecond),
				tFigures.Round(time.Millisecond), rate(done, tFigures))
		}
	}
	fmt.Fprintf(os.Stderr, "gen: done in %s: %d homes, %d partners, %d activities, %d figures (catalogs %s, figures %s at %s/s)\n",
		time.Since(start).Round(time.Millisecond), homes, homes*l.partners, homes*l.activities, done,
		tCatalog.Round(time.Millisecond), tFigures.Round(time.Millisecond), rate(done, tFigures))
	return nil
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return strconv.FormatInt(int64(float64(n)/d.Seconds()), 10)
}
