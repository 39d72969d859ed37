package partnerhub

import "context"

// SearchKind is a kind of record search finds.
type SearchKind string

const (
	SearchPartner     SearchKind = "partner"
	SearchInstitution SearchKind = "institution"
	SearchUnit        SearchKind = "unit"
	SearchActivity    SearchKind = "activity"
	SearchAgreement   SearchKind = "agreement"
	SearchCall        SearchKind = "call"
	SearchProject     SearchKind = "project"
	SearchNote        SearchKind = "note"
)

// SearchKinds lists the kinds in the order results are grouped.
var SearchKinds = []SearchKind{SearchPartner, SearchInstitution, SearchUnit, SearchActivity,
	SearchAgreement, SearchCall, SearchProject, SearchNote}

// ParseSearchKind accepts one of SearchKinds.
func ParseSearchKind(s string) (SearchKind, bool) {
	for _, k := range SearchKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// MaxSearchQuery is the longest query accepted, in characters.
const MaxSearchQuery = 200

// SearchQuery is what a person asked for.
type SearchQuery struct {
	Text  string       // as typed; normalised by the index (width, case)
	Kinds []SearchKind // empty: every kind
	Year  int          // 0: any year; else records dated in it (activities, agreements, calls, projects, notes)
	Lang  Lang         // the searcher's language, for snippets
	// Drafts: the searcher may see the home's unpublished records
	// (CanReadDrafts, and of this home). Never another home's.
	Drafts bool
	Limit  int // hits per kind; 0: a default
}

// Validate names the field at fault.
func (q *SearchQuery) Validate() error {
	errs := FieldErrors{}
	if n := len([]rune(q.Text)); n > MaxSearchQuery {
		errs.Add("q", "error.search_too_long", MaxSearchQuery)
	}
	if q.Year != 0 && (q.Year < 1900 || q.Year > 2200) {
		errs.Add("year", "error.search_year", q.Year)
	}
	if q.Limit < 0 || q.Limit > 100 {
		errs.Add("limit", "error.search_limit", 100)
	}
	return errs.Err()
}

// Mark is a piece of a snippet; Hit marks the words that matched.
type Mark struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit,omitempty"`
}

// SearchHit is one record found.
type SearchHit struct {
	Kind    SearchKind `json:"kind"`
	Key     string     `json:"key"`   // slug; unit code; "fund/number" for calls; the id of a project or a note
	Title   Text       `json:"title"` // both languages
	Snippet []Mark     `json:"snippet"`
	Year    int        `json:"year,omitempty"`
	Draft   bool       `json:"draft,omitempty"`
	Exact   bool       `json:"exact,omitempty"` // the query is the record's name (or mark, acronym)
}

// MaxSearchCount caps the counts of a search: a count of MaxSearchCount
// means at least that many (counting every match of a very common prefix
// would cost more than the search).
const MaxSearchCount = 1000

// SearchResults are the hits, grouped by kind in SearchKinds order, with
// how many of each kind matched in all (Counts), of which at most
// Limit per kind are in Hits.
type SearchResults struct {
	Counts map[SearchKind]int `json:"counts"`
	Hits   []SearchHit        `json:"hits"`
}

// SearchService answers searches of one home's records, the shared
// registry's institutions and the network's published notes.
type SearchService interface {
	Search(ctx context.Context, home string, q SearchQuery) (*SearchResults, error)
}
