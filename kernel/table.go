package kernel

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/janpfeifer/gonb/gonbui"
)

// Table is a small results table: a title, a header row, data rows and a
// note (provenance, scale, stand-ins) shown under it. Rows may be shorter
// or longer than Header; missing cells render empty.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Note   string
}

// ShowTable displays t as an HTML table in a notebook, or as aligned text
// on stdout anywhere else.
func ShowTable(t Table) {
	if gonbui.IsNotebook {
		gonbui.DisplayHtml(t.HTML())
		gonbui.Sync()
		return
	}
	// A failed write to stdout leaves nothing sensible to report to.
	_ = t.WriteText(os.Stdout)
}

// HTML renders t as a self-contained HTML fragment holding one <table>.
// All text is escaped.
func (t Table) HTML() string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-variant-numeric:tabular-nums">`)
	if t.Title != "" {
		fmt.Fprintf(&b, `<caption style="font-weight:bold;text-align:left">%s</caption>`, html.EscapeString(t.Title))
	}
	width := t.columns()
	if len(t.Header) > 0 {
		b.WriteString("<thead><tr>")
		for i := range width {
			fmt.Fprintf(&b, `<th style="text-align:left;padding:2px 8px;border-bottom:1px solid #888">%s</th>`, html.EscapeString(cell(t.Header, i)))
		}
		b.WriteString("</tr></thead>")
	}
	b.WriteString("<tbody>")
	for _, row := range t.Rows {
		b.WriteString("<tr>")
		for i := range width {
			fmt.Fprintf(&b, `<td style="text-align:left;padding:2px 8px">%s</td>`, html.EscapeString(cell(row, i)))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	if t.Note != "" {
		fmt.Fprintf(&b, `<p style="font-size:smaller;color:#666">%s</p>`, noteHTML(t.Note))
	}
	return b.String()
}

// WriteText writes t to w as plain text with aligned columns: the title,
// the header, a rule, the rows and the note.
func (t Table) WriteText(w io.Writer) error {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	width := t.columns()
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	line := func(row []string) {
		cells := make([]string, width)
		for i := range cells {
			cells[i] = cell(row, i)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if len(t.Header) > 0 {
		line(t.Header)
		rule := make([]string, width)
		for i := range rule {
			rule[i] = strings.Repeat("-", max(len([]rune(cell(t.Header, i))), 3))
		}
		line(rule)
	}
	for _, row := range t.Rows {
		line(row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t.Note != "" {
		b.WriteString(t.Note + "\n")
	}
	// tabwriter pads the last column too; trailing blanks only add noise.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// columns is the widest of the header and the rows.
func (t Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// noteHTML is a note as HTML: escaped, with its `code spans` (commands, flags) set as code.
func noteHTML(note string) string {
	parts := strings.Split(note, "`")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i%2 == 1 && i < len(parts)-1:
			b.WriteString("<code>" + html.EscapeString(p) + "</code>")
		case i%2 == 1: // an unpaired backtick stays as written
			b.WriteString("`" + html.EscapeString(p))
		default:
			b.WriteString(html.EscapeString(p))
		}
	}
	return b.String()
}
