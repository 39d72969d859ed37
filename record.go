package partnerhub

import "strconv"

// Entity names a kind of record, as the audit log, the API and URLs spell it.
type Entity string

// Entities that can be edited.
const (
	EntityInstitution Entity = "institution"
	EntityUnit        Entity = "unit"
	EntityPartner     Entity = "partner"
	EntityTeam        Entity = "team" // a partner's team and tier in one phase
	EntityAgreement   Entity = "agreement"
	EntityActivity    Entity = "activity"
	EntityUser        Entity = "user"
	// EntityInvitation is an invitation to make an account (invitation.go).
	EntityInvitation Entity = "invitation"
	EntityMobility   Entity = "mobility" // a mobility figure, or an import of many
	// EntityApprovalChain is the approval chain of a kind of agreement.
	EntityApprovalChain Entity = "approval_chain"
)

// Record is a record the Editor writes. Every kind implements it, so a new
// kind that lacks what the write engine needs (its key, version, validation
// and the partners it concerns, for Authorize) does not compile.
type Record interface {
	Entity() Entity
	// Key is the record's key: a slug, a unit's code, "partner/phase".
	Key() string
	// RecordVersion is the version the writer read.
	RecordVersion() int
	Validate() error
	// PartnerSlugs are the partners the record concerns; Authorize lets a
	// coordinator write it only when their units are in those partners' teams.
	PartnerSlugs() []string
}

// Edited lists the kinds the Editor writes, in the order pages offer them.
var Edited = []Entity{EntityPartner, EntityTeam, EntityActivity, EntityAgreement, EntityInstitution, EntityUnit}

// NewRecord returns a new, empty record of an editable kind.
func NewRecord(e Entity) (Record, bool) {
	switch e {
	case EntityInstitution:
		return &Institution{}, true
	case EntityUnit:
		return &Unit{}, true
	case EntityPartner:
		return &Partner{}, true
	case EntityTeam:
		return &TeamDoc{}, true
	case EntityAgreement:
		return &Agreement{}, true
	case EntityActivity:
		return &Activity{}, true
	}
	return nil, false
}

func (in *Institution) Entity() Entity         { return EntityInstitution }
func (in *Institution) Key() string            { return in.Slug }
func (in *Institution) RecordVersion() int     { return in.Version }
func (in *Institution) PartnerSlugs() []string { return nil }

func (u *Unit) Entity() Entity         { return EntityUnit }
func (u *Unit) Key() string            { return u.Code }
func (u *Unit) RecordVersion() int     { return u.Version }
func (u *Unit) PartnerSlugs() []string { return nil }

func (p *Partner) Entity() Entity         { return EntityPartner }
func (p *Partner) Key() string            { return p.Slug }
func (p *Partner) RecordVersion() int     { return p.Version }
func (p *Partner) PartnerSlugs() []string { return []string{p.Slug} }

func (t *TeamDoc) Entity() Entity         { return EntityTeam }
func (t *TeamDoc) Key() string            { return t.Partner + "/" + strconv.Itoa(t.Phase) }
func (t *TeamDoc) RecordVersion() int     { return t.Version }
func (t *TeamDoc) PartnerSlugs() []string { return []string{t.Partner} }

func (a *Agreement) Entity() Entity         { return EntityAgreement }
func (a *Agreement) Key() string            { return a.Slug }
func (a *Agreement) RecordVersion() int     { return a.Version }
func (a *Agreement) PartnerSlugs() []string { return []string{a.Partner} }

func (a *Activity) Entity() Entity         { return EntityActivity }
func (a *Activity) Key() string            { return a.Slug }
func (a *Activity) RecordVersion() int     { return a.Version }
func (a *Activity) PartnerSlugs() []string { return a.Partners }

// KeyField is the form and API field that holds a kind's key.
func (e Entity) KeyField() string {
	if e == EntityUnit {
		return "code"
	}
	return "slug"
}

// A mobility figure is written through MobilityService, not the Editor: it
// has no version (putting it again replaces its count).
func (m *Mobility) Entity() Entity         { return EntityMobility }
func (m *Mobility) RecordVersion() int     { return 0 }
func (m *Mobility) PartnerSlugs() []string { return []string{m.Partner} }
