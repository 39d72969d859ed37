package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// LatestWrites: the time of each record's newest audit event, by key,
// only for its entity and home; a record with no history is absent.
func TestLatestWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		a := &partnerhub.Activity{Slug: "lw-act", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "試験", En: "Test"}, Published: true}
		before := time.Now().Add(-time.Second)
		if _, err := db.Apply(ctx, partnerhub.Create(admin, "utokyo", a)); err != nil {
			t.Fatal(err)
		}
		got, err := db.LatestWrites(ctx, "utokyo", partnerhub.EntityActivity)
		if err != nil {
			t.Fatal(err)
		}
		created := got["lw-act"]
		if created.Before(before) || created.After(time.Now().Add(time.Second)) || len(got) != 1 {
			t.Fatalf("after a create: %v (the seed's records have no history)", got)
		}
		time.Sleep(10 * time.Millisecond)
		a.Title.En, a.Version = "Test, renamed", 1
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
			Action: partnerhub.ActionUpdate, Key: a.Slug, Version: 1, Record: a}); err != nil {
			t.Fatal(err)
		}
		if got, err = db.LatestWrites(ctx, "utokyo", partnerhub.EntityActivity); err != nil || !got["lw-act"].After(created) {
			t.Fatalf("after an update: %v %v (created %v)", got, err, created)
		}
		if other, err := db.LatestWrites(ctx, "utokyo", partnerhub.EntityPartner); err != nil || len(other) != 0 {
			t.Fatalf("partners: %v %v", other, err)
		}
	})
}
