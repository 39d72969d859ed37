package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sync"

	"partnerhub"
)

// The network's pages read across every member at once: a handful of
// set-based queries, never a catalog per member (bench/gen makes 200
// members, 20,000 partners and 500,000 activities). They keep what the
// public of each member sees (Catalog.Public): no deleted partner, unit or
// institution, no draft or deleted activity, nothing of a disabled member.

var _ partnerhub.NetworkService = (*DB)(nil)

// networkCache keeps the last answers, keyed by the data version they were
// read at: reading the network is a few hundred milliseconds at the
// benchmark's size, and it changes only when some member's data does.
type networkCache struct {
	mu       sync.Mutex
	version  networkVersion
	network  *partnerhub.Network
	statsVer networkVersion
	stats    *partnerhub.NetworkStats
}

// networkVersion changes whenever any member's data does: every change is
// audited, and members imported whole (ImportCatalog writes no audit event)
// add a row to home_institutions.
type networkVersion struct {
	audit, homes int64
	valid        bool
}

func (db *DB) networkVersion(ctx context.Context, tx *sql.Tx) (networkVersion, error) {
	var a, h sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT (SELECT max(id) FROM audit_events), (SELECT max(id) FROM home_institutions)`).Scan(&a, &h)
	return networkVersion{audit: a.Int64, homes: h.Int64, valid: true}, err
}

// NetworkMembers counts the enabled members.
func (db *DB) NetworkMembers(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM home_institutions WHERE disabled = ?`), false).Scan(&n)
	return n, wrap("network members", err)
}

// currentPhases is each home's current phase: its latest.
const currentPhases = `(SELECT home_id, max(number) AS number FROM phases GROUP BY home_id)`

// Network is the partnerships of every enabled member, by institution.
func (db *DB) Network(ctx context.Context) (*partnerhub.Network, error) {
	c := &db.network
	return cachedNetwork(ctx, db, "network", &c.network, &c.version, func(ctx context.Context, tx *sql.Tx, ver networkVersion) (*partnerhub.Network, error) {
		n, err := db.readNetwork(ctx, tx)
		if n != nil {
			n.Version = ver.audit
		}
		return n, err
	})
}

// cachedNetwork answers *val while the data's version is *ver, and reads it
// again (read, in one read-only transaction with the version) when it
// moved.
func cachedNetwork[T any](ctx context.Context, db *DB, op string, val **T, ver *networkVersion,
	read func(context.Context, *sql.Tx, networkVersion) (*T, error)) (*T, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrap(op, err)
	}
	defer tx.Rollback()
	now, err := db.networkVersion(ctx, tx)
	if err != nil {
		return nil, wrap(op, err)
	}
	c := &db.network
	c.mu.Lock()
	defer c.mu.Unlock()
	if *val != nil && *ver == now {
		return *val, nil
	}
	v, err := read(ctx, tx, now)
	if err != nil {
		return nil, wrap(op, err)
	}
	*val, *ver = v, now
	return v, nil
}

