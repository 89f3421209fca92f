package service

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args           []string
		exit           int
		run            bool
		stdout, stderr []string // substrings; none: nothing may be written there
	}{
		{args: nil, exit: ExitOK, run: true},
		{args: []string{}, exit: ExitOK, run: true},
		{args: []string{"-h"}, exit: ExitOK, stdout: []string{"Usage: orders-service"}},
		{args: []string{"-help"}, exit: ExitOK, stdout: []string{"Usage: orders-service"}},
		{args: []string{"--help"}, exit: ExitOK, stdout: []string{"KAFKA_REPLICATION_FACTOR [1]"}},
		{args: []string{"help"}, exit: ExitOK, stdout: []string{"Usage: orders-service"}},
		{args: []string{"--port", "9000"}, exit: ExitUsage, stderr: []string{`unknown argument "--port"`, "Usage: orders-service"}},
		{args: []string{"-h", "serve"}, exit: ExitUsage, stderr: []string{`unknown argument "serve"`, "HTTP_ADDR [:8080]"}},
		{args: []string{""}, exit: ExitUsage, stderr: []string{`unknown argument ""`}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.args), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			exit, run := parseArgs(tc.args, &stdout, &stderr)
			if exit != tc.exit || run != tc.run {
				t.Fatalf("parseArgs(%q) = %d, %t; want %d, %t", tc.args, exit, run, tc.exit, tc.run)
			}
			for _, out := range []struct {
				name string
				got  string
				want []string
			}{{"stdout", stdout.String(), tc.stdout}, {"stderr", stderr.String(), tc.stderr}} {
				if len(out.want) == 0 && out.got != "" {
					t.Errorf("%s = %q, want nothing", out.name, out.got)
				}
				for _, w := range out.want {
					if !strings.Contains(out.got, w) {
						t.Errorf("%s lacks %q:\n%s", out.name, w, out.got)
					}
				}
			}
		})
	}
}

// TestUsageListsEveryVariable: every variable Config reads is in the usage with its
// default and its meaning, and no line is wider than a terminal.
func TestUsageListsEveryVariable(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	usage := b.String()
	vars := variables()
	if len(vars) < 28 {
		t.Fatalf("only %d variables found in Config's tags", len(vars))
	}
	for _, v := range vars {
		if v.Help == "" {
			t.Errorf("Config's field for %s has no help tag", v.Name)
			continue
		}
		def := v.Default
		if def == "" {
			def = "empty"
		}
		entry := "\n  " + v.Name + " [" + def + "]\n" + helpIndent +
			strings.Join(wrap(v.Help, usageWidth-len(helpIndent)), "\n"+helpIndent) + "\n"
		if !strings.Contains(usage, entry) {
			t.Errorf("usage lacks the entry\n%s", entry)
		}
	}
	for line := range strings.Lines(usage) {
		if n := len(strings.TrimSuffix(line, "\n")); n > usageWidth {
			t.Errorf("usage line of %d characters: %q", n, line)
		}
	}
}

// TestREADMEMeaningsMatchUsage: the "Meaning" column of README.md's configuration table says
// what the usage says (the help tags), read as plain text: code spans and links unwrapped.
// TestREADMEConfigurationTableMatchesConfig checks the names and defaults.
func TestREADMEMeaningsMatchUsage(t *testing.T) {
	documented := map[string]string{}
	for name, row := range readmeConfigTable(t) {
		documented[name] = plainText(row.meaning)
	}
	for _, v := range variables() {
		doc, ok := documented[v.Name]
		if !ok {
			t.Errorf("README's configuration table has no meaning for %s", v.Name)
			continue
		}
		if doc != v.Help {
			t.Errorf("%s: README says %q, the help tag (and so --help) %q", v.Name, doc, v.Help)
		}
	}
}

var markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// plainText is Markdown table text as a terminal shows it: links as their text, code spans
// without backticks.
func plainText(md string) string {
	md = markdownLink.ReplaceAllString(md, "$1")
	return strings.TrimSpace(strings.ReplaceAll(md, "`", ""))
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"`text` or `json`": "text or json",
		"see [Guarantees and limits](#guarantees-and-limits) first": "see Guarantees and limits first",
		" plain ": "plain",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}
