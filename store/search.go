package store

// Search (partnerhub.SearchService): the index (search_docs, and FTS5 or
// a tsvector of the search package's tokens) answers which documents
// match; ranking is by tier — the query is a name (exact), starts a name,
// is in the titles, is anywhere — then year (newest first) and key, each
// tier a query of its own ordered in SQL, so that both engines return the
// same hits in the same order.

import (
	"context"
	"database/sql"
	"strings"

	"partnerhub"
	"partnerhub/search"
)

var _ partnerhub.SearchService = (*DB)(nil)

// DefaultSearchLimit is the hits per kind when the query does not say.
const DefaultSearchLimit = 10

// snippetWidth is the characters of a snippet.
const snippetWidth = 160

// dated are the kinds that have a year; a year filter leaves the others out.
var dated = map[partnerhub.SearchKind]bool{partnerhub.SearchActivity: true, partnerhub.SearchAgreement: true,
	partnerhub.SearchCall: true, partnerhub.SearchProject: true, partnerhub.SearchNote: true}

// Search implements partnerhub.SearchService.
func (db *DB) Search(ctx context.Context, home string, q partnerhub.SearchQuery) (*partnerhub.SearchResults, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	homeID, err := db.homeID(ctx, db.read, home)
	if err != nil {
		return nil, wrap("search", err)
	}
	if err := db.refreshSearch(ctx); err != nil {
		return nil, err
	}
	res := &partnerhub.SearchResults{Counts: map[partnerhub.SearchKind]int{}, Hits: []partnerhub.SearchHit{}}
	kinds := partnerhub.SearchKinds
	if len(q.Kinds) > 0 {
		kinds = nil
		for _, k := range partnerhub.SearchKinds {
			for _, w := range q.Kinds {
				if w == k {
					kinds = append(kinds, k)
					break
				}
			}
		}
	}
	pq := search.ParseQuery(q.Text)
	limit := q.Limit
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	var ids []int64
	exact := map[int64]bool{}
	// The counts of every kind in one statement: one round trip, however
	// many kinds find nothing.
	var counted []partnerhub.SearchKind
	var exprs []string
	for _, k := range kinds {
		res.Counts[k] = 0
		if pq.Empty() || (q.Year != 0 && !dated[k]) {
			continue
		}
		if x := search.Build(db.searchExpr(), searchScopes(k, homeID, q.Drafts), pq, search.TierAny, q.Year); x != "" {
			counted, exprs = append(counted, k), append(exprs, x)
		}
	}
	counts, err := db.searchCounts(ctx, exprs)
	if err != nil {
		return nil, wrap("search", err)
	}
	for i, k := range counted {
		res.Counts[k] = counts[i]
		if counts[i] == 0 {
			continue
		}
		scopes := searchScopes(k, homeID, q.Drafts)
		var got []int64
		seen := map[int64]bool{}
		for tier := search.TierExact; tier <= search.TierAny && len(got) < limit; tier++ {
			found, err := db.searchTier(ctx, search.Build(db.searchExpr(), scopes, pq, tier, q.Year), limit+len(got))
			if err != nil {
				return nil, wrap("search", err)
			}
			for _, id := range found {
				if !seen[id] && len(got) < limit {
					seen[id] = true
					got = append(got, id)
					exact[id] = tier == search.TierExact
				}
			}
		}
		ids = append(ids, got...)
	}
	docs, err := db.searchDocs(ctx, ids)
	if err != nil {
		return nil, wrap("search", err)
	}
	for _, id := range ids {
		d, ok := docs[id]
		if !ok {
			continue
		}
		d.Exact = exact[id]
		d.Snippet = snippet(pq, q.Lang, d.Title, d.body)
		res.Hits = append(res.Hits, d.SearchHit)
	}
	return res, nil
}

// MaxSearchCount caps the counts of Search: a count of MaxSearchCount
// means at least that many.
const MaxSearchCount = partnerhub.MaxSearchCount

// searchScopes are the token scopes of a kind that home's searches see.
func searchScopes(k partnerhub.SearchKind, homeID int64, drafts bool) []string {
	switch k {
	case partnerhub.SearchInstitution:
		return []string{searchScope(k, true, 0)}
	case partnerhub.SearchNote:
		s := []string{searchScope(k, true, 0)}
		if drafts {
			s = append(s, searchScope(k, false, homeID))
		}
		return s
	}
	s := []string{searchScope(k, true, homeID)}
	if drafts {
		s = append(s, searchScope(k, false, homeID))
	}
	return s
}

