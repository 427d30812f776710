// Command mt runs the project's pipelines headless, with the same calls the notebooks make.
//
//	mt quickstart [-scale small|smoke] [-data-dir DIR] [-cache-dir DIR] [-publish DIR]
//	mt propagate --features X.npy --labels L.csv --method nn|spectral --out P.csv|-
//	mt pretrain --method instance|nca|color|bootstrap --net NET --data NAME --out DIR
//	mt features --checkpoint DIR --data NAME --split train|test --out X.npy|-
//	mt evaluate --checkpoint DIR [--data NAME] [--json OUT.json|-]
//	mt release --checkpoint DIR --out figures/metrics/NAME
//	mt repro --table N [--scale smoke|bench|paper] [--publish DIR]
//	mt replot [--dir figures]
//	mt help [COMMAND]
//	mt version
//
// An output path of - is standard output; an output that is a symbolic link is written
// through only with --follow-symlinks. Outputs and publishing folders are checked before the
// work starts.
//
// quickstart learns an instance-discrimination metric on Fashion-MNIST, propagates 100 labels
// by nearest neighbours (Eq. 5) and spectral embedding (Eq. 6), trains confidence-weighted
// classifiers (Eq. 10) and prints their test accuracy beside a classifier trained on the
// labels alone. Stages are cached (see -cache-dir), so a rerun or a killed run resumes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/metric-transfer/mtlp/lib/commit"
	"github.com/metric-transfer/mtlp/lib/pipeline"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// commands are mt's commands by name; each parses its own flags.
var commands = map[string]func(args []string) error{
	"quickstart": quickstartCommand,
	"propagate":  propagateCommand,
	"pretrain":   pretrainCommand,
	"features":   featuresCommand,
	"evaluate":   evaluateCommand,
	"release":    releaseCommand,
	"repro":      reproCommand,
	"replot":     replotCommand,
}

// run runs the command that args name and returns the exit status, as Go's flag package and
// Unix tools do: 0 for success (help included, written to stdout), 1 for a failed command, 2
// for a command line that is wrong (no command, an unknown one, a bad flag or a stray
// argument), its error printed once to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		return help(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, version())
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "mt: unknown command %q; run mt help for the list\n", name)
		return 2
	}
	return exit(cmd(rest), stdout, stderr)
}

// exit reports a command's error and returns its exit status: help asked for goes to stdout
// (0), a usage error to stderr with where to find the flags (2), any other error to stderr (1).
func exit(err error, stdout, stderr io.Writer) int {
	var h *helpText
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &h):
		fmt.Fprint(stdout, h.text)
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "mt %s: %v\nRun \"mt help %s\" for the flags.\n", u.command, u.err, u.command)
		return 2
	}
	fmt.Fprintln(stderr, "mt:", err)
	return 1
}

// help prints the list of commands, or with one argument that command's flags.
func help(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stdout)
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "mt help: unexpected argument %q; usage: mt help [COMMAND]\n", args[1])
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mt help: unknown command %q; run mt help for the list\n", args[0])
		return 2
	}
	return exit(cmd([]string{"-h"}), stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: mt COMMAND [flags]

commands:
  quickstart   the whole pipeline on Fashion-MNIST with 100 labels (notebooks/00_quickstart.ipynb)
  propagate    pseudo labels for N×D features (.npy) from a labels CSV, by nn or spectral propagation
  pretrain     learn a metric (instance, nca, color or bootstrap) on a dataset; writes a checkpoint
  features     L2-normalised features (.npy) of a dataset from a pretrain checkpoint, for propagate
  evaluate     a pretrained metric's weighted kNN accuracy on a test split (Wu et al. 2018)
  release      a finished metric as a release folder: its network, float16 features of a dataset's splits, its kNN curve
  repro        one of the paper's tables (--table 1 to 7) at a scale, beside the paper's numbers; writes figures/
  replot       the figures of published results drawn again from their JSON (after a change of how figures look)
  version      the commit mt was built from, and the Go and GoMLX versions

Run "mt help COMMAND" or "mt COMMAND -h" for the flags of a command.`)
}

// helpText is what parseFlags returns when the help was asked for: the command's usage and
// flags, which run prints to stdout.
type helpText struct{ text string }

func (h *helpText) Error() string { return "help requested" }

// usageError is a command line that a command cannot run: a bad flag or a stray argument.
type usageError struct {
	command string
	err     error
}

func (u *usageError) Error() string { return u.command + ": " + u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// parseFlags parses a subcommand's args into fs, with usage as the first line of its help. It
// returns a *helpText when the help was asked for, and a *usageError for a bad flag or a stray
// argument (every input is a flag); the caller returns either as its error.
func parseFlags(fs *flag.FlagSet, args []string, usage string) error {
	fs.SetOutput(io.Discard) // run prints the error once, and the help to stdout
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		var b strings.Builder
		fmt.Fprintln(&b, "usage: "+usage)
		printDefaults(&b, fs)
		return &helpText{b.String()}
	case err != nil:
		return &usageError{fs.Name(), err}
	case fs.NArg() > 0:
		return &usageError{fs.Name(), fmt.Errorf("unexpected argument %q; all inputs are flags", fs.Arg(0))}
	}
	return nil
}

// printDefaults is flag.PrintDefaults, with a flag's default left out where its usage already
// says it (a default that depends on the machine, such as a folder under the home directory).
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		text = strings.ReplaceAll(text, "\n", "\n    \t")
		if def := f.DefValue; def != "" && def != "0" && def != "false" && !strings.Contains(text, "(default") {
			if name == "string" {
				def = fmt.Sprintf("%q", def)
			}
			text += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, text)
	})
}

// printTable writes a table to stdout in aligned columns.
func printTable(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// version names the build: the commit it was built from (vcs.revision, with "-dirty" for a
// modified tree; else $MT_COMMIT or the repository around the working directory, as
// commit.Current), the Go version and platform, and GoMLX's version.
func version() string {
	rev, gomlx := "", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				rev = s.Value[:12] + rev
			case s.Key == "vcs.modified" && s.Value == "true":
				rev += "-dirty"
			}
		}
		for _, d := range info.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				gomlx = d.Version
			}
		}
	}
	if rev == "" || strings.HasPrefix(rev, "-") {
		rev = commit.Current()
	}
	return fmt.Sprintf("mt %s (%s %s/%s, GoMLX %s)", rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, gomlx)
}

// commandLine is the command that reproduces a run of mt's command name with the flags set in
// fs, pipeline.MachineFlags left out, each flag as --name=value in the order of their names.
func commandLine(name string, fs *flag.FlagSet) string {
	parts := []string{"mt", name}
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(pipeline.MachineFlags, f.Name) {
			parts = append(parts, "--"+f.Name+"="+shellQuote(f.Value.String()))
		}
	})
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but letters, digits and
// -_.,/:@+=.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
