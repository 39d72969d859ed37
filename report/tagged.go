package report

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// fpdf writes no structure tree and has no hook into the document
// catalog, so the tree is added afterwards as an incremental update (PDF
// 32000-1, 7.5.6): the finished file is kept byte for byte, and appended
// to it are the structure elements, a new version of each page (with its
// /StructParents) and of the catalog (with /StructTreeRoot, /MarkInfo
// and /Lang), a cross-reference section for them and a trailer whose
// /Prev points at the original one. The marked content the elements point
// at was written into the pages as they were drawn (doc.tagged).

var (
	startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	sizeRE      = regexp.MustCompile(`/Size (\d+)`)
	rootRE      = regexp.MustCompile(`/Root (\d+) 0 R`)
	infoRE      = regexp.MustCompile(`/Info (\d+) 0 R`)
	kidsRE      = regexp.MustCompile(`/Kids \[([^\]]*)\]`)
	refRE       = regexp.MustCompile(`(\d+) 0 R`)
	fontNameRE  = regexp.MustCompile(`/utf8` + family + `(B?)([\s/>])`)
)

// tag appends the structure tree of elems to the PDF in pdf.
func tag(pdf []byte, elems []elem, lang string) ([]byte, error) {
	m := startxrefRE.FindSubmatch(pdf)
	if m == nil {
		return nil, errors.New("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref <= 0 || xref >= len(pdf) {
		return nil, errors.New("bad startxref")
	}
	offsets, trailer, err := readXref(pdf[xref:])
	if err != nil {
		return nil, err
	}
	num := func(re *regexp.Regexp) int {
		if m := re.FindSubmatch(trailer); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			return n
		}
		return 0
	}
	size, root, info := num(sizeRE), num(rootRE), num(infoRE)
	if size == 0 || root == 0 {
		return nil, errors.New("trailer without /Size or /Root")
	}
	object := func(n int) ([]byte, error) {
		if n <= 0 || n >= len(offsets) || offsets[n] <= 0 || offsets[n] >= len(pdf) {
			return nil, fmt.Errorf("object %d not in the cross-reference table", n)
		}
		b := pdf[offsets[n]:]
		start := bytes.Index(b, []byte("obj"))
		end := bytes.Index(b, []byte("endobj"))
		if start < 0 || end < start {
			return nil, fmt.Errorf("object %d unreadable", n)
		}
		return bytes.TrimSpace(b[start+3 : end]), nil
	}
	catalog, err := object(root)
	if err != nil {
		return nil, err
	}
	pagesRef := regexp.MustCompile(`/Pages (\d+) 0 R`).FindSubmatch(catalog)
	if pagesRef == nil {
		return nil, errors.New("catalog without /Pages")
	}
	pn, _ := strconv.Atoi(string(pagesRef[1]))
	pages, err := object(pn)
	if err != nil {
		return nil, err
	}
	kids := kidsRE.FindSubmatch(pages)
	if kids == nil {
		return nil, errors.New("page tree without /Kids")
	}
	var pageObjs []int
	for _, r := range refRE.FindAllSubmatch(kids[1], -1) {
		n, _ := strconv.Atoi(string(r[1]))
		pageObjs = append(pageObjs, n)
	}

	// Object numbers: the tree's root, the document element, the parent
	// tree, then one per element.
	treeN, docN, parentN := size, size+1, size+2
	elemN := func(i int) int { return size + 3 + i }
	newSize := size + 3 + len(elems)

	objs := map[int][]byte{}
	var kidsOfDoc bytes.Buffer
	byPage := map[int][]int{} // page index (0-based) -> element object numbers, by MCID
	for i, e := range elems {
		if e.page < 1 || e.page > len(pageObjs) {
			return nil, fmt.Errorf("element on page %d of %d", e.page, len(pageObjs))
		}
		objs[elemN(i)] = fmt.Appendf(nil, "<</Type /StructElem /S /%s /P %d 0 R /Pg %d 0 R /K %d>>",
			e.typ, docN, pageObjs[e.page-1], e.mcid)
		fmt.Fprintf(&kidsOfDoc, "%d 0 R ", elemN(i))
		list := byPage[e.page-1]
		for len(list) <= e.mcid {
			list = append(list, 0)
		}
		list[e.mcid] = elemN(i)
		byPage[e.page-1] = list
	}
	objs[treeN] = fmt.Appendf(nil, "<</Type /StructTreeRoot /K %d 0 R /ParentTree %d 0 R /ParentTreeNextKey %d>>",
		docN, parentN, len(pageObjs))
	objs[docN] = fmt.Appendf(nil, "<</Type /StructElem /S /Document /P %d 0 R /K [%s]>>", treeN, bytes.TrimSpace(kidsOfDoc.Bytes()))
	var nums bytes.Buffer
	for i := range pageObjs {
		list, ok := byPage[i]
		if !ok {
			continue
		}
		fmt.Fprintf(&nums, "%d [", i)
		for _, n := range list {
			if n == 0 {
				nums.WriteString("null ")
			} else {
				fmt.Fprintf(&nums, "%d 0 R ", n)
			}
		}
		nums.WriteString("] ")
	}
	objs[parentN] = fmt.Appendf(nil, "<</Nums [%s]>>", bytes.TrimSpace(nums.Bytes()))

	// Each page again, with the key of its entry in the parent tree.
	for i, n := range pageObjs {
		b, err := object(n)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, []byte("<<")) {
			return nil, fmt.Errorf("page object %d is not a dictionary", n)
		}
		objs[n] = slices.Concat([]byte("<</StructParents "+strconv.Itoa(i)+"\n"), b[2:])
	}
	// The fonts again, named as the subsets they are: fpdf embeds only
	// the glyphs used but names the font without the tag (six capitals
	// and a plus, PDF 32000-1, 9.6.4) that tells readers it is a subset.
	sum := sha256.Sum256(pdf)
	for n := 1; n < len(offsets); n++ {
		if offsets[n] == 0 || objs[n] != nil {
			continue
		}
		b, err := object(n)
		if err != nil || bytes.Contains(b, []byte("stream")) || !fontNameRE.Match(b) {
			continue
		}
		objs[n] = fontNameRE.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := fontNameRE.FindSubmatch(m)
			style, name := 0, "BIZUDPGothic-Regular"
			if len(sub[1]) > 0 {
				style, name = 1, "BIZUDPGothic-Bold"
			}
			tag := make([]byte, 6)
			for i := range tag {
				tag[i] = 'A' + sum[style*6+i]%26
			}
			return slices.Concat([]byte("/"), tag, []byte("+"+name), sub[2])
		})
	}
	// The catalog again, marked and pointing at the tree.
	if !bytes.HasSuffix(catalog, []byte(">>")) {
		return nil, errors.New("catalog is not a dictionary")
	}
	extra := fmt.Sprintf("/StructTreeRoot %d 0 R\n/MarkInfo <</Marked true>>\n", treeN)
	if !bytes.Contains(catalog, []byte("/Lang")) {
		extra += "/Lang (" + lang + ")\n"
	}
	objs[root] = slices.Concat(catalog[:len(catalog)-2], []byte(extra), []byte(">>"))

	out := bytes.NewBuffer(make([]byte, 0, len(pdf)+64*len(objs)+4096))
	out.Write(pdf)
	if !bytes.HasSuffix(pdf, []byte("\n")) {
		out.WriteByte('\n')
	}
	numbers := make([]int, 0, len(objs))
	for n := range objs {
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	at := map[int]int{}
	for _, n := range numbers {
		at[n] = out.Len()
		fmt.Fprintf(out, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	newXref := out.Len()
	out.WriteString("xref\n")
	for i := 0; i < len(numbers); {
		j := i
		for j+1 < len(numbers) && numbers[j+1] == numbers[j]+1 {
			j++
		}
		fmt.Fprintf(out, "%d %d\n", numbers[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(out, "%010d 00000 n \n", at[numbers[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(out, "trailer\n<<\n/Size %d\n/Root %d 0 R\n", newSize, root)
	if info != 0 {
		fmt.Fprintf(out, "/Info %d 0 R\n", info)
	}
	fmt.Fprintf(out, "/Prev %d\n>>\nstartxref\n%d\n%%%%EOF\n", xref, newXref)
	return out.Bytes(), nil
}

// readXref reads a classic cross-reference table (one section, as fpdf
// writes it) and the trailer dictionary after it.
func readXref(b []byte) (offsets []int, trailer []byte, err error) {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) < 3 || string(bytes.TrimSpace(lines[0])) != "xref" {
		return nil, nil, errors.New("no xref table")
	}
	i := 1
	for i < len(lines) {
		f := bytes.Fields(lines[i])
		if len(f) == 1 && string(f[0]) == "trailer" {
			end := bytes.Index(b, []byte("startxref"))
			t := bytes.Index(b, []byte("trailer"))
			if end < t {
				return nil, nil, errors.New("bad trailer")
			}
			return offsets, b[t:end], nil
		}
		if len(f) != 2 {
			return nil, nil, errors.New("bad xref subsection")
		}
		first, err1 := strconv.Atoi(string(f[0]))
		count, err2 := strconv.Atoi(string(f[1]))
		if err1 != nil || err2 != nil || i+count >= len(lines) {
			return nil, nil, errors.New("bad xref subsection")
		}
		for len(offsets) < first+count {
			offsets = append(offsets, 0)
		}
		for k := range count {
			e := bytes.Fields(lines[i+1+k])
			if len(e) == 3 && string(e[2]) == "n" {
				offsets[first+k], _ = strconv.Atoi(string(e[0]))
			}
		}
		i += 1 + count
	}
	return nil, nil, errors.New("no trailer")
}
