package chart

import (
	"cmp"
	"html/template"
	"strings"
)

// table renders the frame's data as an HTML table: a caption (the title),
// one row per category and one column per series. valueLabel heads the
// column of an unnamed single series.
func (f *frame) table(valueLabel string) template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="chart-table"`)
	if f.lang != "" {
		b.WriteString(` lang="` + esc(f.lang) + `"`)
	}
	b.WriteString(`><caption>` + esc(f.title) + `</caption>`)
	if !f.hasData() {
		b.WriteString(`<tbody><tr><td>` + esc(f.empty) + `</td></tr></tbody></table>`)
		return template.HTML(b.String()) //nolint:gosec // escaped above
	}
	b.WriteString(`<thead><tr><td></td>`)
	for _, s := range f.series {
		name := s.Name
		if name == "" {
			name = valueLabel
		}
		b.WriteString(`<th scope="col">` + esc(name) + `</th>`)
	}
	b.WriteString(`</tr></thead><tbody>`)
	for i, cat := range f.categories {
		b.WriteString(`<tr><th scope="row">` + esc(cat) + `</th>`)
		for s := range f.series {
			if v, ok := f.value(s, i); ok {
				b.WriteString(`<td class="num">` + esc(formatValue(v)) + `</td>`)
			} else {
				b.WriteString(`<td class="num missing">` + esc(cmp.Or(f.missing, "–")) + `</td>`)
			}
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String()) //nolint:gosec // escaped above
}
