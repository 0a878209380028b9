package domain

import "testing"

// The review defaults and the validity categories name only categories
// the draft can have, and the defaults pass the policy's own check.
func TestReviewDefaultsNameCategories(t *testing.T) {
	for c := range reviewDefaults {
		if !ValidCategory(c) {
			t.Errorf("review default for unknown category %q", c)
		}
	}
	for _, c := range ValidityCategories {
		if !ValidCategory(c) {
			t.Errorf("validity for unknown category %q", c)
		}
	}
	p := DefaultReviewPolicy()
	if len(p) != len(Categories) {
		t.Errorf("the default policy has %d categories, want %d", len(p), len(Categories))
	}
	if err := p.Check(); err != nil {
		t.Errorf("the default policy: %v", err)
	}
	if p["news"] != 0 || p["normative_document"] != 12 {
		t.Errorf("defaults: news %d, normative documents %d", p["news"], p["normative_document"])
	}
}
