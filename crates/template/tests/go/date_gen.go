// Command date_gen renders every template of tests/data/date-cases.json with Go's text/template
// and the real Sprig (Debian's golang-github-masterminds-sprig-dev, Sprig 3.2.3, whose date
// functions are those of 3.3) and writes the file back with each case's `output`, or
// `error: true` where Sprig fails. Local time is UTC (run with TZ=UTC); data is an empty map.
// GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode TZ=UTC go run tests/go/date_gen.go \
//	    tests/data/date-cases.json out.json
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"text/template"

	"github.com/Masterminds/sprig"
)

type dateCase struct {
	Template string  `json:"template"`
	Output   *string `json:"output,omitempty"`
	Error    bool    `json:"error,omitempty"`
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases []dateCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	out := make([]dateCase, 0, len(cases))
	for _, c := range cases {
		res := dateCase{Template: c.Template}
		var buf bytes.Buffer
		t, err := template.New("t").Funcs(sprig.TxtFuncMap()).Parse(c.Template)
		if err == nil {
			err = t.Execute(&buf, map[string]string{})
		}
		if err != nil {
			res.Error = true
		} else {
			s := buf.String()
			res.Output = &s
		}
		out = append(out, res)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[2], b.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
