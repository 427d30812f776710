package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metric-transfer/mtlp/lib/checkpoint/checkpointtest"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/killpoint"
	"github.com/metric-transfer/mtlp/lib/metric"
)

// The kill-and-resume tests run the mt command as a child process (this test binary, see
// TestMain), kill it with SIGKILL at points drawn at random from those an uninterrupted run
// passes (lib/killpoint) and at a random wall-clock time, rerun the same command until it
// finishes, and check that what it leaves equals, bit for bit, what the uninterrupted run left.
//
// `go test` draws a few kill points per command; `make test-resume` draws many:
//
//	go test ./lib/cmd/mt -run KillResume -resume.kills 40 -resume.seed 7
var (
	resumeKills = flag.Int("resume.kills", 2, "kill-and-resume tests: kill points drawn per command")
	resumeSeed  = flag.Uint64("resume.seed", 0, "kill-and-resume tests: seed of the draw (0: from the clock, printed)")
	resumeLong  = flag.Bool("resume.long", false, "kill-and-resume tests: also run the longer commands (Table 2 with its finetuning row)")
)

// mtChild runs mt args in dir with extra environment; killed reports a death by SIGKILL.
type mtChild struct {
	dir string
	env []string
}

func (c mtChild) run(t *testing.T, extra []string, killAfter time.Duration, args ...string) (killed bool, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = c.dir
	cmd.Env = append(append(append(os.Environ(), mainEnv+"=1"), c.env...), extra...)
	if os.Getenv("GOMLX_BACKEND") == "" {
		// The pure-Go backend unless the caller chose one (lib/gpu/resume.sh runs these
		// tests on XLA).
		cmd.Env = append(cmd.Env, "GOMLX_BACKEND=go")
	}
	var errBuf bytes.Buffer
	cmd.Stderr, cmd.Stdout = &errBuf, &errBuf
	if err := cmd.Start(); err != nil {
		return false, "", err
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, errBuf.String(), nil
		}
	}
	return false, errBuf.String(), err
}

// tracedPoint is one line of a killpoint trace: the point's number and name.
type tracedPoint struct {
	n    int
	name string
}

func readTrace(t *testing.T, path string) []tracedPoint {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tracedPoint
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		num, name, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		out = append(out, tracedPoint{n, name})
	}
	return out
}

// resumeCase is a command whose kill-and-resume behaviour is tested.
type resumeCase struct {
	name string
	// args are mt's arguments, run in a fresh folder per run (relative paths land there).
	args []string
	// compare fails t when the outputs in folder got differ from those in want.
	compare func(t *testing.T, want, got string)
	// needs names the dataset folder (under the data directory) the command reads; the case is
	// skipped without it (make setup links them).
	needs string
	long  bool
}

// TestKillResume runs each case uninterrupted, then killed and rerun at drawn points.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kill-and-resume runs the mt command many times")
	}
	seed := *resumeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill points drawn with -resume.seed %d", seed)
	for _, tc := range resumeCases() {
		if tc.long && !*resumeLong {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(data.DataDir(), tc.needs)); err != nil {
				t.Skipf("no %s in %s (make setup links it): %v", tc.needs, data.DataDir(), err)
			}
			// Each command draws its own points: the seed and the command's name.
			h := fnv.New64a()
			h.Write([]byte(tc.name))
			testKillResume(t, tc, rand.New(rand.NewPCG(seed, h.Sum64())))
		})
	}
}

