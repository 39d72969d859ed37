package web

// The proposals' API: create, read, save, submit or withdraw, attach.

import (
	"net/http"
	"strconv"

	"partnerhub"
)

// ---- the API -------------------------------------------------------------------

// proposalBody is what the API takes of a proposal: what its applicants
// write (the rest is the server's).
type proposalBody struct {
	Grant    string                      `json:"grant"`
	Title    partnerhub.Text             `json:"title"`
	Abstract partnerhub.Text             `json:"abstract"`
	Plan     partnerhub.Text             `json:"plan"`
	Keywords string                      `json:"keywords"`
	Members  []partnerhub.ProposalMember `json:"members"`
	Units    []string                    `json:"units"`
	Budget   []partnerhub.BudgetLine     `json:"budget"`
	Version  int                         `json:"version"`
}

func (b proposalBody) proposal(p partnerhub.Proposal) partnerhub.Proposal {
	p.Grant, p.Title, p.Abstract, p.Plan, p.Keywords = b.Grant, b.Title, b.Abstract, b.Plan, b.Keywords
	p.Members, p.Units, p.Budget, p.Version = b.Members, b.Units, b.Budget, b.Version
	return p
}

// signedIn is who asks through the API; a proposal needs someone.
func (s *Server) signedIn(r *http.Request) (*partnerhub.User, error) {
	if err := s.errNoFunds(); err != nil {
		return nil, err
	}
	u := s.user(r)
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	return u, noParams(r)
}

func (s *Server) apiCreateProposal(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	fund, number, err := callParams(r)
	if err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in proposalBody
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	p, err := s.deps.Funds.CreateProposal(r.Context(), u, s.home(r), in.proposal(partnerhub.Proposal{Fund: fund, Call: number}))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/proposals/"+strconv.FormatInt(p.ID, 10))
	return writeStatusJSON(w, http.StatusCreated, p)
}

func (s *Server) apiProposal(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), u, s.home(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"v`+strconv.Itoa(p.Version)+`"`)
	return writeStatusJSON(w, http.StatusOK, p)
}

func (s *Server) apiUpdateProposal(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	cur, _, err := s.deps.Funds.Proposal(r.Context(), u, s.home(r), id)
	if err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var in proposalBody
	if err := decodeStrict(b, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
	}
	p, err := s.deps.Funds.UpdateProposal(r.Context(), u, s.home(r), in.proposal(partnerhub.Proposal{ID: id, Fund: cur.Fund, Call: cur.Call}))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"v`+strconv.Itoa(p.Version)+`"`)
	return writeStatusJSON(w, http.StatusOK, p)
}

func (s *Server) apiTransitProposal(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var t struct {
		Verb    partnerhub.Verb `json:"verb"`
		Version int             `json:"version"`
	}
	if err := decodeStrict(b, &t); err != nil {
		return err
	}
	if t.Version < 1 {
		return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
	}
	ctx := partnerhub.WithPageLang(r.Context(), s.printer(r).Lang)
	p, err := s.deps.Funds.TransitProposal(ctx, u, s.home(r), id, t.Version, t.Verb, s.deps.Now())
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"v`+strconv.Itoa(p.Version)+`"`)
	return writeStatusJSON(w, http.StatusOK, p)
}

func (s *Server) apiProposalFiles(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	p, _, err := s.deps.Funds.Proposal(r.Context(), u, s.home(r), id)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, list(p.Files))
}

func (s *Server) apiAddProposalFile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if s.deps.ProposalFiles == nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	up, err := readUpload(w, r, s.deps.MaxDocumentBytes, "spec")
	if err != nil {
		return err
	}
	f, err := s.deps.ProposalFiles.AddProposalFile(r.Context(), u, s.home(r), id, up.kind, up.filename, up.data, s.deps.Now())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/proposals/"+strconv.FormatInt(id, 10)+"/files/"+strconv.FormatInt(f.ID, 10))
	return writeStatusJSON(w, http.StatusCreated, f)
}

func (s *Server) apiProposalFile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.signedIn(r)
	if err != nil {
		return err
	}
	return s.sendProposalFile(w, r, u, s.home(r))
}
