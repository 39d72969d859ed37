package partnerhub

import (
	"context"
	"time"
)

// Change is one write to one record of a home institution.
type Change struct {
	Actor   *User
	Home    string
	Entity  string // Entity*
	Action  Action
	Key     string // the record's key (slug, code, "partner/phase") for update, delete and restore
	Version int    // the version the writer read, for update and delete
	// Record is the new record for create and update: *Institution, *Unit,
	// *Partner, *TeamDoc, *Agreement or *Activity.
	Record any
}

// BinItem is a deleted record, restorable.
type BinItem struct {
	Entity    string    `json:"entity"`
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
	Record(ctx context.Context, home, entity, key string) (rec any, version int, deleted bool, err error)
	Bin(ctx context.Context, home string) ([]BinItem, error)
	Audit(ctx context.Context, home string, f AuditFilter) ([]AuditEvent, error)
	// DataVersion changes whenever the home institution's data does.
	DataVersion(ctx context.Context, home string) (int64, error)
}

// NewRecord returns a new, empty record of an entity, or nil.
func NewRecord(entity string) any {
	switch entity {
	case EntityInstitution:
		return &Institution{}
	case EntityUnit:
		return &Unit{}
	case EntityPartner:
		return &Partner{}
	case EntityTeam:
		return &TeamDoc{}
	case EntityAgreement:
		return &Agreement{}
	case EntityActivity:
		return &Activity{}
	}
	return nil
}

// RecordVersion returns the version a record carries.
func RecordVersion(rec any) int {
	switch r := rec.(type) {
	case *Institution:
		return r.Version
	case *Unit:
		return r.Version
	case *Partner:
		return r.Version
	case *TeamDoc:
		return r.Version
	case *Agreement:
		return r.Version
	case *Activity:
		return r.Version
	}
	return 0
}