func testKillResume(t *testing.T, tc resumeCase, rng *rand.Rand) {
	// Checkpoints every 2 steps, so that kills land after checkpoints and resumes are real.
	env := []string{"MT_CHECKPOINT_STEPS=2"}
	ref := mtChild{dir: t.TempDir(), env: env}
	tracePath := filepath.Join(t.TempDir(), "trace")
	start := time.Now()
	if _, out, err := ref.run(t, []string{killpoint.EnvTrace + "=" + tracePath}, 0, tc.args...); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	wall := time.Since(start)
	points := readTrace(t, tracePath)
	if len(points) == 0 {
		t.Fatal("the uninterrupted run passed no kill point")
	}
	for _, kill := range drawKills(points, *resumeKills, rng) {
		t.Run(kill.String(), func(t *testing.T) {
			got := mtChild{dir: t.TempDir(), env: env}
			killAfter := time.Duration(0)
			var extra []string
			if kill.at > 0 {
				extra = []string{fmt.Sprintf("%s=%d", killpoint.EnvKillAt, kill.at)}
			} else {
				killAfter = time.Duration(rng.Float64() * float64(wall))
			}
			killed, out, err := got.run(t, extra, killAfter, tc.args...)
			if err != nil {
				t.Fatalf("killed run: %v\n%s", err, out)
			}
			if !killed && kill.at > 0 {
				t.Fatalf("the run was not killed at point %d (%s)\n%s", kill.at, kill.name, out)
			}
			if kill.again > 0 { // a second kill, in the resumed run
				if _, out, err := got.run(t, []string{fmt.Sprintf("%s=%d", killpoint.EnvKillAt, kill.again)}, 0, tc.args...); err != nil {
					t.Fatalf("second killed run: %v\n%s", err, out)
				}
			}
			if killed, out, err := got.run(t, nil, 0, tc.args...); err != nil || killed {
				t.Fatalf("resumed run: killed %t, %v\n%s", killed, err, out)
			}
			tc.compare(t, ref.dir, got.dir)
		})
	}
}

// kill is where a run is killed: at killpoint number at (0: after a random wall time), and,
// if again > 0, its first rerun at point number again.
type kill struct {
	at, again int
	name      string
}

func (k kill) String() string {
	switch {
	case k.at == 0:
		return "wall-clock"
	case k.again > 0:
		return fmt.Sprintf("%d-%s-then-%d", k.at, k.name, k.again)
	}
	return fmt.Sprintf("%d-%s", k.at, k.name)
}

