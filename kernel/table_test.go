package kernel

import (
	"strings"
	"testing"
)

func TestTableWriteText(t *testing.T) {
	tests := []struct {
		name  string
		table Table
		want  string
	}{
		{
			name: "aligned with title and note",
			table: Table{
				Title:  "Table 2",
				Header: []string{"labels", "paper", "ours"},
				Rows:   [][]string{{"250", "71.3", "70.9"}, {"4000", "88.9", "-"}},
				Note:   "scale=smoke",
			},
			want: "Table 2\n" +
				"labels  paper  ours\n" +
				"------  -----  ----\n" +
				"250     71.3   70.9\n" +
				"4000    88.9   -\n" +
				"scale=smoke\n",
		},
		{
			name:  "ragged rows padded",
			table: Table{Header: []string{"a"}, Rows: [][]string{{"1", "2"}, {}}},
			want:  "a\n---  ---\n1    2\n\n",
		},
		{
			name:  "empty",
			table: Table{},
			want:  "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tc.table.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("WriteText:\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestTableHTML(t *testing.T) {
	got := Table{
		Title:  "a <b>",
		Header: []string{"x", "y"},
		Rows:   [][]string{{"1 & 2"}},
		Note:   "n",
	}.HTML()
	for _, want := range []string{"<table", "<caption", "a &lt;b&gt;", "<th", ">1 &amp; 2</td><td", "</table>", ">n</p>"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<b>") {
		t.Errorf("HTML() did not escape the title:\n%s", got)
	}
}

func TestNoteHTML(t *testing.T) {
	for _, tc := range []struct{ note, want string }{
		{"plain <b>", "plain &lt;b&gt;"},
		{"run `mt repro --table 2` again", "run <code>mt repro --table 2</code> again"},
		{"`a` and `b<c`", "<code>a</code> and <code>b&lt;c</code>"},
		{"one ` alone", "one ` alone"},
	} {
		if got := noteHTML(tc.note); got != tc.want {
			t.Errorf("noteHTML(%q) = %q, want %q", tc.note, got, tc.want)
		}
	}
}
