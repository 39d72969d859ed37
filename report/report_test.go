package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/report"
	"partnerhub/worldmap"
)

// world is the site's world map, drawn once for the tests.
var world = sync.OnceValues(func() (*worldmap.Map, error) {
	w, err := worldmap.Load()
	if err != nil {
		return nil, err
	}
	return w.Draw(report.WorldView), nil
})

// builtinInput is the report of 2024 of the built-in programme, with
// mobility, a call and an award made up for the test (the built-in data
// records none).
func builtinInput(t testing.TB, lang partnerhub.Lang) report.Input {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := world()
	if err != nil {
		t.Fatal(err)
	}
	x := partnerhub.NewIndex(c.Public())
	in := report.Input{Lang: lang, Year: 2024, Index: x, P: msgs.Printer(lang), Own: true, World: m,
		Date: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	for i, p := range x.Partners(partnerhub.PartnerFilter{}) {
		for y := 2019; y <= 2024; y++ {
			in.Mobility = append(in.Mobility,
				partnerhub.StatsRow{Keys: []string{p.Slug, strconv.Itoa(y), "outbound"}, Total: int64(10 + i + y - 2019)},
				partnerhub.StatsRow{Keys: []string{p.Slug, strconv.Itoa(y), "inbound"}, Total: int64(5 + 2*i)})
		}
	}
	in.Categories = []partnerhub.StatsRow{{Keys: []string{"2024", "graduate"}, Total: 120}, {Keys: []string{"2024", "faculty"}, Total: 40}}
	if len(c.Funds) > 0 {
		f := c.Funds[0]
		in.Calls = []partnerhub.Call{{Fund: f.Slug, Number: 1, Title: partnerhub.Text{Ja: "2024年度共同研究公募", En: "Joint research call 2024"},
			Opens: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), Closes: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Published: true},
			{Fund: f.Slug, Number: 2, Title: partnerhub.Text{Ja: "非公開の公募", En: "Draft call"},
				Opens: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), Closes: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)}}
		in.Projects = []partnerhub.Project{{Fund: f.Slug, Call: 1, Year: 2024, Title: partnerhub.Text{Ja: "量子材料の共同研究", En: "Quantum materials together"}}}
	}
	return in
}

// pdfs are the reports of 2024 of the built-in programme, rendered once
// for all the tests that read them.
var pdfs sync.Map // partnerhub.Lang -> []byte

func builtinPDF(t testing.TB, lang partnerhub.Lang) []byte {
	if b, ok := pdfs.Load(lang); ok {
		return b.([]byte)
	}
	b := render(t, builtinInput(t, lang))
	pdfs.Store(lang, b)
	return b
}

