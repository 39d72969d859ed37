// Package commonpw knows the passwords people pick most and the ones
// published in breaches: a list of 474,743 entries (SecLists' top million,
// 8 characters or more, lower-cased), shipped inside the binary compressed.
// See SOURCE.md for where it comes from, its licence, and how to make it
// again.
package commonpw

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed common.txt.gz
var compressed []byte

// MinLen is the length, in bytes, of the shortest entry: shorter strings
// are never in the list.
const MinLen = 8

// list is the decompressed list: the entries joined by '\n', sorted
// bytewise, and where each one starts. One string and one offset per entry
// cost about 4.3 MB and 1.9 MB; a []string would add 16 bytes of header per
// entry, and a map several times that.
type list struct {
	text  string
	start []uint32
}

// loaded decompresses the list the first time a password is checked, once
// per process; it never changes afterwards.
var loaded = sync.OnceValue(load)

func load() *list {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		panic("commonpw: embedded list: " + err.Error()) // a broken build, caught by the tests
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("commonpw: embedded list: " + err.Error())
	}
	text := strings.TrimSuffix(string(b), "\n")
	l := &list{text: text, start: make([]uint32, 0, strings.Count(text, "\n")+1)}
	l.start = append(l.start, 0)
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			l.start = append(l.start, uint32(i+1))
		}
	}
	return l
}

func (l *list) entry(i int) string {
	end := len(l.text)
	if i+1 < len(l.start) {
		end = int(l.start[i+1]) - 1
	}
	return l.text[l.start[i]:end]
}

// Len is the number of entries.
func Len() int { return len(loaded().start) }

// Contains reports whether s, already normalized by the caller (lower
// case), is in the list. It is a binary search: about 19 comparisons.
func Contains(s string) bool {
	if len(s) < MinLen || strings.ContainsRune(s, '\n') {
		return false
	}
	l := loaded()
	i := sort.Search(len(l.start), func(i int) bool { return l.entry(i) >= s })
	return i < len(l.start) && l.entry(i) == s
}
