package service

import (
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Exit statuses of the command, as Main returns them.
const (
	ExitOK    = 0 // stopped on a signal, or usage asked for
	ExitError = 1 // the service could not start, or failed
	ExitUsage = 2 // a command-line argument it does not take (the flag package's convention)
)

// The usage fits a terminal of usageWidth columns; meanings are indented by helpIndent.
const (
	usageWidth = 80
	helpIndent = "      "
)

// variable is one environment variable Config reads, as its struct tags describe it.
type variable struct{ Name, Default, Help string }

// variables lists Config's variables in field order, from the same tags env parses, so the
// usage cannot drift from what is read.
func variables() []variable {
	var out []variable
	for f := range reflect.TypeFor[Config]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		out = append(out, variable{Name: name, Default: f.Tag.Get("envDefault"), Help: f.Tag.Get("help")})
	}
	return out
}

// Usage writes what the command takes: no arguments, and every environment variable with
// its default and meaning.
func Usage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`Usage: orders-service [-h | --help]

Runs the orders service: HTTP commands go through Kafka to Watermill handlers.
It takes no arguments: it is configured by the environment variables below,
validated at start (an error names the variable). With none set it serves HTTP
on :8080, starts an embedded Kafka-protocol broker on 127.0.0.1:9092 and keeps
state in memory.

Environment variables [default]:
`)
	for _, v := range variables() {
		def := v.Default
		if def == "" {
			def = "empty"
		}
		fmt.Fprintf(&b, "\n  %s [%s]\n", v.Name, def)
		for _, line := range wrap(v.Help, usageWidth-len(helpIndent)) {
			fmt.Fprintf(&b, "%s%s\n", helpIndent, line)
		}
	}
	b.WriteString("\nREADME.md (sections Configuration, and Guarantees and limits) says more.\n")
	_, _ = io.WriteString(w, b.String()) // nothing to do if the terminal is gone
}

// wrap breaks text into lines of at most width characters, at spaces; a longer word keeps
// its own line.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// parseArgs handles the command line. The service takes no arguments, so help words print
// the usage (exit 0) and anything else is refused (exit 2), instead of being ignored: an
// operator typing --port 9000 must not get a service on :8080. run reports whether the
// service should start; if not, exit is the status to end with.
func parseArgs(args []string, stdout, stderr io.Writer) (exit int, run bool) {
	if len(args) == 0 {
		return ExitOK, true
	}
	for _, a := range args {
		if !isHelp(a) {
			fmt.Fprintf(stderr, "orders-service: unknown argument %q: the service takes no arguments, only environment variables\n\n", a)
			Usage(stderr)
			return ExitUsage, false
		}
	}
	Usage(stdout)
	return ExitOK, false
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
