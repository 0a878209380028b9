package domain

import (
	"testing"
	"time"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"王信息员", "综合办", "东城区建国门街道办事处", "Zhang San", "José", "李 科长", "test", "bench-officer-1",
		"admin", "cli2", "clinic", "sanshen中学", "三审办", "Ana María"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", ok, err)
		}
	}
	for name, rule := range map[string]Rule{
		"":                    RuleInvalidName,
		" 王":                  RuleInvalidName,
		"王  科长":               RuleInvalidName,
		"王\u200b科长":           RuleInvalidName, // zero-width space
		"ad\u202emin":         RuleInvalidName, // right-to-left override
		"\u2066王\u2069":       RuleInvalidName, // isolates
		"王\u00a0科长":           RuleInvalidName, // no-break space
		"王\u3000科长":           RuleInvalidName, // ideographic space
		"\u3164":              RuleInvalidName, // Hangul filler
		"王\x00":               RuleInvalidName,
		"王\t科长":               RuleInvalidName,
		"a\u0301\u0301\u0301": RuleInvalidName, // stacked marks
		"王\ufe0f":             RuleInvalidName, // variation selector
		"王\ue000":             RuleInvalidName, // private use
		"sanshen":             RuleReservedName,
		"Sanshen":             RuleReservedName,
		"SANSHEN":             RuleReservedName,
		"ｓａｎｓｈｅｎ":             RuleReservedName, // full width
		"s\u0430nshen":        RuleReservedName, // Cyrillic a
		"ѕаnѕһеn":             RuleReservedName, // all Cyrillic
		"san shen":            RuleReservedName,
		"san-shen":            RuleReservedName,
		"5anshen":             RuleReservedName,
		"三审":                  RuleReservedName,
		"叁审":                  RuleReservedName,
		"system":              RuleReservedName,
		"cli":                 RuleReservedName,
		"CLI":                 RuleReservedName,
		"c1i":                 RuleReservedName,
		"cli:root":            RuleReservedName,
		"CLI：root":            RuleReservedName, // full-width colon
		"c l i:admin":         RuleReservedName,
	} {
		if got := refusalRule(ValidName(name)); got != rule {
			t.Errorf("ValidName(%q) refused by %q, want %q", name, got, rule)
		}
	}
	long := ""
	for range MaxNameRunes + 1 {
		long += "王"
	}
	if refusalRule(ValidName(long)) != RuleInvalidName || ValidName(long[:len(long)-len("王")]) != nil {
		t.Error("the length bound is not MaxNameRunes characters")
	}
	if CLIActorName("root") != "cli:root" || ValidName(CLIActorName("root")) == nil || ValidName(SystemName) == nil {
		t.Error("the system's and the shell's own names must be refused to people")
	}
}

func TestSignInWait(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name string
		f    SignInFailures
		want time.Duration
	}{
		{"nothing", SignInFailures{}, 0},
		{"four from the pair", SignInFailures{Pair: 4, Name: 4, Address: 4, LastPair: now, LastName: now, LastAddress: now}, 0},
		{"five from the pair", SignInFailures{Pair: 5, Name: 5, Address: 5, LastPair: now, LastName: now, LastAddress: now}, time.Minute},
		{"the pair's wait doubles", SignInFailures{Pair: 7, Name: 7, Address: 7, LastPair: now, LastName: now, LastAddress: now}, 4 * time.Minute},
		{"and is capped", SignInFailures{Pair: 60, Name: 60, Address: 60, LastPair: now, LastName: now, LastAddress: now, Familiar: true}, SignInMaxDelay},
		{"and passes", SignInFailures{Pair: 5, Name: 5, Address: 5, LastPair: ago(2 * time.Minute), LastName: ago(2 * time.Minute), LastAddress: ago(2 * time.Minute)}, 0},
		{"the name from many addresses", SignInFailures{Name: 12, LastName: now}, 4 * time.Second},
		{"at most a minute", SignInFailures{Name: 500, LastName: now}, time.Minute},
		{"not from a familiar address", SignInFailures{Name: 500, LastName: now, Familiar: true}, 0},
		{"an address spraying names", SignInFailures{Address: 20, LastAddress: now}, time.Minute},
	}
	for _, c := range cases {
		if got := SignInWait(c.f, now); got != c.want {
			t.Errorf("%s: SignInWait = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSecondFactorRequired(t *testing.T) {
	for _, r := range Roles {
		want := r == RoleAdmin || r == RoleConfidentiality || r == RolePlatformAdmin
		if SecondFactorRequired([]Role{r}) != want {
			t.Errorf("SecondFactorRequired(%s) = %v", r, !want)
		}
	}
	if !SecondFactorRequired([]Role{RoleOfficer, RoleConfidentiality}) {
		t.Error("one role that needs it is enough")
	}
}

func TestFormedOnAndURLs(t *testing.T) {
	if ValidFormedOn(FormedOnFloor) != nil || refusalRule(ValidFormedOn(FormedOnFloor.AddDate(0, 0, -1))) != RuleInvalidDate ||
		refusalRule(ValidFormedOn(time.Time{})) != RuleInvalidDate {
		t.Error("the floor of formed_on is not 1949-10-01")
	}
	for _, ok := range []string{"https://mp.weixin.qq.com/s/x", "http://example.gov.cn/a?b=c"} {
		if err := ValidPublicationURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "data:text/html,x", "/public/items/1", "//evil.example/x", "https://", "ftp://x/y",
		"https://user:pw@x.example/", "https://x.example/a b", "JaVaScRiPt:alert(1)", ""} {
		if refusalRule(ValidPublicationURL(bad)) != RuleInvalidURL {
			t.Errorf("%q accepted as a publication's address", bad)
		}
	}
}

func TestCanManagePerson(t *testing.T) {
	admin := Actor{ID: 1, AgencyID: 1, Roles: []Role{RoleAdmin}}
	plat := Actor{ID: 2, AgencyID: 1, Roles: []Role{RoleAdmin, RolePlatformAdmin}}
	officer := Actor{ID: 3, AgencyID: 1, Roles: []Role{RoleOfficer}}
	foreign := Actor{ID: 4, AgencyID: 2, Roles: []Role{RoleOfficer}}
	cli := Actor{AgencyID: 1, Roles: []Role{RoleAdmin, RolePlatformAdmin}}
	for _, c := range []struct {
		by, target Actor
		rule       Rule
	}{
		{admin, officer, ""},
		{admin, plat, RuleRole},
		{plat, plat, RuleSelf},
		{admin, admin, RuleSelf},
		{plat, officer, ""},
		{admin, foreign, RuleAgency},
		{officer, admin, RuleRole},
		{cli, plat, ""},
	} {
		if got := refusalRule(CanManagePerson(c.by, c.target)); got != c.rule {
			t.Errorf("CanManagePerson(%d, %d) = %q, want %q", c.by.ID, c.target.ID, got, c.rule)
		}
	}
}
