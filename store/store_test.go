package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

func builtin(t *testing.T) *partnerhub.Catalog {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := partnerhub.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// TestStore is the conformance suite every engine must pass.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		t.Run("migrate is idempotent", func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("second migrate: %v", err)
			}
			ok, err := db.SchemaCurrent(ctx)
			if err != nil || !ok {
				t.Fatalf("SchemaCurrent = %v, %v; want true", ok, err)
			}
			homes, err := db.Homes(ctx)
			if err != nil || len(homes) != 0 {
				t.Fatalf("Homes on a new database = %v, %v; want none", homes, err)
			}
		})

		t.Run("round trip of the built-in catalog", func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			want := builtin(t)
			if err := db.ImportCatalog(ctx, want); err != nil {
				t.Fatal(err)
			}
			got, err := db.Catalog(ctx, want.Home.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Fatalf("catalog read back differs from the one written:\n%s", firstDiff(string(g), string(w)))
			}
			if homes, _ := db.Homes(ctx); !reflect.DeepEqual(homes, []string{"utokyo"}) {
				t.Fatalf("Homes = %v, want [utokyo]", homes)
			}
		})

		t.Run("unknown home is not found", func(t *testing.T) {
			db := e.Open(t)
			_, err := db.Catalog(context.Background(), "nowhere")
			wantCode(t, err, partnerhub.ENotFound)
		})

		t.Run("second import of the same home is a conflict and changes nothing", func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			c := builtin(t)
			if err := db.ImportCatalog(ctx, c); err != nil {
				t.Fatal(err)
			}
			changed := builtin(t)
			changed.Partners[0].Name.En = "Changed"
			wantCode(t, db.ImportCatalog(ctx, changed), partnerhub.EConflict)
			got, err := db.Catalog(ctx, c.Home.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Fatal("a rejected import changed the stored catalog")
			}
		})

		t.Run("invalid catalog writes nothing", func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			c := builtin(t)
			c.Teams = append(c.Teams, partnerhub.TeamMembership{Partner: c.Partners[0].Slug, Unit: "no-such-unit", Phase: 3})
			err := db.ImportCatalog(ctx, c)
			wantCode(t, err, partnerhub.EInvalid)
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || len(pe.Fields) != 1 {
				t.Fatalf("want one field error, got %v", err)
			}
			if homes, _ := db.Homes(ctx); len(homes) != 0 {
				t.Fatalf("homes after rejected import: %v", homes)
			}
		})

		t.Run("a failure inside the transaction rolls back everything", func(t *testing.T) {
			db := e.Open(t)
			ctx, cancel := context.WithCancel(context.Background())
			c := builtin(t)
			// Cancelling after the first statements makes the write fail midway.
			go cancel()
			_ = db.ImportCatalog(ctx, c)
			homes, err := db.Homes(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(homes) == 1 {
				// The import won the race and finished: then it must be whole.
				got, err := db.Catalog(context.Background(), c.Home.Slug)
				if err != nil || !reflect.DeepEqual(got, c) {
					t.Fatalf("import finished but is not whole: %v", err)
				}
			}
		})

		t.Run("home institutions are separate tenants sharing institutions", func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			first := builtin(t)
			if err := db.ImportCatalog(ctx, first); err != nil {
				t.Fatal(err)
			}
			second := builtin(t)
			second.Home.Slug = "second-home"
			second.Home.Programme = partnerhub.Text{Ja: "別のプログラム", En: "Another programme"}
			second.Partners = second.Partners[:1]
			second.Standings, second.Teams, second.Agreements, second.Activities, second.Series, second.Figures =
				filterStandings(second.Standings, second.Partners[0].Slug), nil, nil, nil, nil, nil
			if err := db.ImportCatalog(ctx, second); err != nil {
				t.Fatal(err)
			}
			got, err := db.Catalog(ctx, first.Home.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, first) {
				t.Fatal("adding a second home changed the first one's catalog")
			}
			got2, err := db.Catalog(ctx, "second-home")
			if err != nil {
				t.Fatal(err)
			}
			if len(got2.Partners) != 1 || len(got2.Teams) != 0 || got2.Partners[0].Slug != first.Partners[0].Slug {
				t.Fatalf("second home: %d partners, %d team rows", len(got2.Partners), len(got2.Teams))
			}
			if len(got2.Units) != len(first.Units) {
				t.Fatalf("second home units = %d", len(got2.Units))
			}
		})
	})
}

func filterStandings(ss []partnerhub.Standing, partner string) []partnerhub.Standing {
	var out []partnerhub.Standing
	for _, s := range ss {
		if s.Partner == partner {
			out = append(out, s)
		}
	}
	return out
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{
		{"mysql://x", "error.db_url"},
		{"sqlite:", "error.db_sqlite_path"},
		{"sqlite::memory:", "error.db_sqlite_path"},
		{"sqlite:/no/such/folder/x.db", "error.db_folder"},
		{"postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2", "error.db_unreachable"},
	} {
		_, err := store.Open(ctx, tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error shows the password: %v", tc.url, err)
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			lo := max(0, i-3)
			return "line " + strconv.Itoa(i) + ":\n got:  " + strings.Join(al[lo:i+1], "\n       ") + "\n want: " + strings.Join(bl[lo:i+1], "\n       ")
		}
	}
	return "lengths differ"
}
