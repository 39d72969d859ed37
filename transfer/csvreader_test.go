package transfer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"testing"

	"partnerhub"
)

// csvRecord is a record or the error that came with it, with the line it
// started on.
type csvRecord struct {
	Fields []string
	Start  int
	Err    string // "" or the error
}

// readAllOurs reads data with mobCSVReader, fieldsPerRecord fixed by the
// first record as readCSV fixes it by the header.
func readAllOurs(data []byte, bufSize int) []csvRecord {
	c := newMobCSVReader(bufio.NewReaderSize(bytes.NewReader(data), bufSize))
	var out []csvRecord
	for first := true; ; first = false {
		rec, err := c.read()
		if err == io.EOF {
			return out
		}
		r := csvRecord{Fields: append([]string(nil), rec...), Start: c.startLine()}
		if err != nil {
			r.Err = err.Error()
		}
		out = append(out, r)
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return out
		}
		if first {
			c.fieldsPerRecord = len(rec)
		}
	}
}

// readAllStd is readAllOurs with encoding/csv.
func readAllStd(data []byte, bufSize int) []csvRecord {
	c := csv.NewReader(bufio.NewReaderSize(bytes.NewReader(data), bufSize))
	c.ReuseRecord, c.FieldsPerRecord = true, -1
	var out []csvRecord
	for first := true; ; first = false {
		rec, err := c.Read()
		if err == io.EOF {
			return out
		}
		r := csvRecord{Fields: append([]string(nil), rec...)}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.Start = pe.StartLine
		} else if len(rec) > 0 {
			r.Start, _ = c.FieldPos(0)
		}
		if err != nil {
			r.Err = err.Error()
		}
		out = append(out, r)
		if err != nil && pe == nil {
			return out
		}
		if first {
			c.FieldsPerRecord = len(rec)
		}
	}
}

func TestCSVReaderAsEncodingCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []csvRecord
	}{
		{"plain", "a,b,c\n1,2,3\n", []csvRecord{{[]string{"a", "b", "c"}, 1, ""}, {[]string{"1", "2", "3"}, 2, ""}}},
		{"no final newline", "a,b\n1,2", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"1", "2"}, 2, ""}}},
		{"CRLF", "a,b\r\n1,2\r\n", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"1", "2"}, 2, ""}}},
		{"CR before the end", "a,b\n1,2\r", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"1", "2"}, 2, ""}}},
		{"empty fields", "a,b,c\n,,\n", []csvRecord{{[]string{"a", "b", "c"}, 1, ""}, {[]string{"", "", ""}, 2, ""}}},
		{"empty lines skipped, counted", "a,b\n\n\r\n1,2\n", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"1", "2"}, 4, ""}}},
		{"quoted", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"x,y", `say "hi"`}, 2, ""}}},
		{"line break in quotes", "a,b\n\"1\r\n2\",3\n4,5\n",
			[]csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"1\n2", "3"}, 2, ""}, {[]string{"4", "5"}, 4, ""}}},
		{"empty quoted", "a,b\n\"\",\"\"\n", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"", ""}, 2, ""}}},
		{"wrong field count", "a,b\n1\n2,3\n", []csvRecord{{[]string{"a", "b"}, 1, ""},
			{[]string{"1"}, 2, "record on line 2: wrong number of fields"}, {[]string{"2", "3"}, 3, ""}}},
		{"bare quote", "a,b\n1,x\"y\n2,3\n", []csvRecord{{[]string{"a", "b"}, 1, ""},
			{[]string{"1"}, 2, `parse error on line 2, column 4: bare " in non-quoted-field`}, {[]string{"2", "3"}, 3, ""}}},
		{"quote after a quoted field", "a,b\n\"1\"x,2\n3,4\n", []csvRecord{{[]string{"a", "b"}, 1, ""},
			{[]string{}, 2, `parse error on line 2, column 3: extraneous or missing " in quoted-field`}, {[]string{"3", "4"}, 3, ""}}},
		{"open quote at the end", "a,b\n1,\"2\n3\n", []csvRecord{{[]string{"a", "b"}, 1, ""},
			{[]string{"1"}, 2, `record on line 2; parse error on line 3, column 3: extraneous or missing " in quoted-field`}}},
		{"bad UTF-8 kept", "a,b\n\xff,\"\xfe\"\n", []csvRecord{{[]string{"a", "b"}, 1, ""}, {[]string{"\xff", "\xfe"}, 2, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			std := readAllStd([]byte(tc.in), 16)
			for i := range std {
				if len(std[i].Fields) == 0 {
					std[i].Fields = []string{}
				}
			}
			if !reflect.DeepEqual(std, tc.want) {
				t.Fatalf("the test is wrong: encoding/csv reads %#v", std)
			}
			for _, size := range []int{16, 4096} { // lines longer than the buffer, and not
				got := readAllOurs([]byte(tc.in), size)
				for i := range got {
					if len(got[i].Fields) == 0 {
						got[i].Fields = []string{}
					}
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("buffer %d: got %#v, want %#v", size, got, tc.want)
				}
			}
		})
	}
}

