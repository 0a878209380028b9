package web_test

import (
	_ "embed"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// axeSource is axe-core (npm axe-core 4.14.1, MPL-2.0), vendored for the
// browser tests: it checks a page against WCAG 2.1 A and AA.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axe runs axe-core on the page and returns its violations, one per rule
// with the number of elements and the first one's selector ("" for none).
func (p *person) axe() string {
	p.s.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		p.s.t.Fatalf("loading axe-core: %v", err)
	}
	return p.eval(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => v.id + "×" + v.nodes.length + " (" + v.nodes[0].target.join(" ") + ")").join("; "))`)
}

// englishWords lists the English words a Chinese page shows outside code,
// hashes, the language switch and a short list of names and codes that
// are written in Latin letters in Chinese too (acronyms and codes in
// capitals among them), and the fixture's people, whose names are pinyin.
const englishWords = `(() => {
  const allow = new Set(["SHA", "PDF", "OFD", "DOCX", "API", "URL", "ID", "TOTP", "CSV", "XLSX", "RSS", "Atom", "JSON", "Feed",
    "English", "FreeOTP", "Google", "Microsoft", "Authenticator", "App", "HTTPS", "HTTP", "SMTP", "WeCom", "DingTalk", "NATS",
    "PostgreSQL", "JetStream", "GB", "T", "YYYY", "MM", "DD", "HH", "QR", "Prometheus", "Douyin", "WeChat", "OpenID", "AppID",
    "AppSecret", "Token", "IP", "AES", "mp4", "jpg", "png", "MB", "KB", "Excel", "Ctrl",
    // the group robots' own parameter names, as their Chinese consoles show them
    "Webhook", "key", "access", "token",
    // the fixture's people (data, not the interface)
    "wang", "chen", "li", "zhou", "zhao", "sun", "qian", "admin"]);
  const out = new Set();
  const walk = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("code, pre.hash, .hash, [lang=en], script, style, .token, textarea, input, option")) continue;
    for (const w of n.textContent.match(/[A-Za-z]{2,}/g) || []) {
      if (!allow.has(w) && w !== w.toUpperCase()) out.add(w); // capitals alone: a code or an acronym
    }
  }
  return Array.from(out).slice(0, 12).join(" ");
})()`

// TestPhoneWidth: at 390 px (and in the full matrix at 1280 px too) every
// page in each role's menu has no axe-core violation of WCAG 2.1 AA, fits the screen
// (no sideways scrolling) and shows no English outside a short list of
// names and codes (englishWords), the header folds into a menu that opens with
// its button, and no menu item wraps onto a second line. The draft page
// and its printable 审批单 are in the tour. Screenshots of the open menu.
func TestPhoneWidth(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	id := wang.submitDraft("关于开展冬季消防安全检查的通知", body1)
	s.waitState(id, domain.StateCompliance)
	// CI tours the officer's and the admin's pages (the most of them);
	// make browser tours every role's.
	people := []string{"wang", "admin"}
	full := os.Getenv("SANSHEN_BROWSER_MATRIX") == "full"
	if full {
		people = []string{"wang", "li", "zhao", "qian", "admin"}
	}
	for _, name := range people {
		p := wang
		if name != "wang" {
			p = s.as(name)
		}
		p.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.base+"/web/"), chromedp.WaitVisible(chromedp.CSS("#menu-toggle")))
		if p.eval(`String(getComputedStyle(document.querySelector('#site-nav')).display)`) != "none" {
			t.Errorf("%s: the menu is open before its button is pressed", name)
		}
		p.do(chromedp.Click(chromedp.CSS("#menu-toggle")), chromedp.WaitVisible(chromedp.CSS("#site-nav")))
		if wrapped := p.eval(`Array.from(document.querySelectorAll('#site-nav a, .me a')).filter(a => a.getClientRects().length > 1).map(a => a.textContent.trim()).join('|')`); wrapped != "" {
			t.Errorf("%s: menu items on several lines: %s", name, wrapped)
		}
		p.shot("menu-390")
		links := strings.Split(p.eval(`Array.from(document.querySelectorAll('#site-nav a')).map(a => a.getAttribute('href')).join(' ')`), " ")
		links = append(links, fmt.Sprintf("/web/drafts/%d", id), fmt.Sprintf("/web/drafts/%d/print", id), "/web/account")
		for _, l := range links {
			if l == "" {
				continue
			}
			p.do(chromedp.Navigate(s.base+l), chromedp.WaitVisible(chromedp.CSS("main")))
			if v := p.axe(); v != "" {
				t.Errorf("%s: %s has accessibility violations (axe-core, WCAG 2.1 AA): %s", name, l, v)
			}
			if words := p.eval(englishWords); words != "" {
				t.Errorf("%s: %s shows English in a Chinese page: %s", name, l, words)
			}
			if full {
				// At desktop width too: axe-core's contrast and layout rules see another page.
				p.do(chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
				if v := p.axe(); v != "" {
					t.Errorf("%s: %s at 1280 px has accessibility violations (axe-core, WCAG 2.1 AA): %s", name, l, v)
				}
				p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
			}
			w, _ := strconv.Atoi(p.eval(`String(document.documentElement.scrollWidth)`))
			if w > 390 {
				// The innermost elements that reach past the screen's edge.
				wide := p.eval(`Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391 &&
					!Array.from(e.children).some(c => c.getBoundingClientRect().right > 391)).slice(0, 4)
					.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')).join(', ')`)
				t.Errorf("%s: %s is %d px wide at 390 px: it scrolls sideways (%s)", name, l, w, wide)
			}
		}
	}
	wang.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d/print", s.base, id)),
		chromedp.WaitVisible(chromedp.CSS("#approval-sheet")))
	if got := wang.text(".sheet-title"); !strings.Contains(got, "审批单") {
		t.Errorf("the sheet's title: %q", got)
	}
	wang.shot("print-sheet")
}
