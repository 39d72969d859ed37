// Package dataset holds the built-in programme data, as human-editable YAML
// files embedded in the binary, and loads them into a validated Catalog.
//
// The files name units by the marks the brochure prints (工, 東文研, IPMU) so
// that an editor can check them against the brochure line by line. A file
// that does not parse, names an unknown field, mark, partner or institution,
// or breaks a rule of the domain is rejected whole, with file, line and reason.
package dataset

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"partnerhub"
)

//go:embed data/*.yaml
var builtin embed.FS

// Files lists the dataset's files in load order.
var Files = []string{"institutions.yaml", "home.yaml", "phases.yaml", "partners.yaml", "agreements.yaml", "activities.yaml", "figures.yaml", "funds.yaml"}

// BuiltinHome is the slug of the home the built-in data describe (its
// home.yaml); a test keeps the two the same.
const BuiltinHome = "utokyo"

// Builtin loads the embedded data of the University of Tokyo's programme.
func Builtin() (*partnerhub.Catalog, error) {
	sub, err := fs.Sub(builtin, "data")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

// Problem is one reason a dataset was rejected.
type Problem struct {
	File  string
	Line  int
	Field string // the catalog path, e.g. partners[3].members[1]
	Key   string // i18n key under "field." (or a YAML error text when Key is "")
	Args  []any
	Text  string // the parser's own words, for syntax errors
}

// Error lists every problem of a rejected dataset.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
		if p.Text != "" {
			b.WriteString(p.Text)
			continue
		}
		fmt.Fprintf(&b, "%s: %s", p.Field, p.Key)
		if len(p.Args) > 0 {
			fmt.Fprintf(&b, " %v", p.Args)
		}
	}
	return b.String()
}

// The shapes of the files. Units appear by mark; the loader turns them into
// codes.
type homeFile struct {
	Home  partnerhub.HomeInstitution `yaml:"home"`
	Units []unitYAML                 `yaml:"units"`
}

type unitYAML struct {
	Code string              `yaml:"code"`
	Name partnerhub.Text     `yaml:"name"`
	Abbr partnerhub.Text     `yaml:"abbr"`
	Kind partnerhub.UnitKind `yaml:"kind"`
}

type institutionYAML struct {
	Slug        string          `yaml:"slug"`
	Name        partnerhub.Text `yaml:"name"`
	Acronym     string          `yaml:"acronym"`
	Country     string          `yaml:"country"`
	City        partnerhub.Text `yaml:"city"`
	Lat         *float64        `yaml:"lat"`
	Lng         *float64        `yaml:"lng"`
	Website     string          `yaml:"website"`
	ROR         string          `yaml:"ror"`
	Established int             `yaml:"established"`
}

type phaseYAML struct {
	Number       int               `yaml:"number"`
	StartYear    int               `yaml:"start_year"`
	EndYear      int               `yaml:"end_year"`
	Aims         []partnerhub.Text `yaml:"aims"`
	PartnerCount struct {
		Total       int  `yaml:"total"`
		Primary     *int `yaml:"primary"`
		Prospective *int `yaml:"prospective"`
	} `yaml:"partner_count"`
}

type teamYAML struct {
	Units []string `yaml:"units"` // marks
	Lead  string   `yaml:"lead"`  // mark, optional
}

type partnerYAML struct {
	Slug      string                  `yaml:"slug"`
	Name      partnerhub.Text         `yaml:"name"`
	ShortName string                  `yaml:"short_name"`
	Kind      partnerhub.PartnerKind  `yaml:"kind"`
	Members   []string                `yaml:"members"`
	Standings map[int]partnerhub.Tier `yaml:"standings"`
	Teams     map[int]teamYAML        `yaml:"teams"`
	Summary   partnerhub.Text         `yaml:"summary"`
	Note      partnerhub.Text         `yaml:"note"`
}