func render(t testing.TB, in report.Input) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// poppler returns the path of a poppler tool, or skips the test: CI
// installs poppler-utils and fails when a report test skipped (.ci/run).
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("report: needs poppler-utils (%s not found)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(poppler(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestReportReadsBack(t *testing.T) {
	poppler(t, "pdftotext")
	dir := t.TempDir()
	for _, lang := range partnerhub.Langs {
		t.Run(string(lang), func(t *testing.T) {
			t.Parallel() // the two languages' poppler runs overlap
			in := builtinInput(t, lang)
			b := builtinPDF(t, lang)
			file := filepath.Join(dir, "report-"+string(lang)+".pdf")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			partners := in.Index.Partners(partnerhub.PartnerFilter{})
			if len(partners) != 16 {
				t.Fatalf("built-in partners: %d, want 16", len(partners))
			}

			// Pages: the fixed ones and one per partner.
			info := run(t, "pdfinfo", file)
			want := report.FixedPages + len(partners)
			if !regexp.MustCompile(`(?m)^Pages:\s+` + strconv.Itoa(want) + `$`).MatchString(info) {
				t.Errorf("pdfinfo: want %d pages\n%s", want, info)
			}
			if !regexp.MustCompile(`(?m)^Tagged:\s+yes$`).MatchString(info) {
				t.Errorf("pdfinfo: not tagged\n%s", info)
			}
			if !regexp.MustCompile(`(?m)^Page size:\s+595\.\d* x 841\.\d* pts \(A4\)`).MatchString(info) {
				t.Errorf("pdfinfo: not A4\n%s", info)
			}

			// Text: every partner's name in the report's language, each on
			// its own page.
			text := run(t, "pdftotext", "-layout", file, "-")
			flat := strings.Join(strings.Fields(text), "")
			pages := strings.Split(text, "\f")
			for i, p := range partners {
				name, _ := p.Name.In(lang)
				if !strings.Contains(flat, strings.Join(strings.Fields(name), "")) {
					t.Errorf("pdftotext lacks %q", name)
				}
				page := strings.Join(strings.Fields(pages[4+i]), "")
				if !strings.Contains(page, strings.Join(strings.Fields(name), "")) {
					t.Errorf("page %d is not %q's:\n%s", 5+i, name, pages[4+i])
				}
			}
			// Japanese text comes back as Japanese (a ToUnicode map).
			if lang == partnerhub.Japanese && !strings.Contains(flat, "年次報告") {
				t.Errorf("pdftotext lacks 年次報告:\n%.500s", text)
			}
			// Only public calls.
			if strings.Contains(flat, "Draftcall") || strings.Contains(flat, "非公開の公募") {
				t.Error("a call that is not published is in the report")
			}

			// Fonts: every one embedded and subset.
			fonts := run(t, "pdffonts", file)
			lines := strings.Split(strings.TrimSpace(fonts), "\n")
			if len(lines) < 4 {
				t.Fatalf("pdffonts: %s", fonts)
			}
			for _, l := range lines[2:] {
				f := strings.Fields(l)
				// name type... emb sub uni object ID
				if len(f) < 7 || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
					t.Errorf("pdffonts: not embedded, subset and mapped to Unicode: %q", l)
				}
			}

			// The structure tree, as poppler reads it: a heading (H1) on
			// every page, each partner's with its number and name.
			tree := strings.Split(run(t, "pdfinfo", "-struct-text", file), "\n")
			var h1 []string
			for i, l := range tree {
				if strings.TrimSpace(l) == "H1 (block)" && i+1 < len(tree) {
					h1 = append(h1, strings.Trim(strings.TrimSpace(tree[i+1]), `"`))
				}
			}
			if len(h1) != want {
				t.Errorf("%d H1 headings in the structure tree, want %d: %q", len(h1), want, h1)
			}
			for i, p := range partners {
				name, _ := p.Name.In(lang)
				if 4+i >= len(h1) || h1[4+i] != strconv.Itoa(i+1)+"  "+name {
					t.Errorf("H1 of page %d: want %q", 5+i, strconv.Itoa(i+1)+"  "+name)
				}
			}

			// The outline: an entry per partner, pointing at its page.
			xml := run(t, "pdftohtml", "-xml", "-i", "-q", "-stdout", file)
			for i, p := range partners {
				name, _ := p.Name.In(lang)
				item := `<item page="` + strconv.Itoa(5+i) + `">` + xmlEscape(name) + `</item>`
				if !strings.Contains(xml, item) {
					t.Errorf("outline lacks %s", item)
				}
			}
		})
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// TestReportRendersToPNG renders the cover, a partner's page, the map and
// the statistics with pdftoppm and checks each PNG decodes and is not
// blank. With REPORT_PNG_DIR set it keeps them there, to be looked at.
func TestReportRendersToPNG(t *testing.T) {
	poppler(t, "pdftoppm")
	dir := t.TempDir()
	keep := os.Getenv("REPORT_PNG_DIR")
	pages := map[string]int{"cover": 1, "partner": 5, "map": 5 + 16, "stats": 6 + 16}
	for _, lang := range partnerhub.Langs {
		file := filepath.Join(dir, "r.pdf")
		if err := os.WriteFile(file, builtinPDF(t, lang), 0o600); err != nil {
			t.Fatal(err)
		}
		if keep != "" {
			os.WriteFile(filepath.Join(keep, "report-"+string(lang)+".pdf"), builtinPDF(t, lang), 0o644)
		}
		for name, n := range pages {
			prefix := filepath.Join(dir, string(lang)+"-"+name)
			run(t, "pdftoppm", "-r", "60", "-png", "-singlefile", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), file, prefix)
			b, err := os.ReadFile(prefix + ".png")
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			if bd := img.Bounds(); bd.Dx() < 490 || bd.Dx() > 500 { // A4 at 60 dpi: 496 × 702
				t.Errorf("%s %s: %d px wide", lang, name, bd.Dx())
			}
			inked := 0
			bd := img.Bounds()
			for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
				for x := bd.Min.X; x < bd.Max.X; x += 2 {
					r, g, bl, _ := img.At(x, y).RGBA()
					if r < 0xc000 || g < 0xc000 || bl < 0xc000 {
						inked++
					}
				}
			}
			if inked < 200 {
				t.Errorf("%s %s looks blank (%d dark samples)", lang, name, inked)
			}
			if keep != "" {
				os.WriteFile(filepath.Join(keep, "report-"+string(lang)+"-"+name+".png"), b, 0o644)
			}
		}
	}
}

