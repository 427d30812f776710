package kernel

import (
	"strings"
	"testing"
	"time"
)

// fakeClock is advanced by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTerminalProgress(title string, clock *fakeClock, out *strings.Builder) *Progress {
	p := NewProgress(title)
	p.notebook = false
	p.interval = terminalInterval
	p.out = out
	p.now = clock.now
	p.start = clock.now()
	p.stageStart = p.start
	return p
}

func TestProgressTerminal(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	var out strings.Builder
	p := newTerminalProgress("train", clock, &out)
	report := p.Func()
	for i := 1; i <= 10; i++ {
		clock.advance(time.Second)
		report("epoch", i, 10)
	}
	p.Done()
	p.Update(1, 1, "ignored after Done")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"train: epoch [###...........................]  10.0% 1/10, elapsed 1.0s, ETA 9.0s",
		"train: epoch [##################............]  60.0% 6/10, elapsed 6.0s, ETA 4.0s",
		"train: epoch [##############################] 100.0% 10/10, done in 10.0s",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d (one per %v plus the final one):\n%s", len(lines), len(want), terminalInterval, out.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], want[i])
		}
	}
}

func TestProgressETAPerStage(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	var out strings.Builder
	p := newTerminalProgress("", clock, &out)
	clock.advance(time.Minute)
	p.Update(1, 1, "load") // a slow first stage must not bias the next one
	p.Update(0, 4, "features")
	clock.advance(2 * time.Second)
	p.Update(1, 4, "features")
	s := p.state(clock.now())
	if s.eta != 6*time.Second {
		t.Errorf("ETA = %v, want 6s", s.eta)
	}
	if s.elapsed != 62*time.Second {
		t.Errorf("elapsed = %v, want 1m02s", s.elapsed)
	}
}

func TestProgressStateRendering(t *testing.T) {
	tests := []struct {
		name     string
		s        progressState
		wantText string
		wantHTML []string
	}{
		{
			name:     "unknown total",
			s:        progressState{title: "scan", done: 7, elapsed: 1500 * time.Millisecond, eta: -1},
			wantText: "scan: 7, elapsed 1.5s",
			wantHTML: []string{"<b>scan</b>", "7, elapsed 1.5s"},
		},
		{
			name:     "escaped",
			s:        progressState{title: "<x>", msg: "a&b", done: 1, total: 2, elapsed: time.Second, eta: time.Second},
			wantText: "<x>: a&b [###############...............]  50.0% 1/2, elapsed 1.0s, ETA 1.0s",
			wantHTML: []string{"&lt;x&gt;", "a&amp;b", "width:50.0%", "1/2, elapsed 1.0s, ETA 1.0s"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.text(); got != tc.wantText {
				t.Errorf("text() = %q, want %q", got, tc.wantText)
			}
			h := tc.s.html()
			for _, w := range tc.wantHTML {
				if !strings.Contains(h, w) {
					t.Errorf("html() lacks %q:\n%s", w, h)
				}
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Millisecond, "850ms"},
		{4200 * time.Millisecond, "4.2s"},
		{65 * time.Second, "1m05s"},
		{2*time.Hour + 3*time.Minute + 10*time.Second, "2h03m"},
	}
	for _, tc := range tests {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestProgressIdle checks a Progress finished without any report (every stage cached): it
// says so, with no bar and no count of 0.
func TestProgressIdle(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	var out strings.Builder
	p := newTerminalProgress("table 2", clock, &out)
	clock.advance(2 * time.Millisecond)
	p.Done()
	if got, want := strings.TrimSpace(out.String()), "table 2: nothing to compute (cached), done in 2ms"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if h := p.state(clock.now()).html(); strings.Contains(h, "100.0%") || !strings.Contains(h, "nothing to compute") {
		t.Errorf("html %q: want no bar and the cached note", h)
	}
}
