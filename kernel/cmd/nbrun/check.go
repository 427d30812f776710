package main

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// notebook is the part of an nbformat 4 notebook that the checks read.
type notebook struct {
	Cells []nbCell `json:"cells"`
}

type nbCell struct {
	CellType string     `json:"cell_type"`
	Source   multiline  `json:"source"`
	Outputs  []nbOutput `json:"outputs"`
}

type nbOutput struct {
	OutputType string               `json:"output_type"`
	Name       string               `json:"name"` // stream: stdout or stderr
	Text       multiline            `json:"text"` // stream
	Data       map[string]multiline `json:"data"` // display_data, execute_result
	EName      string               `json:"ename"`
	EValue     string               `json:"evalue"`
	Traceback  []string             `json:"traceback"`
}

// multiline is nbformat's text: one string, or a list of strings to join.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		// Other JSON (a dict under application/json, say) is kept raw:
		// the checks only search text.
		*m = multiline(b)
		return nil
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// failure is one reason a notebook did not pass.
type failure struct {
	Cell   int    // index in the notebook's cells, from 0
	Source string // the cell's first line, to find it by eye
	Reason string
}

func (f failure) String() string {
	return fmt.Sprintf("cell %d (%s): %s", f.Cell, f.Source, f.Reason)
}

// Expectation markers: a line `// expect: table, image` in a code cell.
var expectLine = regexp.MustCompile(`(?m)^\s*//\s*expect:\s*(.*?)\s*$`)

// Output kinds a cell can be expected to produce.
const (
	expectTable = "table" // an HTML <table>
	expectImage = "image" // image/png, image/svg+xml, or an inline <svg> in HTML (gonbui.DisplaySVG)
)

var (
	// A Go panic or runtime fatal error in the cell program.
	panicLine = regexp.MustCompile(`(?m)^(panic: |fatal error: )`)
	// GoNB writes "exit status N" (or "signal: killed") to stderr when a
	// cell program or a `!` shell command exits non-zero; it does not turn
	// that into an error output.
	exitLine = regexp.MustCompile(`(?m)^(exit status [0-9]+|signal: [a-z ]+)\s*$`)
	// GoNB's HTML report of a compile or `go get` error.
	gonbErrMarker = "gonb-err-"
	tableTag      = regexp.MustCompile(`(?i)<table[\s>]`)
	svgTag        = regexp.MustCompile(`(?i)<svg[\s>]`)
	htmlTags      = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)
	ansiEscapes   = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
	blankRuns     = regexp.MustCompile(`\n\s*\n+`)
)

// maxReason bounds the error text quoted from one output.
const maxReason = 3000

// parseNotebook reads an nbformat 4 notebook.
func parseNotebook(data []byte) (*notebook, error) {
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("not a notebook (JSON): %w", err)
	}
	return &nb, nil
}

// check returns every reason nb, as executed, fails: error outputs,
// panics, non-zero exits, GoNB compile errors, and outputs that a cell's
// `// expect:` line asks for but that are missing.
func check(nb *notebook) []failure {
	var fails []failure
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		fail := func(reason string) {
			fails = append(fails, failure{Cell: i, Source: firstLine(string(c.Source)), Reason: clip(reason)})
		}
		want, err := expectations(string(c.Source))
		if err != nil {
			fail(err.Error())
		}
		found := map[string]bool{}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				fail(fmt.Sprintf("error output %s: %s\n%s", o.EName, o.EValue, plain(strings.Join(o.Traceback, "\n"))))
			case "stream":
				text := string(o.Text)
				if o.Name == "stderr" && panicLine.MatchString(text) {
					fail("panic on stderr:\n" + plain(text[panicLine.FindStringIndex(text)[0]:]))
				} else if o.Name == "stderr" && exitLine.MatchString(text) {
					fail("non-zero exit, stderr:\n" + plain(text))
				}
			case "display_data", "execute_result", "update_display_data":
				h := string(o.Data["text/html"])
				if strings.Contains(h, gonbErrMarker) {
					fail("GoNB error report:\n" + plain(h))
				}
				if tableTag.MatchString(h) {
					found[expectTable] = true
				}
				if _, ok := o.Data["image/png"]; ok || svgTag.MatchString(h) {
					found[expectImage] = true
				}
				if _, ok := o.Data["image/svg+xml"]; ok {
					found[expectImage] = true
				}
			}
		}
		for _, w := range want {
			if !found[w] {
				fail(fmt.Sprintf("expected %s output is missing (the cell says `// expect: %s`)", describe(w), w))
			}
		}
	}
	return fails
}

// expectations lists the output kinds that source's `// expect:` lines ask for.
func expectations(source string) ([]string, error) {
	var kinds []string
	for _, m := range expectLine.FindAllStringSubmatch(source, -1) {
		for _, k := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' }) {
			switch k {
			case expectTable, expectImage:
				kinds = append(kinds, k)
			default:
				return nil, fmt.Errorf("unknown expectation %q in `// expect: %s` (want %q or %q)", k, m[1], expectTable, expectImage)
			}
		}
	}
	return kinds, nil
}

func describe(kind string) string {
	if kind == expectTable {
		return "an HTML <table>"
	}
	return "an image (image/png, image/svg+xml or inline <svg>)"
}

// plain turns HTML or ANSI-coloured text into readable plain text.
func plain(s string) string {
	s = ansiEscapes.ReplaceAllString(s, "")
	if strings.Contains(s, "<") {
		s = html.UnescapeString(htmlTags.ReplaceAllString(s, ""))
	}
	s = blankRuns.ReplaceAllString(s, "\n")
	return strings.TrimSpace(s)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

func clip(s string) string {
	if len(s) > maxReason {
		return s[:maxReason] + "\n… (truncated)"
	}
	return s
}
