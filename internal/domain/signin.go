package domain

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// SecondFactorRequired reports whether a person with these roles must
// sign in with a second factor (TOTP or a recovery code) as well as their
// password: the agency's admins, the confidentiality reviewers and the
// platform admins. 等保 2.0 level 3 (GB/T 22239-2019 8.1.4.1 d) asks two
// factors of administrators; the confidentiality reviewer signs off the
// last review before publication. Others may enrol if they wish.
func SecondFactorRequired(roles []Role) bool {
	return slices.ContainsFunc(roles, func(r Role) bool {
		return r == RoleAdmin || r == RoleConfidentiality || r == RolePlatformAdmin
	})
}

// CanManagePerson reports whether the actor may reset another person's
// password or second factor, disable them, or list and revoke their API
// tokens: an admin of the person's agency, but only a platform admin for a
// platform admin (or an agency's admin could take over the platform), and
// never for oneself (one's own account page asks for the current password).
func CanManagePerson(a, target Actor) error {
	if err := CanManage(a, target.AgencyID); err != nil {
		return err
	}
	if target.Has(RolePlatformAdmin) && !a.Has(RolePlatformAdmin) {
		return refuse(RuleRole, "only a platform admin manages a platform admin")
	}
	if a.ID != 0 && a.ID == target.ID {
		return refuse(RuleSelf, "change your own account on your account page")
	}
	return nil
}

// SignInFailures are the recent failed sign-ins that bear on one attempt:
// those of the name from this address, of the name from anywhere, and of
// the address for any name, each with the time of the latest.
type SignInFailures struct {
	Pair, Name, Address             int
	LastPair, LastName, LastAddress time.Time
	// Familiar: the person has signed in from this address before
	// (SignInFamiliarFor). The name's own brake spares such an address.
	Familiar bool
}

// SignInScope is what a sign-in brake counts failures of.
type SignInScope string

// The sign-in brakes. No brake locks a person out on the strength of their
// name alone: one address that keeps failing for a name waits longer and
// longer (SignInPair); an address that fails for many names waits
// (SignInAddress); failures for a name from many addresses slow attempts on
// that name by at most a minute, and only from addresses the person has
// not signed in from (SignInName). Failures count for SignInWindow.
const (
	SignInPair    SignInScope = "account" // one name from one address
	SignInName    SignInScope = "name"    // one name from any address
	SignInAddress SignInScope = "address" // one address for any name

	SignInWindow      = time.Hour
	SignInFamiliarFor = 90 * 24 * time.Hour
	SignInMaxDelay    = 15 * time.Minute
)

// signInBrakes: per scope, the failures that cost nothing, the first wait,
// and the longest; each further failure doubles the wait.
var signInBrakes = map[SignInScope]struct {
	free      int
	base, max time.Duration
}{
	SignInPair:    {5, time.Minute, SignInMaxDelay},
	SignInName:    {10, time.Second, time.Minute},
	SignInAddress: {20, time.Minute, SignInMaxDelay},
}

// SignInFree is how many failures scope lets pass before its brake.
func SignInFree(scope SignInScope) int { return signInBrakes[scope].free }

// SignInDelay is how long after the latest of n failures in scope the
// next attempt must wait: nothing up to SignInFree, then the scope's first
// wait, doubling with each further failure, up to its longest.
func SignInDelay(scope SignInScope, n int) time.Duration {
	b := signInBrakes[scope]
	if n < b.free {
		return 0
	}
	d := b.base << min(n-b.free, 20)
	if d > b.max || d <= 0 {
		return b.max
	}
	return d
}

// SignInWait is how long an attempt must wait before its password is even
// checked; zero lets it through. The right password waits like a wrong one:
// otherwise the brake would be an oracle.
func SignInWait(f SignInFailures, now time.Time) time.Duration {
	until := func(last time.Time, d time.Duration) time.Duration {
		if d == 0 {
			return 0
		}
		return max(last.Add(d).Sub(now), 0)
	}
	wait := until(f.LastPair, SignInDelay(SignInPair, f.Pair))
	wait = max(wait, until(f.LastAddress, SignInDelay(SignInAddress, f.Address)))
	if !f.Familiar {
		wait = max(wait, until(f.LastName, SignInDelay(SignInName, f.Name)))
	}
	return wait
}

// FormedOnFloor is the earliest date a draft's information may have been
// formed: the founding of the People's Republic. Older normative documents
// still in force are published with their real date, so there is no later
// floor; nothing before it is a date a draft can mean.
var FormedOnFloor = time.Date(1949, time.October, 1, 0, 0, 0, 0, time.UTC)

// ValidFormedOn reports whether d can be a draft's date of forming.
func ValidFormedOn(d time.Time) error {
	if d.Before(FormedOnFloor) {
		return refuse(RuleInvalidDate, "formed_on %s is before %s", d.Format(DateLayout), FormedOnFloor.Format(DateLayout))
	}
	return nil
}

// ValidPublicationURL reports whether u may be recorded as where a
// publication can be seen: an absolute http or https URL with a host.
// Anything else (javascript:, data:, a relative path) could run or mislead
// where the pages show it as a link.
func ValidPublicationURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil ||
		strings.ContainsAny(u, " \t\r\n\\") {
		return refuse(RuleInvalidURL, "a publication's address must be an http or https URL, not %q", u)
	}
	return nil
}
