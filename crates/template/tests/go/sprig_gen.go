// Command sprig_gen evaluates every case of tests/data/sprig-cases.json with the real Sprig
// (Debian's golang-github-masterminds-sprig-dev, Sprig 3.2.3) through text/template and writes
// tests/data/sprig-expected-go.json. Standard library + Sprig + yaml.v2 only; GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/go/sprig_gen.go \
//	    tests/data/sprig-cases.json tests/data/sprig-expected-go.json
//
// A case {func, args} is rendered as `{{ FUNC (index .A 0) (index .A 1) ... }}` over the data
// {"A": args}, with args converted as tests/sprig.rs converts them: JSON integers become Go
// int (int64 when they do not fit), other numbers float64, arrays []interface{}, objects
// map[string]interface{}. The result is {func, args, output} (the rendered text) or
// {func, args, error: true}. Cases that cannot be compared are kept with a "skip" reason:
// random or clock-dependent functions, and functions that Sprig 3.2.3 does not have.
//
// toYaml and fromYaml are ESO's, not Sprig's: they are evaluated here with ESO's definitions
// (sigs.k8s.io/yaml = a JSON round trip around yaml.v2), rebuilt from yaml.v2 and encoding/json.
//
// Times: JSON has none, so a time.Time parameter given a string fails, in Sprig as in ours.
// Local time is UTC.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v2"
)

type testCase struct {
	Func string          `json:"func"`
	Args json.RawMessage `json:"args"`
	Note string          `json:"note,omitempty"`
}

type result struct {
	Func   string          `json:"func"`
	Args   json.RawMessage `json:"args"`
	Output *string         `json:"output,omitempty"`
	Error  bool            `json:"error,omitempty"`
	Skip   string          `json:"skip,omitempty"`
	Note   string          `json:"note,omitempty"`
}

// Random or clock-dependent: the output cannot be compared.
var random = map[string]string{
	"uuidv4":                   "random",
	"randAlphaNum":             "random",
	"randAlpha":                "random",
	"randAscii":                "random",
	"randNumeric":              "random",
	"randInt":                  "random",
	"randBytes":                "random",
	"shuffle":                  "random",
	"bcrypt":                   "random salt",
	"htpasswd":                 "random salt",
	"encryptAES":               "random IV",
	"genPrivateKey":            "random key",
	"genCA":                    "random key",
	"genCAWithKey":             "random serial",
	"genSelfSignedCert":        "random key",
	"genSelfSignedCertWithKey": "random serial",
	"genSignedCert":            "random key",
	"genSignedCertWithKey":     "random serial",
	"now":                      "clock",
	"ago":                      "clock",
}

func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			var i int64
			if _, err := fmt.Sscan(s, &i); err == nil {
				if int64(int(i)) == i {
					return int(i)
				}
				return i
			}
		}
		f, _ := x.Float64()
		return f
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = convert(e)
		}
		return out
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = convert(e)
		}
		return out
	default:
		return v
	}
}

// ESO's toYaml: sigs.k8s.io/yaml.Marshal (JSON, then yaml.v2 of the JSON read back by yaml.v2),
// without the final newline; "" on error.
func toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return ""
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(y), "\n")
}

func jsonable(v interface{}) interface{} {
	switch x := v.(type) {
	case map[interface{}]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	default:
		return v
	}
}

// ESO's fromYaml: sigs.k8s.io/yaml.Unmarshal into map[string]interface{} (YAML to JSON, then
// encoding/json, so numbers are float64, with that package's error wrapping); on error a map
// with the key "Error".
func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	var obj interface{}
	if err := yaml.Unmarshal([]byte(s), &obj); err != nil {
		m["Error"] = fmt.Sprintf("error converting YAML to JSON: %v", err)
		return m
	}
	j, err := json.Marshal(jsonable(obj))
	if err != nil {
		m["Error"] = fmt.Sprintf("error converting YAML to JSON: %v", err)
		return m
	}
	if err := json.Unmarshal(j, &m); err != nil {
		m = map[string]interface{}{"Error": fmt.Sprintf("error unmarshaling JSON: while decoding JSON: %v", err)}
	}
	return m
}

func render(funcs template.FuncMap, name string, args []interface{}) (string, error) {
	var sb strings.Builder
	sb.WriteString("{{ ")
	sb.WriteString(name)
	for i := range args {
		fmt.Fprintf(&sb, " (index .A %d)", i)
	}
	sb.WriteString(" }}")
	t, err := template.New(name).Funcs(funcs).Parse(sb.String())
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]interface{}{"A": args}); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sprig_gen CASES.json EXPECTED.json")
		os.Exit(2)
	}
	time.Local = time.UTC
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
	funcs := template.FuncMap(sprig.TxtFuncMap())
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		r := result{Func: c.Func, Args: c.Args, Note: c.Note}
		if why, ok := random[c.Func]; ok {
			r.Skip = why
			out = append(out, r)
			continue
		}
		if _, ok := funcs[c.Func]; !ok {
			r.Skip = "not in Sprig 3.2.3"
			out = append(out, r)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(c.Args))
		dec.UseNumber()
		var rawArgs []interface{}
		if err := dec.Decode(&rawArgs); err != nil {
			fmt.Fprintln(os.Stderr, "bad args:", err)
			os.Exit(1)
		}
		args := make([]interface{}, len(rawArgs))
		for i, a := range rawArgs {
			args[i] = convert(a)
		}
		if c.Func == "keys" || c.Func == "values" {
			// Sprig lists these in Go's map iteration order, which is random.
			n := 0
			for _, a := range args {
				if m, ok := a.(map[string]interface{}); ok {
					n += len(m)
				}
			}
			if n > 1 {
				r.Skip = "random order (Go map iteration)"
				out = append(out, r)
				continue
			}
		}
		s, err := render(funcs, c.Func, args)
		if err != nil {
			r.Error = true
		} else {
			r.Output = &s
		}
		out = append(out, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
