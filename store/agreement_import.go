package store

// ImportAgreements: an office's register of agreements, recorded in one
// transaction through the Editor's own path, so that every agreement is
// authorised, validated and audited as if it had been entered by hand.

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"time"

	"partnerhub"
)

// RegisterRow is one agreement of a register and the row it came from, by
// which its problems are reported.
type RegisterRow struct {
	Row       int
	Agreement partnerhub.Agreement
}

// RegisterProblem is a reason the store refused a row: Field is the
// Agreement's field at fault ("" for the row as a whole), Key an i18n key
// (field.* for a field's problem, error.* otherwise) and Args its arguments.
type RegisterProblem struct {
	Row   int
	Field string
	Key   string
	Args  []any
}

// ImportAgreements creates the agreements of rows in a home, all or none,
// in one transaction. Each goes through what Apply does for a create
// (partnerhub.Authorize with the partner's team, prepare, Validate, the
// references resolved, the audit log), in an order where an agreement
// renewed by another row of the file is created first. When any row is
// refused, nothing is written: the error is EInvalid
// "error.register_rejected" and the problems list every row's reasons, in
// row order. An actor who may create no agreement at all is refused
// before anything is read, with Authorize's error.
func (db *DB) ImportAgreements(ctx context.Context, actor *partnerhub.User, home string, rows []RegisterRow) (int, []RegisterProblem, error) {
	if actor == nil || actor.Disabled || (actor.Role != partnerhub.RoleAdmin && actor.Role != partnerhub.RoleCoordinator) {
		return 0, nil, partnerhub.Authorize(actor, partnerhub.ActionCreate, partnerhub.EntityAgreement, partnerhub.Facts{})
	}
	order, problems := registerOrder(rows)
	k := kinds[partnerhub.EntityAgreement]
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(actor, home); err != nil {
			return err
		}
		for _, i := range order {
			a := rows[i].Agreement // a copy: the caller's rows stay as they were
			_, err := k.apply(e, partnerhub.Create(actor, home, &a))
			if err == nil {
				continue
			}
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Code == partnerhub.EInternal || pe.Code == partnerhub.EUnavailable {
				return err
			}
			problems = append(problems, rowProblems(rows[i].Row, pe)...)
		}
		if len(problems) > 0 {
			return partnerhub.Errorf(partnerhub.EInvalid, "error.register_rejected", len(problems))
		}
		// Each agreement is audited (record.created); the import as a
		// whole is an event of its own, for webhooks.
		return db.webhookEvent(ctx, tx, e.homeID, partnerhub.WebhookImportFinished,
			importData{Home: home, What: "agreements", Rows: int64(len(rows)), At: e.now}, e.now)
	})
	slices.SortStableFunc(problems, func(a, b RegisterProblem) int { return a.Row - b.Row })
	if err != nil {
		return 0, problems, wrap("import agreements", err)
	}
	return len(rows), nil, nil
}

// rowProblems turns an error of Apply into a row's problems: one per
// field, or the error itself (a partner the coordinator does not work
// with is the partner's problem).
func rowProblems(row int, e *partnerhub.Error) []RegisterProblem {
	if len(e.Fields) == 0 {
		field := ""
		switch e.Message {
		case "error.forbidden_partner", "error.forbidden_programme":
			field = "partner"
		case "error.exists", "error.exists_in_bin":
			field = "slug"
		}
		return []RegisterProblem{{Row: row, Field: field, Key: e.Message, Args: e.Args}}
	}
	var out []RegisterProblem
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		out = append(out, RegisterProblem{Row: row, Field: f, Key: "field." + e.Fields[f].Key, Args: e.Fields[f].Args})
	}
	return out
}

// registerOrder orders rows so that an agreement comes after the one it
// renews when both are in the file; rows that renew one another in a
// circle are problems.
func registerOrder(rows []RegisterRow) ([]int, []RegisterProblem) {
	bySlug := make(map[string]int, len(rows))
	for i, r := range rows {
		bySlug[r.Agreement.Slug] = i
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(rows))
	order := make([]int, 0, len(rows))
	var problems []RegisterProblem
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case done:
			return true
		case visiting:
			return false
		}
		state[i] = visiting
		ok := true
		if j, in := bySlug[rows[i].Agreement.Renews]; in && rows[i].Agreement.Renews != "" {
			ok = visit(j)
		}
		state[i] = done
		if ok {
			order = append(order, i)
		} else {
			problems = append(problems, RegisterProblem{Row: rows[i].Row, Field: "renews", Key: "field.renews_cycle"})
		}
		return ok
	}
	for i := range rows {
		visit(i)
	}
	return order, problems
}
