package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/metric-transfer/mtlp/lib/featio"
)

// outputOptions are the flags and settings shared by the commands that write a file.
type outputOptions struct {
	// FollowSymlinks writes the file that a symbolic link at the output path points to, the
	// link staying in place (--follow-symlinks); without it a link is refused.
	FollowSymlinks bool
	// stdout is what the output "-" writes to: os.Stdout when nil, a pipe in tests.
	stdout *os.File
}

// addFlags adds --follow-symlinks to fs.
func (o *outputOptions) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.FollowSymlinks, "follow-symlinks", false, "if the output path is a symbolic link, write the file it points to and keep the link (without it, a link is refused)")
}

// standardOutput is where "-" writes.
func (o outputOptions) standardOutput() *os.File {
	if o.stdout != nil {
		return o.stdout
	}
	return os.Stdout
}

// checkOutput checks the output that --flag names before the command's work starts (see
// featio.CheckOutput); binary outputs refuse a terminal as standard output.
func (o outputOptions) checkOutput(flag, path string, binary bool) (*featio.Output, error) {
	out, err := featio.CheckOutput(path, featio.OutputOptions{FollowSymlinks: o.FollowSymlinks, Stdout: o.standardOutput(), Binary: binary})
	if errors.Is(err, featio.ErrSymlink) {
		return nil, fmt.Errorf("--%s %w; pass --follow-symlinks to write the file it points to (the link stays)", flag, err)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s %w", flag, err)
	}
	return out, nil
}

// checkPublish checks, before a long run, the folder that --flag names for its results:
// created when missing, and able to take new files.
func checkPublish(flag, dir string) error {
	if dir == "" {
		return nil
	}
	if err := featio.PrepareDir(dir); err != nil {
		return fmt.Errorf("--%s %w", flag, err)
	}
	return nil
}
