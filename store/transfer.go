package store

// Export, Import and Backup. Export writes the whole database as one JSON
// document, the same bytes for the same data on either engine; Import reads
// such a document into an empty database, all or nothing; Backup writes a
// consistent SQLite snapshot while the server runs.
//
// What is exported is described once, here, by dumpTables: every table with
// its columns and their logical types, primary key and foreign keys. A test
// (TestTransferSchema) compares the description with the real schema on
// both engines, so a migration that adds a table or a column fails the tests
// until it is described here.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"partnerhub"
)

const (
	// ExportFormat names the document Export writes, in its "format" field.
	ExportFormat = "partnerhub-export"
	// ExportFormatVersion is the version of the document's layout (not of
	// the schema, which "schema_version" gives).
	ExportFormatVersion = 1

	// EUnsupported is the code of an operation the database's engine does
	// not offer (Backup of PostgreSQL, which pg_dump does better).
	EUnsupported = "unsupported"

	// maxImportProblems bounds the field errors an import reports; the
	// message still gives their total.
	maxImportProblems = 50

	gooseTable = "goose_db_version"
)

// dumpType is a column's logical type, the same on both engines: how its
// values are written in an export.
type dumpType int

const (
	dumpInt   dumpType = iota // INTEGER / BIGINT: a JSON integer
	dumpReal                  // REAL / DOUBLE PRECISION: a JSON number
	dumpText                  // TEXT: a JSON string
	dumpBool                  // INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL: true or false
	dumpTime                  // TIMESTAMP / TIMESTAMPTZ: RFC 3339 UTC, nanoseconds
	dumpBytes                 // BLOB / BYTEA: a JSON string, standard base64 with padding
)

type dumpColumn struct {
	name string
	typ  dumpType
	null bool
	// since is the schema version that added the column, and def its value
	// in the rows of an older export; 0 for columns as old as the format.
	since int64
	def   any
}

// dumpRef is a foreign key: cols of the table refer to refs of table.
type dumpRef struct {
	cols  []string
	table string
	refs  []string
}

type dumpTable struct {
	name string
	cols []dumpColumn
	pk   []string
	refs []dumpRef
}

func dcol(name string, t dumpType) dumpColumn { return dumpColumn{name: name, typ: t} }
func dopt(name string, t dumpType) dumpColumn { return dumpColumn{name: name, typ: t, null: true} }

// dnew is a column added by schema version since, def in older exports.
func dnew(name string, t dumpType, since int64, def any) dumpColumn {
	return dumpColumn{name: name, typ: t, since: since, def: def}
}

// dnewOpt is a nullable column added by schema version since, NULL in older exports.
func dnewOpt(name string, t dumpType, since int64) dumpColumn {
	return dumpColumn{name: name, typ: t, null: true, since: since}
}

func dref(col, table string) dumpRef {
	return dumpRef{cols: []string{col}, table: table, refs: []string{"id"}}
}

var (
	dumpByID      = []string{"id"}
	dumpPhaseRef  = dumpRef{cols: []string{"home_id", "phase"}, table: "phases", refs: []string{"home_id", "number"}}
	dumpHomeRef   = dref("home_id", "home_institutions")
	dumpVersioned = []dumpColumn{dcol("version", dumpInt), dopt("deleted_at", dumpTime)}
)

