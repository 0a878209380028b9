package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// auditActionLiteral finds the action codes the code writes into the
// trail: agencyEvent(…, …, "code", …), Action: "code", action := "code".
var auditActionLiteral = regexp.MustCompile(`(?:agencyEvent\([^,()]+, [^,()]+, |Action: +|action :?= )"([a-z_]+)"`)

// Every action the trail holds is named in both languages, so that the
// audit pages and the CSV never show a bare code as the action (issue 19
// point 4). The codes are found in the store's and the services' sources;
// the families the pages name by prefix (channel_…, denied:…,
// application_…) are named through their parts.
func TestEveryAuditActionIsNamed(t *testing.T) {
	t.Parallel()
	codes := map[string]bool{}
	for _, dir := range []string{"../../../internal/store", "..", ".", "../../notifications", "../../lifecycle", "../../publisher"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no sources in %s: the list of places is out of date", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range auditActionLiteral.FindAllStringSubmatch(string(src), -1) {
				codes[m[1]] = true
			}
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d action codes: the pattern no longer matches the code", len(codes))
	}
	for _, lang := range []string{"zh", "en"} {
		raw, err := os.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var names map[string]string
		if err := json.Unmarshal(raw, &names); err != nil {
			t.Fatal(err)
		}
		var missing []string
		for c := range codes {
			switch {
			case strings.HasPrefix(c, "channel_"):
				continue // action.channel + pub.<status>
			case names["action."+c] == "":
				missing = append(missing, c)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s names no action for %v", lang, missing)
		}
	}
}
