package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"partnerhub"
)

// A form is drawn from a list of fields and read back into a record by the
// same entity's functions, so every editable record shares one template,
// one way of keeping what was typed, and one way of showing errors.

// field is one input of a form.
type field struct {
	Name     string   // form name; a bilingual field has Name.ja and Name.en
	Label    string   // i18n key
	Kind     string   // text, textarea, bitext, bitextarea, number, date, select, multi, check, readonly
	Options  []option // for select and multi
	Required bool
	Hint     string // i18n key, optional
}

type option struct {
	Value, Label string
}

// formSpec is how one entity is edited in the browser.
type formSpec struct {
	entity partnerhub.Entity
	fields func(v *view) []field
	values func(rec partnerhub.Record) url.Values
	record func(vals url.Values, errs partnerhub.FieldErrors) partnerhub.Record
}

// formOf builds the form of a record type: the compiler checks that its
// functions read and make that type.
func formOf[R partnerhub.Record](entity partnerhub.Entity, fields func(v *view) []field,
	values func(rec R) url.Values, record func(vals url.Values, errs partnerhub.FieldErrors) R) *formSpec {
	return &formSpec{
		entity: entity,
		fields: fields,
		values: func(rec partnerhub.Record) url.Values {
			if r, ok := rec.(R); ok {
				return values(r)
			}
			return url.Values{}
		},
		record: func(vals url.Values, errs partnerhub.FieldErrors) partnerhub.Record { return record(vals, errs) },
	}
}

func putText(t partnerhub.Text, name string, vals url.Values) {
	vals.Set(name+".ja", t.Ja)
	vals.Set(name+".en", t.En)
}

func readText(vals url.Values, name string) partnerhub.Text {
	return partnerhub.Text{Ja: strings.TrimSpace(vals.Get(name + ".ja")), En: strings.TrimSpace(vals.Get(name + ".en"))}
}

func readInt(vals url.Values, errs partnerhub.FieldErrors, name string) int {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		errs.Add(name, "bad_int", s)
	}
	return n
}

// readDate reads a date as a person writes it ("2015年3月", "March 2015",
// ISO too), at the precision written; files and the API stay strict ISO.
func readDate(vals url.Values, errs partnerhub.FieldErrors, name string) partnerhub.PartialDate {
	s := strings.TrimSpace(vals.Get(name))
	d, err := partnerhub.ParseWrittenDate(s)
	if err != nil {
		errs.Add(name, "bad_written_date", s)
	}
	return d
}

func readFloat(vals url.Values, errs partnerhub.FieldErrors, name string) *float64 {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		errs.Add(name, "bad_number", s)
		return nil
	}
	return &f
}