// dumpTables lists every application table in foreign-key order (a table
// comes after those it refers to), each column in the table's order.
var dumpTables = []dumpTable{
	{name: "institutions", pk: dumpByID, cols: dumpCols(
		dcol("id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText), dcol("name_en", dumpText),
		dcol("acronym", dumpText), dcol("country", dumpText), dcol("city_ja", dumpText), dcol("city_en", dumpText),
		dopt("lat", dumpReal), dopt("lng", dumpReal), dcol("website", dumpText), dcol("ror", dumpText),
		dcol("established", dumpInt), dumpVersioned)},
	{name: "home_institutions", pk: dumpByID, refs: []dumpRef{dref("institution_id", "institutions")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("slug", dumpText), dcol("institution_id", dumpInt),
		dcol("programme_ja", dumpText), dcol("programme_en", dumpText), dnew("host", dumpText, 18, ""),
		dnew("disabled", dumpBool, 18, false), dnew("share_statistics", dumpBool, 18, false),
		dnew("created_at", dumpTime, 18, time.Unix(0, 0).UTC()))},
	{name: "units", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("code", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dcol("abbr_ja", dumpText), dcol("abbr_en", dumpText), dcol("kind", dumpText),
		dcol("position", dumpInt), dumpVersioned)},
	{name: "phases", pk: []string{"home_id", "number"}, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("number", dumpInt), dcol("start_year", dumpInt), dcol("end_year", dumpInt),
		dcol("total_partners", dumpInt), dopt("primary_partners", dumpInt), dopt("prospective_partners", dumpInt))},
	{name: "phase_aims", pk: []string{"home_id", "phase", "position"}, refs: []dumpRef{dumpPhaseRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("phase", dumpInt), dcol("position", dumpInt),
		dcol("text_ja", dumpText), dcol("text_en", dumpText))},
	{name: "partners", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dcol("short_name", dumpText), dcol("kind", dumpText),
		dcol("summary_ja", dumpText), dcol("summary_en", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText),
		dcol("position", dumpInt), dumpVersioned)},
	{name: "partner_members", pk: []string{"partner_id", "institution_id"},
		refs: []dumpRef{dref("partner_id", "partners"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("partner_id", dumpInt), dcol("institution_id", dumpInt), dcol("position", dumpInt))},
	{name: "standings", pk: []string{"partner_id", "phase"}, refs: []dumpRef{dref("partner_id", "partners"), dumpPhaseRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dcol("phase", dumpInt), dcol("tier", dumpText))},
	{name: "team_memberships", pk: []string{"partner_id", "unit_id", "phase"},
		refs: []dumpRef{dref("partner_id", "partners"), dref("unit_id", "units"), dumpPhaseRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dcol("unit_id", dumpInt), dcol("phase", dumpInt),
			dcol("lead", dumpBool), dcol("position", dumpInt))},
	{name: "series", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText),
		dcol("name_en", dumpText), dopt("partner_id", dumpInt), dcol("since", dumpText), dcol("recurrence", dumpText),
		dcol("alternates", dumpBool))},
	{name: "agreements", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("partner_id", dumpInt),
			dopt("institution_id", dumpInt), dcol("kind", dumpText), dcol("level", dumpText),
			dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("signed", dumpText), dcol("expires", dumpText),
			dcol("status", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText), dumpVersioned,
			dcol("published", dumpBool),
			dnew("stage", dumpText, 13, "signed"), dnew("effective", dumpText, 13, ""), dnew("renewal", dumpText, 13, ""),
			dnew("notice_days", dumpInt, 13, int64(0)), dnew("home_signatory", dumpText, 13, ""), dnew("partner_signatory", dumpText, 13, ""),
			dnew("renews", dumpText, 13, ""), dnew("review_chain", dumpText, 13, ""), dnew("review_step", dumpInt, 13, int64(0)),
			dnew("submitted_by", dumpText, 13, ""))},
	{name: "approval_chains", pk: []string{"home_id", "kind", "position"}, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("home_id", dumpInt), dcol("kind", dumpText), dcol("position", dumpInt), dcol("approver", dumpText), dcol("email", dumpText))},
	{name: "agreement_units", pk: []string{"agreement_id", "unit_id"},
		refs: []dumpRef{dref("agreement_id", "agreements"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("agreement_id", dumpInt), dcol("unit_id", dumpInt), dcol("position", dumpInt))},
	// Reminders sent before expiry move with their agreements, so that an
	// imported copy does not send them again.
	{name: "agreement_reminders", pk: []string{"agreement_id", "days"},
		refs: []dumpRef{dref("agreement_id", "agreements")}, cols: dumpCols(
			dcol("agreement_id", dumpInt), dcol("days", dumpInt), dcol("sent_at", dumpTime))},
	{name: "activities", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("host_id", "institutions"), dref("series_id", "series")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("kind", dumpText),
			dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("summary_ja", dumpText), dcol("summary_en", dumpText),
			dcol("start_date", dumpText), dcol("end_date", dumpText), dcol("fiscal_year", dumpBool), dcol("phase", dumpInt),
			dcol("format", dumpText), dopt("host_id", dumpInt), dcol("venue_ja", dumpText), dcol("venue_en", dumpText),
			dopt("participants", dumpInt), dopt("participants_qualifier", dumpText), dopt("series_id", dumpInt),
			dcol("edition", dumpInt), dumpVersioned, dcol("published", dumpBool))},
	{name: "activity_partners", pk: []string{"activity_id", "partner_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("partner_id", "partners")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("partner_id", dumpInt), dcol("position", dumpInt))},
	{name: "activity_units", pk: []string{"activity_id", "unit_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("unit_id", dumpInt), dcol("position", dumpInt))},
	{name: "activity_institutions", pk: []string{"activity_id", "institution_id"},
		refs: []dumpRef{dref("activity_id", "activities"), dref("institution_id", "institutions")}, cols: dumpCols(
			dcol("activity_id", dumpInt), dcol("institution_id", dumpInt), dcol("position", dumpInt))},
	{name: "figures", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("key", dumpText), dopt("partner_id", dumpInt),
		dcol("value", dumpInt), dcol("qualifier", dumpText), dcol("per_year", dumpBool), dcol("as_of", dumpText),
		dcol("note_ja", dumpText), dcol("note_en", dumpText))},
	{name: "mobility", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners"), dref("institution_id", "institutions"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("partner_id", dumpInt), dopt("institution_id", dumpInt),
			dopt("unit_id", dumpInt), dcol("year", dumpInt), dcol("direction", dumpText), dcol("category", dumpText),
			dcol("programme", dumpText), dcol("count", dumpInt), dcol("created_at", dumpTime), dcol("version", dumpInt),
			dopt("deleted_at", dumpTime))},
	{name: "mobility_by_partner", pk: []string{"home_id", "year", "partner_id", "direction", "category"},
		refs: []dumpRef{dumpHomeRef, dref("partner_id", "partners")}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("partner_id", dumpInt), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_unit", pk: []string{"home_id", "year", "unit_id", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("unit_id", dumpInt), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_programme", pk: []string{"home_id", "year", "programme", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("programme", dumpText), dcol("direction", dumpText),
			dcol("category", dumpText), dcol("total", dumpInt))},
	{name: "mobility_by_home", pk: []string{"home_id", "year", "direction", "category"},
		refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
			dcol("home_id", dumpInt), dcol("year", dumpInt), dcol("direction", dumpText), dcol("category", dumpText),
			dcol("total", dumpInt))},
	{name: "users", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("email", dumpText), dcol("name", dumpText),
		dcol("password_hash", dumpText), dcol("role", dumpText), dcol("disabled", dumpBool),
		dcol("created_at", dumpTime), dcol("version", dumpInt), dnew("network_admin", dumpBool, 6, false),
		dnew("must_change_password", dumpBool, 7, false), dnew("language", dumpText, 10, ""), dnew("network_editor", dumpBool, 18, false))},
	{name: "user_units", pk: []string{"user_id", "unit_id"},
		refs: []dumpRef{dref("user_id", "users"), dref("unit_id", "units")}, cols: dumpCols(
			dcol("user_id", dumpInt), dcol("unit_id", dumpInt))},
	{name: "sessions", pk: []string{"token_hash"}, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("token_hash", dumpText), dcol("user_id", dumpInt), dcol("created_at", dumpTime), dcol("expires_at", dumpTime),
		dnew("id", dumpText, 7, ""), dnewOpt("last_seen_at", dumpTime, 7), dnew("idle_seconds", dumpInt, 7, 0),
		dnew("ip", dumpText, 7, ""), dnew("user_agent", dumpText, 7, ""), dnewOpt("auth_at", dumpTime, 12),
		dnew("mfa_asserted", dumpBool, 26, false))},
	{name: "api_tokens", pk: dumpByID, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("user_id", dumpInt), dcol("name", dumpText), dcol("token_hash", dumpText),
		dcol("created_at", dumpTime), dopt("last_used_at", dumpTime), dopt("revoked_at", dumpTime),
		dnewOpt("expires_at", dumpTime, 7), dnew("scope", dumpText, 7, "write"))},
	{name: "calendar_feeds", pk: []string{"secret_hash"}, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("secret_hash", dumpText), dcol("user_id", dumpInt), dcol("created_at", dumpTime), dopt("used_at", dumpTime))},
	{name: "notifications", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("user_id", dumpInt), dcol("kind", dumpText), dcol("entity", dumpText),
		dcol("entity_key", dumpText), dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("path", dumpText),
		dcol("details", dumpText), dcol("delivery", dumpText), dcol("created_at", dumpTime), dopt("read_at", dumpTime),
		dopt("digest_sent_at", dumpTime))},
	{name: "mail_preferences", pk: []string{"user_id", "kind"}, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("user_id", dumpInt), dcol("kind", dumpText), dcol("delivery", dumpText))},
	{name: "login_failures", pk: dumpByID, cols: dumpCols(
		dcol("id", dumpInt), dcol("email", dumpText), dcol("ip", dumpText), dcol("at", dumpTime))},
	{name: "mfa_totp", pk: dumpByID, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("user_id", dumpInt), dcol("secret", dumpText), dcol("created_at", dumpTime), dopt("confirmed_at", dumpTime),
		dcol("last_step", dumpInt))},
	{name: "mfa_recovery_codes", pk: dumpByID, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("user_id", dumpInt), dcol("code_hash", dumpText), dcol("created_at", dumpTime),
		dopt("used_at", dumpTime))},
	{name: "mfa_passkeys", pk: dumpByID, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("user_id", dumpInt), dcol("name", dumpText), dcol("credential_id", dumpText),
		dcol("credential", dumpText), dcol("created_at", dumpTime), dopt("last_used_at", dumpTime))},
	{name: "mfa_challenges", pk: []string{"token_hash"}, refs: []dumpRef{dref("user_id", "users")}, cols: dumpCols(
		dcol("token_hash", dumpText), dcol("user_id", dumpInt), dcol("purpose", dumpText), dcol("data", dumpText),
		dcol("failures", dumpInt), dcol("created_at", dumpTime), dcol("expires_at", dumpTime))},
	{name: "audit_events", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("at", dumpTime), dopt("user_id", dumpInt),
		dcol("actor", dumpText), dcol("action", dumpText), dcol("entity", dumpText), dcol("entity_key", dumpText),
		dcol("version", dumpInt), dopt("before_json", dumpText), dopt("after_json", dumpText),
		dnew("verb", dumpText, 5, ""), dnew("comment", dumpText, 5, ""))},
	// Invitations move with the accounts they made; a pending one's link
	// (its token's hash) still works after an import.
	{name: "invitations", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("invited_by", "users"), dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("email", dumpText), dcol("name", dumpText), dcol("language", dumpText),
		dcol("role", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText), dcol("grants", dumpText),
		dcol("token_hash", dumpText), dopt("invited_by", dumpInt), dcol("inviter", dumpText), dcol("created_at", dumpTime),
		dcol("sent_at", dumpTime), dcol("sends", dumpInt), dcol("lifetime_seconds", dumpInt), dcol("expires_at", dumpTime),
		dopt("accepted_at", dumpTime), dopt("user_id", dumpInt), dcol("existing_account", dumpBool), dopt("revoked_at", dumpTime),
		dcol("version", dumpInt))},
	// Single sign-on (schema 26): identities move with their accounts,
	// the office's pre-authorisations and role rules with the home.
	{name: "federated_identities", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("user_id", dumpInt), dcol("protocol", dumpText), dcol("provider", dumpText),
		dcol("subject", dumpText), dcol("attributes", dumpText), dcol("first_seen_at", dumpTime), dcol("last_seen_at", dumpTime))},
	{name: "sso_preauthorisations", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("created_by", "users"), dref("user_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("provider", dumpText), dcol("subject", dumpText), dcol("role", dumpText),
		dopt("created_by", dumpInt), dcol("creator", dumpText), dcol("created_at", dumpTime), dopt("used_at", dumpTime), dopt("user_id", dumpInt))},
	{name: "sso_role_rules", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("created_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("provider", dumpText), dcol("affiliation", dumpText), dcol("role", dumpText),
		dopt("created_by", dumpInt), dcol("creator", dumpText), dcol("created_at", dumpTime))},
	// An agreement's documents, their bytes with them: nothing of a
	// record stays behind in an export.
	{name: "agreement_documents", pk: dumpByID,
		refs: []dumpRef{dumpHomeRef, dref("agreement_id", "agreements"), dref("uploaded_by", "users")}, cols: dumpCols(
			dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("agreement_id", dumpInt), dcol("role", dumpText),
			dcol("version", dumpInt), dcol("filename", dumpText), dcol("content_type", dumpText), dcol("size", dumpInt),
			dcol("sha256", dumpText), dcol("data", dumpBytes), dopt("uploaded_by", dumpInt), dcol("uploader", dumpText),
			dcol("uploaded_at", dumpTime))},
	// Joint funds, from schema version 16: the fund, its committee, its
	// calls, the proposals with their attachments' bytes, the review and
	// the decisions.
	{name: "funds", pk: dumpByID, refs: []dumpRef{dumpHomeRef}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("slug", dumpText), dcol("name_ja", dumpText), dcol("name_en", dumpText),
		dcol("summary_ja", dumpText), dcol("summary_en", dumpText), dcol("partners", dumpText), dcol("partner_zone", dumpText),
		dcol("home_currency", dumpText), dcol("partner_currency", dumpText), dcol("contributions", dumpText),
		dcol("declared_calls", dumpInt), dcol("declared_projects", dumpInt), dcol("conflict_by_unit", dumpBool),
		dcol("reviews_open", dumpBool), dcol("version", dumpInt), dcol("created_at", dumpTime), dcol("updated_at", dumpTime),
		dopt("deleted_at", dumpTime))},
	{name: "fund_roles", pk: []string{"fund_id", "user_id", "role"}, refs: []dumpRef{dref("fund_id", "funds"), dref("user_id", "users")},
		cols: dumpCols(dcol("fund_id", dumpInt), dcol("user_id", dumpInt), dcol("role", dumpText), dcol("side", dumpText),
			dcol("unit", dumpText), dcol("keywords", dumpText), dcol("created_at", dumpTime))},
	{name: "calls", pk: dumpByID, refs: []dumpRef{dref("fund_id", "funds")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("fund_id", dumpInt), dcol("number", dumpInt), dcol("title_ja", dumpText), dcol("title_en", dumpText),
		dcol("body_ja", dumpText), dcol("body_en", dumpText), dcol("eligibility_ja", dumpText), dcol("eligibility_en", dumpText),
		dcol("opens_at", dumpTime), dcol("closes_at", dumpTime), dcol("budget", dumpInt), dcol("budget_currency", dumpText),
		dcol("grants", dumpText), dcol("criteria", dumpText), dcol("attachments", dumpText), dcol("scale_min", dumpInt),
		dcol("scale_max", dumpInt), dcol("english_only", dumpBool), dcol("interim_due", dumpText), dcol("final_due", dumpText),
		dcol("published", dumpBool), dcol("version", dumpInt), dcol("created_at", dumpTime), dcol("updated_at", dumpTime),
		dopt("deleted_at", dumpTime))},
	{name: "proposals", pk: dumpByID, refs: []dumpRef{dref("call_id", "calls"), dref("created_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("call_id", dumpInt), dcol("grant_code", dumpText), dcol("title_ja", dumpText), dcol("title_en", dumpText),
		dcol("abstract_ja", dumpText), dcol("abstract_en", dumpText), dcol("plan_ja", dumpText), dcol("plan_en", dumpText),
		dcol("keywords", dumpText), dcol("units", dumpText), dcol("budget", dumpText), dcol("state", dumpText),
		dopt("submitted_at", dumpTime), dcol("version", dumpInt), dopt("created_by", dumpInt), dcol("created_at", dumpTime),
		dcol("updated_at", dumpTime))},
	{name: "proposal_members", pk: []string{"proposal_id", "position"}, refs: []dumpRef{dref("proposal_id", "proposals"), dref("user_id", "users")},
		cols: dumpCols(dcol("proposal_id", dumpInt), dcol("position", dumpInt), dopt("user_id", dumpInt), dcol("email", dumpText),
			dcol("name", dumpText), dcol("role", dumpText), dcol("side", dumpText), dcol("unit", dumpText), dcol("affiliation", dumpText))},
	{name: "proposal_files", pk: dumpByID, refs: []dumpRef{dref("proposal_id", "proposals"), dref("uploaded_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("proposal_id", dumpInt), dcol("spec", dumpText), dcol("filename", dumpText), dcol("content_type", dumpText),
		dcol("size", dumpInt), dcol("sha256", dumpText), dcol("data", dumpBytes), dopt("uploaded_by", dumpInt), dcol("uploaded_at", dumpTime),
		dopt("replaced_at", dumpTime))},
	{name: "review_assignments", pk: []string{"proposal_id", "reviewer_id"},
		refs: []dumpRef{dref("proposal_id", "proposals"), dref("reviewer_id", "users"), dref("assigned_by", "users")}, cols: dumpCols(
			dcol("proposal_id", dumpInt), dcol("reviewer_id", dumpInt), dopt("assigned_by", dumpInt), dcol("assigned_at", dumpTime))},
	{name: "reviews", pk: []string{"proposal_id", "reviewer_id"}, refs: []dumpRef{dref("proposal_id", "proposals"), dref("reviewer_id", "users")},
		cols: dumpCols(dcol("proposal_id", dumpInt), dcol("reviewer_id", dumpInt), dcol("scores", dumpText), dcol("for_committee", dumpText),
			dcol("for_applicants", dumpText), dopt("submitted_at", dumpTime), dcol("version", dumpInt), dcol("updated_at", dumpTime))},
	{name: "conflicts", pk: []string{"proposal_id", "user_id"}, refs: []dumpRef{dref("proposal_id", "proposals"), dref("user_id", "users")},
		cols: dumpCols(dcol("proposal_id", dumpInt), dcol("user_id", dumpInt), dcol("source", dumpText), dcol("reason", dumpText),
			dcol("created_at", dumpTime))},
	{name: "proposal_comments", pk: dumpByID, refs: []dumpRef{dref("proposal_id", "proposals"), dref("author_id", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("proposal_id", dumpInt), dopt("author_id", dumpInt), dcol("body", dumpText), dcol("created_at", dumpTime))},
	{name: "decisions", pk: dumpByID, refs: []dumpRef{dref("proposal_id", "proposals"), dref("decided_by", "users")},
		cols: dumpCols(dcol("id", dumpInt), dcol("proposal_id", dumpInt), dcol("outcome", dumpText), dcol("home_amount", dumpInt), dcol("partner_amount", dumpInt),
			dcol("meeting", dumpText), dcol("note_ja", dumpText), dcol("note_en", dumpText), dopt("decided_by", dumpInt),
			dcol("decided_at", dumpTime), dopt("letters_sent_at", dumpTime), dcol("version", dumpInt))},
	{name: "project_reports", pk: []string{"proposal_id", "kind"}, refs: []dumpRef{dref("proposal_id", "proposals"), dref("submitted_by", "users")},
		cols: dumpCols(dcol("proposal_id", dumpInt), dcol("kind", dumpText), dcol("due", dumpText), dcol("body", dumpText),
			dopt("submitted_at", dumpTime), dopt("submitted_by", dumpInt), dopt("reminded_at", dumpTime))},
	{name: "project_activities", pk: []string{"proposal_id", "activity_id"},
		refs: []dumpRef{dref("proposal_id", "proposals"), dref("activity_id", "activities")}, cols: dumpCols(
			dcol("proposal_id", dumpInt), dcol("activity_id", dumpInt))},
	// The network's events (schema 20) and their registrations: the
	// tokens' hashes move, so that cancel links still work after an import.
	{name: "network_events", pk: dumpByID, refs: []dumpRef{dref("organiser_id", "home_institutions"), dref("created_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("title_ja", dumpText), dcol("title_en", dumpText), dcol("description_ja", dumpText),
		dcol("description_en", dumpText), dcol("kind", dumpText), dcol("venue_ja", dumpText), dcol("venue_en", dumpText),
		dcol("online", dumpBool), dcol("starts_at", dumpTime), dcol("ends_at", dumpTime), dcol("capacity", dumpInt),
		dcol("registration_opens", dumpTime), dcol("registration_closes", dumpTime), dopt("organiser_id", dumpInt),
		dcol("state", dumpText), dcol("retention_days", dumpInt), dcol("cancellations", dumpInt), dopt("purged_at", dumpTime),
		dcol("kept_confirmed", dumpInt), dcol("kept_waiting", dumpInt), dcol("version", dumpInt), dopt("created_by", dumpInt),
		dcol("created_at", dumpTime), dcol("updated_at", dumpTime))},
	{name: "network_event_registrations", pk: dumpByID, refs: []dumpRef{dref("event_id", "network_events")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("event_id", dumpInt), dcol("name", dumpText), dcol("affiliation", dumpText), dcol("email", dumpText),
		dcol("language", dumpText), dcol("status", dumpText), dcol("token_hash", dumpText), dcol("created_at", dumpTime),
		dopt("promoted_at", dumpTime), dopt("reminded_at", dumpTime), dcol("notified_at", dumpTime))},
	// Mail still waiting moves with the data; sent mail is the record of
	// what was said.
	{name: "mail_outbox", pk: dumpByID, cols: dumpCols(
		dcol("id", dumpInt), dcol("recipient", dumpText), dcol("language", dumpText), dcol("subject", dumpText),
		dcol("body_text", dumpText), dcol("body_html", dumpText), dcol("message_id", dumpText), dcol("kind", dumpText),
		dcol("created_at", dumpTime), dcol("next_at", dumpTime), dcol("attempts", dumpInt), dcol("last_error", dumpText),
		dopt("sent_at", dumpTime), dopt("failed_at", dumpTime))},
	// Good practice (schema 19): the network's notes, their tags, links
	// and attachments (their bytes with them).
	{name: "practice_notes", pk: dumpByID, refs: []dumpRef{dumpHomeRef, dref("created_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("home_id", dumpInt), dcol("topic", dumpText), dcol("title_ja", dumpText), dcol("title_en", dumpText),
		dcol("body_ja", dumpText), dcol("body_en", dumpText), dcol("state", dumpText), dcol("comment", dumpText),
		dcol("search_text", dumpText), dopt("created_by", dumpInt), dcol("author", dumpText), dcol("created_at", dumpTime),
		dcol("updated_at", dumpTime), dopt("submitted_at", dumpTime), dopt("published_at", dumpTime), dcol("version", dumpInt))},
	{name: "practice_note_tags", pk: []string{"note_id", "position"}, refs: []dumpRef{dref("note_id", "practice_notes")}, cols: dumpCols(
		dcol("note_id", dumpInt), dcol("position", dumpInt), dcol("tag", dumpText))},
	{name: "practice_note_links", pk: []string{"note_id", "kind", "position"}, refs: []dumpRef{dref("note_id", "practice_notes")}, cols: dumpCols(
		dcol("note_id", dumpInt), dcol("kind", dumpText), dcol("position", dumpInt), dcol("slug", dumpText))},
	{name: "practice_note_files", pk: dumpByID, refs: []dumpRef{dref("note_id", "practice_notes"), dref("uploaded_by", "users")}, cols: dumpCols(
		dcol("id", dumpInt), dcol("note_id", dumpInt), dcol("filename", dumpText), dcol("content_type", dumpText), dcol("size", dumpInt),
		dcol("sha256", dumpText), dcol("data", dumpBytes), dopt("uploaded_by", dumpInt), dcol("uploaded_at", dumpTime))},
	// The SAML replay cache (schema 27): assertions accepted, until they
	// expire.
	{name: "saml_assertions", pk: []string{"assertion_id"}, cols: dumpCols(
		dcol("assertion_id", dumpText), dcol("expires_at", dumpTime))},
}

// dumpCols flattens columns and groups of columns.
func dumpCols(parts ...any) []dumpColumn {
	var out []dumpColumn
	for _, p := range parts {
		switch p := p.(type) {
		case dumpColumn:
			out = append(out, p)
		case []dumpColumn:
			out = append(out, p...)
		default:
			panic(fmt.Sprintf("dumpCols: %T", p))
		}
	}
	return out
}

// olderExports are the schema versions before this binary's whose exports
// Import still reads, each with the tables added since: tables that hold
// only what the import computes again from the others (rollups). An
// export of any other older version is imported with the release that
// wrote it, then migrated.
var olderExports = map[int64][]string{
	3: slices.Concat([]string{"mobility_by_programme", "mail_outbox"}, mfaTables, calendarTables, since13),
	4: slices.Concat([]string{"mail_outbox"}, mfaTables, calendarTables, since13),
	5: slices.Concat([]string{"mail_outbox"}, mfaTables, calendarTables, since13),
	// The outbox came with schema version 10, the calendar feeds with 11;
	// 12 added only a column (sessions.auth_at), NULL in an older export:
	// its sessions ask for the password before factors change.
	8:  slices.Concat([]string{"mail_outbox"}, calendarTables, since13),
	12: since13,
	15: slices.Concat(since16, invitationTables, since18, ssoTables, samlTables),
	// 17 added invitations (and the role guest): an older export has none.
	16: slices.Concat(invitationTables, since18, ssoTables, samlTables),
	// 18 on: the network's notes and events; an older export has none
	// (its homes' new columns take their defaults: enabled, no host).
	17: slices.Concat(since18, ssoTables, samlTables),
	// 19 added the good-practice notes: an export of 18 has none.
	18: slices.Concat(since18, ssoTables, samlTables),
	// 19 had the notes but not yet the events.
	19: slices.Concat(eventTables, ssoTables, samlTables),
	// 24 added only PostgreSQL's triggers that notify writes: an export
	// of 23 holds every table but single sign-on's.
	23: slices.Concat(ssoTables, samlTables),
	// 26 added single sign-on's tables (and sessions.mfa_asserted, false
	// in an older export).
	24: slices.Concat(ssoTables, samlTables),
	// 25 added webhooks, whose tables no export holds (their secrets
	// stay on the server that signs with them).
	25: slices.Concat(ssoTables, samlTables),
	// 27 added the SAML replay cache (assertions accepted, until they
	// expire): an older export has none.
	26: samlTables,
}

// ssoTables came with schema version 26, samlTables with 27.
var (
	ssoTables  = []string{"federated_identities", "sso_preauthorisations", "sso_role_rules"}
	samlTables = []string{"saml_assertions"}
)

// since18 are the network's tables (good-practice notes, events), added
// from schema version 18 on.
var since18 = slices.Concat(noteTables, eventTables)

// noteTables are the good-practice notes' (schema 19), eventTables the
// network events' (schema 20).
var (
	noteTables  = []string{"practice_notes", "practice_note_tags", "practice_note_links", "practice_note_files"}
	eventTables = []string{"network_events", "network_event_registrations"}
)

// since13 are the tables of the agreement's life, added from schema
// version 13 on: an older export's agreements were all signed (their new
// columns take their defaults), its homes use the built-in approval
// chains, and it has no documents, notifications, choices of mail, or reminders sent
// (those due are sent after the import).
var since13 = slices.Concat(lifeTables, documentTables, noticeTables, since16, invitationTables, since18, ssoTables, samlTables)

// since16 are the tables of joint funds, added with schema version 16; an
// older export has none.
var since16 = []string{"funds", "fund_roles", "calls", "proposals", "proposal_members", "proposal_files",
	"review_assignments", "reviews", "conflicts", "proposal_comments", "decisions", "project_reports", "project_activities"}

// invitationTables came with schema version 17.
var invitationTables = []string{"invitations"}

// lifeTables came with schema version 13.
var lifeTables = []string{"approval_chains"}

// documentTables came with schema version 14; an older export has no
// documents, since nobody could upload one.
var documentTables = []string{"agreement_documents"}

// noticeTables came with schema version 15.
var noticeTables = []string{"notifications", "mail_preferences", "agreement_reminders"}

// calendarTables came with schema version 11; an older export has no
// calendar feeds, so their owners make new ones after an import.
var calendarTables = []string{"calendar_feeds"}

// mfaTables came with schema version 8; an older export has no second
// factors, so its administrators enrol again after an import.
var mfaTables = []string{"mfa_totp", "mfa_recovery_codes", "mfa_passkeys", "mfa_challenges"}

// dumpTableByName indexes dumpTables.
var dumpTableByName = func() map[string]*dumpTable {
	m := map[string]*dumpTable{}
	for i := range dumpTables {
		m[dumpTables[i].name] = &dumpTables[i]
	}
	return m
}()

func (t *dumpTable) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// identity reports whether the table's key is a generated id (an identity
// column in PostgreSQL, whose sequence an import must move on).
func (t *dumpTable) identity() bool { return len(t.pk) == 1 && t.pk[0] == "id" }

func quoteIdent(s string) string { return `"` + s + `"` }

func (t *dumpTable) columnList() string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quoteIdent(c.name)
	}
	return strings.Join(names, ", ")
}

// selectSQL reads the table ordered by its primary key. Text keys are
// ordered bytewise on both engines (PostgreSQL would otherwise use the
// database's collation), so the order does not depend on the engine.
func (t *dumpTable) selectSQL(d dialect) string {
	order := make([]string, len(t.pk))
	for i, k := range t.pk {
		order[i] = quoteIdent(k)
		if c := t.cols[t.colIndex(k)]; c.typ == dumpText {
			order[i] += d.bytewise
		}
	}
	return `SELECT ` + t.columnList() + ` FROM ` + quoteIdent(t.name) + ` ORDER BY ` + strings.Join(order, ", ")
}

func (t *dumpTable) insertSQL() string {
	return `INSERT INTO ` + quoteIdent(t.name) + ` (` + t.columnList() + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + `)`
}

// xferQuerier is what reads run on: the pool or a transaction.
type xferQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---- schema version --------------------------------------------------------

// binaryVersion is the schema version this binary's migrations lead to.
func (db *DB) binaryVersion() (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	var v int64
	for _, s := range p.ListSources() {
		v = max(v, s.Version)
	}
	return v, nil
}

// dbVersion is the schema version of the database: 0 before any migration.
func (db *DB) dbVersion(ctx context.Context, q xferQuerier) (int64, error) {
	ok, err := db.dialect.tableExists(ctx, q, gooseTable)
	if err != nil || !ok {
		return 0, err
	}
	var v sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT max(version_id) FROM `+gooseTable).Scan(&v)
	return v.Int64, err
}

// checkSchema returns the database's schema version, or an error with key
// when it is not the one this binary knows.
func (db *DB) checkSchema(ctx context.Context, q xferQuerier, key string) (int64, error) {
	want, err := db.binaryVersion()
	if err != nil {
		return 0, err
	}
	have, err := db.dbVersion(ctx, q)
	if err != nil {
		return 0, err
	}
	if have != want {
		return 0, partnerhub.Errorf(partnerhub.EConflict, key, have, want)
	}
	return have, nil
}

// CheckEmpty returns nil when no application table holds a row (tables that
// do not exist yet count as empty), and otherwise the EConflict error
// "error.import_not_empty" that Import would return, naming a table.
func (db *DB) CheckEmpty(ctx context.Context) error {
	return db.checkEmpty(ctx, db.read)
}

func (db *DB) checkEmpty(ctx context.Context, q xferQuerier) error {
	for _, t := range dumpTables {
		ok, err := db.dialect.tableExists(ctx, q, t.name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM `+quoteIdent(t.name)+` LIMIT 1`).Scan(&one)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		return partnerhub.Errorf(partnerhub.EConflict, "error.import_not_empty", t.name)
	}
	return nil
}
