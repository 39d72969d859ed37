package store

// Stats: mobility totals, answered from the smallest rollup that holds
// every dimension asked for.

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
)

// statsSource is where a statistics query is answered from: a rollup, or
// the figures themselves.
type statsSource struct {
	table string
	total string // the column summed
	dims  []string
	live  bool // the figures: only the live ones count
}

// statsSources are the sources in the order they are tried: the smallest
// that holds every dimension grouped or filtered by answers.
var statsSources = []statsSource{
	{table: "mobility_by_home", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_programme", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimProgramme, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_partner", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimPartner, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility_by_unit", total: "total", dims: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimUnit, partnerhub.DimDirection, partnerhub.DimCategory}},
	{table: "mobility", total: "count", dims: partnerhub.Dimensions, live: true},
}

// statsSourceFor is the first source that holds every dimension needed.
func statsSourceFor(need map[string]bool) statsSource {
	for _, s := range statsSources {
		covers := true
		for d := range need {
			covers = covers && slices.Contains(s.dims, d)
		}
		if covers {
			return s
		}
	}
	return statsSources[len(statsSources)-1]
}

// statsColumn is the column of a dimension, in every source (the table is
// r). Partners, units and homes are grouped by id, which follows the
// rollups' primary keys, and named afterwards.
var statsColumn = map[string]string{
	partnerhub.DimYear:      "r.year",
	partnerhub.DimPartner:   "r.partner_id",
	partnerhub.DimUnit:      "COALESCE(r.unit_id, 0)",
	partnerhub.DimDirection: "r.direction",
	partnerhub.DimCategory:  "r.category",
	partnerhub.DimProgramme: "r.programme",
	partnerhub.DimHome:      "r.home_id",
}

// Stats sums mobility figures: the totals of the groups of q.GroupBy (all
// figures together when it is empty), ordered by their keys, groups whose
// total is 0 left out. Keys are written as the API writes them: the year as
// "2021", the partner by slug, the unit by code ("" for the figures of the
// university as a whole), the home institution by slug. Across home
// institutions (q.Home ""), partners and units with the same slug or code
// are one group. Stats answers from the smallest rollup that holds every
// dimension grouped or filtered by, and reads the figures themselves only
// for the programme together with a partner or a unit (then the unique
// index narrows the scan to the home's figures, or the partner's).
func (db *DB) Stats(ctx context.Context, q partnerhub.StatsQuery) ([]partnerhub.StatsRow, error) {
	errs := partnerhub.FieldErrors{}
	need := map[string]bool{}
	for i, d := range q.GroupBy {
		field := "group_by[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(partnerhub.Dimensions, d):
			errs.Add(field, "one_of", strings.Join(partnerhub.Dimensions, ", "))
		case need[d]:
			errs.Add(field, "duplicate", d)
		}
		need[d] = true
	}
	checkMobilityFilters(errs, q.Direction, q.Category, q.Programme, q.FromYear, q.ToYear)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	var homeID int64
	if q.Home != "" {
		if homeID, err = db.homeID(ctx, tx, q.Home); err != nil {
			return nil, err
		}
		add("r.home_id = ?", homeID)
	}
	// names reads the names of the partners, units or homes by id.
	names := func(query string, scoped bool) (map[int64]string, error) {
		var qargs []any
		if scoped && q.Home != "" {
			query += ` WHERE home_id = ?`
			qargs = append(qargs, homeID)
		}
		rows, err := tx.QueryContext(ctx, db.q(query), qargs...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return nil, err
			}
			out[id] = name
		}
		return out, rows.Err()
	}
	// filter selects the ids that have a name; a name none has is a
	// mistake, not an empty answer.
	filter := func(field, key, col, name string, byID map[int64]string) {
		var ids []any
		for _, id := range slices.Sorted(maps.Keys(byID)) {
			if byID[id] == name {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			errs.Add(field, key, name)
			return
		}
		add(col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	}
	var partners, units, homes map[int64]string
	if need[partnerhub.DimPartner] || q.Partner != "" {
		if partners, err = names(`SELECT id, slug FROM partners`, true); err != nil {
			return nil, err
		}
	}
	if need[partnerhub.DimUnit] || q.Unit != "" {
		if units, err = names(`SELECT id, code FROM units`, true); err != nil {
			return nil, err
		}
		units[0] = ""
	}
	if need[partnerhub.DimHome] {
		if homes, err = names(`SELECT id, slug FROM home_institutions`, false); err != nil {
			return nil, err
		}
	}
	if q.Partner != "" {
		need[partnerhub.DimPartner] = true
		filter("partner", "unknown_partner", statsColumn[partnerhub.DimPartner], q.Partner, partners)
	}
	if q.Unit != "" {
		need[partnerhub.DimUnit] = true
		filter("unit", "unknown_unit", statsColumn[partnerhub.DimUnit], q.Unit, units)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if q.Programme != "" {
		need[partnerhub.DimProgramme] = true
	}
	addMobilityFilters(add, "r", q.Direction, q.Category, q.Programme, q.FromYear, q.ToYear)
	src := statsSourceFor(need)
	if src.live {
		where = append(where, "r.deleted_at IS NULL")
	}
	cols := make([]string, len(q.GroupBy))
	for i, d := range q.GroupBy {
		cols[i] = statsColumn[d]
	}
	query := "SELECT " + strings.Join(append(slices.Clone(cols), "CAST(sum(r."+src.total+") AS BIGINT)"), ", ") + " FROM " + src.table + " r"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ")
	}
	query += " HAVING sum(r." + src.total + ") <> 0"
	rows, err := tx.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Name the groups; groups with the same names (the same partner slug
	// in two homes) become one.
	out := []partnerhub.StatsRow{}
	index := map[string]int{}
	ids := make([]int64, len(cols))
	texts := make([]string, len(cols))
	var total int64
	dest := make([]any, len(cols)+1)
	for i, d := range q.GroupBy {
		switch d {
		case partnerhub.DimDirection, partnerhub.DimCategory, partnerhub.DimProgramme:
			dest[i] = &texts[i]
		default:
			dest[i] = &ids[i]
		}
	}
	dest[len(cols)] = &total
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		keys := make([]string, len(cols))
		for i, d := range q.GroupBy {
			switch d {
			case partnerhub.DimYear:
				keys[i] = strconv.FormatInt(ids[i], 10)
			case partnerhub.DimPartner:
				keys[i] = partners[ids[i]]
			case partnerhub.DimUnit:
				keys[i] = units[ids[i]]
			case partnerhub.DimHome:
				keys[i] = homes[ids[i]]
			default:
				keys[i] = texts[i]
			}
		}
		k := strings.Join(keys, "\x00")
		if i, ok := index[k]; ok {
			out[i].Total += total
			continue
		}
		index[k] = len(out)
		out = append(out, partnerhub.StatsRow{Keys: keys, Total: total})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Years are four digits, so every key sorts as text, bytewise: the
	// same order on both engines.
	slices.SortFunc(out, func(a, b partnerhub.StatsRow) int { return slices.Compare(a.Keys, b.Keys) })
	return out, nil
}