func formList(vals url.Values, name string) []string {
	out := []string{}
	for _, v := range vals[name] {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func enumOptions[T ~string](v *view, prefix string, vs []T, blank bool) []option {
	var out []option
	if blank {
		out = append(out, option{"", v.P.T("label.none")})
	}
	for _, x := range vs {
		out = append(out, option{string(x), v.P.T(prefix + string(x))})
	}
	return out
}

// byName sorts options by their labels as a reader of the page's language
// looks for them: in Japanese kana before kanji and kanji by reading (JIS
// order), in English alphabetically without regard to case. A collator is
// not safe for concurrent use, so each call makes its own.
func byName(v *view, opts []option) []option {
	c := collate.New(language.Make(string(v.Lang)), collate.IgnoreCase, collate.IgnoreWidth)
	slices.SortStableFunc(opts, func(a, b option) int { return c.CompareString(a.Label, b.Label) })
	return opts
}

func partnerOptions(v *view) []option {
	var out []option
	for _, p := range v.X.Partners(partnerhub.PartnerFilter{}) {
		out = append(out, option{p.Slug, mustText(v, p.Name)})
	}
	return byName(v, out)
}

// unitOptions name each unit first and its mark after, so a list sorted by
// name reads as sorted.
func unitOptions(v *view) []option {
	var out []option
	for _, u := range v.X.Units() {
		out = append(out, option{u.Code, v.P.T("form.unit_option", mustText(v, u.Name), mustText(v, u.Abbr))})
	}
	return byName(v, out)
}

// agreementOptions offer the agreements one may renew, blank first.
func agreementOptions(v *view) []option {
	var out []option
	for _, a := range v.X.Catalog().Agreements {
		out = append(out, option{a.Slug, mustText(v, a.Title)})
	}
	return append([]option{{"", v.P.T("label.none")}}, byName(v, out)...)
}

func institutionOptions(v *view, blank bool) []option {
	var out []option
	for _, in := range v.X.Catalog().Institutions {
		out = append(out, option{in.Slug, mustText(v, in.Name)})
	}
	out = byName(v, out)
	if blank {
		out = append([]option{{"", v.P.T("label.none")}}, out...)
	}
	return out
}

var forms = map[partnerhub.Entity]*formSpec{
	partnerhub.EntityMobility: formOf(partnerhub.EntityMobility,
		func(v *view) []field {
			return []field{
				{Name: "partner", Label: "label.partner", Kind: "select", Options: partnerOptions(v), Required: true},
				{Name: "institution", Label: "form.member_institution", Kind: "select", Options: institutionOptions(v, true)},
				{Name: "unit", Label: "label.unit", Kind: "select", Options: append([]option{{"", v.P.T("stats.university_wide")}}, unitOptions(v)...)},
				{Name: "year", Label: "dim.year", Kind: "number", Required: true, Hint: "form.year_hint"},
				{Name: "direction", Label: "dim.direction", Kind: "select", Options: enumOptions(v, "direction.", partnerhub.Directions, false), Required: true},
				{Name: "category", Label: "dim.category", Kind: "select", Options: enumOptions(v, "category.", partnerhub.Categories, false), Required: true},
				{Name: "programme", Label: "dim.programme", Kind: "select", Options: enumOptions(v, "programme.", partnerhub.MobilityProgrammes, false), Required: true},
				{Name: "count", Label: "form.people", Kind: "number", Required: true, Hint: "form.count_hint"},
			}
		},
		func(m *partnerhub.Mobility) url.Values {
			return url.Values{"partner": {m.Partner}, "institution": {m.Institution}, "unit": {m.Unit}, "year": {strconv.Itoa(m.Year)},
				"direction": {string(m.Direction)}, "category": {string(m.Category)}, "programme": {string(m.Programme)}, "count": {strconv.Itoa(m.Count)}}
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Mobility {
			return &partnerhub.Mobility{Partner: vals.Get("partner"), Institution: vals.Get("institution"), Unit: vals.Get("unit"),
				Year: readInt(vals, errs, "year"), Direction: partnerhub.Direction(vals.Get("direction")), Category: partnerhub.Category(vals.Get("category")),
				Programme: partnerhub.MobilityProgramme(vals.Get("programme")), Count: readInt(vals, errs, "count")}
		},
	),
	partnerhub.EntityActivity: formOf(partnerhub.EntityActivity,
		func(v *view) []field {
			var series []option
			for _, s := range v.X.Catalog().Series {
				series = append(series, option{s.Slug, mustText(v, s.Name)})
			}
			series = append([]option{{"", v.P.T("label.none")}}, byName(v, series)...)
			return []field{
				{Name: "slug", Label: "form.slug", Kind: "text", Required: true, Hint: "form.slug_hint"},
				{Name: "kind", Label: "label.kind", Kind: "select", Options: enumOptions(v, "kind.", partnerhub.ActivityKinds, false), Required: true},
				{Name: "title", Label: "form.title", Kind: "bitext", Required: true},
				{Name: "summary", Label: "form.summary", Kind: "bitextarea"},
				{Name: "start", Label: "form.start", Kind: "date", Hint: "form.written_date_hint"},
				{Name: "end", Label: "form.end", Kind: "date", Hint: "form.written_date_hint"},
				{Name: "fiscal_year", Label: "form.fiscal_year", Kind: "check"},
				{Name: "phase", Label: "form.phase_only", Kind: "number", Hint: "form.phase_only_hint"},
				{Name: "format", Label: "label.format", Kind: "select", Options: enumOptions(v, "format.", partnerhub.Formats, true)},
				{Name: "host", Label: "label.host", Kind: "select", Options: institutionOptions(v, true)},
				{Name: "venue", Label: "label.venue", Kind: "bitext"},
				{Name: "participants", Label: "label.participants", Kind: "number"},
				{Name: "qualifier", Label: "form.qualifier", Kind: "select", Options: enumOptions(v, "form.qualifier.", partnerhub.Qualifiers, false)},
				{Name: "partners", Label: "label.partners", Kind: "multi", Options: partnerOptions(v)},
				{Name: "units", Label: "label.units", Kind: "multi", Options: unitOptions(v)},
				{Name: "institutions", Label: "label.also", Kind: "multi", Options: institutionOptions(v, false)},
				{Name: "series", Label: "label.series", Kind: "select", Options: series},
				{Name: "edition", Label: "form.edition", Kind: "number"},
				{Name: "published", Label: "form.published", Kind: "check", Hint: "form.published_hint"},
			}
		},
		func(a *partnerhub.Activity) url.Values {
			vals := url.Values{"slug": {a.Slug}, "kind": {string(a.Kind)}, "start": {a.Start.String()}, "end": {a.End.String()},
				"format": {string(a.Format)}, "host": {a.Host}, "partners": a.Partners, "units": a.Units, "institutions": a.Institutions, "series": {a.Series}}
			putText(a.Title, "title", vals)
			putText(a.Summary, "summary", vals)
			putText(a.Venue, "venue", vals)
			if a.FiscalYear {
				vals.Set("fiscal_year", "on")
			}
			if a.Published {
				vals.Set("published", "on")
			}
			if a.Participants != nil {
				vals.Set("participants", strconv.Itoa(a.Participants.Value))
				vals.Set("qualifier", string(a.Participants.Qualifier))
			}
			if a.Edition != 0 {
				vals.Set("edition", strconv.Itoa(a.Edition))
			}
			if a.Phase != 0 {
				vals.Set("phase", strconv.Itoa(a.Phase))
			}
			return vals
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Activity {
			a := &partnerhub.Activity{
				Slug: strings.TrimSpace(vals.Get("slug")), Kind: partnerhub.ActivityKind(vals.Get("kind")),
				Title: readText(vals, "title"), Summary: readText(vals, "summary"), Venue: readText(vals, "venue"),
				Start: readDate(vals, errs, "start"), End: readDate(vals, errs, "end"), FiscalYear: vals.Get("fiscal_year") != "",
				Format: partnerhub.Format(vals.Get("format")), Host: vals.Get("host"),
				Partners: formList(vals, "partners"), Units: formList(vals, "units"), Institutions: formList(vals, "institutions"),
				Series: vals.Get("series"), Edition: readInt(vals, errs, "edition"), Published: vals.Get("published") != "",
				Phase: readInt(vals, errs, "phase"),
			}
			if s := strings.TrimSpace(vals.Get("participants")); s != "" {
				a.Participants = &partnerhub.Count{Value: readInt(vals, errs, "participants"), Qualifier: partnerhub.Qualifier(vals.Get("qualifier"))}
			}
			return a
		},
	),
	partnerhub.EntityAgreement: formOf(partnerhub.EntityAgreement,
		func(v *view) []field {
			return []field{
				{Name: "slug", Label: "form.slug", Kind: "text", Required: true, Hint: "form.slug_hint"},
				{Name: "partner", Label: "label.partner", Kind: "select", Options: partnerOptions(v), Required: true},
				{Name: "institution", Label: "form.member_institution", Kind: "select", Options: institutionOptions(v, true)},
				{Name: "kind", Label: "label.kind", Kind: "select", Options: enumOptions(v, "agreement.kind.", partnerhub.AgreementKinds, false), Required: true},
				{Name: "level", Label: "form.level", Kind: "select", Options: enumOptions(v, "agreement.level.", partnerhub.AgreementLevels, false), Required: true},
				{Name: "title", Label: "form.title", Kind: "bitext", Required: true},
				{Name: "units", Label: "label.units", Kind: "multi", Options: unitOptions(v)},
				{Name: "stage", Label: "form.stage", Kind: "select", Options: enumOptions(v, "agreement.stage.", partnerhub.AgreementStages, false), Required: true, Hint: "form.stage_hint"},
				{Name: "signed", Label: "form.signed", Kind: "date", Hint: "form.written_date_hint"},
				{Name: "effective", Label: "form.effective", Kind: "date", Hint: "form.effective_hint"},
				{Name: "expires", Label: "form.expires", Kind: "date", Hint: "form.written_date_hint"},
				{Name: "renewal", Label: "form.renewal", Kind: "select", Options: enumOptions(v, "agreement.renewal.", partnerhub.Renewals, true)},
				{Name: "notice_days", Label: "form.notice_days", Kind: "text", Hint: "form.notice_days_hint"},
				{Name: "home_signatory", Label: "form.home_signatory", Kind: "text"},
				{Name: "partner_signatory", Label: "form.partner_signatory", Kind: "text"},
				{Name: "renews", Label: "form.renews", Kind: "select", Options: agreementOptions(v)},
				{Name: "note", Label: "form.note", Kind: "bitextarea"},
				{Name: "published", Label: "form.published", Kind: "check", Hint: "form.published_hint"},
			}
		},
		func(a *partnerhub.Agreement) url.Values {
			vals := url.Values{"slug": {a.Slug}, "partner": {a.Partner}, "institution": {a.Institution}, "kind": {string(a.Kind)},
				"level": {string(a.Level)}, "units": a.Units, "stage": {string(a.Stage)}, "signed": {a.Signed.String()}, "effective": {a.Effective.String()},
				"expires": {a.Expires.String()}, "renewal": {string(a.Renewal)}, "notice_days": {strconv.Itoa(a.NoticeDays)},
				"home_signatory": {a.HomeSignatory}, "partner_signatory": {a.PartnerSignatory}, "renews": {a.Renews}}
			putText(a.Title, "title", vals)
			putText(a.Note, "note", vals)
			if a.Published {
				vals.Set("published", "on")
			}
			return vals
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Agreement {
			return &partnerhub.Agreement{
				Slug: strings.TrimSpace(vals.Get("slug")), Partner: vals.Get("partner"), Institution: vals.Get("institution"),
				Kind: partnerhub.AgreementKind(vals.Get("kind")), Level: partnerhub.AgreementLevel(vals.Get("level")),
				Title: readText(vals, "title"), Units: formList(vals, "units"), Stage: partnerhub.AgreementStage(vals.Get("stage")),
				Signed: readDate(vals, errs, "signed"), Effective: readDate(vals, errs, "effective"), Expires: readDate(vals, errs, "expires"),
				Renewal: partnerhub.Renewal(vals.Get("renewal")), NoticeDays: readInt(vals, errs, "notice_days"),
				HomeSignatory: strings.TrimSpace(vals.Get("home_signatory")), PartnerSignatory: strings.TrimSpace(vals.Get("partner_signatory")),
				Renews: vals.Get("renews"), Note: readText(vals, "note"), Published: vals.Get("published") != "",
			}
		},
	),
	partnerhub.EntityPartner: formOf(partnerhub.EntityPartner,
		func(v *view) []field {
			return []field{
				{Name: "slug", Label: "form.slug", Kind: "text", Required: true, Hint: "form.slug_hint"},
				{Name: "name", Label: "form.name", Kind: "bitext", Required: true},
				{Name: "short_name", Label: "form.short_name", Kind: "text"},
				{Name: "kind", Label: "label.kind", Kind: "select", Options: enumOptions(v, "partner.kind.", partnerhub.PartnerKinds, false), Required: true},
				{Name: "members", Label: "label.members", Kind: "multi", Options: institutionOptions(v, false), Required: true},
				{Name: "summary", Label: "form.summary", Kind: "bitextarea"},
				{Name: "note", Label: "form.note", Kind: "bitextarea"},
			}
		},
		func(p *partnerhub.Partner) url.Values {
			vals := url.Values{"slug": {p.Slug}, "short_name": {p.ShortName}, "kind": {string(p.Kind)}, "members": p.Members}
			putText(p.Name, "name", vals)
			putText(p.Summary, "summary", vals)
			putText(p.Note, "note", vals)
			return vals
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Partner {
			return &partnerhub.Partner{
				Slug: strings.TrimSpace(vals.Get("slug")), Name: readText(vals, "name"), ShortName: strings.TrimSpace(vals.Get("short_name")),
				Kind: partnerhub.PartnerKind(vals.Get("kind")), Members: formList(vals, "members"),
				Summary: readText(vals, "summary"), Note: readText(vals, "note"),
			}
		},
	),
	partnerhub.EntityTeam: formOf(partnerhub.EntityTeam,
		func(v *view) []field {
			return []field{
				{Name: "partner", Label: "label.partner", Kind: "readonly"},
				{Name: "phase", Label: "label.phase", Kind: "readonly"},
				{Name: "tier", Label: "label.tier", Kind: "select", Options: enumOptions(v, "tier.", partnerhub.Tiers, true)},
				{Name: "units", Label: "label.team", Kind: "multi", Options: unitOptions(v)},
				{Name: "lead", Label: "form.lead", Kind: "select", Options: append([]option{{"", v.P.T("label.none")}}, unitOptions(v)...)},
			}
		},
		func(t *partnerhub.TeamDoc) url.Values {
			return url.Values{"partner": {t.Partner}, "phase": {strconv.Itoa(t.Phase)}, "tier": {string(t.Tier)}, "units": t.Units, "lead": {t.Lead}}
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.TeamDoc {
			return &partnerhub.TeamDoc{Partner: vals.Get("partner"), Phase: readInt(vals, errs, "phase"),
				Tier: partnerhub.Tier(vals.Get("tier")), Units: formList(vals, "units"), Lead: vals.Get("lead")}
		},
	),
	partnerhub.EntityInstitution: formOf(partnerhub.EntityInstitution,
		func(v *view) []field {
			return []field{
				{Name: "slug", Label: "form.slug", Kind: "text", Required: true, Hint: "form.slug_hint"},
				{Name: "name", Label: "form.name", Kind: "bitext", Required: true},
				{Name: "acronym", Label: "form.acronym", Kind: "text"},
				{Name: "country", Label: "label.country", Kind: "text", Required: true, Hint: "form.country_hint"},
				{Name: "city", Label: "form.city", Kind: "bitext"},
				{Name: "lat", Label: "form.lat", Kind: "text"},
				{Name: "lng", Label: "form.lng", Kind: "text"},
				{Name: "website", Label: "label.website", Kind: "text"},
				{Name: "ror", Label: "form.ror", Kind: "text", Hint: "form.ror_hint"},
				{Name: "established", Label: "form.established", Kind: "number"},
			}
		},
		func(in *partnerhub.Institution) url.Values {
			vals := url.Values{"slug": {in.Slug}, "acronym": {in.Acronym}, "country": {in.Country}, "website": {in.Website}, "ror": {in.ROR}}
			putText(in.Name, "name", vals)
			putText(in.City, "city", vals)
			if in.Lat != nil {
				vals.Set("lat", strconv.FormatFloat(*in.Lat, 'f', -1, 64))
				vals.Set("lng", strconv.FormatFloat(*in.Lng, 'f', -1, 64))
			}
			if in.Established != 0 {
				vals.Set("established", strconv.Itoa(in.Established))
			}
			return vals
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Institution {
			return &partnerhub.Institution{
				Slug: strings.TrimSpace(vals.Get("slug")), Name: readText(vals, "name"), Acronym: strings.TrimSpace(vals.Get("acronym")),
				Country: strings.ToUpper(strings.TrimSpace(vals.Get("country"))), City: readText(vals, "city"),
				Lat: readFloat(vals, errs, "lat"), Lng: readFloat(vals, errs, "lng"), Website: strings.TrimSpace(vals.Get("website")),
				ROR: strings.TrimSpace(vals.Get("ror")), Established: readInt(vals, errs, "established"),
			}
		},
	),
	partnerhub.EntityUnit: formOf(partnerhub.EntityUnit,
		func(v *view) []field {
			return []field{
				{Name: "code", Label: "form.code", Kind: "text", Required: true, Hint: "form.slug_hint"},
				{Name: "name", Label: "form.name", Kind: "bitext", Required: true},
				{Name: "abbr", Label: "label.mark", Kind: "bitext", Required: true},
				{Name: "kind", Label: "label.kind", Kind: "select", Options: enumOptions(v, "unit_kind.", partnerhub.UnitKinds, false), Required: true},
			}
		},
		func(u *partnerhub.Unit) url.Values {
			vals := url.Values{"code": {u.Code}, "kind": {string(u.Kind)}}
			putText(u.Name, "name", vals)
			putText(u.Abbr, "abbr", vals)
			return vals
		},
		func(vals url.Values, errs partnerhub.FieldErrors) *partnerhub.Unit {
			return &partnerhub.Unit{Code: strings.TrimSpace(vals.Get("code")), Name: readText(vals, "name"), Abbr: readText(vals, "abbr"),
				Kind: partnerhub.UnitKind(vals.Get("kind"))}
		},
	),
}
