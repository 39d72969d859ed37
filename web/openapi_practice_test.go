package web

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// practiceNoteBody is a note as the API takes it.
func practiceNoteBody(version int) map[string]any {
	return map[string]any{"title": map[string]any{"ja": "オンライン交流の工夫", "en": "Online exchange that works"},
		"body":  map[string]any{"ja": "少人数で始めました。", "en": "We began with small groups."},
		"topic": "online_exchange", "tags": []any{"COIL"}, "partners": []any{"ntu"}, "activities": []any{}, "version": version}
}

// networkEditor is a network administrator of utokyo, who edits the
// network's notes, and their token.
func networkEditor(t *testing.T, as *authServer, email string) (*partnerhub.User, string) {
	t.Helper()
	ctx := context.Background()
	u, err := as.db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: email, Name: "Network editor", Role: partnerhub.RoleViewer, NetworkAdmin: true}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := as.db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u, raw
}

// examplePracticeNote publishes note 1 with attachment 1, the examples'.
func examplePracticeNote(t *testing.T, as *authServer, admin *partnerhub.User) {
	t.Helper()
	ctx := context.Background()
	editor, _ := networkEditor(t, as, "oa-editor@example.ac.jp")
	n, err := as.db.CreateNote(ctx, admin, partnerhub.Note{Title: partnerhub.Text{Ja: "海外拠点", En: "An office abroad"},
		Body: partnerhub.Text{Ja: "本文", En: "An office abroad that helps students."}, Topic: partnerhub.TopicOfficesAbroad,
		Tags: []string{"ASEAN"}, Partners: []partnerhub.NoteLink{{Slug: "ntu"}}})
	if err != nil || n.ID != 1 {
		t.Fatalf("example note: %+v %v", n, err)
	}
	f, err := as.db.AddNoteFile(ctx, admin, n.ID, n.Version, "example.pdf", storetest.PDF("Example"))
	if err != nil || f.ID != 1 {
		t.Fatalf("example note's file: %+v %v", f, err)
	}
	if n, err = as.db.TransitNote(ctx, admin, n.ID, n.Version+1, partnerhub.VerbSubmitNote, ""); err != nil {
		t.Fatal(err)
	}
	if _, err = as.db.TransitNote(ctx, editor, n.ID, n.Version, partnerhub.VerbPublishNote, ""); err != nil {
		t.Fatal(err)
	}
}

// practice writes a note through the API, as documented: created by a
// member's admin, saved, given an attachment, submitted and published by
// a network editor; refused writes answer as documented.
func (w *oaWriter) practice(admin *partnerhub.User) {
	t := w.t
	t.Helper()
	_, raw := networkEditor(t, w.ts, "oa-net-editor@example.ac.jp")
	w.token["editor"] = raw
	const (
		notes = "/api/v1/network/notes"
		note  = notes + "/{id}"
	)
	w.wantField(w.call("admin", "POST", notes, notes, map[string]any{"title": map[string]any{"ja": "x", "en": "x"}, "topic": "gossip"}), "topic", "a note of no topic")
	w.want(w.call("viewer", "POST", notes, notes, practiceNoteBody(0)), http.StatusForbidden, "a viewer's note")
	r := w.call("admin", "POST", notes, notes, practiceNoteBody(0))
	got := w.want(r, http.StatusCreated, "create a note")
	id, _ := got["id"].(float64)
	u := notes + "/" + strconv.Itoa(int(id))
	if r.header.Get("Location") != u {
		t.Errorf("create a note: Location %q", r.header.Get("Location"))
	}
	w.want(w.call("nobody", "GET", note, u, nil), http.StatusNotFound, "a draft without a token")
	w.want(w.call("admin", "PUT", note, u, practiceNoteBody(1)), http.StatusOK, "save a note")
	w.want(w.call("admin", "PUT", note, u, practiceNoteBody(1)), http.StatusConflict, "save a stale note")
	ct, mb := multipartFileField(t, "version", "2", "plan.pdf", storetest.PDF("Plan"))
	w.want(w.call("admin", "POST", note+"/files", u+"/files", mb, "Content-Type", ct), http.StatusCreated, "attach a file")
	tr := func(who, verb string, version int, comment string) oaResponse {
		return w.call(who, "POST", note+"/transitions", u+"/transitions", map[string]any{"verb": verb, "version": version, "comment": comment})
	}
	w.want(tr("admin", "publish", 3, ""), http.StatusForbidden, "a writer publishes")
	w.want(tr("admin", "submit", 3, ""), http.StatusOK, "submit a note")
	w.wantField(tr("editor", "return", 4, ""), "comment", "return without comment")
	if n := w.want(tr("editor", "publish", 4, ""), http.StatusOK, "publish a note"); n["state"] != "published" {
		t.Errorf("publish a note: %v", n["state"])
	}
	w.want(w.call("nobody", "GET", note, u, nil), http.StatusOK, "a published note")
}