// The errors of a mobility file by row and column are those of the
// encoding/csv reader it replaced: bad quotes, a row of the wrong length, a
// line that is not UTF-8 (in a quoted field too), a BOM dropped.
func TestCSVReaderRowErrors(t *testing.T) {
	in := "\ufeff" + mobHead +
		"NTU,,,2021,outbound,graduate,exchange,1\r\n" +
		"NTU,,,2021,\"in\"bound,graduate,exchange,1\r\n" + // 3: a quote after a quoted field
		"NTU,,,2022,out\"bound,graduate,exchange,1\r\n" + // 4: a quote in an unquoted field
		"NTU,,,2023,outbound,graduate,exchange\r\n" + // 5: a field short
		"\"NTU\",\"\",,\"2024\",\"outbound\",graduate,\"exch\r\nange\",1\r\n" + // 6-7: the value has a line break
		"\"NTU\",\"\",,\"2025\",\"outbound\",graduate,\"exchange\",\"1\"\r\n" // 8
	figs, errs := mobReadAll(t, []byte(in), "csv")
	want := []RowError{
		mobRowErr(3, "", mobKeyBadQuotes),
		mobRowErr(4, "", mobKeyBadQuotes),
		mobRowErr(5, "", mobKeyWrongFieldCount, 7, 8),
		mobRowErr(6, "programme", mobKeyBadProgramme, "exch\nange"),
	}
	if !reflect.DeepEqual(errs, want) || len(figs) != 2 {
		t.Fatalf("figures %v, problems %v", figs, mobFmtErrs(errs))
	}
	bad := mobHead + "NTU,,,2021,outbound,graduate,exchange,1\n\"NTU\",,,2021,\"out\xffbound\",graduate,exchange,1\n"
	if _, errs := mobReadAll(t, []byte(bad), "csv"); !reflect.DeepEqual(errs, []RowError{mobRowErr(0, "", mobKeyNotUTF8, 3)}) {
		t.Fatalf("problems %v", mobFmtErrs(errs))
	}
}

// FuzzCSVReader compares mobCSVReader with encoding/csv: the same records,
// lines and errors, with a buffer shorter than some lines and one longer.
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n", "a,\"b\nc\",d\r\n\"\"\"\",,\n", "a,b\n1,x\"y\n", "a\n\"1\"x\n", "a\n\"open\n", "\n\n,\n\r\n\r",
		"\ufeff" + mobHead + "NTU,\"K\"\"TH\",,2021,outbound,graduate,exchange,1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int{16, 4096} {
			std, ours := readAllStd(data, size), readAllOurs(data, size)
			if !reflect.DeepEqual(std, ours) {
				t.Fatalf("buffer %d, %q:\nencoding/csv %#v\nours         %#v", size, data, std, ours)
			}
		}
	})
}

func BenchmarkCSVReader(b *testing.B) {
	x := mobIndex(b)
	data := mobBenchCSV(x, 200_000)
	b.SetBytes(int64(len(data)))
	b.Run("encoding/csv", func(b *testing.B) {
		for b.Loop() {
			c := csv.NewReader(bufio.NewReaderSize(bytes.NewReader(data), mobCSVBuffer))
			c.ReuseRecord = true
			for _, err := c.Read(); err != io.EOF; _, err = c.Read() {
			}
		}
	})
	b.Run("mobCSVReader", func(b *testing.B) {
		for b.Loop() {
			c := newMobCSVReader(bufio.NewReaderSize(bytes.NewReader(data), mobCSVBuffer))
			for _, err := c.read(); err != io.EOF; _, err = c.read() {
			}
		}
	})
}

// Ahead gives every figure and problem in the order read, from batches it
// uses again, and stops the reading when the consumer stops.
func TestAhead(t *testing.T) {
	const n = 50_000 // far more than Ahead reads ahead
	ended := make(chan int, 1)
	seq := func(yield func(Figure, []RowError) bool) {
		i := 0
		defer func() { ended <- i }()
		for ; i < n; i++ {
			var errs []RowError
			if i%7 == 0 {
				errs = []RowError{{Row: i, Key: mobKeyBadYear}}
			}
			if !yield(Figure{Row: i, Mobility: partnerhub.Mobility{Year: 2000 + i%30, Count: i}}, errs) {
				return
			}
		}
	}
	i := 0
	for f, errs := range Ahead(seq) {
		if f.Row != i || f.Mobility.Count != i || f.Mobility.Year != 2000+i%30 || (len(errs) == 1) != (i%7 == 0) ||
			(len(errs) == 1 && errs[0].Row != i) {
			t.Fatalf("item %d: %+v %v", i, f, errs)
		}
		i++
	}
	if i != n || <-ended != n {
		t.Fatalf("%d items", i)
	}
	i = 0
	for range Ahead(seq) {
		if i++; i == 1500 {
			break
		}
	}
	if read := <-ended; read >= n {
		t.Fatalf("the reading went on to the end (%d) after the consumer stopped", read)
	}
}
