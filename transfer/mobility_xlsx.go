package transfer

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// mobXLSXOptions bound what opening a workbook may unpack: 64 MB in all (a zip
// bomb is refused before it is unpacked, by the sizes its entries declare,
// and archive/zip refuses an entry that unpacks to more than it declared),
// and a sheet over 16 MB goes to a temporary file rather than to memory.
// Rows are read as stored (RawCellValue), not as a number format shows them.
var mobXLSXOptions = excelize.Options{UnzipSizeLimit: mobMaxXLSXBytes, UnzipXMLSizeLimit: mobMaxXLSXXML}

// errMobPanic stands for a panic of the spreadsheet library on a malformed file.
var errMobPanic = errors.New("excelize panicked")

// mobSafely runs f, turning a panic of the spreadsheet library into an error:
// a crafted file must not take the server down.
func mobSafely(f func() error) (err error) {
	defer func() {
		if recover() != nil {
			err = errMobPanic
		}
	}()
	return f()
}

func (p *mobParser) readXLSX(r io.Reader) {
	b, err := io.ReadAll(io.LimitReader(r, mobMaxXLSXBytes+1))
	if err != nil {
		p.fail(0, mobKeyUnreadable)
		return
	}
	if len(b) > mobMaxXLSXBytes {
		p.fail(0, mobKeyXLSXTooLarge, mobMaxXLSXBytes>>20)
		return
	}
	if len(b) == 0 {
		p.fail(0, mobKeyEmptyFile)
		return
	}
	if key := mobCheckZip(b); key != "" {
		switch key {
		case mobKeyXLSXTooLarge:
			p.fail(0, key, mobMaxXLSXBytes>>20)
		case mobKeyXLSXTooManyEntries:
			p.fail(0, key, mobMaxXLSXEntries)
		default:
			p.fail(0, key)
		}
		return
	}
	var f *excelize.File
	err = mobSafely(func() (err error) {
		f, err = excelize.OpenReader(bytes.NewReader(b), mobXLSXOptions)
		return err
	})
	if f != nil {
		defer mobSafely(f.Close) // removes the temporary files of large sheets
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "unzip size exceeds") {
			p.fail(0, mobKeyXLSXTooLarge, mobMaxXLSXBytes>>20)
		} else {
			p.fail(0, mobKeyNotXLSX)
		}
		return
	}
	b = nil
	var sheets []string
	_ = mobSafely(func() error { sheets = f.GetSheetList(); return nil })
	if len(sheets) == 0 {
		p.fail(0, mobKeyNoSheet)
		return
	}
	var rows *excelize.Rows
	if err := mobSafely(func() (err error) { rows, err = f.Rows(sheets[0]); return err }); err != nil {
		p.fail(0, mobKeyNotXLSX)
		return
	}
	defer mobSafely(rows.Close)
	raw := excelize.Options{RawCellValue: true}
	row := 0
	for !p.stopped {
		var cells []string
		var more bool
		err := mobSafely(func() (err error) {
			if more = rows.Next(); more {
				cells, err = rows.Columns(raw)
			}
			return err
		})
		if !more && err == nil {
			break
		}
		row++ // Next visits every row number, empty ones too
		switch {
		case errors.Is(err, errMobPanic):
			p.fail(0, mobKeyNotXLSX)
			return
		case err != nil:
			p.rows++
			p.emit(partnerhub.Mobility{}, []RowError{{Row: row, Key: mobKeyUnreadableRow}})
		case mobBlank(cells):
		case !p.header:
			if !p.readHeader(cells, row) {
				return
			}
		default:
			p.record(cells, row)
		}
		if p.progress != nil && row%mobProgressEvery == 0 {
			p.progress(int64(row))
		}
	}
	if p.stopped {
		return
	}
	if err := rows.Error(); err != nil {
		p.fail(0, mobKeyNotXLSX)
		return
	}
	switch {
	case !p.header:
		p.fail(0, mobKeyEmptySheet, sheets[0])
	case p.rows == 0:
		p.fail(0, mobKeyNoData)
	}
	if p.progress != nil {
		p.progress(int64(row))
	}
}

// mobCheckZip unpacks every entry of a workbook to nothing before the
// spreadsheet library sees it: the library takes an entry that is cut short,
// fails its checksum or unpacks to more than it declares as it comes, which
// would import part of a damaged file. The declared sizes, which archive/zip
// holds each entry to, must add up to at most mobMaxXLSXBytes. An OLE file (an
// old .xls, or a workbook encrypted with a password) is not read.
func mobCheckZip(b []byte) (key string) {
	if bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) {
		return mobKeyNotXLSX
	}
	// archive/zip reads the whole central directory before anything can be
	// checked, so a small file that lists a million empty entries would cost
	// hundreds of megabytes: count the entries from the end record first.
	switch n, ok := zipEntries(b); {
	case !ok:
		return mobKeyNotXLSX
	case n > mobMaxXLSXEntries:
		return mobKeyXLSXTooManyEntries
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) > mobMaxXLSXEntries {
		return mobKeyNotXLSX
	}
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > mobMaxXLSXBytes {
			return mobKeyXLSXTooLarge
		}
		if total += f.UncompressedSize64; total > mobMaxXLSXBytes {
			return mobKeyXLSXTooLarge
		}
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return mobKeyNotXLSX
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return mobKeyNotXLSX
		}
	}
	return ""
}

// zipEntries reads the number of entries an archive declares in its end of
// central directory record, which sits in the last 22 bytes plus a comment
// of at most 65,535 bytes. A count of 0xFFFF means "see the ZIP64 record":
// no workbook has that many parts, so it is reported as too many.
func zipEntries(b []byte) (n int, ok bool) {
	const eocdLen, maxComment = 22, 0xFFFF
	start := max(0, len(b)-eocdLen-maxComment)
	i := bytes.LastIndex(b[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(b) {
		return 0, false
	}
	rec := b[start+i:]
	return int(binary.LittleEndian.Uint16(rec[10:12])), true
}
