package search

import (
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"東文研", []string{"東文", "文研", "研"}},
		{"工", []string{"工"}},
		{"Stockholm University", []string{"stockholm", "university"}},
		{"ＥＴＨ Zürich", []string{"eth", "zürich"}},
		{"ｶﾀｶﾅ", []string{"カタ", "タカ", "カナ", "ナ"}},
		{"シンポジウム2020", []string{"シン", "ンポ", "ポジ", "ジウ", "ウム", "ム", "2020"}},
		{"データー", []string{"デー", "ータ", "ター", "ー"}},
		{"Kavli IPMU（東大）", []string{"kavli", "ipmu", "東大", "大"}},
		{"a-b, c.d", []string{"a", "b", "c", "d"}},
		{"서울대학교", []string{"서울", "울대", "대학", "학교", "교"}},
		{"", nil},
	} {
		if got := Tokens(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		key  string
	}{
		{"農学", "農学*", "農学"},
		{"工", "工*", "工"},
		{"東文研", "[東文 文研]", "東文研"},
		{"Stockh", "stockh*", "stockh"},
		{"ＥＴＨ", "eth*", "eth"},
		{"ｶﾀｶﾅ", "[カタ タカ カナ]", "カタカナ"},
		{"pku 清華", "pku* 清華*", "pku·清華"},
		{"  !? ", "", ""},
	} {
		q := ParseQuery(c.in)
		var parts []string
		for _, term := range q.Terms {
			if term.Phrase != nil {
				parts = append(parts, "["+strings.Join(term.Phrase, " ")+"]")
			} else {
				parts = append(parts, term.Prefix+"*")
			}
		}
		if got := strings.Join(parts, " "); got != c.want || q.Key != c.key {
			t.Errorf("ParseQuery(%q) = %q key %q, want %q key %q", c.in, got, q.Key, c.want, c.key)
		}
	}
}

func TestBuild(t *testing.T) {
	q := ParseQuery("東文研 ipmu")
	got := Build(FTS5{}, []string{"up1"}, q, TierAny, 0)
	want := `(("up1·東文 up1·文研" OR "up1¦東文 up1¦文研") AND ("up1·ipmu"* OR "up1¦ipmu"*))`
	if got != want {
		t.Errorf("FTS5:\n got %s\nwant %s", got, want)
	}
	got = Build(TSQuery{}, []string{"ap1", "ad1"}, ParseQuery("o'brien"), TierTitle, 2020)
	want = `(('ap1·o':* & 'ap1·brien':* & 'ap1§2020') | ('ad1·o':* & 'ad1·brien':* & 'ad1§2020'))`
	if got != want {
		t.Errorf("tsquery:\n got %s\nwant %s", got, want)
	}
	if got := Build(FTS5{}, []string{"ip0"}, ParseQuery("ETH"), TierExact, 0); got != `"ip0≡eth"` {
		t.Errorf("exact: %s", got)
	}
	if got := TSVector([]string{"a", "b", "a", "it's"}); got != `'a':1,3 'b':2 'it''s':4` {
		t.Errorf("tsvector: %s", got)
	}
}

func TestSnippet(t *testing.T) {
	marks := func(sp []Span) string {
		var b strings.Builder
		for _, s := range sp {
			if s.Hit {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, c := range []struct{ q, text, want string }{
		{"stockh", "Joint symposium with Stockholm University", "Joint symposium with [Stockh]olm University"},
		{"ETH", "ＥＴＨ Zürich and eth", "[ＥＴＨ] Zürich and [eth]"},
		{"カタカナ", "これはｶﾀｶﾅです", "これは[ｶﾀｶﾅ]です"},
		{"ガ", "ｶﾞｲﾄﾞ", "[ｶﾞ]ｲﾄﾞ"},
		{"農学", "大学院農学生命科学研究科", "大学院[農学]生命科学研究科"},
	} {
		sp, ok := ParseQuery(c.q).Snippet(c.text, 160)
		if got := marks(sp); !ok || got != c.want {
			t.Errorf("Snippet(%q, %q) = %q, want %q", c.q, c.text, got, c.want)
		}
	}
	long := strings.Repeat("word ", 100) + "target " + strings.Repeat("more ", 100)
	sp, _ := ParseQuery("target").Snippet(long, 40)
	got := marks(sp)
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || !strings.Contains(got, "[target]") || len([]rune(got)) > 44 {
		t.Errorf("window: %q", got)
	}
	if _, ok := ParseQuery("absent").Snippet("nothing here", 160); ok {
		t.Error("a text without the query gave a snippet")
	}
}
