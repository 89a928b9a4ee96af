// Go's text/template rendering the builtins-only benchmark template of benches/render.rs, for
// a side-by-side comparison: go run benches/go/render.go
package main

import (
	"fmt"
	"io"
	"testing"
	"text/template"
)

const builtinsTemplate = `{{- range $k, $v := . }}{{ $k }}={{ $v | printf "%q" }}
{{ end -}}
user={{ .key1 }} pass={{ index . "key2" }} {{ if eq .key3 "x" }}x{{ else }}{{ len .key4 }}{{ end }}
{{ printf "%s-%s" .key5 .key6 }} {{ .key7 | html }} {{ .key8 | urlquery }} {{ .key9 }} {{ .key0 }}`

func main() {
	data := map[string]interface{}{}
	for i := 0; i < 10; i++ {
		data[fmt.Sprintf("key%d", i)] = fmt.Sprintf("value-%d-secret", i)
	}
	t := template.Must(template.New("externalsecret").Option("missingkey=error").Parse(builtinsTemplate))
	render := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := t.Execute(io.Discard, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	parse := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			t := template.Must(template.New("externalsecret").Option("missingkey=error").Parse(builtinsTemplate))
			if err := t.Execute(io.Discard, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Printf("go text/template builtins_10_keys: %d ns/op (%.0f renders/s)\n", render.NsPerOp(), 1e9/float64(render.NsPerOp()))
	fmt.Printf("go text/template parse_and_render_10_keys: %d ns/op (%.0f /s)\n", parse.NsPerOp(), 1e9/float64(parse.NsPerOp()))
}
