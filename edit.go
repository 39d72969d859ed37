package partnerhub

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Change is one write to one record of a home institution. Build it with
// Create, Update, Delete, Restore or Transit, which fill the fields each
// action needs.
type Change struct {
	Actor   *User
	Home    string
	Entity  Entity
	Action  Action
	Key     string // the record's key, for update, delete, restore and transitions
	Version int    // the version the writer read, for update, delete and transitions
	// Record is the new record, for create and update.
	Record Record
	// Transition is the verb and comment of ActionTransition.
	Transition Transition
}

// Create is the change that adds rec.
func Create(actor *User, home string, rec Record) Change {
	return Change{Actor: actor, Home: home, Entity: rec.Entity(), Action: ActionCreate, Key: rec.Key(), Record: rec}
}

// Update is the change that replaces the record of rec's key, at the version rec carries.
func Update(actor *User, home string, rec Record) Change {
	return Change{Actor: actor, Home: home, Entity: rec.Entity(), Action: ActionUpdate, Key: rec.Key(), Version: rec.RecordVersion(), Record: rec}
}

// Delete is the change that moves a record to the bin.
func Delete(actor *User, home string, e Entity, key string, version int) Change {
	return Change{Actor: actor, Home: home, Entity: e, Action: ActionDelete, Key: key, Version: version}
}

// Restore is the change that takes a record back from the bin.
func Restore(actor *User, home string, e Entity, key string) Change {
	return Change{Actor: actor, Home: home, Entity: e, Action: ActionRestore, Key: key}
}

// Transit is the change that moves a workflow's record by a verb.
func Transit(actor *User, home string, e Entity, key string, version int, t Transition) Change {
	return Change{Actor: actor, Home: home, Entity: e, Action: ActionTransition, Key: key, Version: version, Transition: t}
}

// Check reports a change whose parts do not fit together: a bug in the
// caller, reported as invalid rather than written.
func (c Change) Check() error {
	switch c.Action {
	case ActionCreate, ActionUpdate:
		if c.Record == nil || c.Record.Entity() != c.Entity {
			return Errorf(EInvalid, "error.invalid")
		}
	case ActionDelete, ActionRestore:
		if c.Record != nil {
			return Errorf(EInvalid, "error.invalid")
		}
	case ActionTransition:
		if c.Record != nil {
			return Errorf(EInvalid, "error.invalid")
		}
		return c.Transition.Validate()
	default:
		return Errorf(EInvalid, "error.invalid")
	}
	return nil
}

// Verb is a step of a workflow, such as an agreement's "expire".
type Verb string

// Transition is a verb applied to a record, with the actor's reason. The
// Editor runs it like any other change: Authorize, the version read, and
// the audit log, which keeps the comment.
type Transition struct {
	Verb    Verb
	Comment string
}

// MaxCommentChars bounds a transition's comment, in characters.
const MaxCommentChars = 2000

// Validate checks a transition's own fields; whether its verb applies is
// the record's to say.
func (t Transition) Validate() error {
	errs := FieldErrors{}
	if t.Verb == "" {
		errs.Add("verb", "required")
	}
	switch {
	case !utf8.ValidString(t.Comment):
		errs.Add("comment", "bad_utf8")
	case utf8.RuneCountInString(t.Comment) > MaxCommentChars:
		errs.Add("comment", "too_long_chars", MaxCommentChars)
	}
	return errs.Err()
}

// Workflow is a record that moves between states by verbs.
type Workflow interface {
	Record
	// Verbs are the verbs that apply in the record's present state.
	Verbs() []Verb
	// Transit applies a verb to the record in place; a verb that does not
	// apply in the present state is a conflict.
	Transit(v Verb, t TransitContext) error
}

func verbList(vs []Verb) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// BinItem is a deleted record, restorable.
type BinItem struct {
	Entity    Entity    `json:"entity"`
	Key       string    `json:"key"`
	Name      Text      `json:"name"`
	DeletedAt time.Time `json:"deleted_at"`
	Version   int       `json:"version"`
}

// Editor changes records and tells their history. Apply enforces
// Authorize, validation, versions and the audit log in one transaction.
type Editor interface {
	Apply(ctx context.Context, c Change) (version int, err error)
	// Record returns a record as stored, drafts and deleted ones included.
	Record(ctx context.Context, home string, e Entity, key string) (rec Record, deleted bool, err error)
	Bin(ctx context.Context, home string) ([]BinItem, error)
	Audit(ctx context.Context, home string, f AuditFilter) ([]AuditEvent, error)
	// DataVersion changes whenever the home institution's data does.
	DataVersion(ctx context.Context, home string) (int64, error)
}