func (db *DB) readNetwork(ctx context.Context, tx *sql.Tx) (*partnerhub.Network, error) {
	each := func(query string, args []any, fn func(rows *sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, db.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	enabled := []any{false}
	n := &partnerhub.Network{Members: []partnerhub.NetworkMember{}, Institutions: []partnerhub.NetworkInstitution{}}
	homes := map[int64]int{} // home id → index in n.Members
	err := each(`SELECT h.id, h.slug, i.slug, i.name_ja, i.name_en, h.programme_ja, h.programme_en, h.share_statistics,
			(SELECT count(*) FROM partners p WHERE p.home_id = h.id AND p.deleted_at IS NULL)
		FROM home_institutions h JOIN institutions i ON i.id = h.institution_id WHERE h.disabled = ? ORDER BY h.id`, enabled,
		func(rows *sql.Rows) error {
			var id int64
			var m partnerhub.NetworkMember
			if err := rows.Scan(&id, &m.Slug, &m.Institution, &m.Name.Ja, &m.Name.En, &m.Programme.Ja, &m.Programme.En,
				&m.ShareStatistics, &m.Partners); err != nil {
				return err
			}
			homes[id] = len(n.Members)
			n.Members = append(n.Members, m)
			return nil
		})
	if err != nil {
		return nil, err
	}

	// The partners of enabled members, with their current standing.
	type partner struct {
		home int64
		link partnerhub.NetworkLink
	}
	partners := map[int64]*partner{}
	err = each(`SELECT p.id, p.home_id, p.slug, p.name_ja, p.name_en, p.kind, p.position, s.tier
		FROM partners p JOIN home_institutions h ON h.id = p.home_id
		LEFT JOIN `+currentPhases+` c ON c.home_id = p.home_id
		LEFT JOIN standings s ON s.partner_id = p.id AND s.phase = c.number
		WHERE h.disabled = ? AND p.deleted_at IS NULL`, enabled, func(rows *sql.Rows) error {
		var id int64
		var p partner
		var tier sql.NullString
		if err := rows.Scan(&id, &p.home, &p.link.Partner, &p.link.PartnerName.Ja, &p.link.PartnerName.En, &p.link.Kind,
			&p.link.Position, &tier); err != nil {
			return err
		}
		if tier.Valid {
			t := partnerhub.Tier(tier.String)
			p.link.Tier = &t
		}
		p.link.Member = n.Members[homes[p.home]].Slug
		p.link.Units = []partnerhub.TeamUnit{}
		partners[id] = &p
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Their teams in the current phase.
	err = each(`SELECT t.partner_id, u.code, u.name_ja, u.name_en, u.abbr_ja, u.abbr_en, u.kind, t.lead
		FROM team_memberships t JOIN units u ON u.id = t.unit_id JOIN home_institutions h ON h.id = t.home_id
		JOIN `+currentPhases+` c ON c.home_id = t.home_id AND c.number = t.phase
		WHERE h.disabled = ? AND u.deleted_at IS NULL ORDER BY t.partner_id, t.position`, enabled, func(rows *sql.Rows) error {
		var id int64
		var u partnerhub.TeamUnit
		if err := rows.Scan(&id, &u.Code, &u.Name.Ja, &u.Name.En, &u.Abbr.Ja, &u.Abbr.En, &u.Kind, &u.Lead); err != nil {
			return err
		}
		if p := partners[id]; p != nil {
			p.link.Units = append(p.link.Units, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The institutions, and which partners hold them.
	insts := map[int64]int{}
	err = each(`SELECT m.partner_id, i.id, i.slug, i.name_ja, i.name_en, i.acronym, i.country, i.city_ja, i.city_en, i.lat, i.lng
		FROM partner_members m JOIN partners p ON p.id = m.partner_id JOIN institutions i ON i.id = m.institution_id
		JOIN home_institutions h ON h.id = p.home_id
		WHERE h.disabled = ? AND p.deleted_at IS NULL AND i.deleted_at IS NULL`, enabled, func(rows *sql.Rows) error {
		var pid, iid int64
		var in partnerhub.NetworkInstitution
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&pid, &iid, &in.Slug, &in.Name.Ja, &in.Name.En, &in.Acronym, &in.Country, &in.City.Ja, &in.City.En, &lat, &lng); err != nil {
			return err
		}
		i, ok := insts[iid]
		if !ok {
			if lat.Valid && lng.Valid {
				in.Lat, in.Lng = &lat.Float64, &lng.Float64
			}
			i = len(n.Institutions)
			insts[iid] = i
			n.Institutions = append(n.Institutions, in)
		}
		if p := partners[pid]; p != nil {
			n.Institutions[i].Links = append(n.Institutions[i].Links, p.link)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Institutions by slug; each one's links in the members' order, then
	// the member's own.
	slices.SortFunc(n.Institutions, func(a, b partnerhub.NetworkInstitution) int { return cmp.Compare(a.Slug, b.Slug) })
	order := map[string]int{}
	for i, m := range n.Members {
		order[m.Slug] = i
	}
	for i := range n.Institutions {
		slices.SortFunc(n.Institutions[i].Links, func(a, b partnerhub.NetworkLink) int {
			if d := order[a.Member] - order[b.Member]; d != 0 {
				return d
			}
			return a.Position - b.Position
		})
	}
	return n, nil
}

// NetworkStats is mobility and activity across the enabled members.
// Mobility comes from the rollup by home (a few rows a member and year);
// activities are counted by member and year in one pass.
func (db *DB) NetworkStats(ctx context.Context) (*partnerhub.NetworkStats, error) {
	c := &db.network
	return cachedNetwork(ctx, db, "network stats", &c.stats, &c.statsVer, func(ctx context.Context, tx *sql.Tx, _ networkVersion) (*partnerhub.NetworkStats, error) {
		return db.readNetworkStats(ctx, tx)
	})
}

func (db *DB) readNetworkStats(ctx context.Context, tx *sql.Tx) (*partnerhub.NetworkStats, error) {
	type member struct {
		slug  string
		name  partnerhub.Text
		share bool
		years map[int]*partnerhub.NetworkFigures
	}
	var members []*member
	byID := map[int64]*member{}
	query := func(q string, args []any, fn func(rows *sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, db.q(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := query(`SELECT h.id, h.slug, i.name_ja, i.name_en, h.share_statistics FROM home_institutions h JOIN institutions i ON i.id = h.institution_id
		WHERE h.disabled = ? ORDER BY h.id`, []any{false}, func(rows *sql.Rows) error {
		var id int64
		m := &member{years: map[int]*partnerhub.NetworkFigures{}}
		if err := rows.Scan(&id, &m.slug, &m.name.Ja, &m.name.En, &m.share); err != nil {
			return err
		}
		members = append(members, m)
		byID[id] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	year := func(m *member, y int) *partnerhub.NetworkFigures {
		if m.years[y] == nil {
			m.years[y] = &partnerhub.NetworkFigures{}
		}
		return m.years[y]
	}
	err = query(`SELECT r.home_id, r.year, r.direction, CAST(sum(r.total) AS BIGINT) FROM mobility_by_home r
		JOIN home_institutions h ON h.id = r.home_id WHERE h.disabled = ? GROUP BY r.home_id, r.year, r.direction`, []any{false},
		func(rows *sql.Rows) error {
			var id, total int64
			var y int
			var dir string
			if err := rows.Scan(&id, &y, &dir, &total); err != nil {
				return err
			}
			if m := byID[id]; m != nil {
				f := year(m, y)
				if partnerhub.Direction(dir) == partnerhub.Outbound {
					f.Outbound += total
				} else {
					f.Inbound += total
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	// An activity's year is the year it starts (dates are ISO text); one
	// without a date counts in the totals, under year 0.
	err = query(`SELECT a.home_id, substr(a.start_date, 1, 4), count(*) FROM activities a JOIN home_institutions h ON h.id = a.home_id
		WHERE h.disabled = ? AND a.published = ? AND a.deleted_at IS NULL GROUP BY a.home_id, substr(a.start_date, 1, 4)`, []any{false, true},
		func(rows *sql.Rows) error {
			var id, count int64
			var ys string
			if err := rows.Scan(&id, &ys, &count); err != nil {
				return err
			}
			y := 0
			for _, r := range ys {
				if r < '0' || r > '9' {
					y = 0
					break
				}
				y = y*10 + int(r-'0')
			}
			if m := byID[id]; m != nil {
				year(m, y).Activities += count
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	st := &partnerhub.NetworkStats{Years: []partnerhub.NetworkYear{}, Members: []partnerhub.NetworkMemberStats{}}
	all := map[int]*partnerhub.NetworkFigures{}
	years := func(src map[int]*partnerhub.NetworkFigures) []partnerhub.NetworkYear {
		out := []partnerhub.NetworkYear{}
		for y, f := range src {
			if y != 0 {
				out = append(out, partnerhub.NetworkYear{Year: y, NetworkFigures: *f})
			}
		}
		slices.SortFunc(out, func(a, b partnerhub.NetworkYear) int { return a.Year - b.Year })
		return out
	}
	for _, m := range members {
		var total partnerhub.NetworkFigures
		for y, f := range m.years {
			total.Add(*f)
			if all[y] == nil {
				all[y] = &partnerhub.NetworkFigures{}
			}
			all[y].Add(*f)
		}
		st.Total.Add(total)
		if !m.share {
			st.Withheld++
			continue
		}
		st.Members = append(st.Members, partnerhub.NetworkMemberStats{Member: m.slug, Name: m.name, NetworkFigures: total, Years: years(m.years)})
	}
	st.Years = years(all)
	return st, nil
}