type agreementYAML struct {
	Slug        string                     `yaml:"slug"`
	Partner     string                     `yaml:"partner"`
	Institution string                     `yaml:"institution"`
	Kind        partnerhub.AgreementKind   `yaml:"kind"`
	Level       partnerhub.AgreementLevel  `yaml:"level"`
	Title       partnerhub.Text            `yaml:"title"`
	Units       []string                   `yaml:"units"` // marks
	Signed      string                     `yaml:"signed"`
	Effective   string                     `yaml:"effective"`
	Expires     string                     `yaml:"expires"`
	Renewal     partnerhub.Renewal         `yaml:"renewal"`
	NoticeDays  int                        `yaml:"notice_days"`
	Renews      string                     `yaml:"renews"`
	Stage       partnerhub.AgreementStage  `yaml:"stage"` // signed when not given: the data records agreements in force
	Status      partnerhub.AgreementStatus `yaml:"status"`
	Note        partnerhub.Text            `yaml:"note"`
	Draft       bool                       `yaml:"draft"`
}

type seriesYAML struct {
	Slug       string          `yaml:"slug"`
	Name       partnerhub.Text `yaml:"name"`
	Partner    string          `yaml:"partner"`
	Since      string          `yaml:"since"`
	Recurrence string          `yaml:"recurrence"`
	Alternates bool            `yaml:"alternates"`
}

type activityYAML struct {
	Slug         string                  `yaml:"slug"`
	Kind         partnerhub.ActivityKind `yaml:"kind"`
	Title        partnerhub.Text         `yaml:"title"`
	Summary      partnerhub.Text         `yaml:"summary"`
	Start        string                  `yaml:"start"`
	End          string                  `yaml:"end"`
	FiscalYear   bool                    `yaml:"fiscal_year"`
	Phase        int                     `yaml:"phase"`
	Format       partnerhub.Format       `yaml:"format"`
	Host         string                  `yaml:"host"`
	Venue        partnerhub.Text         `yaml:"venue"`
	Participants *partnerhub.Count       `yaml:"participants"`
	Partners     []string                `yaml:"partners"`
	Units        []string                `yaml:"units"` // marks
	Institutions []string                `yaml:"institutions"`
	Series       string                  `yaml:"series"`
	Edition      int                     `yaml:"edition"`
	Draft        bool                    `yaml:"draft"`
}

type activitiesFile struct {
	Series     []seriesYAML   `yaml:"series"`
	Activities []activityYAML `yaml:"activities"`
}

type figureYAML struct {
	Key     string           `yaml:"key"`
	Partner string           `yaml:"partner"`
	Value   partnerhub.Count `yaml:"value"`
	PerYear bool             `yaml:"per_year"`
	AsOf    string           `yaml:"as_of"`
	Note    partnerhub.Text  `yaml:"note"`
}

// fundYAML is a joint fund; its committee is people, never data.
type fundYAML struct {
	Slug             string                    `yaml:"slug"`
	Partners         []string                  `yaml:"partners"`
	Name             partnerhub.Text           `yaml:"name"`
	Summary          partnerhub.Text           `yaml:"summary"`
	PartnerZone      string                    `yaml:"partner_zone"`
	HomeCurrency     string                    `yaml:"home_currency"`
	PartnerCurrency  string                    `yaml:"partner_currency"`
	Contributions    []partnerhub.Contribution `yaml:"contributions"`
	DeclaredCalls    int                       `yaml:"declared_calls"`
	DeclaredProjects int                       `yaml:"declared_projects"`
	ConflictByUnit   bool                      `yaml:"conflict_by_unit"`
	ReviewsOpen      bool                      `yaml:"reviews_open"`
}

// origin is where a catalog record came from, for error lines.
type origin struct {
	file string
	node *yaml.Node
}

type loader struct {
	fsys     fs.FS
	problems []Problem
	roots    map[string]*yaml.Node
	origins  map[string]origin // catalog path prefix ("partners[3]") -> node
	at       string            // path of the record being built, for problems found while building
	marks    map[string]string // unit mark -> code
	cat      partnerhub.Catalog
}