// TestReportIsStable: the same data gives the same bytes, which the web
// server's ETag relies on.
func TestReportIsStable(t *testing.T) {
	in := builtinInput(t, partnerhub.English)
	if !bytes.Equal(render(t, in), builtinPDF(t, partnerhub.English)) {
		t.Error("two renderings of the same data differ")
	}
}

func TestYears(t *testing.T) {
	in := builtinInput(t, partnerhub.English)
	first, last := report.Years(in.Index, nil)
	if first != 2014 || last < 2024 {
		t.Errorf("years %d–%d, want 2014 to 2024 or later", first, last)
	}
	if report.HasYear(in.Index, nil, 1999) || report.HasYear(in.Index, nil, last+1) || !report.HasYear(in.Index, nil, 2024) {
		t.Error("HasYear is wrong at the edges")
	}
	if !report.HasYear(in.Index, []partnerhub.StatsRow{{Keys: []string{"x", strconv.Itoa(last + 1), "inbound"}}}, last+1) {
		t.Error("a year of recorded mobility is not a year of data")
	}
}

// TestGather reads through Sources and keeps only published calls.
func TestGather(t *testing.T) {
	var in report.Input
	src := report.Sources{Calls: callsFunc(func() []partnerhub.Call {
		return []partnerhub.Call{{Fund: "f", Number: 1, Published: true}, {Fund: "f", Number: 2}}
	})}
	if err := report.Gather(context.Background(), "h", src, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.Calls) != 1 || in.Calls[0].Number != 1 {
		t.Errorf("calls: %+v", in.Calls)
	}
}

type callsFunc func() []partnerhub.Call

func (f callsFunc) Calls(ctx context.Context, actor *partnerhub.User, home string, cf partnerhub.CallFilter) ([]partnerhub.Call, error) {
	if !cf.Public || actor != nil {
		return nil, nil
	}
	return f(), nil
}

// TestReportKeysAreInTheCatalogs: every report.* key the package names
// exists in both languages.
func TestReportKeysAreInTheCatalogs(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`"(report\.[a-z_]+)"`)
	keys := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range re.FindAllSubmatch(b, -1) {
			keys[string(m[1])] = true
		}
	}
	for _, lang := range []string{"en", "ja"} {
		b, err := os.ReadFile(filepath.Join("..", "i18n", lang, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if _, ok := m[k]; !ok && k != "report.json" {
				t.Errorf("%s/report.json lacks %q", lang, k)
			}
		}
	}
}
