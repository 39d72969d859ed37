package report

import (
	"io"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// BenchmarkFontSetup is what the two fonts cost one document: fpdf parses
// each TrueType file when it is added (it cannot share a parsed font
// between documents) and subsets it on output. A page of one word.
func BenchmarkFontSetup(b *testing.B) {
	for b.Loop() {
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.AddUTF8FontFromBytes(family, "", regularTTF)
		pdf.AddUTF8FontFromBytes(family, "B", boldTTF)
		pdf.AddPage()
		pdf.SetFont(family, "", 10)
		pdf.CellFormat(20, 5, "年次報告", "", 0, "L", false, 0, "")
		pdf.SetFont(family, "B", 10)
		pdf.CellFormat(20, 5, "Report", "", 0, "L", false, 0, "")
		if err := pdf.Output(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
