// Command tlog-check is an independent checker for the gateway's transparency log.
//
// The TypeScript side writes its own RFC 6962 / C2SP code; this tool deliberately
// writes none and delegates every hash, proof and signature to well-known Go
// libraries (golang.org/x/mod/sumdb/{note,tlog}, github.com/transparency-dev/formats),
// so a bug shared by the writer and its own tests cannot hide here.
//
// Every command prints exactly one line of JSON on stdout and exits 0 on success.
// A verification failure (or unreadable/malformed input file) prints a message on
// stderr and exits 1; bad usage (unknown command, missing or malformed flags)
// exits 2. See README.md for the commands.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// usageError marks errors caused by the command line rather than by the data checked,
// so they map to exit status 2 instead of 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	usage string
	run   func(args []string, stdout io.Writer) error
}

var commands = map[string]command{
	"receipt":         {"receipt --vkey <log vkey> [--witness <vkey>]... <receipt.json>", cmdReceipt},
	"consistency":     {"consistency --vkey <log vkey> --old <note> --new <note> --proof <proof.json>", cmdConsistency},
	"cosignature":     {"cosignature --vkey <log vkey> --witness <witness vkey> <note>", cmdCosignature},
	"root":            {"root <leaves file>", cmdRoot},
	"witness-key":     {"witness-key --name <name>", cmdWitnessKey},
	"cosign":          {"cosign --skey <witness skey> [--vkey <log vkey>] <note>", cmdCosign},
	"log-key":         {"log-key --name <name>", cmdLogKey},
	"sign-checkpoint": {"sign-checkpoint --skey <log skey> --origin <origin> --size <n> --root <base64>", cmdSignCheckpoint},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can drive every command in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tlog-check: unknown command %q\n", args[0])
		printUsage(stderr)
		return 2
	}
	err := cmd.run(args[1:], stdout)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stderr, "usage: tlog-check %s\n", cmd.usage)
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tlog-check %s: %v\nusage: tlog-check %s\n", args[0], err, cmd.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "tlog-check %s: FAILED: %v\n", args[0], err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage:")
	for _, name := range []string{"receipt", "consistency", "cosignature", "root", "witness-key", "cosign", "log-key", "sign-checkpoint"} {
		fmt.Fprintf(w, "  tlog-check %s\n", commands[name].usage)
	}
}

// parseArgs parses flags that may appear before or after the positional arguments
// (the standard flag package stops at the first positional one, which surprises
// callers writing `receipt file.json --vkey K`), and checks the positional count.
func parseArgs(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	fs.SetOutput(io.Discard) // run() prints usage itself
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != positional {
		return nil, usagef("expected %d positional argument(s), got %d", positional, len(pos))
	}
	return pos, nil
}

// required reports the first flag left empty, in the order given.
func required(flags ...*flag.Flag) error {
	for _, f := range flags {
		if strings.TrimSpace(f.Value.String()) == "" {
			return usagef("--%s is required", f.Name)
		}
	}
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// printJSON writes v as one line; HTML escaping is off so notes stay byte-identical
// to what a reader of the raw JSON expects.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}
