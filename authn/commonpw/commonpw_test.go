package commonpw

import (
	"sort"
	"testing"
)

func TestList(t *testing.T) {
	if n := Len(); n < 100_000 {
		t.Fatalf("the list has %d entries, want at least 100,000", n)
	}
	l := loaded()
	if !sort.SliceIsSorted(l.start, func(i, j int) bool { return l.entry(i) < l.entry(j) }) {
		t.Fatal("the list is not sorted bytewise: binary search would miss entries")
	}
	for _, pw := range []string{"password1234", "qwertyuiop12", "passwordpassword", "qwertyuiop", "iloveyou", l.entry(0), l.entry(Len() - 1)} {
		if !Contains(pw) {
			t.Errorf("Contains(%q) = false", pw)
		}
	}
	for _, pw := range []string{"", "a", "tidal mango violin lanterns", "password1234\n", "Password1234", "passwor", "zzzzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if Contains(pw) {
			t.Errorf("Contains(%q) = true", pw)
		}
	}
}

func BenchmarkContains(b *testing.B) {
	loaded()
	words := []string{"password1234", "tidal mango violin lanterns", "qwertyuiop12", "correct horse battery"}
	b.ResetTimer()
	for i := range b.N {
		Contains(words[i%len(words)])
	}
}

// BenchmarkLoad is the one-time cost of the first check in a process.
func BenchmarkLoad(b *testing.B) {
	for range b.N {
		load()
	}
}
