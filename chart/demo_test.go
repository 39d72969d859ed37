package chart

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"strings"
	"testing"
)

// TestDemo writes /tmp/chart-demo.html with a few charts when CHART_DEMO=1,
// to look at in a browser (and in grey, as printed):
//
//	CHART_DEMO=1 go test ./chart/ -run Demo
func TestDemo(t *testing.T) {
	if os.Getenv("CHART_DEMO") != "1" {
		t.Skip("set CHART_DEMO=1 to write /tmp/chart-demo.html")
	}
	years := []string{"2019", "2020", "2021", "2022", "2023", "2024"}
	var manyYears []string
	var manyValues []float64
	for y := 2000; y <= 2024; y++ {
		manyYears = append(manyYears, fmt.Sprint(y))
		manyValues = append(manyValues, float64((y*37)%23))
	}
	charts := []interface{ SVG() template.HTML }{
		Bar{
			Title: "派遣・受入の推移（学生）", Lang: "ja", YLabel: "人数",
			Categories: years,
			Series: []Series{
				{Name: "派遣", Values: []float64{412, 96, 158, 520, 688, 731}},
				{Name: "受入", Values: []float64{380, 120, 201, 466, 702, 1254}},
				{Name: "オンライン", Values: []float64{0, 310, 422, 180, 95, 60}},
			},
		},
		Bar{
			Title: "Activities by kind", Lang: "en", YLabel: "Activities", Stacked: true,
			Categories: years,
			Series: []Series{
				{Name: "Symposium", Values: []float64{4, 2, 3, 5, 6, 6}},
				{Name: "Workshop", Values: []float64{7, 3, 6, 9, 8, 11}},
				{Name: "Seminar", Values: []float64{12, 5, 14, 10, 13, 15}},
				{Name: "Exchange", Values: []float64{3, 0, 1, 4, 5, 7}},
				{Name: "Forum", Values: []float64{1, 1, 2, 2, 1, 3}},
				{Name: "Programme", Values: []float64{2, 1, 1, 3, 2, 4}},
				{Name: "Conference", Values: []float64{1, 0, 1, 2, 2, 2}},
				{Name: "Other", Values: []float64{2, 2, 1, 1, 3, 2}},
			},
		},
		Line{
			Title: "Outbound mobility by category", Lang: "en", YLabel: "Students and staff",
			Categories: years,
			Series: []Series{
				{Name: "Undergraduate", Values: []float64{1200, 300, 650, 1400, 1820, 2050}},
				{Name: "Graduate", Values: []float64{900, 410, 520, 980, 1150, 1330}},
				{Name: "Faculty", Values: []float64{320, 40, 90, 300, 410, 455}},
				{Name: "Staff", Values: []float64{80, 10, 20, 75, 110, 0.5}},
			},
		},
		Line{
			Title: "部局別の活動件数", Lang: "ja", YLabel: "件数",
			Categories: years,
			Series: []Series{
				{Name: "工学系研究科", Values: []float64{5, 3, 4, 7, 9, 8}},
				{Name: "東洋文化研究所", Values: []float64{2, 1, 3, 2, 4, 6}},
				{Name: "カブリ数物連携宇宙研究機構", Values: []float64{1, 2, 2, 3, 2, 4}},
				{Name: "医学系研究科", Values: []float64{3, 0, 1, 2, 5, 5}},
				{Name: "農学生命科学研究科", Values: []float64{4, 2, 2, 4, 3, 7}},
				{Name: "総合文化研究科", Values: []float64{2, 3, 1, 1, 2, 3}},
				{Name: "理学系研究科", Values: []float64{6, 4, 5, 6, 7, 9}},
				{Name: "公共政策大学院", Values: []float64{1, 1, 0, 2, 1, 2}},
			},
		},
		HBar{
			Title: "活動件数の多いパートナー（上位8）", Lang: "ja", XLabel: "活動件数（2021〜2024年度）",
			Categories: []string{"国立台湾大学", "北京大学", "カリフォルニア大学バークレー校", "ソウル国立大学校",
				"ケンブリッジ大学", "プリンストン大学", "スイス連邦工科大学チューリッヒ校", "オーストラリア国立大学"},
			Series: Series{Name: "活動", Values: []float64{48, 41, 33, 29, 22, 17, 12, 9}},
		},
		HBar{
			Title: "Partners with the most outbound students", Lang: "en",
			Categories: []string{"University of California, Berkeley", "National Taiwan University",
				"Peking University", "ETH Zurich", "The Australian National University",
				"University of Cambridge <script>alert(1)</script>"},
			Series: Series{Name: "Outbound", Values: []float64{12840, 9310, 7765, 2410, 1250, 310}},
		},
		Bar{
			Title: "Participants by partner", Lang: "en",
			Categories: []string{"National Taiwan University", "Peking University", "ETH Zurich",
				"University of California, Berkeley", "Seoul National University", "Princeton University",
				"University of Cambridge", "Australian National University", "Université PSL", "KU Leuven"},
			Series: []Series{{Name: "Participants", Values: []float64{120, 95, 60, 140, 88, 45, 70, 52, 38, 41}}},
		},
		Bar{Title: "協定数の推移", Lang: "ja", Categories: years, Empty: "表示するデータがありません"},
		Bar{
			Title: "Agreements signed per year (phone width)", Lang: "en", Width: 360, Height: 300,
			Categories: manyYears, Series: []Series{{Name: "Agreements", Values: manyValues}},
		},
		Line{
			Title: "受入数（2020年度は集計なし）", Lang: "ja", Width: 360, Height: 300,
			Categories: years,
			Series: []Series{
				{Name: "学部生", Values: []float64{12, math.NaN(), 8, 15, 21, 19}},
				{Name: "大学院生", Values: []float64{7, math.NaN(), 5, 9, 11, 14}},
			},
		},
		Bar{Title: "Declined proposals", Lang: "en", Categories: years, Series: []Series{{Name: "Declined", Values: make([]float64, 6)}}},
		Line{Title: "Share of joint publications", Lang: "en", YLabel: "%", Categories: years,
			Series: []Series{{Name: "Share", Values: []float64{0.12, 0.18, 0.31, 0.27, 0.44, 0.52}}}},
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><meta charset="utf-8"><title>chart demo</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;margin:16px;color:#1f2328}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px 28px}
figure{margin:0;border:1px solid #e3e6ea;border-radius:6px;padding:8px}
.grey figure{filter:grayscale(1)}
h2{font-size:14px;font-weight:600;margin:24px 0 8px}
/* chart-demo.html#c3 shows chart 3 alone, 700px wide (#g3 in grey) */
body:has(figure:target) figure:not(:target),body:has(figure:target) h2{display:none}
body:has(figure:target) .grid{grid-template-columns:700px}
</style><body><div class="grid">`)
	for i, c := range charts {
		fmt.Fprintf(&b, "<figure id=\"c%d\">%s</figure>\n", i, c.SVG())
	}
	b.WriteString(`</div><h2 id="grey">Grey (as printed in black and white)</h2><div class="grid grey">`)
	// The same chart twice on one page needs its own ID (its patterns are
	// referenced by id).
	for i, c := range charts[:4] {
		switch c := c.(type) {
		case Bar:
			c.ID = fmt.Sprintf("grey%d", i)
			fmt.Fprintf(&b, "<figure id=\"g%d\">%s</figure>\n", i, c.SVG())
		case Line:
			c.ID = fmt.Sprintf("grey%d", i)
			fmt.Fprintf(&b, "<figure id=\"g%d\">%s</figure>\n", i, c.SVG())
		}
	}
	b.WriteString("</div></body></html>\n")
	if err := os.WriteFile("/tmp/chart-demo.html", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("wrote /tmp/chart-demo.html")
}