// Load reads the dataset files from fsys and returns the validated catalog,
// or an *Error listing every problem found.
func Load(fsys fs.FS) (*partnerhub.Catalog, error) {
	l := &loader{fsys: fsys, roots: map[string]*yaml.Node{}, origins: map[string]origin{}, marks: map[string]string{}}
	var (
		insts      []institutionYAML
		home       homeFile
		phases     []phaseYAML
		partners   []partnerYAML
		agreements []agreementYAML
		acts       activitiesFile
		figures    []figureYAML
		funds      []fundYAML
	)
	targets := []any{&insts, &home, &phases, &partners, &agreements, &acts, &figures, &funds}
	for i, name := range Files {
		l.decode(name, targets[i])
	}
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.problems}
	}
	l.build(insts, home, phases, partners, agreements, acts, figures)
	l.funds(funds)
	l.at = ""
	if len(l.problems) == 0 {
		if err := l.cat.Validate(); err != nil {
			l.report(err)
		}
	}
	if len(l.problems) > 0 {
		slices.SortFunc(l.problems, func(a, b Problem) int {
			if a.File != b.File {
				return strings.Compare(a.File, b.File)
			}
			return a.Line - b.Line
		})
		return nil, &Error{Problems: l.problems}
	}
	l.cat.Normalize()
	l.cat.DeriveAgreementStatuses(partnerhub.Today(time.Now()))
	return &l.cat, nil
}

// decode parses one file strictly (unknown fields are errors) into v and
// keeps its node tree for error lines.
func (l *loader) decode(name string, v any) {
	b, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		l.problems = append(l.problems, Problem{File: name, Text: "cannot read: " + err.Error()})
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		l.problems = append(l.problems, yamlProblems(name, err)...)
		return
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		l.problems = append(l.problems, yamlProblems(name, err)...)
		return
	}
	if len(root.Content) > 0 {
		l.roots[name] = root.Content[0]
	}
}

// yamlProblems splits the parser's error, which already names lines, into
// one problem per line.
func yamlProblems(file string, err error) []Problem {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var ps []Problem
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if n, after, ok := strings.Cut(rest, ":"); ok {
				if v, err := strconv.Atoi(n); err == nil {
					line, m = v, strings.TrimSpace(after)
				}
			}
		}
		ps = append(ps, Problem{File: file, Line: line, Text: m})
	}
	return ps
}

// item returns the node of the i-th element of a top-level list (or of the
// list under key when the file is a mapping).
func (l *loader) item(file, key string, i int) *yaml.Node {
	n := l.roots[file]
	if key != "" {
		n = child(n, key)
	}
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return l.roots[file]
	}
	return n.Content[i]
}

// child returns the value node of key in a mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (l *loader) problem(file string, n *yaml.Node, field, key string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	if l.at != "" {
		field = l.at + "." + field
	}
	l.problems = append(l.problems, Problem{File: file, Line: line, Field: field, Key: key, Args: args})
}

func (l *loader) date(file string, n *yaml.Node, field, s string) partnerhub.PartialDate {
	d, err := partnerhub.ParsePartialDate(s)
	if err != nil {
		l.problem(file, child(n, field), field, "bad_date", s)
	}
	return d
}

// unitCodes turns marks into unit codes, reporting unknown marks.
func (l *loader) unitCodes(file string, n *yaml.Node, field string, marks []string) []string {
	codes := make([]string, 0, len(marks))
	list := child(n, field)
	for i, m := range marks {
		code, ok := l.marks[m]
		if !ok {
			var at *yaml.Node = list
			if list != nil && i < len(list.Content) {
				at = list.Content[i]
			}
			l.problem(file, at, fmt.Sprintf("%s[%d]", field, i), "unknown_mark", m)
			continue
		}
		codes = append(codes, code)
	}
	return codes
}

