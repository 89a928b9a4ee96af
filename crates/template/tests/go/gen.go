// Command gen renders every case of tests/data/core-cases.json with Go's text/template and
// writes tests/data/core-expected.json. Standard library only.
//
// Usage (from crates/template): go run tests/go/gen.go tests/data/core-cases.json tests/data/core-expected.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
)

type options struct {
	MissingKey string    `json:"missingkey"`
	Delims     *[2]string `json:"delims,omitempty"`
}

type testCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	Options  options         `json:"options"`
}

type result struct {
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

// The functions the Rust engine's tests register besides Go's builtins: none. Cases use only
// Go's predefined functions.

func render(c testCase) (string, error) {
	var data any
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return "", fmt.Errorf("bad case data: %w", err)
		}
	}
	t := template.New(c.Name)
	mk := c.Options.MissingKey
	if mk == "" {
		mk = "default"
	}
	t = t.Option("missingkey=" + mk)
	if c.Options.Delims != nil {
		t = t.Delims(c.Options.Delims[0], c.Options.Delims[1])
	}
	t, err := t.Parse(c.Template)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen CASES.json EXPECTED.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		s, err := render(c)
		r := result{Name: c.Name}
		if err != nil {
			msg := err.Error()
			r.Error = &msg
		} else {
			r.Output = &s
		}
		out = append(out, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
