package kernel

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Redraw intervals: a notebook cell is cheap to update in place; a terminal
// gets a new line per report, so it gets far fewer.
const (
	notebookInterval = 250 * time.Millisecond
	terminalInterval = 5 * time.Second
)

// Progress reports the progress of a long computation: in a notebook it
// updates one output area in place (a bar, the percentage, elapsed time
// and ETA, at most a few times per second); on a terminal it prints a line
// to stderr every few seconds. It is safe for concurrent use.
type Progress struct {
	title    string
	notebook bool
	id       string    // gonbui display id of the notebook output area
	out      io.Writer // terminal output
	now      func() time.Time
	interval time.Duration

	mu         sync.Mutex
	start      time.Time // of the whole Progress
	started    bool
	stageStart time.Time // of the current stage, for the ETA
	stageDone0 int       // done when the current stage was first seen
	shown      time.Time // last redraw; zero before the first
	done       int
	total      int
	msg        string
	finished   bool
}

// NewProgress starts a progress report titled title; the clock starts now.
func NewProgress(title string) *Progress {
	p := &Progress{
		title:    title,
		notebook: gonbui.IsNotebook,
		out:      os.Stderr,
		now:      time.Now,
		interval: terminalInterval,
	}
	if p.notebook {
		p.id = "mtlp-progress-" + gonbui.UniqueId()
		p.interval = notebookInterval
	}
	p.start = p.now()
	p.stageStart = p.start
	return p
}

// Update records that done of total steps of the current stage msg are
// complete, and redraws if the last redraw is old enough. A new msg, or
// done going backwards, starts a new stage: the ETA is estimated from the
// current stage only (the first stage counts from NewProgress). total <= 0
// means unknown.
func (p *Progress) Update(done, total int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	t := p.now()
	switch {
	case !p.started:
		// The first stage is taken to have started with the Progress.
		p.started = true
	case msg != p.msg || done < p.done || total != p.total:
		p.stageStart, p.stageDone0 = t, done
	}
	p.done, p.total, p.msg = done, total, msg
	stageEnd := total > 0 && done >= total
	// In a notebook a finished stage is always drawn, so short stages are
	// visible; a terminal would only fill up with lines.
	if p.shown.IsZero() || t.Sub(p.shown) >= p.interval || (p.notebook && stageEnd) {
		p.draw(t)
	}
}

// Done marks the work finished and draws the final state, which stays in
// the notebook cell. Later calls to Update or Done do nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.draw(p.now())
}

// Func adapts p to the plain callback that lib/ code takes, so that code
// reports progress without importing this package.
func (p *Progress) Func() func(stage string, done, total int) {
	return func(stage string, done, total int) { p.Update(done, total, stage) }
}

// draw renders the current state; p.mu must be held.
func (p *Progress) draw(t time.Time) {
	p.shown = t
	s := p.state(t)
	if p.notebook {
		gonbui.UpdateHtml(p.id, s.html())
		return
	}
	fmt.Fprintln(p.out, s.text())
}

// progressState is one snapshot of a Progress, as rendered.
type progressState struct {
	title, msg  string
	done, total int
	elapsed     time.Duration
	eta         time.Duration // < 0: unknown
	finished    bool
	// idle is a Progress finished without any report: everything came from the cache.
	idle bool
}

func (p *Progress) state(t time.Time) progressState {
	s := progressState{
		title: p.title, msg: p.msg, done: p.done, total: p.total,
		elapsed: t.Sub(p.start), eta: -1, finished: p.finished, idle: p.finished && !p.started,
	}
	if p.total > 0 && p.done > p.stageDone0 && p.done < p.total {
		perStep := t.Sub(p.stageStart) / time.Duration(p.done-p.stageDone0)
		s.eta = perStep * time.Duration(p.total-p.done)
	} else if p.total > 0 && p.done >= p.total {
		s.eta = 0
	}
	return s
}

// fraction is in [0, 1], or -1 when the total is unknown.
func (s progressState) fraction() float64 {
	if s.total <= 0 {
		if s.finished {
			return 1
		}
		return -1
	}
	return min(max(float64(s.done)/float64(s.total), 0), 1)
}

// timing is "elapsed 1m05s, ETA 12s" or "done in 1m05s".
func (s progressState) timing() string {
	if s.finished {
		return "done in " + formatDuration(s.elapsed)
	}
	out := "elapsed " + formatDuration(s.elapsed)
	if s.eta >= 0 {
		out += ", ETA " + formatDuration(s.eta)
	}
	return out
}

// counts is "3/10", "3" without a total, or what an idle Progress did.
func (s progressState) counts() string {
	switch {
	case s.idle:
		return "nothing to compute (cached)"
	case s.total > 0:
		return fmt.Sprintf("%d/%d", s.done, s.total)
	}
	return fmt.Sprintf("%d", s.done)
}

func (s progressState) text() string {
	const width = 30
	var b strings.Builder
	if s.title != "" {
		b.WriteString(s.title + ": ")
	}
	if s.msg != "" {
		b.WriteString(s.msg + " ")
	}
	if f := s.fraction(); f >= 0 && !s.idle {
		n := int(f * width)
		fmt.Fprintf(&b, "[%s%s] %5.1f%% ", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*f)
	}
	fmt.Fprintf(&b, "%s, %s", s.counts(), s.timing())
	return b.String()
}

func (s progressState) html() string {
	var b strings.Builder
	b.WriteString(`<div style="font-family:monospace;font-size:90%">`)
	if s.title != "" {
		fmt.Fprintf(&b, "<b>%s</b> ", html.EscapeString(s.title))
	}
	if s.msg != "" {
		fmt.Fprintf(&b, "%s ", html.EscapeString(s.msg))
	}
	if f := s.fraction(); f >= 0 && !s.idle {
		fmt.Fprintf(&b, `<span style="display:inline-block;width:16em;height:0.9em;vertical-align:middle;border:1px solid #888;background:#eee">`+
			`<span style="display:block;height:100%%;width:%.1f%%;background:#4a8"></span></span> %.1f%% `, 100*f, 100*f)
	}
	fmt.Fprintf(&b, "%s, %s</div>", s.counts(), html.EscapeString(s.timing()))
	return b.String()
}

// formatDuration rounds d to what a person reads: 850ms, 4.2s, 1m05s, 2h03m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