func (l *loader) build(insts []institutionYAML, home homeFile, phases []phaseYAML, partners []partnerYAML,
	agreements []agreementYAML, acts activitiesFile, figures []figureYAML) {
	c := &l.cat
	for i, in := range insts {
		l.origins[fmt.Sprintf("institutions[%d]", len(c.Institutions))] = origin{"institutions.yaml", l.item("institutions.yaml", "", i)}
		c.Institutions = append(c.Institutions, partnerhub.Institution{
			Slug: in.Slug, Name: in.Name, Acronym: in.Acronym, Country: in.Country, City: in.City,
			Lat: in.Lat, Lng: in.Lng, Website: in.Website, ROR: in.ROR, Established: in.Established, Version: 1,
		})
	}
	c.Home = home.Home
	l.origins["home"] = origin{"home.yaml", child(l.roots["home.yaml"], "home")}
	for i, u := range home.Units {
		n := l.item("home.yaml", "units", i)
		l.at = fmt.Sprintf("units[%d]", len(c.Units))
		l.origins[l.at] = origin{"home.yaml", n}
		if prev, dup := l.marks[u.Abbr.Ja]; dup {
			l.problem("home.yaml", n, "abbr.ja", "duplicate_mark", u.Abbr.Ja, prev)
		}
		l.marks[u.Abbr.Ja] = u.Code
		c.Units = append(c.Units, partnerhub.Unit{Code: u.Code, Name: u.Name, Abbr: u.Abbr, Kind: u.Kind, Version: 1})
	}
	for i, p := range phases {
		l.origins[fmt.Sprintf("phases[%d]", len(c.Phases))] = origin{"phases.yaml", l.item("phases.yaml", "", i)}
		c.Phases = append(c.Phases, partnerhub.Phase{
			Number: p.Number, StartYear: p.StartYear, EndYear: p.EndYear, Aims: p.Aims,
			Declared: partnerhub.PartnerCount{Total: p.PartnerCount.Total, Primary: p.PartnerCount.Primary, Prospective: p.PartnerCount.Prospective},
		})
	}
	for i, p := range partners {
		n := l.item("partners.yaml", "", i)
		l.at = fmt.Sprintf("partners[%d]", len(c.Partners))
		l.origins[l.at] = origin{"partners.yaml", n}
		c.Partners = append(c.Partners, partnerhub.Partner{
			Slug: p.Slug, Name: p.Name, ShortName: p.ShortName, Kind: p.Kind,
			Members: p.Members, Summary: p.Summary, Note: p.Note, Version: 1,
		})
		for _, ph := range slices.Sorted(mapKeys(p.Standings)) {
			l.origins[fmt.Sprintf("standings[%d]", len(c.Standings))] = origin{"partners.yaml", child(n, "standings")}
			c.Standings = append(c.Standings, partnerhub.Standing{Partner: p.Slug, Phase: ph, Tier: p.Standings[ph]})
		}
		for _, ph := range slices.Sorted(mapKeys(p.Teams)) {
			t := p.Teams[ph]
			tn := child(child(n, "teams"), strconv.Itoa(ph))
			l.at = fmt.Sprintf("partners[%d].teams.%d", len(c.Partners)-1, ph)
			codes := l.unitCodes("partners.yaml", tn, "units", t.Units)
			lead := ""
			if t.Lead != "" {
				if lc := l.unitCodes("partners.yaml", tn, "lead", []string{t.Lead}); len(lc) == 1 {
					lead = lc[0]
					if !slices.Contains(codes, lead) {
						at := child(tn, "lead")
						l.problem("partners.yaml", at, "lead", "lead_not_in_team", t.Lead)
					}
				}
			}
			for _, code := range codes {
				l.origins[fmt.Sprintf("teams[%d]", len(c.Teams))] = origin{"partners.yaml", tn}
				c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: p.Slug, Unit: code, Phase: ph, Lead: code == lead})
			}
		}
	}
	for i, a := range agreements {
		n := l.item("agreements.yaml", "", i)
		l.at = fmt.Sprintf("agreements[%d]", len(c.Agreements))
		l.origins[l.at] = origin{"agreements.yaml", n}
		c.Agreements = append(c.Agreements, partnerhub.Agreement{
			Slug: a.Slug, Partner: a.Partner, Institution: a.Institution, Kind: a.Kind, Level: a.Level,
			Title: a.Title, Units: l.unitCodes("agreements.yaml", n, "units", a.Units),
			Signed: l.date("agreements.yaml", n, "signed", a.Signed), Effective: l.date("agreements.yaml", n, "effective", a.Effective),
			Expires: l.date("agreements.yaml", n, "expires", a.Expires), Renewal: a.Renewal, NoticeDays: a.NoticeDays, Renews: a.Renews,
			Stage: cmp.Or(a.Stage, partnerhub.StageSigned), Declared: a.Status, Status: a.Status, Note: a.Note, Published: !a.Draft, Version: 1,
		})
	}
	for i, s := range acts.Series {
		n := l.item("activities.yaml", "series", i)
		l.at = fmt.Sprintf("series[%d]", len(c.Series))
		l.origins[l.at] = origin{"activities.yaml", n}
		c.Series = append(c.Series, partnerhub.Series{
			Slug: s.Slug, Name: s.Name, Partner: s.Partner, Since: l.date("activities.yaml", n, "since", s.Since),
			Recurrence: s.Recurrence, Alternates: s.Alternates,
		})
	}
	for i, a := range acts.Activities {
		n := l.item("activities.yaml", "activities", i)
		l.at = fmt.Sprintf("activities[%d]", len(c.Activities))
		l.origins[l.at] = origin{"activities.yaml", n}
		c.Activities = append(c.Activities, partnerhub.Activity{
			Slug: a.Slug, Kind: a.Kind, Title: a.Title, Summary: a.Summary,
			Start: l.date("activities.yaml", n, "start", a.Start), End: l.date("activities.yaml", n, "end", a.End),
			FiscalYear: a.FiscalYear, Phase: a.Phase, Format: a.Format, Host: a.Host, Venue: a.Venue,
			Participants: a.Participants, Partners: a.Partners, Units: l.unitCodes("activities.yaml", n, "units", a.Units),
			Institutions: a.Institutions, Series: a.Series, Edition: a.Edition, Published: !a.Draft, Version: 1,
		})
	}
	for i, f := range figures {
		n := l.item("figures.yaml", "", i)
		l.at = fmt.Sprintf("figures[%d]", len(c.Figures))
		l.origins[l.at] = origin{"figures.yaml", n}
		c.Figures = append(c.Figures, partnerhub.Figure{
			Key: f.Key, Partner: f.Partner, Value: f.Value, PerYear: f.PerYear,
			AsOf: l.date("figures.yaml", n, "as_of", f.AsOf), Note: f.Note,
		})
	}
}

