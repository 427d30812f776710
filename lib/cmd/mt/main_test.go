package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun checks the command line before any command's work: the exit status and the message
// for no command, an unknown one, help, a bad flag, and a stray argument after every command's
// flags. The flags given beside a stray argument would fail fast on their own, so that a
// command which ignored the argument fails the test instead of starting a long run. Help goes
// to stdout and errors to stderr, each once.
func TestRun(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // a substring of what run writes to stderr, or with code 0 to stdout
	}{
		{nil, 2, "usage: mt COMMAND"},
		{[]string{"help"}, 0, "usage: mt COMMAND"},
		{[]string{"--help"}, 0, "usage: mt COMMAND"},
		{[]string{"quickstart", "--help"}, 0, "usage: mt quickstart"},
		{[]string{"repro", "-h"}, 0, "usage: mt repro"},
		{[]string{"quickstart", "--bogus"}, 2, "mt quickstart: flag provided but not defined: -bogus\nRun \"mt help quickstart\" for the flags.\n"},
		{[]string{"pretrain", "--steps", "x"}, 2, `invalid value "x" for flag -steps`},
		{[]string{"help", "foo"}, 2, `mt help: unknown command "foo"`},
		{[]string{"help", "propagate", "foo"}, 2, `mt help: unexpected argument "foo"`},
		{[]string{"foo"}, 2, `mt: unknown command "foo"`},
		{[]string{"version"}, 0, ""},
		{[]string{"quickstart", "-scale", "none", "foo"}, 2, `quickstart: unexpected argument "foo"`},
		{[]string{"propagate", "foo"}, 2, `propagate: unexpected argument "foo"`},
		{[]string{"pretrain", "foo"}, 2, `pretrain: unexpected argument "foo"`},
		{[]string{"features", "foo"}, 2, `features: unexpected argument "foo"`},
		{[]string{"evaluate", "foo"}, 2, `evaluate: unexpected argument "foo"`},
		{[]string{"repro", "--table", "0", "foo"}, 2, `repro: unexpected argument "foo"`},
		{[]string{"repro", "--table", "8"}, 1, "--table 8: the paper's tables are 1 to 7"},
	}
	for _, command := range []string{"quickstart", "propagate", "pretrain", "features", "evaluate", "release", "repro"} {
		cases = append(cases, struct {
			args []string
			code int
			want string
		}{[]string{"help", command}, 0, "usage: mt " + command})
	}
	home, _ := os.UserHomeDir()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			got, other := stderr.String(), stdout.String()
			if tc.code == 0 {
				got, other = other, got
			}
			if code != tc.code || !strings.Contains(got, tc.want) || other != "" {
				t.Errorf("exit %d with stdout %q and stderr %q; want %d with %q", code, stdout.String(), stderr.String(), tc.code, tc.want)
			}
			if strings.Count(got, "flag provided but not defined") > 1 {
				t.Errorf("the error is printed more than once: %q", got)
			}
			if home != "" && strings.Contains(got, home) {
				t.Errorf("the output names this machine's home folder %s: %q", home, got)
			}
		})
	}
}

// TestPublishChecked checks that quickstart and repro check their publishing folder before the
// work: a folder under a regular file is refused by name, a missing one is created.
func TestPublishChecked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	mustDo(t, os.WriteFile(file, nil, 0o644))
	for _, args := range [][]string{
		{"quickstart", "-scale", "smoke", "-data-dir", filepath.Join(dir, "none"), "-publish", file + "/figures"},
		{"repro", "--table", "1", "--data-dir", filepath.Join(dir, "none"), "--publish", file + "/figures"},
	} {
		var stderr bytes.Buffer
		if code := run(args, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "--publish "+file+"/figures: cannot create the folder") {
			t.Errorf("%s: exit %d with %q; want the publishing folder refused", args[0], code, stderr.String())
		}
	}
	// A missing folder is created before the work, which then fails on the missing data.
	figures := filepath.Join(dir, "new", "figures")
	var stderr bytes.Buffer
	run([]string{"repro", "--table", "1", "--data-dir", filepath.Join(dir, "none"), "--cache-dir", filepath.Join(dir, "cache"), "--publish", figures}, io.Discard, &stderr)
	if st, err := os.Stat(figures); err != nil || !st.IsDir() {
		t.Errorf("repro did not create %s: %v (%s)", figures, err, stderr.String())
	}
}

// mainEnv makes this test binary run the mt command on its arguments instead of the tests, so
// that tests can run (and kill) mt as a child process.
const mainEnv = "MT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCommandLine checks the command a result records: the flags set, machine folders left
// out, values quoted for a shell where they need it.
func TestCommandLine(t *testing.T) {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	fs.Int("table", 0, "")
	fs.String("rows", "", "")
	fs.String("cache-dir", "", "")
	fs.String("publish", "figures", "")
	fs.String("scale", "bench", "")
	if err := fs.Parse([]string{"--table", "2", "--cache-dir", "/tmp/mt-cache", "--publish=/root/out", "--rows", "instance/spectral,scratch", "--scale=paper x"}); err != nil {
		t.Fatal(err)
	}
	if got, want := commandLine("repro", fs), "mt repro --rows=instance/spectral,scratch --scale='paper x' --table=2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
