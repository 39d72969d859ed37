package store

// The ranking of a call's proposals for its committee: weighted means and
// spreads of the submitted reviews, what each reader may see of them.

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"partnerhub"
)

// ---- ranking -----------------------------------------------------------------

// Ranking is a call's submitted proposals the reader sees as the
// committee, by the mean of their reviews' weighted scores. A proposal the
// reader is conflicted with is not in it at all: ranks and counts are made
// of the others only.
func (db *DB) Ranking(ctx context.Context, actor *partnerhub.User, home, fund string, number int) ([]partnerhub.RankingRow, error) {
	s, err := db.committeeCall(ctx, actor, home, fund, number)
	if err != nil {
		return nil, err
	}
	a := s.access
	rows := []partnerhub.RankingRow{}
	byID := map[int64]int{}
	err = eachRow(ctx, db, db.read, `SELECT p.id, p.title_ja, p.title_en, p.grant_code, COALESCE(d.outcome, '')
		FROM proposals p LEFT JOIN decisions d ON d.proposal_id = p.id WHERE p.call_id = ? AND p.state = 'submitted' ORDER BY p.id`,
		[]any{s.callID}, func(r *sql.Rows) error {
			var x partnerhub.RankingRow
			var outcome string
			if err := r.Scan(&x.Proposal, &x.Title.Ja, &x.Title.En, &x.Grant, &outcome); err != nil {
				return err
			}
			if a.View(x.Proposal) != partnerhub.ViewCommittee {
				return nil
			}
			x.Decision = partnerhub.Outcome(outcome)
			byID[x.Proposal] = len(rows)
			rows = append(rows, x)
			return nil
		})
	if err != nil {
		return nil, wrap("ranking", err)
	}
	conflicted := map[[2]int64]bool{}
	err = eachRow(ctx, db, db.read, `SELECT x.proposal_id, x.user_id, x.source FROM conflicts x JOIN proposals p ON p.id = x.proposal_id
		WHERE p.call_id = ?`, []any{s.callID}, func(r *sql.Rows) error {
		var p, u int64
		var source string
		if err := r.Scan(&p, &u, &source); err != nil {
			return err
		}
		conflicted[[2]int64{p, u}] = true
		// The column counts the committee's conflicts: every applicant is
		// conflicted with their own proposal, which tells the committee
		// nothing.
		if i, ok := byID[p]; ok && partnerhub.ConflictSource(source) != partnerhub.ConflictApplicant {
			rows[i].Conflicts++
		}
		return nil
	})
	if err != nil {
		return nil, wrap("ranking", err)
	}
	err = eachRow(ctx, db, db.read, `SELECT a.proposal_id FROM review_assignments a JOIN proposals p ON p.id = a.proposal_id
		WHERE p.call_id = ?`, []any{s.callID}, func(r *sql.Rows) error {
		var p int64
		if err := r.Scan(&p); err != nil {
			return err
		}
		if i, ok := byID[p]; ok {
			rows[i].Assigned++
		}
		return nil
	})
	if err != nil {
		return nil, wrap("ranking", err)
	}
	weighted := map[int64][]float64{}
	scores := newScoreReader(s.call.Criteria)
	mine := map[int64]bool{} // proposals the reader has submitted a review of
	err = eachRow(ctx, db, db.read, `SELECT r.proposal_id, r.reviewer_id, r.scores FROM reviews r JOIN proposals p ON p.id = r.proposal_id
		WHERE p.call_id = ? AND r.submitted_at IS NOT NULL`, []any{s.callID}, func(r *sql.Rows) error {
		var p, u int64
		var raw string
		if err := r.Scan(&p, &u, &raw); err != nil {
			return err
		}
		if _, ok := byID[p]; !ok || conflicted[[2]int64{p, u}] {
			return nil
		}
		rv := partnerhub.ProposalReview{Scores: scores.parse(raw)}
		if rv.Scores == nil {
			if err := json.Unmarshal([]byte(raw), &rv.Scores); err != nil {
				return err
			}
		}
		if u == actor.ID {
			mine[p] = true
		}
		if w, ok := rv.WeightedScore(&s.call); ok {
			weighted[p] = append(weighted[p], w)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("ranking", err)
	}
	for i := range rows {
		x := &rows[i]
		ws := weighted[x.Proposal]
		x.Reviews = len(ws)
		if len(ws) == 0 || a.Assigned[x.Proposal] && !mine[x.Proposal] && !s.fund.fund.ReviewsOpen {
			continue
		}
		mean, spread := meanSpread(ws)
		x.Mean, x.Spread = &mean, &spread
	}
	partnerhub.Rank(rows)
	return rows, nil
}

// scoreReader reads the scores of reviews as the store writes them
// ({"code":n,...}) without encoding/json, which is most of the ranking's
// time at a thousand proposals; it reuses one map, and answers nil for
// anything else, for encoding/json to read.
type scoreReader struct {
	m     map[string]int
	codes map[string]string // interned criterion codes
}

func newScoreReader(cs []partnerhub.Criterion) *scoreReader {
	r := &scoreReader{m: map[string]int{}, codes: map[string]string{}}
	for _, c := range cs {
		r.codes[c.Code] = c.Code
	}
	return r
}

func (r *scoreReader) parse(s string) map[string]int {
	clear(r.m)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil
	}
	body := s[1 : len(s)-1]
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, ",")
		k, v, ok := strings.Cut(pair, ":")
		if !ok || len(k) < 2 || k[0] != '"' || k[len(k)-1] != '"' || strings.ContainsAny(k[1:len(k)-1], `"\\`) {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil
		}
		code, known := r.codes[k[1:len(k)-1]]
		if !known {
			code = k[1 : len(k)-1]
		}
		r.m[code] = n
	}
	return r.m
}

// meanSpread is the mean of ws and its spread, the highest less the
// lowest, both rounded to two decimals.
func meanSpread(ws []float64) (float64, float64) {
	sum, lo, hi := 0.0, ws[0], ws[0]
	for _, w := range ws {
		sum += w
		lo, hi = min(lo, w), max(hi, w)
	}
	round := func(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
	return round(sum / float64(len(ws))), round(hi - lo)
}

var _ partnerhub.ReviewService = (*DB)(nil)