// drawKills draws n kill points from a trace: the first from a kind of point the others have
// not covered yet (steps, checkpoint writes, post-training passes, cache renames…), so that a
// few draws still reach every phase; one in three also kills the resumed run; and one more
// kill at a random wall time.
func drawKills(points []tracedPoint, n int, rng *rand.Rand) []kill {
	kinds := map[string][]tracedPoint{}
	var order []string
	for _, p := range points {
		k := kindOf(p.name)
		if _, ok := kinds[k]; !ok {
			order = append(order, k)
		}
		kinds[k] = append(kinds[k], p)
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var out []kill
	for i := range n {
		var p tracedPoint
		if i < len(order) {
			ps := kinds[order[i]]
			p = ps[rng.IntN(len(ps))]
		} else {
			p = points[rng.IntN(len(points))]
		}
		k := kill{at: p.n, name: sanitize(p.name)}
		if rng.IntN(3) == 0 {
			k.again = 1 + rng.IntN(len(points))
		}
		out = append(out, k)
	}
	return append(out, kill{})
}

// kindOf is a point's name without numbers: "fit: step" for every step.
func kindOf(name string) string { return strings.TrimSpace(digits.ReplaceAllString(name, "")) }

var digits = regexp.MustCompile(`[0-9]+`)

func sanitize(name string) string {
	return strings.Trim(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(name, "-"), "-")
}

// timingKey matches the JSON fields that differ between two identical computations: wall
// times, rates, dates, whether a stage came from the cache.
var timingKey = regexp.MustCompile(`(?i)second|cached|computed|date|created|commit|wall`)

// compareTrees fails t unless every file under want has an equal twin under got and got has
// no file want lacks: JSON files equal once timing fields are dropped, others byte for byte.
// skip names files and folders (base names) left out on both sides.
func compareTrees(t *testing.T, want, got string, skip func(rel string, d fs.DirEntry) bool) {
	t.Helper()
	files := func(root string) map[string]bool {
		out := map[string]bool{}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if rel != "." && skip(rel, d) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				out[rel] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	w, g := files(want), files(got)
	var names []string
	for n := range w {
		names = append(names, n)
	}
	for n := range g {
		if !w[n] {
			t.Errorf("the resumed run left %s, the uninterrupted run did not", n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if !g[n] {
			t.Errorf("the resumed run lacks %s", n)
			continue
		}
		a, errA := os.ReadFile(filepath.Join(want, n))
		b, errB := os.ReadFile(filepath.Join(got, n))
		if errA != nil || errB != nil {
			t.Fatal(errors.Join(errA, errB))
		}
		if strings.HasSuffix(n, ".json") {
			if !reflect.DeepEqual(withoutTiming(t, n, a), withoutTiming(t, n, b)) {
				t.Errorf("%s differs:\nuninterrupted: %s\nresumed:       %s", n, clip(a), clip(b))
			}
		} else if !bytes.Equal(a, b) {
			t.Errorf("%s differs (%d against %d bytes)", n, len(a), len(b))
		}
	}
}

// withoutTiming decodes a JSON file with every timing field (timingKey) removed.
func withoutTiming(t *testing.T, name string, b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if timingKey.MatchString(k) {
					delete(x, k)
				} else {
					x[k] = strip(e)
				}
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		}
		return v
	}
	return strip(v)
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// resumeCases are the commands under test: the quickstart (metric, propagation, classifiers),
// metric pretraining, a semi-supervised baseline (Table 4's VAT) and, with -resume.long, Table 2
// with a finetuning row, the other baselines and the other pretraining methods.
func resumeCases() []resumeCase {
	pretrain := func(method, data string, extra ...string) []string {
		return append([]string{"pretrain", "--method", method, "--net", "conv-4", "--channels", "8", "--data", data,
			"--split", "test", "--steps", "16", "--batch", "32", "--out", "metric"}, extra...)
	}
	return []resumeCase{
		{name: "quickstart", needs: "fashion-mnist", args: []string{"quickstart", "-scale", "smoke", "-cache-dir", "cache"}, compare: compareCache},
		{name: "pretrain-instance", needs: "fashion-mnist", args: pretrain("instance", "fashion-mnist"), compare: comparePretrained},
		{name: "table4-vat", needs: "cifar10-jpeg", args: []string{"repro", "--table", "4", "--scale", "smoke", "--rows", "vat", "--labels", "20",
			"--cache-dir", "cache", "--publish", "published"}, compare: compareCache},
		{name: "table2", needs: "cifar10-jpeg", long: true, args: []string{"repro", "--table", "2", "--scale", "smoke", "--rows",
			"instance/spectral,instance/none,bootstrap/nn", "--labels", "20", "--cache-dir", "cache", "--publish", "published"}, compare: compareCache},
		{name: "table4-baselines", needs: "cifar10-jpeg", long: true, args: []string{"repro", "--table", "4", "--scale", "smoke", "--rows",
			"pi,mean-teacher,vat-em+ours", "--labels", "20", "--cache-dir", "cache", "--publish", "published"}, compare: compareCache},
		{name: "pretrain-nca", needs: "fashion-mnist", long: true, args: pretrain("nca", "fashion-mnist", "--labels", "200"), compare: comparePretrained},
		{name: "pretrain-color", needs: "cifar10-jpeg", long: true, args: pretrain("color", "cifar10", "--optimizer", "sgd", "--lr", "0.03"), compare: comparePretrained},
	}
}

// comparePretrained compares the networks mt pretrain saved in the folder "metric", variable
// by variable, and its pretrain.json.
func comparePretrained(t *testing.T, want, got string) {
	checkpointtest.Same(t, checkpointtest.Final(t, filepath.Join(want, "metric")), checkpointtest.Final(t, filepath.Join(got, "metric")))
	compareTrees(t, want, got, func(rel string, d fs.DirEntry) bool {
		return rel != "metric" && rel != filepath.Join("metric", metric.InfoFile)
	})
}

// compareCache compares the whole run folders: every cache entry and published file, without
// the store's lock files and the manifests (which hold the checksums of timing files).
func compareCache(t *testing.T, want, got string) {
	compareTrees(t, want, got, func(rel string, d fs.DirEntry) bool {
		return d.Name() == "locks" || d.Name() == "MANIFEST.json"
	})
}
