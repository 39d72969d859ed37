package partnerhub

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Member is a home institution as a network deployment holds it: a
// university with its own portal (at /{slug}/, or at Host), its own
// accounts and everything one university has, beside the others.
type Member struct {
	Slug        string `json:"slug"`
	Institution string `json:"institution"` // the registry's slug of the university
	Name        Text   `json:"name"`        // the institution's name (read only)
	Programme   Text   `json:"programme"`   // the name of its programme
	// Host is a host name the member's portal also answers at, without
	// a path ("partners.example.ac.jp"); "" for its path only.
	Host string `json:"host"`
	// Disabled members are not served: their portal answers 404 and the
	// network's pages leave them out. Nothing of theirs is deleted.
	Disabled bool `json:"disabled"`
	// ShareStatistics lets the network's statistics show this member's
	// figures on their own; without it they count only in the totals.
	ShareStatistics bool      `json:"share_statistics"`
	CreatedAt       time.Time `json:"created_at"`
}

// reservedSlugs are the first segments of the deployment's own paths: a
// member named so would hide them.
var reservedSlugs = []string{"ja", "en", "api", "static", "network", "healthz", "readyz", "metrics",
	"sitemap.xml", "robots.txt", "favicon.ico", "openapi.json", "admin", "signin", "signout", "account"}

// hostRE is a DNS host name, lower case, with an optional port.
var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[0-9]{1,5})?$`)

// Validate checks a member before it is added.
func (m *Member) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "slug", m.Slug)
	if slices.Contains(reservedSlugs, m.Slug) {
		errs.Add("slug", "reserved_slug")
	}
	validateSlug(errs, "institution", m.Institution)
	validateText(errs, "programme", m.Programme, true)
	if m.Host != "" && (len(m.Host) > 253 || !hostRE.MatchString(m.Host)) {
		errs.Add("host", "bad_host")
	}
	return errs.Err()
}

// NormalizeHost is a host name as members' hosts are kept and matched:
// lower case, without a trailing dot.
func NormalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// NewMember is what adding a member takes: the member, and the
// institution when the registry does not hold it yet.
type NewMember struct {
	Member
	// Institution is created with the member when the registry has no
	// institution of Member.Institution; nil when it has one.
	Institution *Institution `json:"new_institution,omitempty"`
}

// MemberService keeps the members of a deployment.
type MemberService interface {
	// Members are every member, disabled ones too, oldest first.
	Members(ctx context.Context) ([]Member, error)
	Member(ctx context.Context, slug string) (*Member, error)
	// AddMember adds a member. by is who adds it: nil for the command
	// line, else a network administrator.
	AddMember(ctx context.Context, by *User, m NewMember) (*Member, error)
	// SetMemberDisabled disables (or enables again) a member.
	SetMemberDisabled(ctx context.Context, by *User, slug string, disabled bool) error
	// UpdateMember changes a member's settings; version is the member's
	// as read (0: any).
	UpdateMember(ctx context.Context, by *User, slug string, set MemberSettings) (*Member, error)
}

// MemberSettings are what a member may change of itself: its programme's
// name and whether the network shows its own figures. Its host name is the
// deployment's to give: only a network administrator changes it.
type MemberSettings struct {
	Programme       Text   `json:"programme"`
	Host            string `json:"host"`
	ShareStatistics bool   `json:"share_statistics"`
}

// MemberFacts are what Authorize needs of a change to a member.
type MemberFacts struct {
	Home        string // the member changed
	HostChanged bool
}

// Network roles sit beside each home's own roles: a network
// administrator keeps the members, the shared registry and everything of
// the network; a network editor reviews and publishes its good-practice
// notes and organises its events.

// IsNetworkAdmin reports whether u administers the network.
func IsNetworkAdmin(u *User) bool { return u != nil && !u.Disabled && u.NetworkAdmin }

// IsNetworkEditor reports whether u edits the network's shared content
// (administrators do too).
func IsNetworkEditor(u *User) bool {
	return u != nil && !u.Disabled && (u.NetworkAdmin || u.NetworkEditor) && u.Role != RoleGuest
}

// Entities of the network.
const (
	EntityMember       Entity = "member"
	EntityNote         Entity = "practice_note"
	EntityNetworkEvent Entity = "network_event"
)

// InNetwork reports whether an entity is the network's own, where the
// network's roles decide rather than a home's.
func (e Entity) InNetwork() bool {
	return e == EntityMember || e == EntityNote || e == EntityNetworkEvent
}

// NoteFacts are what Authorize needs of a good-practice note: whose it is
// and where it stands.
type NoteFacts struct {
	Home string // the member that wrote it
	// Review is a network editor's move (publish, return, withdraw a
	// published note); otherwise the writer's (draft, edit, submit).
	Review bool
}

// authorizeNetwork answers for the network's own records.
func authorizeNetwork(u *User, entity Entity, f Facts) error {
	switch entity {
	case EntityMember:
		if IsNetworkAdmin(u) {
			return nil
		}
		// A member's own admins keep its settings, but not its host name.
		if f.Member != nil && u.Home == f.Member.Home && u.Role == RoleAdmin && !f.Member.HostChanged {
			return nil
		}
		return Errorf(EForbidden, "error.forbidden_network")
	case EntityNetworkEvent:
		if IsNetworkEditor(u) {
			return nil
		}
		return Errorf(EForbidden, "error.forbidden_network")
	case EntityNote:
		if f.Note == nil {
			return Errorf(EForbidden, "error.forbidden_network")
		}
		if f.Note.Review {
			if IsNetworkEditor(u) {
				return nil
			}
			return Errorf(EForbidden, "error.forbidden_network")
		}
		// A member's office writes its own notes; a guest writes none.
		if u.Home != f.Note.Home {
			return Errorf(EForbidden, "error.forbidden_home", f.Note.Home)
		}
		if u.Role == RoleAdmin || u.Role == RoleCoordinator {
			return nil
		}
		return Errorf(EForbidden, "error.forbidden_role")
	}
	return Errorf(EForbidden, "error.forbidden_network")
}
