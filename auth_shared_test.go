package partnerhub

import "testing"

// TestAuthorizeSharedRecords: a record other homes use is refused to every
// role of the acting home, naming those homes on the record's key; a network
// administrator may change institutions whatever their role, and nothing
// more than their role allows otherwise.
func TestAuthorizeSharedRecords(t *testing.T) {
	team := func(string) []string { return []string{"agr"} }
	admin := &User{Home: "utokyo", Role: RoleAdmin}
	net := &User{Home: "utokyo", Role: RoleViewer, NetworkAdmin: true}
	shared := Facts{Team: team, SharedWith: []string{"kyoto", "osaka"}}
	for _, tc := range []struct {
		name   string
		u      *User
		entity Entity
		facts  Facts
		want   string
	}{
		{"admin, an institution only its home uses", admin, EntityInstitution, Facts{Team: team}, ""},
		{"admin, a shared institution", admin, EntityInstitution, shared, EForbidden},
		{"network admin, a shared institution", net, EntityInstitution, shared, ""},
		{"network admin, an unshared institution", net, EntityInstitution, Facts{Team: team}, ""},
		{"network admin (a viewer), a unit", net, EntityUnit, Facts{Team: team}, EForbidden},
		{"disabled network admin", &User{Role: RoleAdmin, NetworkAdmin: true, Disabled: true}, EntityInstitution, shared, EUnauthorized},
		{"coordinator, a shared institution", &User{Role: RoleCoordinator, Units: []string{"agr"}}, EntityInstitution, shared, EForbidden},
		{"nobody", nil, EntityInstitution, shared, EUnauthorized},
	} {
		err := Authorize(tc.u, ActionUpdate, tc.entity, tc.facts)
		if got := ErrorCode(err); got != tc.want {
			t.Errorf("%s: %q, want %q (%v)", tc.name, got, tc.want, err)
		}
	}
	err := Authorize(admin, ActionDelete, EntityInstitution, shared)
	e, ok := err.(*Error)
	if !ok || e.Message != "error.shared_record" || e.Args[0] != "kyoto, osaka" || e.Fields["slug"].Key != "shared_record" {
		t.Fatalf("refusal %v: want error.shared_record naming kyoto, osaka on the slug", err)
	}
}
