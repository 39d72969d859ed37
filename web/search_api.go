package web

import (
	"net/http"

	"partnerhub"
)

// apiSearch answers GET /api/v1/search: the hits of a query as
// partnerhub.SearchResults, grouped by kind with each kind's count. A
// caller signed in (session or token) who may read drafts sees this
// home's drafts too; never another home's.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Search == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	sq, err := searchQuery(r.URL.Query(), []string{"q", "kind", "year", "limit"})
	if err != nil {
		return err
	}
	sq.Lang = s.info(r).lang
	if hasCredentials(r) {
		sq.Drafts = s.searchDrafts(r, s.user(r))
	}
	res := &partnerhub.SearchResults{Counts: map[partnerhub.SearchKind]int{}, Hits: []partnerhub.SearchHit{}}
	if sq.Text != "" {
		got, err := s.deps.Search.Search(r.Context(), s.home(r), sq)
		if err != nil {
			return err
		}
		res = got
		if res.Hits == nil {
			res.Hits = []partnerhub.SearchHit{}
		}
		if res.Counts == nil {
			res.Counts = map[partnerhub.SearchKind]int{}
		}
		for i := range res.Hits { // an array, never null, as documented
			if res.Hits[i].Snippet == nil {
				res.Hits[i].Snippet = []partnerhub.Mark{}
			}
		}
	}
	return writeJSON(w, r, res)
}