func (db *DB) searchExpr() search.Expr {
	if db.dialect.name == "postgres" {
		return search.TSQuery{}
	}
	return search.FTS5{}
}

// searchCounts counts the matches of each expression, up to
// MaxSearchCount, in one statement.
func (db *DB) searchCounts(ctx context.Context, exprs []string) ([]int, error) {
	out := make([]int, len(exprs))
	if len(exprs) == 0 {
		return out, nil
	}
	one := `(SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?) x)`
	if db.dialect.name == "postgres" {
		one = `(SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE tokens @@ ?::tsquery LIMIT ?) x)`
	}
	parts := make([]string, len(exprs))
	args := make([]any, 0, 2*len(exprs))
	dest := make([]any, len(exprs))
	for i, x := range exprs {
		parts[i] = one
		args = append(args, x, MaxSearchCount)
		dest[i] = &out[i]
	}
	err := db.read.QueryRowContext(ctx, db.q(`SELECT `+strings.Join(parts, ", ")), args...).Scan(dest...)
	return out, err
}

func (db *DB) searchTier(ctx context.Context, expr string, limit int) ([]int64, error) {
	if expr == "" {
		return nil, nil
	}
	// At most MaxSearchCount candidates, the first by id on both engines,
	// are ranked: a prefix that matches thousands costs no more than one
	// that matches a thousand.
	order := ` ORDER BY d.year DESC, d.record_key` + db.dialect.bytewise + ` LIMIT ?`
	q := `SELECT d.id FROM (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid LIMIT ?) f
		JOIN search_docs d ON d.id = f.id` + order
	if db.dialect.name == "postgres" {
		q = `SELECT d.id FROM (SELECT id, year, record_key FROM search_docs WHERE tokens @@ ?::tsquery ORDER BY id LIMIT ?) d` + order
	}
	var out []int64
	err := eachRow(ctx, db, db.read, q, []any{expr, MaxSearchCount, limit}, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

// foundDoc is a hit as read, with its text for the snippet.
type foundDoc struct {
	partnerhub.SearchHit
	body partnerhub.Text
}

func (db *DB) searchDocs(ctx context.Context, ids []int64) (map[int64]*foundDoc, error) {
	out := map[int64]*foundDoc{}
	if len(ids) == 0 {
		return out, nil
	}
	w, args := selector{by: "id", vals: ids}.where("id", "")
	err := eachRow(ctx, db, db.read, `SELECT id, kind, record_key, year, public, title_ja, title_en, body_ja, body_en FROM search_docs WHERE `+w,
		args, func(rows *sql.Rows) error {
			var id int64
			var d foundDoc
			var public bool
			if err := rows.Scan(&id, &d.Kind, &d.Key, &d.Year, &public, &d.Title.Ja, &d.Title.En, &d.body.Ja, &d.body.En); err != nil {
				return err
			}
			d.Draft = !public
			out[id] = &d
			return nil
		})
	return out, err
}

// snippet is the hit's text around the first match, in lang (the other
// language when it has none): the body, else the title; the start of the
// body when the match was in neither (a member's acronym, say).
func snippet(q search.Query, lang partnerhub.Lang, title, body partnerhub.Text) []partnerhub.Mark {
	first, second := body.Ja, body.En
	tFirst, tSecond := title.Ja, title.En
	if lang != partnerhub.Japanese {
		first, second, tFirst, tSecond = second, first, tSecond, tFirst
	}
	if first == "" {
		first = second
	}
	for _, s := range []string{first, tFirst, second, tSecond} {
		if spans, ok := q.Snippet(s, snippetWidth); ok {
			return marks(spans)
		}
	}
	return marks(search.Lead(first, snippetWidth))
}

func marks(spans []search.Span) []partnerhub.Mark {
	out := make([]partnerhub.Mark, 0, len(spans))
	for _, s := range spans {
		out = append(out, partnerhub.Mark{Text: s.Text, Hit: s.Hit})
	}
	return out
}