func (l *loader) funds(funds []fundYAML) {
	c := &l.cat
	for i, f := range funds {
		l.at = fmt.Sprintf("funds[%d]", len(c.Funds))
		l.origins[l.at] = origin{"funds.yaml", l.item("funds.yaml", "", i)}
		c.Funds = append(c.Funds, partnerhub.Fund{
			Slug: f.Slug, Partners: f.Partners, Name: f.Name, Summary: f.Summary, PartnerZone: f.PartnerZone,
			HomeCurrency: f.HomeCurrency, PartnerCurrency: f.PartnerCurrency, Contributions: f.Contributions,
			DeclaredCalls: f.DeclaredCalls, DeclaredProjects: f.DeclaredProjects, ConflictByUnit: f.ConflictByUnit,
			ReviewsOpen: f.ReviewsOpen, Version: 1,
		})
	}
}

func mapKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// report turns the catalog's field errors into problems at the lines of the
// records they name, descending into the record's node where the path allows.
func (l *loader) report(err error) {
	var e *partnerhub.Error
	if !errors.As(err, &e) {
		l.problems = append(l.problems, Problem{File: "?", Text: err.Error()})
		return
	}
	for field, fe := range e.Fields {
		prefix, rest, _ := strings.Cut(field, ".")
		o, ok := l.origins[prefix]
		if !ok {
			l.problems = append(l.problems, Problem{File: "?", Field: field, Key: fe.Key, Args: fe.Args})
			continue
		}
		n := o.node
		for part := range strings.SplitSeq(rest, ".") {
			name, idx, hasIdx := strings.Cut(strings.TrimSuffix(part, "]"), "[")
			next := child(n, name)
			if next == nil {
				break
			}
			n = next
			if i, err := strconv.Atoi(idx); hasIdx && err == nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				n = n.Content[i]
			}
		}
		l.problem(o.file, n, field, fe.Key, fe.Args...)
	}
}
