package web_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// englishWords lists the English words a Chinese page shows outside code,
// hashes, the language switch and a short list of names and codes that
// are written in Latin letters in Chinese too (acronyms and codes in
// capitals among them), and the fixture's people, whose names are pinyin.
const englishWords = `(() => {
  const allow = new Set(["SHA", "PDF", "OFD", "DOCX", "API", "URL", "ID", "TOTP", "CSV", "XLSX", "RSS", "Atom", "JSON", "Feed",
    "English", "FreeOTP", "Google", "Microsoft", "Authenticator", "App", "HTTPS", "HTTP", "SMTP", "WeCom", "DingTalk", "NATS",
    "PostgreSQL", "JetStream", "GB", "T", "YYYY", "MM", "DD", "HH", "QR", "Prometheus", "Douyin", "WeChat", "OpenID", "AppID",
    "AppSecret", "Token", "IP", "AES", "mp4", "jpg", "png", "MB", "KB",
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

// TestPhoneWidth: at 390 px every page in each role's menu fits the screen
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
	if os.Getenv("SANSHEN_BROWSER_MATRIX") == "full" {
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
			if words := p.eval(englishWords); words != "" {
				t.Errorf("%s: %s shows English in a Chinese page: %s", name, l, words)
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
