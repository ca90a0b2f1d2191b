package app

import (
	"os"
	"regexp"
	"testing"
)

// The README's environment table is what operators read: it must list every variable
// the code reads, with the same default, and nothing the code does not read.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`(?s)## Environment variables\n(.*?)\n## `).FindSubmatch(b)
	if section == nil {
		t.Fatal("README has no Environment variables section")
	}
	rows := regexp.MustCompile(`(?m)^\| ([A-Z][A-Z0-9_]+) \|\s*([^|]*?)\s*\|`).FindAllStringSubmatch(string(section[1]), -1)
	inReadme := map[string]string{}
	for _, r := range rows {
		inReadme[r[1]] = r[2]
	}
	for _, v := range Vars() {
		def, ok := inReadme[v.Name]
		if !ok {
			t.Errorf("README's environment table lacks %s", v.Name)
			continue
		}
		want := v.Default
		if v.Required {
			want = "(required)"
		}
		if def != want {
			t.Errorf("README gives %s the default %q, code has %q", v.Name, def, want)
		}
		delete(inReadme, v.Name)
	}
	for name := range inReadme {
		t.Errorf("README lists %s, which the code does not read", name)
	}
}
